"""Benchmark the trainer: `fcast train` of the 7 Loto6 models against a hand-written neuralforecast script.

    python benchmarks/bench_training.py [--max-steps 100] [--repeats 1] [--monitor-seconds 30]

Figures, all from one run on a fresh DuckDB warehouse (`fcast main --no-train` first, not timed):
  1. wall time and peak memory (process tree RSS) of `fcast train` on the standard Loto6 plan (k+1 = 7
     runs: NHITS per slot, TSMixerx over all six) and of benchmarks/handwritten_loto6.py, which trains
     the same 7 runs with the same arguments in plain neuralforecast (cross-validation, fit, predict,
     save); the ratio fcast / hand-written (target: at most 1.10). Runs alternate when --repeats > 1;
  2. the resource monitor's overhead, sampling alone and sampling + flushing into DuckDB every 5 s as
     the trainer runs it: CPU (percent of one core, ms per sample) and memory growth while the process
     idles, and the slowdown of a fixed GIL-releasing numpy workload (like torch training) with the
     monitor against without it (median of 3 alternations).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from harness import REPO_ROOT, mib, prepared_warehouse, run_checked, scratch_env

from fcast.throwaway import fcast_command

RATIO_TARGET = 1.10


def bench_train_vs_handwritten(folder: Path, max_steps: int, repeats: int) -> list[tuple[str, float, float]]:
    prepared_warehouse(folder)
    plan = folder / "loto6_plan.yaml"
    run_checked(
        fcast_command("plan", "--game", "loto6", "--max-steps", str(max_steps), "--output", str(plan)),
        folder / "plan.log",
        "fcast plan",
    )
    commands = {
        "hand-written neuralforecast": [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "handwritten_loto6.py"),
            str(plan),
            os.environ["FCAST_DUCKDB_PATH"],
            str(folder / "handwritten_models"),
        ],
        "fcast train": fcast_command("train", str(plan)),
    }
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for repeat in range(repeats):
        order = list(commands) if repeat % 2 == 0 else list(reversed(commands))
        for label in order:
            print(f"[bench] {label} (repeat {repeat + 1}/{repeats}) ...", flush=True)
            log = folder / f"{label.split()[0]}_{repeat}.log"
            measured = run_checked(commands[label], log, label)
            results[label].append((measured.wall_s, mib(measured.peak_tree_rss)))
            print(f"[bench]   {measured.wall_s:.1f}s, peak {mib(measured.peak_tree_rss)} MiB", flush=True)
    return [
        (label, statistics.median(w for w, _ in values), max(m for _, m in values)) for label, values in results.items()
    ]


def _numpy_workload(iterations: int) -> float:
    import numpy as np

    matrix = np.random.default_rng(0).random((300, 300))
    started = time.perf_counter()
    for _ in range(iterations):
        matrix = matrix @ matrix
        matrix /= np.abs(matrix).max()
    return time.perf_counter() - started


def _idle_monitor(seconds: float, flush) -> tuple[int, float, float]:
    """(samples, CPU seconds, RSS growth in bytes) of this process while only the monitor works."""
    from fcast.train.monitor import ResourceMonitor

    process = psutil.Process()
    rss_before, cpu_before = process.memory_info().rss, time.process_time()
    with ResourceMonitor(on_flush=flush, interval_s=1.0, flush_interval_s=5.0) as monitor:
        time.sleep(seconds)
    return len(monitor.samples), time.process_time() - cpu_before, process.memory_info().rss - rss_before


def _workload_ratio(flush) -> tuple[float, float]:
    from fcast.train.monitor import ResourceMonitor

    iterations = 4000  # a few seconds: several samples and a flush fall inside each timing
    without, with_monitor = [], []
    for _ in range(3):
        without.append(_numpy_workload(iterations))
        with ResourceMonitor(on_flush=flush, interval_s=1.0, flush_interval_s=5.0):
            with_monitor.append(_numpy_workload(iterations))
    return statistics.median(without), statistics.median(with_monitor)


def bench_monitor(seconds: float) -> dict[str, dict[str, float]]:
    """The monitor alone (sampling into memory) and as the trainer runs it (flushing into DuckDB)."""
    from fcast import db
    from fcast.raw_schema import RUN_RESOURCES
    from fcast.train.monitor import ResourceMonitor

    db.ensure_raw_tables()

    def flush(samples) -> None:
        with db.connect() as warehouse:
            warehouse.insert_rows(RUN_RESOURCES, [sample.as_row("bench-monitor") for sample in samples])

    with ResourceMonitor(on_flush=flush, interval_s=0.2):  # warm-up: imports and opens what a flush needs
        time.sleep(0.5)
    _numpy_workload(400)
    figures = {}
    for label, on_flush in (("sampling only", None), ("sampling + DuckDB flushes", flush)):
        samples, cpu_s, rss_growth = _idle_monitor(seconds, on_flush)
        without_s, with_s = _workload_ratio(on_flush)
        figures[label] = {
            "samples": samples,
            "idle_cpu_percent_of_a_core": 100 * cpu_s / seconds,
            "cpu_ms_per_sample": 1000 * cpu_s / max(1, samples),
            "rss_growth_mib": rss_growth / 2**20,
            "workload_without_s": without_s,
            "workload_with_s": with_s,
        }
    return figures


def print_training(training: list[tuple[str, float, float]], max_steps: int) -> None:
    (hand_label, hand_s, _), (fcast_label, fcast_s, _) = training
    ratio = fcast_s / hand_s
    print(f"\nLoto6 standard plan: 7 runs (NHITS x 6, TSMixerx over all slots), max_steps {max_steps}")
    print(f"  {'':30} {'wall s':>8} {'peak MiB':>9}")
    for label, seconds, peak in training:
        print(f"  {label:30} {seconds:8.1f} {peak:9.1f}")
    verdict = "OK" if ratio <= RATIO_TARGET else "ABOVE TARGET"
    print(f"  ratio {fcast_label} / {hand_label}: {ratio:.3f} (target <= {RATIO_TARGET}) {verdict}")


def print_monitor(figures: dict[str, dict[str, float]], seconds: float) -> None:
    print(
        f"\nresource monitor (1 s samples, 5 s flushes), {seconds:.0f}s with the process idle, then a numpy workload:"
    )
    print(f"  {'':28} {'% of a core':>11} {'ms/sample':>10} {'RSS +MiB':>9} {'workload slowdown':>18}")
    for label, figure in figures.items():
        slowdown = figure["workload_with_s"] / figure["workload_without_s"]
        print(
            f"  {label:28} {figure['idle_cpu_percent_of_a_core']:11.2f} {figure['cpu_ms_per_sample']:10.1f} "
            f"{figure['rss_growth_mib']:9.1f} {slowdown:17.3f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-steps", type=int, default=100, help="max_steps of every model (the plan default)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each side, alternating")
    parser.add_argument("--monitor-seconds", type=float, default=30.0)
    parser.add_argument("--monitor-only", action="store_true", help="only figure 2")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fcast-bench-train-") as scratch:
        folder = Path(scratch)
        os.environ.update(scratch_env(folder))
        training = [] if args.monitor_only else bench_train_vs_handwritten(folder, args.max_steps, args.repeats)
        monitor = bench_monitor(args.monitor_seconds)
    if training:
        print_training(training, args.max_steps)
    print_monitor(monitor, args.monitor_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
