"""Benchmark foundation models beside NHITS: zero-shot forecast + 20 cross-validation windows of one Loto6 slot.

    python benchmarks/bench_foundation.py [--windows 20] [--nhits-steps 100]

Figures, all from one run on a fresh DuckDB warehouse (`fcast main --no-train` first, not timed), with tiny
random checkpoints of Chronos-2, Chronos-Bolt and TimesFM 2.5 (written from each library's config class;
real weights are larger and slower, the path is the same):
  per model, `fcast train` of one plan row (loto6 N1, horizon 1, `cross_validation.n_windows` windows with an
  80% interval, then the forecast of the next draw, the model stored): wall time and peak memory of the
  command (process tree RSS), and the run's own duration and peak RSS as the trainer recorded them
  (raw.nf_model_runs, raw.run_resource_summaries: imports and process start excluded); the ratio of each
  to NHITS's.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import yaml
from harness import mib, prepared_warehouse, run_checked

from fcast import db
from fcast.library.foundation.tiny import write_tiny_checkpoints
from fcast.throwaway import fcast_command

MODELS = ("NHITS", "Chronos2", "ChronosBolt", "TimesFM")


def plan_row(model: str, windows: int, nhits_steps: int) -> dict:
    row: dict = {"name": f"bench_{model.lower()}", "model": model}
    if model == "NHITS":
        row.update(loss={"class": "MQLoss", "kwargs": {"level": [80]}}, model_args={"input_size": 24,
                   "max_steps": nhits_steps})  # fmt: skip
    return row


def run_figures(run_name: str) -> tuple[float, float]:
    with db.connect(read_only=True) as warehouse:
        duration, summary = warehouse.fetchall(
            "select duration_seconds, resource_summary from raw.nf_model_runs where run_name = ? "
            "order by created_at desc limit 1",
            (run_name,),
        )[0]
    return float(duration), float(json.loads(summary)["peak_rss_bytes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--nhits-steps", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcast-bench-foundation-") as scratch:
        folder = Path(scratch)
        print("[bench] preparing a warehouse (fcast main --no-train, not timed) ...", flush=True)
        prepared_warehouse(folder)
        os.environ["FCAST_TSFM_HOME"] = str(folder / "tsfm")
        write_tiny_checkpoints(folder / "tsfm")
        figures = {}
        for model in MODELS:
            document = {
                "plan": f"bench_{model.lower()}",
                "defaults": {
                    "dataset": "loto6",
                    "series": "N1",
                    "horizon": 1,
                    "predict": {"level": [80]},
                    "cross_validation": {"n_windows": args.windows, "step_size": 1, "level": [80]},
                },
                "runs": [plan_row(model, args.windows, args.nhits_steps)],
            }
            plan = folder / f"{model}.yaml"
            plan.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
            print(f"[bench] fcast train {model} ({args.windows} windows + the next draw) ...", flush=True)
            measured = run_checked(fcast_command("train", str(plan), "--static-only"), folder / f"{model}.log", model)
            duration, peak = run_figures(f"bench_{model.lower()}")
            figures[model] = (measured.wall_s, mib(measured.peak_tree_rss), duration, mib(peak))
        base = figures["NHITS"]
        print()
        print(f"Zero-shot forecast + {args.windows} cross-validation windows, loto6 N1, horizon 1, 80% interval")
        print(f"{'model':<12} {'command s':>10} {'command MiB':>12} {'run s':>8} {'run MiB':>8} {'run s / NHITS':>14}")
        for model, (wall, rss, duration, peak) in figures.items():
            print(f"{model:<12} {wall:>10.1f} {rss:>12.0f} {duration:>8.2f} {peak:>8.0f} {duration / base[2]:>14.2f}")
        print(f"(NHITS trains {args.nhits_steps} steps; the foundation models are tiny random checkpoints, zero-shot)")


if __name__ == "__main__":
    main()
