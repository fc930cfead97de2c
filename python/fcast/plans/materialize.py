"""The frames a run-plan row trains on, read from the marts (its objects are built by fcast.library)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fcast import db
from fcast.plans.spec import RunPlanRow


def series_of(row: RunPlanRow, warehouse: db.Warehouse) -> list[str]:
    """The unique_ids of the plan's selector (a game's N1..Nk or all), or every series of a panel dataset."""
    rows = warehouse.fetchall(
        "select unique_id from marts.mart_series_selectors where game_code = ? and selector_name = ? "
        "order by slot_index",
        (row.dataset, row.series),
    )
    if rows:
        return [unique_id for (unique_id,) in rows]
    rows = warehouse.fetchall(
        "select distinct unique_id from marts.fct_series_long where dataset_name = ? order by unique_id", (row.dataset,)
    )
    return [unique_id for (unique_id,) in rows]


@dataclass
class MartFrames:
    df: Any
    static_df: Any | None
    futr_df: Any | None
    unique_ids: list[str]
    table_name: str  # the mart df came from


def read_frames(row: RunPlanRow, last_draws: int | None = None) -> MartFrames:
    """The plan's series and features from the marts, in one connection."""
    futr, hist, stat = row.feature_list("futr"), row.feature_list("hist"), row.feature_list("stat")
    with db.connect(read_only=True) as warehouse:
        unique_ids = series_of(row, warehouse)
        if not unique_ids:
            raise LookupError(f"{row.run_name}: no series for {row.dataset}/{row.series}")
        marks = ", ".join("?" for _ in unique_ids)
        columns = ", ".join(["unique_id", "ds", "y", *futr, *hist])
        df = warehouse.fetch_frame(
            f"select {columns} from marts.nf_train_df where unique_id in ({marks}) order by unique_id, ds", unique_ids
        )
        table_name = "marts.nf_train_df"
        if df.empty:  # panels live in the long mart only
            table_name = "marts.fct_series_long"
            df = warehouse.fetch_frame(
                f"select unique_id, ds, y from marts.fct_series_long where unique_id in ({marks}) "
                "order by unique_id, ds",
                unique_ids,
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
    if last_draws:
        df = df.groupby("unique_id", group_keys=False).tail(last_draws).reset_index(drop=True)
    df["ds"] = df["ds"].astype("int64")
    if futr_df is not None:
        futr_df["ds"] = futr_df["ds"].astype("int64")
    return MartFrames(df, static_df, futr_df, unique_ids, table_name)
