"""The frames a run-plan row trains on, read from the marts (its objects are built by fcast.library).

Games read the lottery feature marts (nf_train_df, nf_static_df, nf_futr_df). Panels read their own
columns: the long mart for y, fct_panel_exogenous for hist_/fut_ values (pivoted), their stat_ values
as static_df, and the future fut_ values of a futr file as futr_df. A date panel trains on its dates
(`ds` becomes the timestamp, `freq` its pandas frequency); the integer index stays in `last_ds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from fcast import db
from fcast.datasets import Dataset, dataset_of
from fcast.errors import FcastError, NotFoundError
from fcast.plans.spec import RunPlanRow
from fcast.time_axis import TimeAxis


class PanelFramesError(FcastError, LookupError):
    """A panel's features cannot give the frames the row needs (a missing value, an uncovered horizon)."""


def series_of(row: RunPlanRow, warehouse: db.Warehouse) -> list[str]:
    """The unique_ids of the plan's selector: a game's N1..Nk or all; a panel's `all` or one series by its file id."""
    rows = warehouse.fetchall(
        "select unique_id from marts.mart_series_selectors where game_code = ? and selector_name = ? "
        "order by slot_index",
        (row.dataset, row.series),
    )
    if rows:
        return [unique_id for (unique_id,) in rows]
    rows = warehouse.fetchall(
        "select distinct unique_id from marts.fct_series_long where dataset = ? and dataset_kind = 'panel' "
        "order by unique_id",
        (row.dataset,),
    )
    if row.series != "all":  # one series of a panel, by its id in the file
        rows = [(unique_id,) for (unique_id,) in rows if unique_id == f"{row.dataset}_{row.series}"]
    return [unique_id for (unique_id,) in rows]


@dataclass
class MartFrames:
    df: Any
    static_df: Any | None
    futr_df: Any | None
    unique_ids: list[str]
    table_name: str  # the mart df came from
    axis: TimeAxis
    last_ds: dict[str, int]  # each series' last ds as the stored integer index


def _in(unique_ids: list[str]) -> str:
    return ", ".join("?" for _ in unique_ids)


def _game_frames(row: RunPlanRow, warehouse: db.Warehouse, unique_ids: list[str]):
    futr, hist, stat = row.feature_list("futr"), row.feature_list("hist"), row.feature_list("stat")
    marks = _in(unique_ids)
    columns = ", ".join(["unique_id", "ds", "y", *futr, *hist])
    df = warehouse.fetch_frame(
        f"select {columns} from marts.nf_train_df where unique_id in ({marks}) order by unique_id, ds", unique_ids
    )
    static_df = (
        warehouse.fetch_frame(
            f"select unique_id, {', '.join(stat)} from marts.nf_static_df where unique_id in ({marks})", unique_ids
        )
        if stat
        else None
    )
    futr_df = (
        warehouse.fetch_frame(
            f"select unique_id, ds, {', '.join(futr)} from marts.nf_futr_df where unique_id in ({marks}) "
            f"and horizon_step <= ? order by unique_id, ds",
            [*unique_ids, int(row.horizon)],
        )
        if futr
        else None
    )
    return df, static_df, futr_df, "marts.nf_train_df"


def _pivot(values, columns: list[str]):
    wide = values.pivot_table(
        index=["unique_id", "ds"], columns="feature_name", values="feature_value", aggfunc="first"
    )
    return wide.reindex(columns=columns).reset_index()


def _no_gaps(frame, columns: list[str], what: str, axis: TimeAxis) -> None:
    for column in columns:
        missing = frame[frame[column].isna()]
        if not missing.empty:
            first = missing.iloc[0]
            raise PanelFramesError(
                f"{column} has no value for {len(missing)} {what} row(s), first {first['unique_id']} at "
                f"{axis.label(int(first['ds']))}: load the missing values (or drop {column} from the plan)"
            )


def _panel_frames(row: RunPlanRow, warehouse: db.Warehouse, unique_ids: list[str], axis: TimeAxis):
    futr, hist, stat = row.feature_list("futr"), row.feature_list("hist"), row.feature_list("stat")
    marks = _in(unique_ids)
    df = warehouse.fetch_frame(
        f"select unique_id, ds, y from marts.fct_series_long where unique_id in ({marks}) order by unique_id, ds",
        unique_ids,
    )
    wanted = [*futr, *hist, *stat]
    values = (
        warehouse.fetch_frame(
            f"select unique_id, ds, feature_name, feature_value, is_future from marts.fct_panel_exogenous "
            f"where unique_id in ({marks}) and feature_name in ({_in(wanted)})",
            [*unique_ids, *wanted],
        )
        if wanted
        else None
    )
    static_df = futr_df = None
    if futr or hist:
        past = _pivot(values[~values["is_future"].astype(bool)], [*futr, *hist])
        df = df.merge(past, on=["unique_id", "ds"], how="left")
        _no_gaps(df, [*futr, *hist], "observed", axis)
    if stat:
        static_df = _pivot(values[values["feature_name"].isin(stat)], stat).groupby("unique_id")[stat].first()
        static_df = static_df.reindex(unique_ids).reset_index()
        _no_gaps(static_df.assign(ds=0), stat, "series", axis)
    if futr:
        last = df.groupby("unique_id")["ds"].max()
        steps = [
            (unique_id, int(last[unique_id]) + step) for unique_id in unique_ids for step in range(1, row.horizon + 1)
        ]
        futr_df = pd.DataFrame(steps, columns=["unique_id", "ds"]).merge(
            _pivot(values[values["is_future"].astype(bool)], futr), on=["unique_id", "ds"], how="left"
        )
        for column in futr:
            uncovered = futr_df[futr_df[column].isna()]
            if not uncovered.empty:
                first = uncovered.iloc[0]
                raise PanelFramesError(
                    f"{column} has no future value for {len(uncovered)} of the {len(futr_df)} (series, step) pairs of "
                    f"horizon {row.horizon}, first {first['unique_id']} at {axis.label(int(first['ds']))}: load them "
                    f"with `fcast ingest --panel {row.dataset} --futr FILE` (unique_id, ds, {column})"
                )
    return df, static_df, futr_df, "marts.fct_series_long"


def read_frames(row: RunPlanRow, last_draws: int | None = None) -> MartFrames:
    """The plan's series and features from the marts, in one connection."""
    with db.connect(read_only=True) as warehouse:
        dataset: Dataset = dataset_of(row.dataset, warehouse)
        axis = dataset.axis
        unique_ids = series_of(row, warehouse)
        if not unique_ids:
            raise NotFoundError(f"{row.run_name}: no series for {row.dataset}/{row.series}")
        read = _panel_frames if dataset.is_panel else _game_frames
        arguments = (row, warehouse, unique_ids, axis) if dataset.is_panel else (row, warehouse, unique_ids)
        df, static_df, futr_df, table_name = read(*arguments)
    if last_draws:
        df = df.groupby("unique_id", group_keys=False).tail(last_draws).reset_index(drop=True)
    df["ds"] = df["ds"].astype("int64")
    last_ds = {str(key): int(value) for key, value in df.groupby("unique_id")["ds"].max().items()}
    if futr_df is not None:
        futr_df["ds"] = futr_df["ds"].astype("int64")
    if axis.is_date:  # neuralforecast trains on the dates at the dataset's frequency
        df["ds"] = axis.times_of(df["ds"].to_numpy())
        if futr_df is not None:
            futr_df["ds"] = axis.times_of(futr_df["ds"].to_numpy())
    return MartFrames(df, static_df, futr_df, unique_ids, table_name, axis, last_ds)
