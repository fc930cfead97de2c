"""Benchmark your own series: panel ingest at scale, the marts refresh, and a monthly panel trained by fcast
against the same neuralforecast calls written by hand.

    python benchmarks/bench_panels.py [--series 100 1000] [--max-steps 100]

Figures, all from one run on a fresh DuckDB warehouse (`fcast main --no-train` first, not timed):
  1. `fcast ingest --panel` of a synthetic daily panel (730 days per series, 1% of the days missing, one hist_
     and one fut_ column) with `--fill-gaps interpolate --no-build`, per size: wall time, peak memory, rows/s;
     the same file again (idempotent: nothing added);
  2. the marts downstream of the panel tables (what `fcast ingest` rebuilds: `@source:raw.panel_...`), wall time;
  3. AirPassengersPanel (2 monthly series, fut_trend + hist_y_lag12, h=12, 2 yearly windows): `fcast validate`
     (cold rehearsal) and `fcast train` of one NHITS row, beside benchmarks/handwritten_air.py (the same
     cross_validation, fit and predict in a plain script) and their ratio.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from harness import mib, prepared_warehouse, run_checked

from fcast.dbt_runner import downstream_selection
from fcast.ingest.panel import WRITTEN_TABLES
from fcast.throwaway import fcast_command

HERE = Path(__file__).resolve().parent
DAYS = 730


def synthetic_panel(path: Path, series: int, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=DAYS, freq="D")
    frames = []
    for index in range(series):
        keep = rng.random(DAYS) > 0.01
        keep[[0, -1]] = True
        kept = int(keep.sum())
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{index}",
                    "ds": dates[keep].strftime("%Y-%m-%d"),
                    "y": rng.normal(size=kept).round(3),
                    "hist_x": rng.normal(size=kept).round(3),
                    "fut_promo": rng.integers(0, 2, kept),
                }
            )
        )
    frame = pd.concat(frames)
    frame.to_csv(path, index=False)
    return len(frame)


def air_files(folder: Path) -> tuple[Path, Path]:
    from neuralforecast.utils import AirPassengersPanel

    panel = AirPassengersPanel.rename(columns={"trend": "fut_trend", "y_[lag12]": "hist_y_lag12"})
    last_year = panel["ds"] > panel["ds"].max() - pd.DateOffset(months=12)
    panel[~last_year].to_csv(folder / "air.csv", index=False)
    panel.loc[last_year, ["unique_id", "ds", "fut_trend"]].to_csv(folder / "air_futr.csv", index=False)
    return folder / "air.csv", folder / "air_futr.csv"


def air_plan(folder: Path, max_steps: int) -> Path:
    import yaml

    plan = {
        "plan": "air_bench",
        "defaults": {
            "dataset": "air",
            "horizon": 12,
            "loss": "MAE",
            "cross_validation": {"n_windows": 2, "step_size": 12},
        },
        "runs": [
            {
                "name": "air_nhits",
                "series": "all",
                "model": "NHITS",
                "model_args": {"input_size": 24, "max_steps": max_steps, "scaler_type": "robust", "random_seed": 1},
                "features": {"futr": ["fut_trend"], "hist": ["hist_y_lag12"]},
            }
        ],
    }
    path = folder / "air_plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def row(label: str, measured, extra: str = "") -> None:
    print(f"{label:<58} {measured.wall_s:8.1f} s {mib(measured.peak_tree_rss):9.1f} MiB  {extra}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--max-steps", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcast-bench-panels-") as scratch:
        folder = Path(scratch)
        prepared_warehouse(folder)
        print(f"{'figure':<58} {'wall':>10} {'peak RSS':>13}")
        for size in args.series:
            path = folder / f"daily_{size}.csv"
            rows = synthetic_panel(path, size)
            command = fcast_command("ingest", "--panel", f"daily_{size}", str(path), "--fill-gaps", "interpolate")
            first = run_checked([*command, "--no-build"], folder / f"i{size}.log", "ingest")
            filled = re.search(r"(\d+) missing timestamp\(s\) filled", first.log_path.read_text())
            row(
                f"1. ingest {size} daily series ({rows:,} rows, 2 features)",
                first,
                f"{rows / first.wall_s:,.0f} rows/s; {filled.group(1) if filled else 0} gaps filled",
            )
            again = run_checked([*command, "--no-build"], folder / f"a{size}.log", "re-ingest")
            added = re.search(r"(\d+) added", again.log_path.read_text())
            row(f"   the same file again ({added.group(1) if added else '?'} added)", again)
        build = fcast_command("build", *downstream_selection(list(WRITTEN_TABLES)))
        row(
            "2. marts downstream of the panel tables",
            run_checked(build, folder / "b.log", "build"),
        )

        observed, futr = air_files(folder)
        run_checked(fcast_command("ingest", "--panel", "air", str(observed)), folder / "air.log", "ingest air")
        run_checked(fcast_command("ingest", "--panel", "air", "--futr", str(futr)), folder / "f.log", "ingest air futr")
        plan = air_plan(folder, args.max_steps)
        validate = run_checked(fcast_command("validate", str(plan)), folder / "v.log", "validate")
        row("3. fcast validate of the AirPassengers row (cold rehearsal)", validate)
        train = run_checked(fcast_command("train", str(plan), "--static-only"), folder / "t.log", "train")
        mae = re.search(r"mae ([\d.]+)", train.log_path.read_text())
        row(f"   fcast train ({args.max_steps} steps)", train, f"cv mae {mae.group(1) if mae else '?'}")
        handwritten = [sys.executable, str(HERE / "handwritten_air.py"), str(observed), str(futr), str(args.max_steps)]
        plain = run_checked(handwritten, folder / "h.log", "handwritten")
        plain_mae = re.search(r"mae ([\d.]+)", plain.log_path.read_text())
        row(
            "   the same calls by hand (handwritten_air.py)",
            plain,
            f"cv mae {plain_mae.group(1) if plain_mae else '?'}",
        )
        print(f"   ratio fcast train / by hand: {train.wall_s / plain.wall_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
