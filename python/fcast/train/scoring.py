"""Turn neuralforecast output frames into forecast, interval and metric rows.

neuralforecast names its output columns after the model alias, and every loss family has its own
shape: `NHITS` for a point forecast; `NHITS-median` with `NHITS-lo-80` / `NHITS-hi-80` (or
`-lo-80.0` when MQLoss was given quantiles) for multi-quantile losses; `NHITS`, `NHITS-median` and
the bounds for distribution losses; `NHITS_ql0.5` for IQLoss and for `predict(quantiles=...)`. The
point forecast is the alias column, else the median, else the 0.5 quantile.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcast.raw_schema import RUN_FORECAST_INTERVALS, RUN_FORECASTS
from fcast.time_axis import TimeAxis

CROSS_VALIDATION = "cross_validation"
FORECAST = "forecast"
INSAMPLE = "insample"


class MissingForecastColumn(KeyError):
    pass


@dataclass(frozen=True)
class OutputColumns:
    point: str
    intervals: dict[float, tuple[str, str]]  # level -> (lo column, hi column)
    quantiles: dict[float, str]  # quantile -> column, from `_ql<q>` outputs
    median: str | None = None

    def quantile_columns(self) -> dict[float, str]:
        """Every output read as a quantile: interval bounds, `_ql` columns and the median point."""
        found = dict(self.quantiles)
        for level, (lo, hi) in self.intervals.items():
            tail = round((1 - level / 100) / 2, 6)
            found.setdefault(tail, lo)
            found.setdefault(round(1 - tail, 6), hi)
        if self.median:
            found.setdefault(0.5, self.median)
        return dict(sorted(found.items()))


def output_columns(frame: pd.DataFrame, alias: str) -> OutputColumns:
    prefix = re.escape(alias)
    interval_pattern = re.compile(rf"^{prefix}-(lo|hi)-(\d+(?:\.\d+)?)$")
    quantile_pattern = re.compile(rf"^{prefix}_ql(\d*\.?\d+)$")
    bounds: dict[float, dict[str, str]] = {}
    quantiles: dict[float, str] = {}
    for column in map(str, frame.columns):
        if match := interval_pattern.match(column):
            bounds.setdefault(float(match.group(2)), {})[match.group(1)] = column
        elif match := quantile_pattern.match(column):
            quantiles[float(match.group(1))] = column
    intervals = {level: (pair["lo"], pair["hi"]) for level, pair in sorted(bounds.items()) if len(pair) == 2}
    median = f"{alias}-median" if f"{alias}-median" in frame.columns else None
    for point in (alias, median, quantiles.get(0.5)):
        if point in frame.columns:
            return OutputColumns(point, intervals, quantiles, median)
    raise MissingForecastColumn(
        f"no point forecast for {alias} among {list(frame.columns)}: neuralforecast gave no `{alias}`, "
        f"`{alias}-median` or `{alias}_ql0.5` column (a quantile loss or `quantiles` without 0.5, or "
        "MQLoss given both level and quantiles); include the median (quantile 0.5) in the outputs"
    )


def _with_steps(frame: pd.DataFrame, cutoffs: pd.Series) -> pd.DataFrame:
    frame = frame.assign(cutoff=cutoffs.astype("int64").to_numpy()).sort_values(["unique_id", "cutoff", "ds"])
    frame["horizon_step"] = frame.groupby(["unique_id", "cutoff"]).cumcount() + 1
    return frame


def _nullable(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _timestamp(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def on_index(frame: pd.DataFrame, axis: TimeAxis | None) -> pd.DataFrame:
    """The frame with ds and cutoff as the stored integer index; a date axis keeps the dates as ds_time, cutoff_time."""
    frame = frame.reset_index(drop=frame.index.name != "unique_id")
    if axis is None or not axis.is_date:
        return frame
    frame = frame.copy()
    for column in ("ds", "cutoff"):
        if column in frame.columns:
            frame[f"{column}_time"] = pd.to_datetime(frame[column])
            frame[column] = axis.index_of(frame[column])
    return frame


def forecast_rows(
    run_id: str, frame: pd.DataFrame, alias: str, kind: str, last_ds: dict | None = None, axis: TimeAxis | None = None
):
    """(forecast rows, interval rows) for raw.run_forecasts and raw.run_forecast_intervals.

    Cross-validation and insample frames carry `cutoff` and `y`; for a forecast the cutoff is the
    last draw each series was given (`last_ds`). On a date axis, ds and cutoff are stored as the
    dataset's integer index with their timestamps beside them.
    """
    columns = output_columns(frame, alias)
    frame = on_index(frame, axis)
    cutoffs = frame["unique_id"].map(last_ds) if kind == FORECAST else frame["cutoff"]
    frame = _with_steps(frame.drop(columns=["cutoff", "cutoff_time"], errors="ignore"), cutoffs)
    if axis is not None and axis.is_date:
        frame["cutoff_time"] = axis.times_of(frame["cutoff"].to_numpy())
    has_actual = "y" in frame.columns
    forecasts, intervals = [], []
    for record in frame.to_dict("records"):
        key = {
            "run_id": run_id,
            "forecast_kind": kind,
            "unique_id": str(record["unique_id"]),
            "cutoff": int(record["cutoff"]),
            "ds": int(record["ds"]),
        }
        forecasts.append(
            RUN_FORECASTS.row(
                {
                    **key,
                    "horizon_step": int(record["horizon_step"]),
                    "y_hat": _nullable(record[columns.point]),
                    "y": _nullable(record["y"]) if has_actual else None,
                    "ds_time": _timestamp(record.get("ds_time")),
                    "cutoff_time": _timestamp(record.get("cutoff_time")),
                }
            )
        )
        for level, (lo, hi) in columns.intervals.items():
            intervals.append(
                RUN_FORECAST_INTERVALS.row(
                    {**key, "level": level, "lo": _nullable(record[lo]), "hi": _nullable(record[hi])}
                )
            )
    return forecasts, intervals


def _pinball(y: np.ndarray, prediction: np.ndarray, quantile: float) -> np.ndarray:
    difference = y - prediction
    return np.maximum(quantile * difference, (quantile - 1) * difference)


def metric_rows(run_id: str, cv: pd.DataFrame, alias: str, axis: TimeAxis | None = None) -> list[dict]:
    """MAE and RMSE per series and window; coverage_<level> and quantile_loss when there are quantile outputs."""
    columns = output_columns(cv, alias)
    quantile_columns = columns.quantile_columns()
    cv = on_index(cv, axis)
    window_of = {cutoff: index for index, cutoff in enumerate(sorted(cv["cutoff"].unique()))}
    rows = []
    for (unique_id, cutoff), window in cv.groupby(["unique_id", "cutoff"], sort=True):
        y = window["y"].to_numpy(dtype=float)
        point = window[columns.point].to_numpy(dtype=float)
        error = y - point
        base = {"run_id": run_id, "unique_id": str(unique_id), "window_index": window_of[cutoff], "cutoff": int(cutoff)}
        base["n_points"] = len(window)
        rows.append({**base, "metric": "mae", "value": float(np.mean(np.abs(error)))})
        rows.append({**base, "metric": "rmse", "value": float(np.sqrt(np.mean(error**2)))})
        for level, (lo, hi) in columns.intervals.items():
            lower, upper = window[lo].to_numpy(dtype=float), window[hi].to_numpy(dtype=float)
            covered = (y >= lower) & (y <= upper)
            rows.append({**base, "metric": f"coverage_{level:g}", "value": float(np.mean(covered))})
        if len(quantile_columns) > 1 or columns.intervals:
            losses = [_pinball(y, window[column].to_numpy(dtype=float), q) for q, column in quantile_columns.items()]
            rows.append({**base, "metric": "quantile_loss", "value": float(np.mean(np.concatenate(losses)))})
    return rows


def summarize(rows: list[dict]) -> dict[str, float]:
    """Each metric over every series and window (what nf_model_runs.metrics holds).

    Means weight each window by its points; RMSE pools the squared errors of every window
    (the square root of the pooled mean square), so at h=1 it is not the MAE.
    """
    weighted: dict[str, list[tuple[float, int]]] = {}
    for row in rows:
        if row["value"] is not None and not math.isnan(row["value"]):
            weighted.setdefault(row["metric"], []).append((row["value"], int(row["n_points"])))
    summary = {}
    for metric, pairs in weighted.items():
        values = np.array([value for value, _ in pairs])
        weights = np.array([n for _, n in pairs], dtype=float)
        if metric == "rmse":
            summary[metric] = round(float(np.sqrt(np.sum(values**2 * weights) / np.sum(weights))), 6)
        else:
            summary[metric] = round(float(np.sum(values * weights) / np.sum(weights)), 6)
    summary["n_windows"] = len({row["window_index"] for row in rows})
    summary["n_series"] = len({row["unique_id"] for row in rows})
    return summary
