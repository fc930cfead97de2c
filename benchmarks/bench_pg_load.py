"""Benchmark PostgreSQL under load: concurrent `fcast train` processes on one database, the Runs page read beside them.

    python benchmarks/bench_pg_load.py [--trainers 1 2 4] [--rows 3] [--max-steps 2] [--database NAME] [--keep]

Setup (not timed): a fresh PostgreSQL database filled by `fcast main --no-train`, or with --database one that the
main job built already (left in place; only this benchmark's runs are counted). Figures, all from one run:
  1. the Runs page's reads with nothing else working: one headless reader (`fcast.ui.timed_reads`: the page's
     marts check, live runs with their resource samples, run history, every 2 s) for --idle-seconds; the
     median and 95th-percentile latency of a read;
  2. for each N in --trainers: N `fcast train --static-only` processes started at once, each on its own plan of
     --rows tiny NHITS rows (one slot each of Loto6, Loto7 or MiniLoto, max_steps --max-steps, 2 cross-validation
     windows, one torch thread each), with the same reader on the Runs page throughout: the wall time from the
     first start to the last end, runs per minute, rows the runs wrote to the run tables (the run row, metrics,
     forecasts, intervals, resource samples and summary, model artifact) per second, and the 95th-percentile
     latency of a UI read during the load beside the idle one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from harness import REPO_ROOT, Workspace, run_checked

from fcast import db
from fcast.throwaway import fcast_command, warehouse_env
from fcast.ui.timed_reads import load_entries

GAMES = ("loto6", "loto7", "miniloto")
RUN_TABLES = (
    "nf_model_runs",
    "run_metrics",
    "run_forecasts",
    "run_forecast_intervals",
    "run_resources",
    "run_resource_summaries",
    "model_artifacts",
)
FEATURES = {
    "futr": ["fut_weekday", "fut_days_since_prev_draw"],
    "hist": ["hist_lag_1", "hist_roll_mean_10"],
    "stat": ["stat_slot_index"],
}


@dataclass
class LoadFigure:
    trainers: int
    runs: int
    completed: int
    wall_s: float
    rows: int
    reads: int
    p50_read_s: float
    p95_read_s: float

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.completed / self.wall_s

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall_s


def write_plan(path: Path, game: str, rows: int, max_steps: int) -> Path:
    document = {
        "plan": path.stem,
        "defaults": {
            "dataset": game,
            "horizon": 1,
            "loss": {"class": "MAE"},
            "fit": {"val_size": 0},
            "cross_validation": {"n_windows": 2, "step_size": 1},
            "features": FEATURES,
        },
        "runs": [
            {
                "name": f"{path.stem}_N{slot}",
                "series": f"N{slot}",
                "model": "NHITS",
                "model_args": {"input_size": 12, "max_steps": max_steps},
            }
            for slot in range(1, rows + 1)
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


class Reader:
    """One `fcast.ui.timed_reads` process: the Runs page read every 2 s until stopped."""

    def __init__(self, folder: Path, label: str) -> None:
        self.stop_file = folder / f"{label}.stop"
        self.out = folder / f"{label}.jsonl"
        with (folder / f"{label}.log").open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fcast.ui.timed_reads", str(self.stop_file), str(self.out)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
            )

    def wait_for_a_page(self, after: float, timeout_s: float = 120) -> None:
        deadline = time.time() + timeout_s
        while not any(entry["read"] == "history" and entry["ended"] > after for entry in load_entries(self.out)):
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit(f"the UI reader got no answer: see {self.out.with_suffix('.log')}")
            time.sleep(0.2)

    def stop(self) -> list[dict]:
        self.stop_file.touch()
        self.process.wait(timeout=120)
        entries = [entry for entry in load_entries(self.out) if "seconds" in entry]
        failed = [entry for entry in entries if entry["error"]]
        if failed:
            raise SystemExit(f"{len(failed)} UI reads failed, the first: {failed[0]}")
        return entries


def latencies(entries: list[dict], start: float, end: float) -> list[float]:
    return [entry["seconds"] for entry in entries if start < entry["ended"] < end]


def idle_reads(folder: Path, seconds: float) -> list[float]:
    reader = Reader(folder, "idle_reader")
    reader.wait_for_a_page(after=0.0)  # the interpreter and its imports are not a read
    start = time.time()
    time.sleep(seconds)
    end = time.time()
    return latencies(reader.stop(), start, end)


def run_tables_rows(plan_names: list[str], since: float) -> tuple[int, int, int]:
    """(runs, completed runs, rows in the run tables) of these plans' runs created since `since`."""
    marks = ", ".join("?" for _ in plan_names)
    with db.connect(read_only=True) as warehouse:
        runs = warehouse.fetchall(
            f"select run_id, status from raw.nf_model_runs where plan_name in ({marks}) "
            "and created_at >= to_timestamp(?) at time zone 'UTC'",
            (*plan_names, since - 1),
        )
        ids = [run_id for run_id, _ in runs]
        rows = 0
        if ids:
            id_marks = ", ".join("?" for _ in ids)
            for table in RUN_TABLES:
                rows += warehouse.fetchall(f"select count(*) from raw.{table} where run_id in ({id_marks})", ids)[0][0]
    return len(runs), sum(status == "COMPLETED" for _, status in runs), rows


def bench_trainers(folder: Path, trainers: int, rows: int, max_steps: int, timeout_s: float) -> LoadFigure:
    stamp = int(time.time())
    plans = [
        write_plan(folder / f"bench_n{trainers}_t{index}_{stamp}.yaml", GAMES[index % len(GAMES)], rows, max_steps)
        for index in range(trainers)
    ]
    reader = Reader(folder, f"reader_n{trainers}")
    processes: list[subprocess.Popen] = []
    try:
        reader.wait_for_a_page(after=0.0)
        env = {**os.environ, "OMP_NUM_THREADS": "1"}  # the trainers share the cores: one torch thread each
        start = time.time()
        for plan in plans:
            with plan.with_suffix(".log").open("w", encoding="utf-8") as log:
                command = fcast_command("train", str(plan), "--static-only")
                processes.append(
                    subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env)
                )
        for process, plan in zip(processes, plans, strict=True):
            try:
                returncode = process.wait(timeout=max(1.0, start + timeout_s - time.time()))
            except subprocess.TimeoutExpired:
                raise SystemExit(f"{trainers} trainers did not finish in {timeout_s:.0f}s") from None
            if returncode != 0:
                raise SystemExit(f"fcast train {plan.name} exited {returncode}: see {plan.with_suffix('.log')}")
        end = time.time()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        entries = reader.stop()
    runs, completed, written = run_tables_rows([plan.stem for plan in plans], start)
    read_s = latencies(entries, start, end)
    return LoadFigure(
        trainers,
        runs,
        completed,
        end - start,
        written,
        len(read_s),
        float(np.percentile(read_s, 50)),
        float(np.percentile(read_s, 95)),
    )


def print_table(idle: list[float], figures: list[LoadFigure]) -> None:
    idle_p95 = float(np.percentile(idle, 95))
    print()
    print(
        "| trainers | runs (completed) | wall s | runs/min | rows written | rows/s | UI reads | UI p50 ms | UI p95 ms "
        "| p95 vs idle |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| 0 (idle) | | | | | | {len(idle)} | {1000 * float(np.percentile(idle, 50)):.0f} | "
        f"{1000 * idle_p95:.0f} | 1.0 |"
    )
    for figure in figures:
        print(
            f"| {figure.trainers} | {figure.runs} ({figure.completed}) | {figure.wall_s:.1f} | "
            f"{figure.runs_per_minute:.1f} | {figure.rows:,} | {figure.rows_per_second:.0f} | {figure.reads} | "
            f"{1000 * figure.p50_read_s:.0f} | {1000 * figure.p95_read_s:.0f} | {figure.p95_read_s / idle_p95:.1f} |"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainers", type=int, nargs="+", default=[1, 2, 4], help="concurrent trainers per step")
    parser.add_argument("--rows", type=int, default=3, help="plan rows per trainer (at most 5: MiniLoto's slots)")
    parser.add_argument("--max-steps", type=int, default=2)
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="how long the UI is read with no load")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one step's trainers may take")
    parser.add_argument("--database", help="a PostgreSQL database the main job built (kept; no setup)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and the database")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    workspace = Workspace(keep=args.keep)
    try:
        folder = workspace.folder("pg_load")
        database = args.database or workspace.new_pg_database("load")
        os.environ.update(
            {
                **warehouse_env(folder, "postgres", database),
                "FCAST_MODEL_STORE": str(folder / "models"),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            }
        )
        if not args.database:
            print(f"[bench] fcast main --no-train on PostgreSQL {database} (setup, not timed) ...", flush=True)
            run_checked(fcast_command("main", "--no-train"), folder / "setup.log", "fcast main")
        print(f"[bench] the Runs page read alone for {args.idle_seconds:.0f}s ...", flush=True)
        idle = idle_reads(folder, args.idle_seconds)
        figures = []
        for trainers in args.trainers:
            print(f"[bench] {trainers} trainer(s) at once, {args.rows} run(s) each ...", flush=True)
            figures.append(bench_trainers(folder, trainers, args.rows, args.max_steps, args.timeout))
            print(f"[bench]   {figures[-1].wall_s:.1f}s, {figures[-1].runs_per_minute:.1f} runs/min", flush=True)
        print_table(idle, figures)
        return 0
    finally:
        workspace.cleanup()


if __name__ == "__main__":
    sys.exit(main())
