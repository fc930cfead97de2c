"""Benchmark the rehearsal: the Loto6 standard plan (7 rows) rehearsed by `fcast validate`, cold and cached.

    python benchmarks/bench_rehearsal.py [--workers 2]

Figures, all from one run on a fresh DuckDB warehouse (`fcast main --no-train` first, not timed):
  1. `fcast validate` of the standard Loto6 plan with its rehearsal, cold (nothing stored), wall time
     and peak memory of the process tree (the command and its worker processes) (targets: <= 20 s on
     2 workers; the whole command, imports included);
  2. the same command again, cached: every rehearsal is read from the stored plan probes (target <= 1 s
     of the command's own work; the wall time includes the interpreter starting);
  3. per row: the rehearsal's time in its worker (imports excluded; from raw.registry_probes) beside
     benchmarks/handwritten_loto6.py --one-step, the same neuralforecast calls at one step on the same
     data with one torch thread (data reading excluded), and their ratio (target <= 1.5).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from harness import REPO_ROOT, mib, prepared_warehouse, run_checked

from fcast.throwaway import fcast_command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcast-bench-rehearsal-") as scratch:
        folder = Path(scratch)
        prepared_warehouse(folder)
        plan = folder / "loto6.yaml"
        run_checked(fcast_command("plan", "--game", "loto6", "--output", str(plan)), folder / "p.log", "fcast plan")
        validate = fcast_command("validate", str(plan), "--workers", str(args.workers))
        cold = run_checked(validate, folder / "cold.log", "cold validate")
        cached = run_checked(validate, folder / "cached.log", "cached validate")
        startup = run_checked(fcast_command("--help"), folder / "help.log", "fcast --help")
        with duckdb.connect(os.environ["FCAST_DUCKDB_PATH"], read_only=True) as connection:
            rehearsed = dict(
                connection.execute(
                    "select value_label, duration_seconds from raw.registry_probes where probe_kind = 'plan'"
                ).fetchall()
            )
        handwritten = subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / "benchmarks" / "handwritten_loto6.py"),
                str(plan),
                os.environ["FCAST_DUCKDB_PATH"],
                str(folder / "handwritten"),
                "--one-step",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        baseline = {
            name: float(seconds) for name, seconds in re.findall(r"^ROW (\S+) ([\d.]+)$", handwritten.stdout, re.M)
        }
    print(f"\nLoto6 standard plan, {len(rehearsed)} rows, {args.workers} workers, {os.cpu_count()} cores")
    print(
        f"  cold rehearsal  (fcast validate): {cold.wall_s:6.2f} s wall, peak {mib(cold.peak_tree_rss)} MiB "
        "(process tree)"
    )
    print(f"  cached          (fcast validate): {cached.wall_s:6.2f} s wall, peak {mib(cached.peak_tree_rss)} MiB")
    print(
        f"  interpreter + CLI start (fcast --help): {startup.wall_s:6.2f} s; cached minus start: "
        f"{cached.wall_s - startup.wall_s:.2f} s"
    )
    print("\n  row                      rehearsal s  hand-written s  ratio")
    ratios = []
    for name in sorted(rehearsed):
        ratio = rehearsed[name] / baseline[name] if baseline.get(name) else float("nan")
        ratios.append(ratio)
        print(f"  {name:24} {rehearsed[name]:11.3f}  {baseline.get(name, float('nan')):14.3f}  {ratio:5.2f}")
    print(f"  median ratio {statistics.median(ratios):.2f}, max {max(ratios):.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
