"""neuralforecast's explanation tensors as long rows, and how far they are from adding up to the forecast.

`NeuralForecast.explain` returns, per model, arrays shaped differently for univariate models (one batch row
per series) and multivariate ones (one batch of every series, each output explained from every input
series). `canonical` brings both to one layout, `explanation_rows` flattens it: one row per explained
forecast value (series, step, output), input kind, feature, input series and lag position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcast.explain import ADDITIVITY_TOLERANCE


@dataclass
class ExplainedWindow:
    """One forecast origin: the explanation arrays of one model and what they explain."""

    arrays: dict  # insample, futr_exog, hist_exog, stat_exog, baseline_predictions (numpy or None)
    multivariate: bool
    unique_ids: list[str]  # the series in the model's batch order
    cutoffs: dict[str, int]  # each series' last ds before the forecast
    forecast_ds: dict[str, list[int]]  # each series' forecast ds, one per horizon step
    forecasts: np.ndarray  # [series, step, output] the model's forecast
    features: dict[str, list[str]]  # futr, hist, stat columns of the model
    output_names: list[str]


def output_label(name: str) -> str:
    """neuralforecast's output suffix as a name: '' -> point, '-median' -> median, '-lo-80' -> lo-80."""
    return name.lstrip("-") or "point"


def canonical(arrays: dict, multivariate: bool) -> dict[str, np.ndarray | None]:
    """Every array as [series, step, output, ...]: insample [.., lag, input series, (y, mask)], futr and hist
    [.., feature, lag, input series], stat [.., input series, feature], baseline [series, step, output]."""
    found = {key: (None if value is None else np.asarray(value)) for key, value in arrays.items()}
    result: dict[str, np.ndarray | None] = {}
    if multivariate:  # batch of one; [1, step, series, output, ...]
        result["insample"] = np.moveaxis(found["insample"][0], 1, 0)
        for key in ("futr_exog", "hist_exog", "stat_exog"):
            result[key] = None if found[key] is None else np.moveaxis(found[key][0], 1, 0)
        baseline = found["baseline_predictions"]
        result["baseline"] = None if baseline is None else np.moveaxis(baseline[0], 1, 0)
        return result
    # univariate: [series, step, 1, output, ...]; the series is its own only input series
    result["insample"] = found["insample"][:, :, 0][:, :, :, :, None, :]
    for key in ("futr_exog", "hist_exog"):
        result[key] = None if found[key] is None else found[key][:, :, 0][..., None]
    result["stat_exog"] = None if found["stat_exog"] is None else found["stat_exog"][:, :, 0][:, :, :, None, :]
    baseline = found["baseline_predictions"]
    result["baseline"] = None if baseline is None else baseline[:, :, 0]
    return result


def _long(values: np.ndarray, kinds: list[str], features: list[str], input_ids: list[str], lags: list[int]):
    """values [series, step, output, *rest] with `rest` indexed by (kind, feature, input id, lag) columns of a grid."""
    series, steps, outputs = values.shape[:3]
    flat = values.reshape(series, steps, outputs, -1)
    width = flat.shape[-1]
    s, h, o, k = np.meshgrid(np.arange(series), np.arange(steps), np.arange(outputs), np.arange(width), indexing="ij")
    return pd.DataFrame(
        {
            "series_position": s.ravel(),
            "horizon_step": h.ravel() + 1,
            "output_index": o.ravel(),
            "input_kind": np.asarray(kinds)[k.ravel()],
            "feature": np.asarray(features)[k.ravel()],
            "input_unique_id": np.asarray(input_ids)[k.ravel()],
            "lag_position": np.asarray(lags)[k.ravel()],
            "attribution_value": flat.ravel().astype(float),
        }
    )


def _grid(*axes: list) -> list[list]:
    """The cartesian product of the axes in row-major order, as one list per axis."""
    mesh = np.meshgrid(*[np.arange(len(axis)) for axis in axes], indexing="ij")
    return [list(np.asarray(axis, dtype=object)[index.ravel()]) for axis, index in zip(axes, mesh, strict=True)]


def explanation_rows(window: ExplainedWindow) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(attribution rows, forecast rows) of one forecast origin, keyed by unique_id, cutoff, ds, horizon_step and
    output_index; the forecast rows carry the forecast, baseline, sum of attributions and additivity error."""
    arrays = canonical(window.arrays, window.multivariate)
    insample = arrays["insample"]
    input_ids = window.unique_ids if window.multivariate else ["<self>"]
    lag_count = insample.shape[3]
    insample_lags = list(range(-(lag_count - 1), 1))
    parts = []
    lags, ids, kinds = _grid(insample_lags, input_ids, ["insample_y", "insample_mask"])
    parts.append(
        _long(insample, kinds, ["y" if kind == "insample_y" else "insample_mask" for kind in kinds], ids, lags)
    )
    for key, kind, feature_kind in (("futr_exog", "futr", "futr"), ("hist_exog", "hist", "hist")):
        values = arrays[key]
        if values is None:
            continue
        positions = list(range(-(lag_count - 1), values.shape[4] - lag_count + 1))
        features, lag_axis, id_axis = _grid(window.features[feature_kind], positions, input_ids)
        parts.append(_long(values, [kind] * len(features), features, id_axis, lag_axis))
    if arrays["stat_exog"] is not None:
        id_axis, features = _grid(input_ids, window.features["stat"])
        parts.append(_long(arrays["stat_exog"], ["stat"] * len(features), features, id_axis, [0] * len(features)))
    rows = pd.concat(parts, ignore_index=True)
    series_ids = np.asarray(window.unique_ids, dtype=object)
    rows["unique_id"] = series_ids[rows["series_position"].to_numpy()]
    if not window.multivariate:
        rows["input_unique_id"] = rows["unique_id"]
    totals = rows.groupby(["series_position", "horizon_step", "output_index"])["attribution_value"].sum()
    forecasts = _forecast_rows(window, arrays["baseline"], totals)
    rows = _keyed(rows.drop(columns="series_position"), window)
    return rows, forecasts


def _keyed(frame: pd.DataFrame, window: ExplainedWindow) -> pd.DataFrame:
    frame["cutoff"] = frame["unique_id"].map(window.cutoffs).astype("int64")
    ds = {
        (unique_id, step + 1): value
        for unique_id, values in window.forecast_ds.items()
        for step, value in enumerate(values)
    }
    frame["ds"] = [ds[key] for key in zip(frame["unique_id"], frame["horizon_step"], strict=True)]
    return frame


def _forecast_rows(window: ExplainedWindow, baseline: np.ndarray | None, totals: pd.Series) -> pd.DataFrame:
    series, steps, outputs = window.forecasts.shape
    s, h, o = (
        index.ravel() for index in np.meshgrid(np.arange(series), np.arange(steps), np.arange(outputs), indexing="ij")
    )
    attribution_sum = totals.reindex(list(zip(s, h + 1, o, strict=True))).to_numpy()
    forecast = window.forecasts[s, h, o].astype(float)
    frame = pd.DataFrame(
        {
            "unique_id": np.asarray(window.unique_ids, dtype=object)[s],
            "horizon_step": h + 1,
            "output_index": o,
            "output_name": [output_label(window.output_names[index]) for index in o],
            "forecast": forecast,
            "attribution_sum": attribution_sum,
        }
    )
    if baseline is None:
        frame["baseline_prediction"] = np.nan
        frame["additivity_error"] = np.nan
    else:
        frame["baseline_prediction"] = baseline[s, h, o].astype(float)
        frame["additivity_error"] = additivity_error(frame["baseline_prediction"], attribution_sum, forecast)
    return _keyed(frame, window)


def additivity_error(baseline, attribution_sum, forecast) -> np.ndarray:
    """|baseline + attributions - forecast| relative to |forecast| (at least 1: forecasts near zero compare
    absolutely)."""
    forecast = np.asarray(forecast, dtype=float)
    gap = np.abs(np.asarray(baseline, dtype=float) + np.asarray(attribution_sum, dtype=float) - forecast)
    return gap / np.maximum(np.abs(forecast), 1.0)


def is_additive(max_error: float | None, tolerance: float = ADDITIVITY_TOLERANCE) -> bool:
    return max_error is not None and bool(np.isfinite(max_error)) and max_error <= tolerance
