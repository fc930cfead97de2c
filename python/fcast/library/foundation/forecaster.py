"""A foundation-model adapter behind NeuralForecast's interface, so the trainer's path runs it unchanged.

`cross_validation` follows neuralforecast's rolling origin exactly (the last `h + step_size *
(n_windows - 1)` draws of each series are tested; window i's cutoff is the draw before it), and each
window sees only the draws up to its cutoff, truncated to the adapter's context length. `predict`
forecasts the draws after the fitted (or given) series. Outputs carry neuralforecast's column names:
`<alias>`, `<alias>-lo-<level>` / `<alias>-hi-<level>`, `<alias>_ql<q>`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcast.errors import FcastError
from fcast.library.foundation.base import ADAPTER_FILE, BaseTSFMAdapter, Forecast, series_values

FORECASTER_FILE = "fcast_forecaster.json"


class UnsupportedCall(FcastError, ValueError):
    """A NeuralForecast call a foundation model has no answer to (the validator names it first)."""


def _output_levels(level: list | None, quantiles: list | None) -> tuple[list[float], list[tuple[str, float]]]:
    """The quantile levels to forecast and (column suffix, quantile) pairs, named as neuralforecast names them."""
    columns: list[tuple[str, float]] = []
    for value in level or []:
        level_value = float(value)
        text = f"{value:g}" if isinstance(value, float) and not float(value).is_integer() else str(int(level_value))
        columns.append((f"-lo-{text}", round(0.5 - level_value / 200, 6)))
        columns.append((f"-hi-{text}", round(0.5 + level_value / 200, 6)))
    for value in quantiles or []:
        columns.append((f"_ql{value}", float(value)))
    levels = sorted({0.5, *(quantile for _, quantile in columns)})
    return levels, columns


def future_ds(last: Any, h: int, freq: int | str) -> list:
    if isinstance(freq, int | np.integer):
        return [last + freq * step for step in range(1, h + 1)]
    return list(pd.date_range(start=last, periods=h + 1, freq=freq)[1:])


class FoundationForecast:
    """NeuralForecast(models=[adapter], freq) for one foundation-model adapter."""

    def __init__(self, models: list[BaseTSFMAdapter], freq: int | str = 1, **_: Any) -> None:
        if len(models) != 1:
            raise UnsupportedCall("a foundation-model run has exactly one adapter")
        self.models = models
        self.freq = freq
        if hasattr(models[0], "freq"):  # an adapter that sends the frequency on (TimeGPT) gets the dataset's
            models[0].freq = freq
        self.last_ds: dict[Any, Any] = {}

    @property
    def adapter(self) -> BaseTSFMAdapter:
        return self.models[0]

    def _frame(self, keys: list, ds: list[list], forecast: Forecast, level, quantiles) -> pd.DataFrame:
        alias = self.adapter.alias
        _, columns = _output_levels(level, quantiles)
        h = forecast.point.shape[1]
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(keys, dtype=object), h),
                "ds": [value for steps in ds for value in steps],
                alias: forecast.point.reshape(-1),
            }
        )
        for suffix, quantile in columns:
            index = forecast.levels.index(quantile)
            frame[f"{alias}{suffix}"] = forecast.quantiles[:, :, index].reshape(-1)
        return frame

    def fit(self, df: pd.DataFrame, static_df: Any = None, val_size: int = 0, **kwargs: Any) -> FoundationForecast:
        self.adapter.fit(df, static_df=static_df, val_size=val_size, **kwargs)
        self.last_ds = df.groupby("unique_id", observed=True)["ds"].max().to_dict()
        return self

    def predict(
        self,
        df: pd.DataFrame | None = None,
        static_df: Any = None,
        futr_df: Any = None,
        level: list | None = None,
        quantiles: list | None = None,
        **_: Any,
    ) -> pd.DataFrame:
        """The next h draws of every series (of `df` when given, else of the fitted frame)."""
        if df is not None:
            contexts = series_values(df)
            last_ds = df.groupby("unique_id", observed=True)["ds"].max().to_dict()
        else:
            contexts, last_ds = self.adapter.contexts, self.last_ds
        if not contexts:
            raise UnsupportedCall("predict before fit: fit the model or pass df")
        keys = list(contexts)
        levels, _ = _output_levels(level, quantiles)
        forecast = self.adapter.predict_windows([contexts[key] for key in keys], self.adapter.h, levels)
        ds = [future_ds(last_ds[key], self.adapter.h, self.freq) for key in keys]
        return self._frame(keys, ds, forecast, level, quantiles)

    def cross_validation(
        self,
        df: pd.DataFrame,
        static_df: Any = None,
        n_windows: int | None = 1,
        step_size: int = 1,
        test_size: int | None = None,
        level: list | None = None,
        quantiles: list | None = None,
        refit: bool | int = False,
        **_: Any,
    ) -> pd.DataFrame:
        """Rolling-origin windows with neuralforecast's cutoffs; each window sees only the draws up to its cutoff."""
        h = self.adapter.h
        if test_size is not None and n_windows is None:
            n_windows = (int(test_size) - h) // step_size + 1
        n_windows = int(n_windows or 1)
        span = h + step_size * (n_windows - 1)
        keys, contexts, cutoffs, targets, steps = [], [], [], [], []
        for unique_id, group in df.sort_values(["unique_id", "ds"]).groupby("unique_id", sort=True, observed=True):
            values = group["y"].to_numpy(dtype=np.float32)
            ds = group["ds"].to_numpy()
            if len(values) <= span:
                raise UnsupportedCall(
                    f"{unique_id} has {len(values)} rows; {n_windows} windows of h={h} (step {step_size}) need "
                    f"more than {span}"
                )
            for window in range(n_windows):
                end = len(values) - span + window * step_size  # the first tested position
                keys.append(unique_id)
                contexts.append(values[:end])
                cutoffs.append(ds[end - 1])
                targets.append(values[end : end + h])
                steps.append(list(ds[end : end + h]))
        levels, _ = _output_levels(level, quantiles)
        forecast = self._windows_forecast(df, span, contexts, levels)
        frame = self._frame(keys, steps, forecast, level, quantiles)
        frame.insert(2, "cutoff", np.repeat(np.asarray(cutoffs), h))
        frame.insert(3, "y", np.concatenate(targets).astype(float))
        return frame

    def _windows_forecast(
        self, df: pd.DataFrame, span: int, contexts: list[np.ndarray], levels: list[float]
    ) -> Forecast:
        """Zero-shot, or (fine_tune_steps) from a copy fine-tuned on the draws before the first window, as
        neuralforecast's cross-validation trains on what precedes it; `fit` later tunes the pre-trained weights."""
        adapter = self.adapter
        if adapter.fine_tune_steps <= 0:
            return adapter.predict_windows(contexts, adapter.h, levels)
        pretrained = adapter.model
        before = [adapter.window(values[:-span]) for values in series_values(df).values()]
        try:
            adapter.fine_tune(before, adapter.fine_tune_steps)
            return adapter.predict_windows(contexts, adapter.h, levels)
        finally:
            adapter._loaded = pretrained

    def predict_insample(self, **_: Any) -> pd.DataFrame:
        raise UnsupportedCall(
            f"{self.adapter.alias} is a pre-trained foundation model: it has no insample (training) predictions"
        )

    def save(self, path: str, save_dataset: bool = False, overwrite: bool = True, **_: Any) -> None:
        folder = Path(path)
        if folder.exists() and any(folder.iterdir()) and not overwrite:
            raise FileExistsError(f"{folder} is not empty (overwrite=False)")
        self.adapter.save(folder)
        last_ds = {
            str(key): (value.isoformat() if hasattr(value, "isoformat") else int(value))
            for key, value in self.last_ds.items()
        }
        (folder / FORECASTER_FILE).write_text(json.dumps({"freq": self.freq, "last_ds": last_ds}), encoding="utf-8")

    @classmethod
    def load(cls, path: str) -> FoundationForecast:
        folder = Path(path)
        state = json.loads((folder / FORECASTER_FILE).read_text(encoding="utf-8"))
        forecaster = cls([BaseTSFMAdapter.load(folder)], freq=state["freq"])
        forecaster.last_ds = {
            key: (pd.Timestamp(value) if isinstance(value, str) else value) for key, value in state["last_ds"].items()
        }
        return forecaster


def is_saved_foundation_model(path: str | Path) -> bool:
    return (Path(path) / ADAPTER_FILE).exists()
