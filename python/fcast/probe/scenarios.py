"""Execute one probe spec against the installed neuralforecast, in a worker process.

A spec is plain JSON: the model and its arguments, the loss, the NeuralForecast and fit arguments,
the data variant, and the method under test with its arguments. The result says what happened
and carries the output's numbers so the parent can tell an ignored argument from an effective one.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

SERIES_LENGTH = 48
MAX_VALUES = 400


def quiet() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for name in ("lightning", "pytorch_lightning", "lightning.pytorch", "lightning_fabric", "ray", "optuna"):
        logging.getLogger(name).setLevel(logging.ERROR)


def tiny_data(spec: dict):
    """Two short series with a future, a historical and a static exogenous column."""
    import numpy as np
    import pandas as pd

    data = spec.get("data", {})
    series = int(data.get("series", 2))
    length = int(data.get("length", SERIES_LENGTH))
    generator = np.random.default_rng(7)
    ids = np.repeat([f"s{i}" for i in range(series)], length)
    steps = np.tile(np.arange(1, length + 1), series)
    ds = pd.Timestamp("2024-01-01") + pd.to_timedelta(steps - 1, unit="D") if data.get("freq") == "D" else steps
    df = pd.DataFrame(
        {
            "unique_id": ids,
            "ds": ds,
            "y": np.sin(steps / 3.0) * 5
            + 10
            + generator.normal(0, 0.5, len(steps))
            + np.repeat(np.arange(series), length),
            "futr_1": (steps % 2).astype(float),
            "hist_1": generator.normal(0, 1, len(steps)),
        }
    )
    static = pd.DataFrame({"unique_id": [f"s{i}" for i in range(series)], "stat_1": np.arange(series, dtype=float)})
    return df, static


def _tagged_object(value: Any) -> Any:
    """A probe spec is JSON: `{"__class__": "PredictionIntervals", ...}` stands for the object."""
    if isinstance(value, dict) and value.get("__class__") == "PredictionIntervals":
        from fcast.library.build import make_prediction_intervals

        return make_prediction_intervals(value)
    return value


def build_model(spec: dict):
    """The probe's model through the library boundary (fcast.library.build), Auto classes included."""
    import neuralforecast.auto as auto

    from fcast.library.build import QUIET_TRAINER, make_loss, make_model, model_class

    name = spec["model"]
    kwargs = dict(spec.get("model_kwargs", {}))
    if spec.get("auto"):
        for key in ("loss", "valid_loss"):
            if spec.get(key):
                kwargs[key] = make_loss(spec[key])
        config = kwargs.pop("config", None)
        if isinstance(config, dict) and config.get("__callable__"):
            fixed = config["values"]
            kwargs["config"] = lambda trial, fixed=fixed: dict(fixed)
        elif config is not None:
            kwargs["config"] = config
        return getattr(auto, f"Auto{name}")(**kwargs)
    for key in ("loss", "valid_loss"):
        if spec.get(key):
            kwargs[key] = spec[key]
    if "n_series" in inspect.signature(model_class(name).__init__).parameters and "n_series" not in kwargs:
        kwargs["n_series"] = int(spec.get("data", {}).get("series", 2))
    return make_model(name, {**QUIET_TRAINER, **kwargs})


def _futr_df(nf, df, variant: str | None, horizon: int):
    if variant in (None, "absent"):
        return None
    future = nf.make_future_dataframe(h=horizon)
    future["futr_1"] = 1.0
    if variant == "missing_rows":
        future = future.iloc[:-1]
    return future


def _run(spec: dict) -> Any:
    from neuralforecast import NeuralForecast

    df, static = tiny_data(spec)
    method = spec["method"]
    model = build_model(spec)
    if method == "model_init":
        return None
    nf_kwargs = {"freq": "D" if spec.get("data", {}).get("freq") == "D" else 1, **spec.get("nf_kwargs", {})}
    nf = NeuralForecast(models=[model], **nf_kwargs)
    fit_kwargs = {key: _tagged_object(value) for key, value in spec.get("fit_kwargs", {}).items()}
    if spec.get("with_static_df"):
        fit_kwargs["static_df"] = static
    call = {key: _tagged_object(value) for key, value in spec.get("call_kwargs", {}).items()}
    if method == "cross_validation":
        return nf.cross_validation(df=df, **fit_kwargs, **call)
    nf.fit(df=df, **fit_kwargs)
    horizon = int(call.get("h", spec.get("model_kwargs", {}).get("h", 2)))
    if method in ("fit", "neuralforecast_init", "auto_fit"):
        return nf.predict(futr_df=_futr_df(nf, df, spec.get("futr_df"), horizon))
    if method == "predict":
        if spec.get("predict_static_df"):
            call["static_df"] = static
        return nf.predict(futr_df=_futr_df(nf, df, spec.get("futr_df"), horizon), **call)
    if method == "predict_insample":
        return nf.predict_insample(**call)
    if method == "save_load":
        return _save_and_load(nf, spec, call)
    raise ValueError(f"unknown probe method {method!r}")


def _save_and_load(nf, spec: dict, call: dict):
    from neuralforecast import NeuralForecast

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / spec.get("path_variant", "new") / ("nested/deeper" if spec.get("nested") else "")
        if spec.get("path_variant") == "existing":
            path.mkdir(parents=True, exist_ok=True)
            (path / "placeholder.txt").write_text("x")
        nf.save(path=str(path), **call)
        loaded = NeuralForecast.load(path=str(path), **spec.get("load_kwargs", {}))
        return loaded.predict()


def _numbers(output: Any) -> tuple[int, list[str], list[float]]:
    import numpy as np
    import pandas as pd

    if output is None:
        return 0, [], []
    if not isinstance(output, pd.DataFrame):
        return 0, [type(output).__name__], []
    numeric = output.select_dtypes(include=[np.number]).drop(columns=["ds", "cutoff"], errors="ignore")
    values = numeric.to_numpy(dtype=float).ravel()[:MAX_VALUES].tolist()
    return len(output), [str(column) for column in output.columns], values


def execute(spec: dict) -> dict:
    """Run the spec; never raises. outcome: ok, raised or nan_output (ignored is decided by the parent)."""
    quiet()
    started = time.perf_counter()
    try:
        output = _run(spec)
    except BaseException as error:
        return {
            "outcome": "raised",
            "error_type": type(error).__name__,
            "error_message": str(error)[:2000],
            "duration_seconds": time.perf_counter() - started,
            "output_rows": 0,
            "output_columns": [],
            "values": [],
        }
    rows, columns, values = _numbers(output)
    has_nan = any(math.isnan(value) for value in values)
    return {
        "outcome": "nan_output" if has_nan else "ok",
        "error_type": "",
        "error_message": "",
        "duration_seconds": time.perf_counter() - started,
        "output_rows": rows,
        "output_columns": columns,
        "values": values,
    }
