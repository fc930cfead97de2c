"""Turn a run-plan row into neuralforecast objects and the frames it trains on, read from the marts.

The trainer uses this; the validator's tests use it to show that a plan it accepts really runs and
a plan it rejects really fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fcast import db
from fcast.plans.spec import RunPlanRow


@dataclass
class MaterializedRun:
    neuralforecast: Any
    df: Any
    static_df: Any | None
    futr_df: Any | None
    fit_kwargs: dict
    predict_kwargs: dict


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


def load_frames(row: RunPlanRow, last_draws: int | None = None):
    """(df, static_df, futr_df) for the plan's series and features, from the marts."""
    frames = read_frames(row, last_draws)
    return frames.df, frames.static_df, frames.futr_df


def build_loss(spec: dict | None):
    if not spec:
        return None
    import neuralforecast.losses.pytorch as losses

    return getattr(losses, spec["class"])(**(spec.get("kwargs") or {}))


def build_model(row: RunPlanRow, **overrides: Any):
    import neuralforecast.models as models

    arguments = {"h": row.horizon, **row.model_args, **overrides}
    for kind in ("futr", "hist", "stat"):
        if row.feature_list(kind):
            arguments[f"{kind}_exog_list"] = row.feature_list(kind)
    for role in ("loss", "valid_loss"):
        loss = build_loss(getattr(row, role))
        if loss is not None:
            arguments[role] = loss
    return getattr(models, row.model)(**arguments)


def materialize(row: RunPlanRow, last_draws: int | None = None, **model_overrides: Any) -> MaterializedRun:
    from neuralforecast import NeuralForecast

    df, static_df, futr_df = load_frames(row, last_draws)
    model = build_model(row, **model_overrides)
    nf = NeuralForecast(models=[model], **{"freq": 1, **row.neuralforecast})
    fit_kwargs = dict(row.fit)
    if static_df is not None:
        fit_kwargs["static_df"] = static_df
    predict_kwargs = dict(row.predict)
    if futr_df is not None:
        predict_kwargs["futr_df"] = futr_df
    return MaterializedRun(nf, df, static_df, futr_df, fit_kwargs, predict_kwargs)


def fit_and_predict(run: MaterializedRun):
    run.neuralforecast.fit(df=run.df, **run.fit_kwargs)
    return run.neuralforecast.predict(**run.predict_kwargs)
