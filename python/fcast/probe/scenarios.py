"""Execute probe specs against the installed neuralforecast, in a worker process.

A spec is plain JSON: the model and its arguments, the loss, the NeuralForecast and fit arguments,
the data variant, and the method under test with its arguments. A result says what happened and
carries what the call let us observe, so the parent can tell an effective argument from one whose
effect this probe cannot see: the forecast's numbers, the training-loss and validation-loss curves,
the learning rate at every step, and the library's warnings.

Probes that share everything up to the fitted object (same model, loss, data and fit arguments)
run as one group: one fit, then every predict, predict_insample and save/load call against a copy
of that fitted object (`execute_group`), so a call that mutates it cannot leak into the next.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcast.errors import FcastError
from fcast.probe.definitions import TINY_DATA

MAX_VALUES = 400
# Warnings about the libraries' own future or logging, not about the call under test.
NOISE_CATEGORIES = ("DeprecationWarning", "FutureWarning", "PendingDeprecationWarning", "PossibleUserWarning")


def quiet() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for name in ("lightning", "pytorch_lightning", "lightning.pytorch", "lightning_fabric", "ray", "optuna"):
        logging.getLogger(name).setLevel(logging.ERROR)


def warm_up() -> None:
    """The library's imports, before the first probe's clock starts."""
    import neuralforecast.auto
    import neuralforecast.losses.pytorch
    import neuralforecast.models  # noqa: F401
    import pandas  # noqa: F401
    import pytorch_lightning  # noqa: F401
    from neuralforecast import NeuralForecast  # noqa: F401


def tiny_data(spec: dict):
    """Short series with a future, a historical and a static exogenous column (shape from TINY_DATA)."""
    import numpy as np
    import pandas as pd

    data = {**TINY_DATA, **spec.get("data", {})}
    series, length = int(data["series"]), int(data["length"])
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
    static = pd.DataFrame({"unique_id": [f"s{i}" for i in range(series)], "stat_1": np.arange(series) * 4.0 + 3.0})
    return df, static


def _tagged_object(value: Any) -> Any:
    """A probe spec is JSON: `{"__class__": "PredictionIntervals", ...}` stands for the object."""
    if isinstance(value, dict) and value.get("__class__") == "PredictionIntervals":
        from fcast.library.build import make_prediction_intervals

        return make_prediction_intervals(value)
    return value


def _learning_rate_trace():
    """A Lightning callback that records the learning rate of every training step and after the last."""
    import pytorch_lightning as pl

    class LearningRateTrace(pl.Callback):
        def __init__(self) -> None:
            self.rates: list[float] = []

        def _record(self, trainer) -> None:
            if trainer.optimizers:
                self.rates.append(float(trainer.optimizers[0].param_groups[0]["lr"]))

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            self._record(trainer)

        def on_train_end(self, trainer, pl_module) -> None:
            self._record(trainer)

    return LearningRateTrace()


def _trace_learning_rate(model) -> None:
    """Attach the tracer after the model saved its hyperparameters, so they stay as a user has them."""
    trainer_kwargs = getattr(model, "trainer_kwargs", None)
    if isinstance(trainer_kwargs, dict):
        trainer_kwargs["callbacks"] = [*(trainer_kwargs.get("callbacks") or []), _learning_rate_trace()]


def _default_space(auto_class, kwargs: dict, spec: dict):
    """The optuna search space an Auto class uses when config is None."""
    arguments = {"h": kwargs["h"], "backend": "optuna"}
    if "n_series" in inspect.signature(auto_class.get_default_config).parameters and "n_series" in kwargs:
        arguments["n_series"] = kwargs["n_series"]
    return auto_class.get_default_config(**arguments)


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
        auto_class = getattr(auto, f"Auto{name}")
        if isinstance(config, dict) and config.get("__callable__"):
            fixed = config["values"]
            kwargs["config"] = lambda trial, fixed=fixed: dict(fixed)
        elif isinstance(config, dict) and config.get("__default__"):  # config=None, with training capped
            default_space, capped = _default_space(auto_class, kwargs, spec), config["values"]
            kwargs["config"] = lambda trial: {**default_space(trial), **capped}
        elif config is not None:
            kwargs["config"] = config
        return auto_class(**kwargs)
    for key in ("loss", "valid_loss"):
        if spec.get(key):
            kwargs[key] = spec[key]
    if "n_series" in inspect.signature(model_class(name).__init__).parameters and "n_series" not in kwargs:
        kwargs["n_series"] = int({**TINY_DATA, **spec.get("data", {})}["series"])
    model = make_model(name, {**QUIET_TRAINER, **kwargs})
    _trace_learning_rate(model)
    return model


def _futr_df(nf, variant: str | None, horizon: int):
    if variant in (None, "absent"):
        return None
    future = nf.make_future_dataframe(h=horizon)
    future["futr_1"] = 1.0
    if variant == "missing_rows":
        future = future.iloc[:-1]
    return future


def _fit_arguments(spec: dict, static) -> dict:
    fit_kwargs = {key: _tagged_object(value) for key, value in spec.get("fit_kwargs", {}).items()}
    if spec.get("with_static_df"):
        fit_kwargs["static_df"] = static
    return fit_kwargs


def _neuralforecast(spec: dict):
    from neuralforecast import NeuralForecast

    model = build_model(spec)
    if spec["method"] == "model_init":
        return None
    nf_kwargs = {"freq": "D" if spec.get("data", {}).get("freq") == "D" else 1, **spec.get("nf_kwargs", {})}
    return NeuralForecast(models=[model], **nf_kwargs)


def fit(spec: dict):
    """The fitted NeuralForecast of a spec (None for model_init), with the data it was fitted on."""
    df, static = tiny_data(spec)
    nf = _neuralforecast(spec)
    if nf is not None and spec["method"] != "cross_validation":
        nf.fit(df=df, **_fit_arguments(spec, static))
    return nf, df, static


def call(nf, df, static, spec: dict) -> Any:
    """The call under test against a fitted (or, for cross_validation, unfitted) NeuralForecast."""
    method = spec["method"]
    if nf is None:
        return None
    arguments = {key: _tagged_object(value) for key, value in spec.get("call_kwargs", {}).items()}
    if method == "cross_validation":
        return nf.cross_validation(df=df, **_fit_arguments(spec, static), **arguments)
    horizon = int(arguments.get("h", spec.get("model_kwargs", {}).get("h", 2)))
    if method in ("fit", "neuralforecast_init", "auto_fit"):
        return nf.predict(futr_df=_futr_df(nf, spec.get("futr_df"), horizon))
    if method == "predict":
        if spec.get("predict_static_df"):
            arguments["static_df"] = static
        return nf.predict(futr_df=_futr_df(nf, spec.get("futr_df"), horizon), **arguments)
    if method == "predict_insample":
        return nf.predict_insample(**arguments)
    if method == "save_load":
        return _save_and_load(nf, spec, arguments)
    if method == "explain":
        return _explain(nf, _futr_df(nf, spec.get("futr_df"), horizon), arguments)
    raise ValueError(f"unknown probe method {method!r}")


class ExplanationMissing(FcastError):
    """NeuralForecast.explain returned without an explanation of the probed model."""


@dataclass(frozen=True)
class Explained:
    """What NeuralForecast.explain returned: its forecasts, and how far the attributions miss them."""

    forecasts: Any
    additivity_error: float | None  # None: no baseline prediction came back (the explainer is not additive)


def _explain(nf, futr_df, arguments: dict) -> Explained:
    forecasts, explanations = nf.explain(futr_df=futr_df, **arguments)
    if len(explanations) != 1:
        raise ExplanationMissing(
            f"NeuralForecast.explain returned explanations for {sorted(explanations) or 'no model'}, "
            f"not for the probed {type(nf.models[0]).__name__}: see the library's warnings"
        )
    parts = next(iter(explanations.values()))
    return Explained(forecasts, additivity_error(forecasts, parts, bool(nf.models[0].MULTIVARIATE)))


def additivity_error(forecasts, parts: dict, multivariate: bool) -> float | None:
    """Largest gap between the attributions summed over every input plus the baseline prediction and the
    forecast, relative to the largest forecast (so a forecast near zero does not inflate it)."""
    import torch

    if parts["baseline_predictions"] is None:
        return None
    total = parts["baseline_predictions"].detach().cpu().double()  # [windows, horizon, series, output]
    for key in ("insample", "futr_exog", "hist_exog", "stat_exog"):
        if parts[key] is not None:
            attributions = parts[key].detach().cpu().double()
            total = total + attributions.sum(dim=tuple(range(4, attributions.ndim)))
    # a univariate model explains one window per series, a multivariate one window of every series
    per_series = total[0, :, :, 0].T if multivariate else total[:, :, 0, 0]
    column = next(column for column in forecasts.columns if column not in ("unique_id", "ds"))
    ordered = forecasts.sort_values(["unique_id", "ds"])[column].to_numpy(dtype=float)
    forecast = torch.tensor(ordered, dtype=torch.float64).reshape(per_series.shape)
    gap, scale = float((per_series - forecast).abs().max()), float(forecast.abs().max())
    return gap / scale if scale > 0 else gap  # every forecast 0: the gap itself


def _save_and_load(nf, spec: dict, arguments: dict):
    from neuralforecast import NeuralForecast

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / spec.get("path_variant", "new") / ("nested/deeper" if spec.get("nested") else "")
        if spec.get("path_variant") == "existing":
            path.mkdir(parents=True, exist_ok=True)
            (path / "placeholder.txt").write_text("x")
        nf.save(path=str(path), **arguments)
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


def _trained_model(nf):
    if nf is None or not getattr(nf, "models", None):
        return None
    model = nf.models[0]
    if hasattr(model, "train_trajectories"):
        return model
    return getattr(model, "model", None)  # an Auto model keeps its best model in .model


def training_observations(nf) -> dict[str, list[float]]:
    """The training-loss and validation-loss curves and the learning rate per step of the fitted model."""
    model = _trained_model(nf)
    if model is None:
        return {}
    observed = {
        "train_loss": [float(loss) for _, loss in getattr(model, "train_trajectories", [])],
        "valid_loss": [float(loss) for _, loss in getattr(model, "valid_trajectories", [])],
    }
    for callback in (getattr(model, "trainer_kwargs", {}) or {}).get("callbacks", []) or []:
        if hasattr(callback, "rates"):
            observed["learning_rate"] = list(callback.rates)
    return observed


def _library_warnings(caught: list) -> list[str]:
    messages = []
    for warning in caught:
        if warning.category.__name__ in NOISE_CATEGORIES:
            continue
        messages.append(f"{warning.category.__name__}: {warning.message}"[:300])
    return list(dict.fromkeys(messages))


@functools.cache
def library_version() -> str:
    from importlib.metadata import version

    return version("neuralforecast")


def _raised(error: BaseException, seconds: float, caught: list[str]) -> dict:
    return {
        "library_version": library_version(),
        "outcome": "raised",
        "error_type": type(error).__name__,
        "error_message": str(error)[:2000],
        "duration_seconds": seconds,
        "output_rows": 0,
        "output_columns": [],
        "values": [],
        "observed": {},
        "warnings": caught,
    }


def _finished(output: Any, nf, seconds: float, caught: list[str]) -> dict:
    explained = output if isinstance(output, Explained) else None
    rows, columns, values = _numbers(explained.forecasts if explained else output)
    observed = {"forecast": values, **training_observations(nf)}
    has_nan = any(math.isnan(value) for value in values)
    additivity = {"additivity_error": explained.additivity_error} if explained else {}
    return {
        "library_version": library_version(),
        "outcome": "nan_output" if has_nan else "ok",
        "error_type": "",
        "error_message": "",
        "duration_seconds": seconds,
        "output_rows": rows,
        "output_columns": columns,
        "values": values,
        "observed": observed,
        "warnings": caught,
        **additivity,
    }


class _Recorder:
    """Catches the library's warnings of one stage (the filters are restored afterwards)."""

    def __enter__(self) -> list:
        self._context = warnings.catch_warnings(record=True)
        caught = self._context.__enter__()
        warnings.simplefilter("always")
        return caught

    def __exit__(self, *exc_info) -> None:
        self._context.__exit__(*exc_info)


def execute(spec: dict) -> dict:
    """Run one spec; never raises. outcome: ok, raised or nan_output (the rest is decided by the parent)."""
    quiet()
    started = time.perf_counter()
    with _Recorder() as caught:
        try:
            nf, df, static = fit(spec)
            output = call(nf, df, static, spec)
        except BaseException as error:
            return _raised(error, time.perf_counter() - started, _library_warnings(caught))
        return _finished(output, nf, time.perf_counter() - started, _library_warnings(caught))


def execute_group(members: list[tuple[str, dict]], started: Callable[[str], None]) -> Iterator[tuple[str, dict]]:
    """Fit once for members that share their fit, then run each member's call on a copy of the fitted object."""
    quiet()
    first_id, first_spec = members[0]
    started(first_id)
    clock = time.perf_counter()
    with _Recorder() as caught:
        try:
            fitted, df, static = fit(first_spec)
        except BaseException as error:
            failure = _raised(error, time.perf_counter() - clock, _library_warnings(caught))
            fit_warnings = failure["warnings"]
        else:
            failure, fit_warnings = None, _library_warnings(caught)
    fit_seconds = time.perf_counter() - clock
    for index, (probe_id, spec) in enumerate(members):
        if index:
            started(probe_id)
        if failure is not None:  # the same fit fails the same way for every member
            yield probe_id, failure
            continue
        clock = time.perf_counter()
        try:
            nf = copy.deepcopy(fitted)
        except RuntimeError:  # the fitted object holds tensors torch cannot copy: the member fits on its own
            yield probe_id, execute(spec)
            continue
        with _Recorder() as caught:
            try:
                output = call(nf, df, static, spec)
            except BaseException as error:
                result = _raised(error, 0.0, fit_warnings + _library_warnings(caught))
            else:
                result = _finished(output, nf, 0.0, list(dict.fromkeys(fit_warnings + _library_warnings(caught))))
        result["duration_seconds"] = time.perf_counter() - clock + (fit_seconds if index == 0 else 0.0)
        yield probe_id, result
