"""Benchmark the search: one optuna search with and without pruning for the same trial budget, and the
time to compute the exact chance bounds of every game.

    python benchmarks/bench_automl.py [--trials 16] [--max-steps 100] [--series N1]

Figures (fresh DuckDB warehouse, `fcast main --no-train` first, not timed):
  1. the same search (NHITS on one Loto6 slot, learning rate and scaler searched, the selector's
     sampler with the same seed) with the selector's pruner and with pruning off: wall time, best
     validation loss, trials completed and pruned, training steps run;
  2. exact bounds: the order-statistic / uniform distribution of all 33 slots of the six games, their
     medians, exact best MAE and uniform-guess MAE (median of 5 repetitions).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import prepared_warehouse


def _search_row(series: str, trials: int, max_steps: int):
    from fcast.plans.spec import RunPlanRow

    return RunPlanRow(
        plan_name="bench_automl",
        run_name=f"bench_loto6_{series}",
        dataset="loto6",
        series=series,
        model="NHITS",
        horizon=1,
        model_args={"input_size": 20, "max_steps": max_steps, "scaler_type": "robust"},
        loss={"class": "MAE", "kwargs": {}},
        cross_validation={"n_windows": 20, "step_size": 1},
        features={"futr": ["fut_weekday"], "hist": ["hist_lag_1", "hist_roll_mean_10"], "stat": []},
        search={
            "backend": "optuna",
            "num_samples": trials,
            "config": {
                "learning_rate": {"low": 1e-4, "high": 5e-1, "log": True},
                "scaler_type": {"choices": ["robust", "standard", "identity"]},
            },
        },
    )


def bench_pruning(folder: Path, series: str, trials: int, max_steps: int) -> list[dict]:
    import optuna

    from fcast.automl import storage
    from fcast.automl.search import optuna_search, study_name
    from fcast.train.inputs import load_inputs
    from fcast.train.run_log import RunLog
    from fcast.train.trainer import trainer_defaults

    base = _search_row(series, trials, max_steps)
    inputs = load_inputs(base)
    figures = []
    for pruning in (True, False):
        row = dataclasses.replace(base, run_name=f"{base.run_name}_{'pruned' if pruning else 'unpruned'}")
        print(f"[bench] search with pruning {'on' if pruning else 'off'}: {trials} trials ...", flush=True)
        log = RunLog()
        started = time.perf_counter()
        with log.capture():
            outcome = optuna_search(row, inputs, folder, log, trainer_defaults(row.model_args, folder), pruning=pruning)
        wall = time.perf_counter() - started
        study = optuna.load_study(study_name=study_name(row), storage=storage.open_storage())
        steps = sum(max(trial.intermediate_values, default=0) for trial in study.trials)
        figures.append(
            {
                "pruning": "on" if pruning else "off",
                "sampler": outcome.algorithm["sampler"],
                "pruner": outcome.algorithm["pruner"],
                "wall_s": wall,
                "best_valid_loss": outcome.best_value,
                "complete": outcome.trials.get("complete", 0),
                "pruned": outcome.trials.get("pruned", 0),
                "steps": steps,
            }
        )
        print(f"[bench]   {wall:.1f}s, best {outcome.best_value:.4f}, {outcome.trials}", flush=True)
    return figures


def bench_bounds(repeats: int = 5) -> tuple[float, int]:
    from fcast.chance.distributions import all_slot_distributions

    timings, slots = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        distributions = all_slot_distributions()
        for slot_list in distributions.values():
            for distribution in slot_list:
                _ = (distribution.median, distribution.best_constant_mae, distribution.uniform_guess_mae)
        timings.append(time.perf_counter() - started)
        slots = sum(len(slot_list) for slot_list in distributions.values())
    return statistics.median(timings), slots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--series", default="N1")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fcast-bench-automl-") as scratch:
        folder = Path(scratch)
        prepared_warehouse(folder)
        searches = bench_pruning(folder, args.series, args.trials, args.max_steps)
    bounds_s, slots = bench_bounds()
    print(f"\nsearch of NHITS on loto6_{args.series}, {args.trials} trials, max_steps {args.max_steps}:")
    header = ("pruning", "sampler", "pruner", "wall s", "best loss", "done", "pruned", "steps")
    print("  " + " ".join(f"{name:>10}" for name in header))
    for figure in searches:
        cells = (figure["pruning"], figure["sampler"], figure["pruner"], f"{figure['wall_s']:.1f}")
        cells += (f"{figure['best_valid_loss']:.4f}", figure["complete"], figure["pruned"], figure["steps"])
        print("  " + " ".join(f"{cell:>10}" for cell in cells))
    on, off = searches
    print(f"  wall time with pruning / without: {on['wall_s'] / off['wall_s']:.3f}")
    print(f"\nexact bounds of all {slots} slots of the six games: {1000 * bounds_s:.1f} ms (median of 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
