"""Turn neuralforecast output frames into forecast, interval and metric rows.

neuralforecast names its output columns after the model alias: `NHITS` for a point forecast,
`NHITS-median` and `NHITS-lo-80` / `NHITS-hi-80` for a probabilistic loss (or when levels are asked
for). The point forecast is the alias column, else the median.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

CROSS_VALIDATION = "cross_validation"
FORECAST = "forecast"


@dataclass(frozen=True)
class OutputColumns:
    point: str
    intervals: dict[float, tuple[str, str]]  # level -> (lo column, hi column)


def output_columns(frame: pd.DataFrame, alias: str) -> OutputColumns:
    if alias in frame.columns:
        point = alias
    elif f"{alias}-median" in frame.columns:
        point = f"{alias}-median"
    else:
        raise KeyError(f"no forecast column for {alias} among {list(frame.columns)}")
    pattern = re.compile(rf"^{re.escape(alias)}-(lo|hi)-(\d+(?:\.\d+)?)$")
    bounds: dict[float, dict[str, str]] = {}
    for column in frame.columns:
        match = pattern.match(str(column))
        if match:
            bounds.setdefault(float(match.group(2)), {})[match.group(1)] = column
    intervals = {level: (pair["lo"], pair["hi"]) for level, pair in sorted(bounds.items()) if len(pair) == 2}
    return OutputColumns(point, intervals)


def _with_steps(frame: pd.DataFrame, cutoffs: pd.Series) -> pd.DataFrame:
    frame = frame.assign(cutoff=cutoffs.astype("int64").to_numpy()).sort_values(["unique_id", "cutoff", "ds"])
    frame["horizon_step"] = frame.groupby(["unique_id", "cutoff"]).cumcount() + 1
    return frame


def _nullable(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def forecast_rows(run_id: str, frame: pd.DataFrame, alias: str, kind: str, last_ds: dict | None = None):
    """(forecast rows, interval rows) for raw.run_forecasts and raw.run_forecast_intervals.

    For cross-validation the frame carries `cutoff` and `y`; for a forecast the cutoff is the last
    draw each series was given (`last_ds`).
    """
    columns = output_columns(frame, alias)
    frame = frame.reset_index(drop=frame.index.name != "unique_id")
    cutoffs = frame["cutoff"] if kind == CROSS_VALIDATION else frame["unique_id"].map(last_ds)
    frame = _with_steps(frame.drop(columns=["cutoff"], errors="ignore"), cutoffs)
    has_actual = "y" in frame.columns
    forecasts, intervals = [], []
    for record in frame.to_dict("records"):
        key = (run_id, kind, str(record["unique_id"]), int(record["cutoff"]), int(record["ds"]))
        actual = _nullable(record["y"]) if has_actual else None
        forecasts.append((*key, int(record["horizon_step"]), _nullable(record[columns.point]), actual))
        for level, (lo, hi) in columns.intervals.items():
            intervals.append((*key, level, _nullable(record[lo]), _nullable(record[hi])))
    return forecasts, intervals


def _pinball(y: np.ndarray, prediction: np.ndarray, quantile: float) -> np.ndarray:
    difference = y - prediction
    return np.maximum(quantile * difference, (quantile - 1) * difference)


def metric_rows(run_id: str, cv: pd.DataFrame, alias: str) -> list[tuple]:
    """MAE and RMSE per series and window; coverage_<level> and quantile_loss when there are intervals."""
    columns = output_columns(cv, alias)
    cv = cv.reset_index(drop=cv.index.name != "unique_id")
    window_of = {cutoff: index for index, cutoff in enumerate(sorted(cv["cutoff"].unique()))}
    rows = []
    for (unique_id, cutoff), window in cv.groupby(["unique_id", "cutoff"], sort=True):
        y = window["y"].to_numpy(dtype=float)
        point = window[columns.point].to_numpy(dtype=float)
        error = y - point
        base = (run_id, str(unique_id), window_of[cutoff], int(cutoff))
        n_points = len(window)
        rows.append((*base, "mae", float(np.mean(np.abs(error))), n_points))
        rows.append((*base, "rmse", float(np.sqrt(np.mean(error**2))), n_points))
        if columns.intervals:
            losses = [_pinball(y, point, 0.5)]
            for level, (lo, hi) in columns.intervals.items():
                lower, upper = window[lo].to_numpy(dtype=float), window[hi].to_numpy(dtype=float)
                covered = (y >= lower) & (y <= upper)
                rows.append((*base, f"coverage_{level:g}", float(np.mean(covered)), n_points))
                tail = (1 - level / 100) / 2
                losses += [_pinball(y, lower, tail), _pinball(y, upper, 1 - tail)]
            rows.append((*base, "quantile_loss", float(np.mean(np.concatenate(losses))), n_points))
    return rows


def summarize(rows: list[tuple]) -> dict[str, float]:
    """Mean of each metric over every series and window (what nf_model_runs.metrics holds)."""
    totals: dict[str, list[float]] = {}
    for _, _, _, _, metric, value, _ in rows:
        if value is not None and not math.isnan(value):
            totals.setdefault(metric, []).append(value)
    summary = {metric: round(float(np.mean(values)), 6) for metric, values in totals.items()}
    summary["n_windows"] = len({row[2] for row in rows})
    summary["n_series"] = len({row[1] for row in rows})
    return summary
