"""Benchmark the prober: the full neuralforecast matrix, a re-run, and per-probe time against a bare fit.

    python benchmarks/bench_probes.py [--workers N] [--models NHITS LSTM ...] [--keep FOLDER]

Figures (fresh DuckDB warehouse; the registry scan comes first and is not timed in figure 1):
  1. `fcast registry probe` (the full matrix): probes, wall time (target: at most 5 minutes), probes per
     second, peak memory, the count of each outcome and, for every outcome other than ok and raised,
     the argument and the reason it states;
  2. the same command again: everything recorded, so nothing runs (target: under 5 s);
  3. per-probe time: the median NHITS fit probe against a bare NeuralForecast fit + predict of the same
     tiny model (NHITS with fcast.probe.definitions.TINY_MODEL) timed in this process (target: at most 1.2x),
     and the pool's overhead: wall x workers / probes against the mean in-worker probe time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import mib, run_checked, scratch_env

from fcast.throwaway import fcast_command

FULL_TARGET_S = 300.0
RERUN_TARGET_S = 5.0
RATIO_TARGET = 1.2


def _command(folder: Path, label: str, *arguments: str) -> tuple[float, float | None, str]:
    measured = run_checked(fcast_command(*arguments), folder / f"{label}.log", label)
    return measured.wall_s, mib(measured.peak_tree_rss), measured.log_path.read_text()


def bare_fit_predict_seconds(repeats: int = 15) -> float:
    """Median wall time of a bare fit + predict of the probes' tiny NHITS, after one warm-up."""
    import torch

    from fcast.probe.definitions import TINY_MODEL
    from fcast.probe.scenarios import execute, quiet

    quiet()
    torch.set_num_threads(1)  # as in a probe worker
    spec = {
        "method": "fit",
        "model": "NHITS",
        "model_kwargs": dict(TINY_MODEL),
    }
    execute(spec)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        execute(spec)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _outcome_reasons(duckdb_path: Path) -> list[tuple[str, str, str, int]]:
    """(outcome, argument, reason, probes) of every outcome that is not ok/raised: what each one claims."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(
            "select outcome, argument, outcome_reason, count(*) from raw.registry_probes "
            "where outcome in ('baseline', 'ignored', 'not_observable', 'unchanged') "
            "group by 1, 2, 3 order by 1, 4 desc"
        ).fetchall()


def _probe_facts(duckdb_path: Path) -> tuple[dict[str, int], float, float]:
    """Outcome counts, mean in-worker probe duration, median duration of NHITS fit probes that ran."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        counts = dict(connection.execute("select outcome, count(*) from raw.registry_probes group by 1").fetchall())
        mean = connection.execute("select avg(duration_seconds) from raw.registry_probes").fetchone()[0]
        nhits = connection.execute(
            "select median(duration_seconds) from raw.registry_probes where model_class = 'NHITS' "
            "and method = 'fit' and outcome in ('ok', 'ignored')"
        ).fetchone()[0]
    return counts, float(mean), float(nhits)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--models", nargs="*", default=[])
    parser.add_argument("--keep", type=Path, help="keep the warehouse in this folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcast_bench_probes_") as name:
        folder = args.keep or Path(name)
        folder.mkdir(parents=True, exist_ok=True)
        env = scratch_env(folder)
        os.environ.update(env)
        _command(folder, "scan", "registry", "scan")
        extra = ["--workers", str(args.workers), *(["--models", *args.models] if args.models else [])]
        wall, peak, _ = _command(folder, "full", "registry", "probe", *extra)
        rerun_wall, _, rerun_output = _command(folder, "rerun", "registry", "probe", *extra)
        counts, mean_duration, nhits_probe = _probe_facts(Path(env["FCAST_DUCKDB_PATH"]))
        reasons = _outcome_reasons(Path(env["FCAST_DUCKDB_PATH"]))
    probes = sum(counts.values())
    bare = bare_fit_predict_seconds()
    per_probe = wall * args.workers / probes
    verdict = "met" if wall <= FULL_TARGET_S else "MISSED"
    print(
        f"full matrix: {probes} probes in {wall:.1f}s with {args.workers} workers = {probes / wall:.1f} probes/s "
        f"(target <= {FULL_TARGET_S:.0f}s: {verdict}), peak RSS {peak:.0f} MiB"
    )
    print("outcomes: " + ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items())))
    for outcome, argument, reason, count in reasons:
        print(f"  {outcome:<15} {count:>5}  {argument}: {reason[:150]}")
    verdict = "met" if rerun_wall < RERUN_TARGET_S else "MISSED"
    print(
        f"re-run with everything recorded: {rerun_wall:.1f}s (target < {RERUN_TARGET_S:.0f}s: {verdict}); "
        f"{rerun_output.strip().splitlines()[-1].strip()}"
    )
    ratio = nhits_probe / bare
    verdict = "met" if ratio <= RATIO_TARGET else "MISSED"
    print(
        f"NHITS fit probe (median, in the worker) {nhits_probe:.3f}s vs bare fit+predict of the same tiny NHITS "
        f"{bare:.3f}s: {ratio:.2f}x (target <= {RATIO_TARGET}x: {verdict})"
    )
    print(
        f"pool overhead: {per_probe:.3f}s per probe (wall x workers / probes) vs {mean_duration:.3f}s mean "
        f"in-worker probe time: {per_probe / mean_duration:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
