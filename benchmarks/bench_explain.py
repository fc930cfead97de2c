"""Benchmark `fcast explain`: one stored Loto6 NHITS run of the standard plan, explained with each explainer.

    python benchmarks/bench_explain.py [--windows 20] [--shapley-windows 1]

Figures, from one fresh DuckDB warehouse filled by `fcast main --max-steps 2` (setup, not timed; `--warehouse F`
copies a warehouse the main job built instead, its model store where it was): per explainer,
`fcast explain RUN_ID --explainer E --windows N --no-build` of the loto6_N1_nhits run (input_size 20, 5 fut_,
19 hist_ and 6 stat_ features: 531 inputs per forecast): wall time of the whole command (interpreter, imports,
hash check, model load, explain, inserts), seconds per window, peak RSS of the process tree, and the largest
additivity error. ShapleyValueSampling evaluates the model once per input and sample (captum's default 25
samples), so it runs on fewer windows. Then the marts downstream of the explanation tables, wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from harness import mib, prepared_warehouse, run_checked, scratch_env

from fcast import db
from fcast.dbt_runner import downstream_selection
from fcast.explain.runner import WRITTEN_TABLES
from fcast.throwaway import fcast_command

RUN_NAME = "loto6_N1_nhits"
SUMMARY = re.compile(
    r"(\d+) window\(s\), (\d+) forecast value\(s\), ([\d,]+) attributions .*max additivity error (\S+)"
)


def latest_run(name: str) -> str:
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select run_id from raw.nf_model_runs where run_name = ? and status = 'COMPLETED' and run_kind = 'train' "
            "order by created_at desc limit 1",
            (name,),
        )
    if not rows:
        raise SystemExit(f"the main job left no completed {name} run")
    return rows[0][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=20, help="forecast origins for the gradient explainers")
    parser.add_argument("--shapley-windows", type=int, default=1, help="forecast origins for ShapleyValueSampling")
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="copy this DuckDB warehouse built by `fcast main` instead of running the main job",
    )
    args = parser.parse_args()
    plans = {
        "IntegratedGradients": args.windows,
        "InputXGradient": args.windows,
        "ShapleyValueSampling": args.shapley_windows,
    }
    with tempfile.TemporaryDirectory(prefix="fcast-bench-explain-") as scratch:
        folder = Path(scratch)
        if args.warehouse:
            os.environ.update(scratch_env(folder))
            shutil.copy2(args.warehouse, os.environ["FCAST_DUCKDB_PATH"])
        else:
            prepared_warehouse(folder, "--max-steps", "2")
        run_id = latest_run(RUN_NAME)
        results = []
        for explainer, windows in plans.items():
            print(f"[bench] fcast explain {RUN_NAME} --explainer {explainer} --windows {windows} ...", flush=True)
            command = fcast_command(
                "explain", run_id, "--explainer", explainer, "--windows", str(windows), "--no-build"
            )
            measured = run_checked(command, folder / f"{explainer}.log", f"explain {explainer}")
            found = SUMMARY.findall(measured.log_path.read_text(encoding="utf-8"))[-1]
            results.append((explainer, windows, measured, found))
        refresh = run_checked(
            fcast_command("build", *downstream_selection(list(WRITTEN_TABLES))), folder / "refresh.log", "refresh"
        )

    print(f"\n{RUN_NAME} (NHITS, 531 inputs per forecast), {os.cpu_count()} cores")
    print("  explainer              windows  attributions   wall s   s/window  peak MiB  max additivity error")
    for explainer, windows, measured, (_, _, rows, error) in results:
        print(
            f"  {explainer:22} {windows:7} {rows:>13} {measured.wall_s:8.1f} {measured.wall_s / windows:10.1f} "
            f"{mib(measured.peak_tree_rss):9} {error:>21}"
        )
    print(
        f"\n  marts downstream of the explanation tables: {refresh.wall_s:.1f} s, peak {mib(refresh.peak_tree_rss)} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
