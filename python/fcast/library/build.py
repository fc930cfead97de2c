"""Build neuralforecast losses, models, the NeuralForecast object and the call arguments of a plan row.

Plan values are plain YAML; this module turns them into what neuralforecast takes: a loss spec
`{class, kwargs}` into a loss object, `prediction_intervals: {n_windows: 2}` (or `true`) into
`PredictionIntervals`, the feature lists into `*_exog_list`, and the fit `val_size` into the
cross-validation step when the plan does not set one there (early stopping needs validation data
in every training the run does). The cross-validation step takes exactly the plan's
`cross_validation` block otherwise (its own `level`, `quantiles`, `prediction_intervals`).

A row with a `distributed` block fits on Spark frames with neuralforecast's `DistributedConfig` and predicts
with `engine=` the Spark session (`fcast.library.spark` starts it and converts the frames).

A row whose model is a foundation model (`fcast.library.foundation`) builds its adapter from
`model_args` instead, wrapped in `FoundationForecast`, which answers the same calls.
"""

from __future__ import annotations

from typing import Any

from fcast.library.foundation import adapter_class, is_foundation_model
from fcast.plans.spec import RunPlanRow

DEFAULT_CROSS_VALIDATION = {"n_windows": 3, "step_size": 1}
QUIET_TRAINER = {
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "logger": False,
    "enable_checkpointing": False,
}
FEATURE_ARGUMENTS = {"futr": "futr_exog_list", "hist": "hist_exog_list", "stat": "stat_exog_list"}


def make_loss(spec: dict | None) -> Any:
    """`{class: MQLoss, kwargs: {level: [80]}}` -> MQLoss(level=[80]); None stays None (the model's default)."""
    if not spec:
        return None
    import neuralforecast.losses.pytorch as losses

    loss_class = getattr(losses, spec["class"], None)
    if loss_class is None:
        raise ValueError(f"{spec['class']} is not a loss of neuralforecast.losses.pytorch")
    return loss_class(**(spec.get("kwargs") or {}))


def make_prediction_intervals(value: Any) -> Any:
    """A plan's `prediction_intervals` (a mapping of PredictionIntervals arguments, or true) as the object."""
    if value is None or value is False:
        return None
    from neuralforecast.utils import PredictionIntervals

    if isinstance(value, PredictionIntervals):
        return value
    if value is True:
        return PredictionIntervals()
    if isinstance(value, dict):
        arguments = value.get("kwargs", {}) if value.get("__class__") == "PredictionIntervals" else value
        return PredictionIntervals(**arguments)
    raise TypeError(f"prediction_intervals must be a mapping of PredictionIntervals arguments or true, not {value!r}")


def model_class(name: str) -> type:
    import neuralforecast.models as models

    found = getattr(models, name, None)
    if not isinstance(found, type):
        raise ValueError(f"{name} is not a model of neuralforecast.models")
    return found


def make_model(name: str, arguments: dict) -> Any:
    """The model `name` with `arguments`, whose `loss`/`valid_loss` may be loss specs."""
    arguments = dict(arguments)
    for role in ("loss", "valid_loss"):
        if isinstance(arguments.get(role), dict):
            arguments[role] = make_loss(arguments[role])
    return model_class(name)(**arguments)


def model_arguments(row: RunPlanRow, **overrides: Any) -> dict:
    arguments: dict[str, Any] = {"h": row.horizon, **row.model_args, **overrides}
    for kind, argument in FEATURE_ARGUMENTS.items():
        if row.feature_list(kind):
            arguments[argument] = row.feature_list(kind)
    for role in ("loss", "valid_loss"):
        spec = getattr(row, role)
        if spec:
            arguments[role] = spec
    return arguments


def build_model(row: RunPlanRow, **overrides: Any) -> Any:
    """The row's model with its arguments, features and losses; `overrides` (trainer settings) win."""
    if is_foundation_model(row.model):
        return build_adapter(row, overrides)
    return make_model(row.model, model_arguments(row, **overrides))


def build_adapter(row: RunPlanRow, trainer_settings: dict) -> Any:
    """A foundation model from `model_args`; of the trainer's settings only the device applies (GPU when present)."""
    arguments: dict[str, Any] = {"h": row.horizon, **row.model_args}
    accelerator = trainer_settings.get("accelerator")
    if "device" not in arguments and accelerator in ("cpu", "cuda", "gpu"):
        arguments["device"] = "cuda" if accelerator == "gpu" else accelerator
    return adapter_class(row.model)(**arguments)


def build_neuralforecast(row: RunPlanRow, models: list, freq: int | str = 1) -> Any:
    """NeuralForecast over `models` at the dataset's `freq` (1 for draw numbers), unless the plan sets its own."""
    if is_foundation_model(row.model):
        from fcast.library.foundation.forecaster import FoundationForecast

        return FoundationForecast(models=models, **{"freq": freq, **row.neuralforecast})
    from neuralforecast import NeuralForecast

    return NeuralForecast(models=models, **{"freq": freq, **row.neuralforecast})


def load_forecaster(path: str) -> Any:
    """A saved NeuralForecast, or a saved foundation-model forecaster, from its folder."""
    from fcast.library.foundation.forecaster import FoundationForecast, is_saved_foundation_model

    if is_saved_foundation_model(path):
        return FoundationForecast.load(path)
    from neuralforecast import NeuralForecast

    return NeuralForecast.load(path=path)


def fit_arguments(row: RunPlanRow) -> dict:
    arguments = dict(row.fit)
    if "prediction_intervals" in arguments:
        arguments["prediction_intervals"] = make_prediction_intervals(arguments["prediction_intervals"])
    return arguments


def cross_validation_arguments(row: RunPlanRow) -> dict:
    arguments = {**DEFAULT_CROSS_VALIDATION, **row.cross_validation}
    if "test_size" in row.cross_validation and "n_windows" not in row.cross_validation:
        arguments["n_windows"] = None  # neuralforecast takes one of n_windows and test_size
    if "val_size" not in arguments and row.fit.get("val_size"):
        arguments["val_size"] = row.fit["val_size"]
    if "prediction_intervals" in arguments:
        arguments["prediction_intervals"] = make_prediction_intervals(arguments["prediction_intervals"])
    return arguments


def is_distributed(row: RunPlanRow) -> bool:
    """The row asks for neuralforecast's own distributed fit (`distributed: {engine: spark, ...}`)."""
    return bool(row.distributed)


def distributed_fit_arguments(row: RunPlanRow, frames: Any, config: Any) -> dict:
    """`fit` on Spark frames (fcast.library.spark.SparkFrames) with neuralforecast's DistributedConfig."""
    return {"df": frames.df, "static_df": frames.static_df, "distributed_config": config, **fit_arguments(row)}


def distributed_predict_arguments(row: RunPlanRow, frames: Any, session: Any) -> dict:
    """`predict` from the fit's parquet partitions, inside Spark (`engine`): the static columns are already in
    the partitions, so static_df is not passed again; futr_df goes as a Spark frame when the row has futr features."""
    arguments = dict(row.predict)
    arguments["engine"] = session
    if frames.futr_df is not None:
        arguments["futr_df"] = frames.futr_df
    return arguments


def predict_arguments(row: RunPlanRow, futr_df: Any | None) -> dict:
    arguments = dict(row.predict)
    if futr_df is not None:
        arguments["futr_df"] = futr_df
    return arguments


def insample_arguments(row: RunPlanRow) -> dict | None:
    """The `predict_insample` arguments (step_size, level, quantiles), or None when the plan asks for none."""
    if row.predict_insample is None or row.predict_insample is False:
        return None
    return {} if row.predict_insample is True else dict(row.predict_insample)
