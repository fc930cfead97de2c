"""What a run trains on: the frames of a plan row read from the marts, and a version hash of that data.

A retrain or predict rebuilds the same inputs from the model-store record; a feature column that
the record names and the marts no longer have stops it before anything trains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fcast import db
from fcast.errors import FcastError
from fcast.plans.materialize import read_frames
from fcast.plans.spec import RunPlanRow
from fcast.time_axis import TimeAxis

FEATURE_KINDS = ("futr", "hist", "stat")
FEATURE_TABLES = {"futr": "nf_train_df", "hist": "nf_train_df", "stat": "nf_static_df"}


class MissingFeatureError(FcastError, LookupError):
    pass


@dataclass
class RunInputs:
    df: Any
    static_df: Any | None
    futr_df: Any | None
    unique_ids: list[str]
    table_name: str
    data_version: str
    last_ds: dict[str, int]  # each series' last ds as the stored integer index (draw number, step, grid position)
    axis: TimeAxis

    @property
    def freq(self) -> int | str:
        """The dataset's frequency, what NeuralForecast(freq=...) takes unless the plan says otherwise."""
        return self.axis.nf_freq

    @property
    def train_rows(self) -> int:
        return len(self.df)


def _frame_digest(digest, frame) -> None:
    import pandas as pd

    if frame is None:
        digest.update(b"none")
        return
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())


def data_version(df, static_df, futr_df) -> str:
    """A hash of exactly what the model sees: the same draws and features give the same version."""
    digest = hashlib.sha256()
    for frame in (df, static_df, futr_df):
        _frame_digest(digest, frame)
    return digest.hexdigest()[:16]


def mart_columns(warehouse: db.Warehouse) -> dict[str, set[str]]:
    rows = warehouse.fetchall(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name in ('nf_train_df', 'nf_static_df', 'nf_futr_df')"
    )
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def panel_columns(warehouse: db.Warehouse, dataset: str) -> set[str]:
    return {
        name
        for (name,) in warehouse.fetchall(
            "select distinct feature_name from marts.fct_panel_exogenous where dataset = ?", (dataset,)
        )
    }


def check_features_exist(features: dict[str, list[str]], context: str, dataset: str) -> None:
    """Fail, naming every column, when a recorded feature is no longer in the feature marts."""
    from fcast.datasets import dataset_of

    with db.connect(read_only=True) as warehouse:
        if dataset_of(dataset, warehouse).is_panel:
            available = panel_columns(warehouse, dataset)
            missing = [
                f"{column} ({kind}, marts.fct_panel_exogenous of {dataset})"
                for kind in FEATURE_KINDS
                for column in features.get(kind) or []
                if column not in available
            ]
        else:
            columns = mart_columns(warehouse)
            missing = [
                f"{column} ({kind}, marts.{FEATURE_TABLES[kind]})"
                for kind in FEATURE_KINDS
                for column in features.get(kind) or []
                if column not in columns.get(FEATURE_TABLES[kind], set())
                or (kind == "futr" and column not in columns.get("nf_futr_df", set()))
            ]
    if missing:
        raise MissingFeatureError(
            f"{context}: the model was trained with feature column(s) that the marts no longer have: "
            f"{', '.join(missing)}. Nothing was trained. Restore the column(s) in the feature models and run "
            "`fcast build`, or train a new plan without them."
        )


def load_inputs(row: RunPlanRow) -> RunInputs:
    frames = read_frames(row)
    return RunInputs(
        df=frames.df,
        static_df=frames.static_df,
        futr_df=frames.futr_df,
        unique_ids=frames.unique_ids,
        table_name=frames.table_name,
        data_version=data_version(frames.df, frames.static_df, frames.futr_df),
        last_ds=frames.last_ds,
        axis=frames.axis,
    )
