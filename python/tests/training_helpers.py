"""Helpers shared by the training and search tests: tiny plans and reads of the run tables."""

from __future__ import annotations

from pathlib import Path

from fcast import db


def write_plan(path: Path, document: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


TINY_FEATURES = {
    "futr": ["fut_weekday", "fut_days_since_prev_draw"],
    "hist": ["hist_lag_1", "hist_roll_mean_10"],
    "stat": ["stat_slot_index"],
}


def tiny_plan(path: Path, runs: list[dict], max_steps: int = 2, **defaults) -> Path:
    document = {
        "plan": path.stem,
        "defaults": {
            "dataset": "loto6",
            "horizon": 1,
            "loss": {"class": "MAE"},
            "fit": {"val_size": 0},
            "cross_validation": {"n_windows": 4, "step_size": 1},
            "features": TINY_FEATURES,
            **defaults,
        },
        "runs": [
            {**run, "model_args": {"input_size": 12, "max_steps": max_steps, **run.get("model_args", {})}}
            for run in runs
        ],
    }
    return write_plan(path, document)


def run_rows(where: str = "", params=()) -> list[dict]:
    with db.connect(read_only=True) as warehouse:
        frame = warehouse.fetch_frame(f"select * from raw.nf_model_runs {where} order by created_at", params)
    return frame.to_dict("records")


def count_rows(table: str, run_id: str) -> int:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetchall(f"select count(*) from {table} where run_id = ?", (run_id,))[0][0]


def run_trainer_path(row, max_steps: int | None = None):
    """The trainer's own calls (cross_validation, fit, predict, insample) on the row's real data."""
    import dataclasses
    from tempfile import TemporaryDirectory

    from fcast.train.inputs import load_inputs
    from fcast.train.pipeline import trainer_path
    from fcast.train.run_log import RunLog
    from fcast.train.trainer import trainer_defaults

    if max_steps is not None:
        row = dataclasses.replace(row, model_args={**row.model_args, "max_steps": max_steps})
    with TemporaryDirectory() as scratch:
        return trainer_path(row, load_inputs(row), RunLog(), trainer_defaults(row.model_args, Path(scratch)))
