"""Registry plug-in for neuralforecast: capabilities per model class and instance, the loss catalogue,
declared model x loss compatibility, Auto search spaces for both backends, library-checked values.

Runs inside the scan worker, with the scanned neuralforecast version importable.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from fcast.registry.introspect import ScanRows, clip

LIBRARY = "neuralforecast"
PACKAGE = "neuralforecast"

FLAGS = ("EXOGENOUS_FUTR", "EXOGENOUS_HIST", "EXOGENOUS_STAT", "EXOGENOUS_CAT", "MULTIVARIATE", "RECURRENT")
FLAG_COLUMNS = {flag: flag.lower().replace("exogenous_", "exogenous_") for flag in FLAGS}
# The smallest settings that construct any model; n_series only where the model takes it.
TINY_MODEL_ARGUMENTS = {"h": 2, "input_size": 4, "max_steps": 1, "n_series": 2}
# Values for loss arguments that have no default (distribution comes from the library's own check).
LOSS_ARGUMENT_CANDIDATES: dict[str, list[Any]] = {"q": [0.5], "seasonality": [1], "quantile": [0.5]}


def _quiet_logs() -> None:
    for name in ("lightning", "pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _error_text(error: BaseException) -> str:
    return clip(f"{type(error).__name__}: {error}".strip(), 500)


def model_classes() -> list[type]:
    import neuralforecast.models as models

    found = [cls for _, cls in inspect.getmembers(models, inspect.isclass) if all(hasattr(cls, f) for f in FLAGS)]
    return sorted(found, key=lambda cls: cls.__name__)


def auto_counterparts(models: list[type]) -> dict[str, type]:
    """{model class name: Auto class}: AutoX tunes X (the Auto classes name their model only in __init__)."""
    import neuralforecast.auto as auto

    names = {cls.__name__ for cls in models}
    return {
        name[len("Auto") :]: cls
        for name, cls in inspect.getmembers(auto, inspect.isclass)
        if name.startswith("Auto") and name[len("Auto") :] in names and hasattr(cls, "get_default_config")
    }


def tiny_arguments(cls: type) -> tuple[dict[str, Any], list[str]]:
    """Arguments that construct the model with tiny settings, and required arguments we cannot supply."""
    parameters = inspect.signature(cls.__init__).parameters
    arguments = {name: value for name, value in TINY_MODEL_ARGUMENTS.items() if name in parameters}
    missing = [
        name
        for name, parameter in parameters.items()
        if name != "self"
        and parameter.default is inspect.Parameter.empty
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        and name not in arguments
    ]
    return arguments, missing


def build_model(cls: type, **overrides: Any) -> Any:
    arguments, missing = tiny_arguments(cls)
    if missing:
        raise TypeError(f"{cls.__name__} needs arguments without defaults: {', '.join(missing)}")
    return cls(**arguments, **overrides)


def _flags_of(obj: Any) -> dict[str, bool]:
    return {FLAG_COLUMNS[flag]: bool(getattr(obj, flag)) for flag in FLAGS}


def _capability_row(
    cls: type,
    flags: dict[str, bool],
    auto: type | None,
    scope: str,
    argument: str = "",
    value: str = "",
    can_build: bool = True,
    error: str = "",
) -> dict:
    return {
        "model_class": cls.__name__,
        "scope": scope,
        "argument": argument,
        "argument_value": value,
        **flags,
        "auto_class": auto.__name__ if auto else "",
        "can_build": can_build,
        "build_error": error,
    }


def capabilities(models: list[type], autos: dict[str, type]) -> tuple[list[dict], dict[str, bool]]:
    """Class-scope rows for every model; instance-scope rows where a boolean argument changes a flag."""
    rows, buildable = [], {}
    for cls in models:
        class_flags = _flags_of(cls)
        auto = autos.get(cls.__name__)
        try:
            default_instance = build_model(cls)
        except BaseException as error:
            buildable[cls.__name__] = False
            rows.append(_capability_row(cls, class_flags, auto, "class", can_build=False, error=_error_text(error)))
            continue
        buildable[cls.__name__] = True
        rows.append(_capability_row(cls, class_flags, auto, "class"))
        rows.extend(_instance_overrides(cls, _flags_of(default_instance), auto))
    return rows, buildable


def _instance_overrides(cls: type, default_flags: dict[str, bool], auto: type | None) -> Iterator[dict]:
    """Both values of every boolean argument whose flipped value gives other flags than the default."""
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if not isinstance(parameter.default, bool):
            continue
        flipped = not parameter.default
        try:
            flipped_flags = _flags_of(build_model(cls, **{name: flipped}))
        except BaseException:
            continue
        if flipped_flags != default_flags:
            yield _capability_row(cls, default_flags, auto, "instance", name, str(parameter.default).lower())
            yield _capability_row(cls, flipped_flags, auto, "instance", name, str(flipped).lower())


def _is_loss_class(cls: type, losses_module: Any) -> bool:
    import torch

    if cls.__name__.startswith(("_", "Base")) or issubclass(cls, torch.distributions.Distribution):
        return False
    base = getattr(losses_module, "_BaseLoss", None)
    if base is not None:
        return issubclass(cls, base)
    # Older releases have no common base: a loss is a Module whose class chain declares its output kind.
    return issubclass(cls, torch.nn.Module) and any(
        base.__module__ == losses_module.__name__ and "is_distribution_output" in _source(base) for base in cls.__mro__
    )


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def loss_variants(rows: ScanRows) -> list[tuple[type, str, Callable[[], Any]]]:
    """(loss class, variant label, factory) for every loss; required arguments filled from candidates."""
    import neuralforecast.losses.pytorch as losses

    distributions = [
        row["allowed_value"]
        for row in rows.allowed_values
        if row["symbol"].endswith("DistributionLoss.__init__")
        and row["parameter"] == "distribution"
        and row["value_source"].startswith("library_check")
    ]
    candidates = {**LOSS_ARGUMENT_CANDIDATES, "distribution": distributions}
    variants = []
    for _, cls in sorted(inspect.getmembers(losses, inspect.isclass)):
        if cls.__module__ != losses.__name__ or not _is_loss_class(cls, losses):
            continue
        required = [
            name
            for name, parameter in inspect.signature(cls.__init__).parameters.items()
            if name != "self"
            and parameter.default is inspect.Parameter.empty
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]
        if not required:
            variants.append((cls, "", cls))
            continue
        if len(required) == 1 and candidates.get(required[0]):
            for value in candidates[required[0]]:
                variants.append((cls, f"{required[0]}={value}", lambda c=cls, n=required[0], v=value: c(**{n: v})))
        else:
            variants.append((cls, "", cls))  # construction fails and is recorded with the reason
    return variants


def _loss_family(loss: Any) -> tuple[str, str, list[str], bool]:
    names = [str(name) for name in (getattr(loss, "output_names", None) or [])]
    is_distribution = bool(getattr(loss, "is_distribution_output", False))
    if is_distribution:
        return "probabilistic_parametric", "distribution_parameters", names, True
    if len(names) > 1 or any(name.startswith("_q") for name in names):
        return "probabilistic_nonparametric", "quantiles", names, False
    return "point", "point", names, False


def _declared_compatibility(models: list[type], buildable: dict[str, bool], variants) -> list[dict]:
    """Does each model's constructor accept each loss (as loss, and as valid_loss)?"""
    from neuralforecast.losses.pytorch import MAE

    rows = []
    for cls in models:
        if not buildable.get(cls.__name__):
            continue
        for loss_cls, variant, factory in variants:
            for role in ("loss", "valid_loss"):
                accepted, error = _try_loss(cls, factory, role, MAE)
                rows.append(
                    {
                        "model_class": cls.__name__,
                        "loss_class": loss_cls.__name__,
                        "loss_variant": variant,
                        "role": role,
                        "accepted": accepted,
                        "error": error,
                    }
                )
    return rows


def _try_loss(cls: type, factory: Callable[[], Any], role: str, point_loss: type) -> tuple[bool, str]:
    try:
        loss = factory()
    except BaseException as error:
        return False, _error_text(error)
    try:
        if role == "loss":
            try:
                build_model(cls, loss=loss)
            except Exception as error:
                if "valid_loss" not in str(error):
                    raise
                build_model(cls, loss=loss, valid_loss=factory())  # the library asks for a matching valid_loss
        else:
            build_model(cls, loss=point_loss(), valid_loss=loss)
        return True, ""
    except BaseException as error:
        return False, _error_text(error)


def loss_catalogue(variants, compatibility: list[dict]) -> list[dict]:
    rows = []
    for loss_cls, variant, factory in variants:
        try:
            family, outputs, names, is_distribution = _loss_family(factory())
            can_build, build_error = True, ""
        except BaseException as error:
            is_distribution = variant.startswith("distribution=")
            family, outputs = (
                ("probabilistic_parametric", "distribution_parameters") if is_distribution else ("point", "point")
            )
            names, can_build, build_error = [], False, _error_text(error)
        as_loss = [
            row
            for row in compatibility
            if row["loss_class"] == loss_cls.__name__ and row["loss_variant"] == variant and row["role"] == "loss"
        ]
        trainable = any(row["accepted"] for row in as_loss)
        errors = [row["error"] for row in as_loss if not row["accepted"]]
        rows.append(
            {
                "loss_class": loss_cls.__name__,
                "loss_variant": variant,
                "family": family,
                "outputs": outputs,
                "output_names": json.dumps(names),
                "is_distribution_output": is_distribution,
                "can_build": can_build,
                "build_error": build_error,
                "trainable": trainable,
                "training_error": "" if trainable else (max(set(errors), key=errors.count) if errors else build_error),
            }
        )
    return rows


class RecordingTrial:
    """Stands in for an optuna Trial: records every suggestion and answers with the first option."""

    def __init__(self) -> None:
        self.suggestions: dict[str, tuple[str, dict]] = {}
        self.params: dict[str, Any] = {}

    def _record(self, name: str, sampler: str, spec: dict, answer: Any) -> Any:
        self.suggestions[name] = (sampler, spec)
        self.params[name] = answer
        return answer

    def suggest_categorical(self, name: str, choices) -> Any:
        choices = list(choices)
        return self._record(name, "categorical", {"choices": choices}, choices[0])

    def suggest_float(self, name: str, low: float, high: float, *, step=None, log: bool = False) -> float:
        return self._record(name, "float", {"low": low, "high": high, "step": step, "log": log}, low)

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return self._record(name, "int", {"low": low, "high": high, "step": step, "log": log}, low)

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        return self._record(name, "uniform", {"low": low, "high": high}, low)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        return self._record(name, "loguniform", {"low": low, "high": high, "log": True}, low)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        return self._record(name, "discrete_uniform", {"low": low, "high": high, "step": q}, low)


def _ray_domain(value: Any) -> tuple[str, dict]:
    kind = type(value).__name__
    if kind == "Categorical":
        return "choice", {"choices": list(value.categories)}
    if kind in ("Float", "Integer"):
        sampler = type(getattr(value, "sampler", None)).__name__
        spec = {"low": value.lower, "high": value.upper}
        if "Quantized" in sampler:
            spec["step"] = getattr(value.sampler, "q", None)
            inner = type(getattr(value.sampler, "sampler", None)).__name__
            return ("qloguniform" if "LogUniform" in inner else "quniform" if kind == "Float" else "qrandint"), spec
        if "LogUniform" in sampler:
            return ("loguniform" if kind == "Float" else "lograndint"), spec
        return ("uniform" if kind == "Float" else "randint"), spec
    if kind == "Function":
        return "sample_from", {"function": repr(value)}
    return "fixed", {"value": value}


def _spec_json(spec: dict) -> str:
    return json.dumps(spec, default=repr, sort_keys=True)


def search_spaces(autos: dict[str, type]) -> list[dict]:
    rows = []
    for model_name, auto in sorted(autos.items()):
        takes_n_series = "n_series" in inspect.signature(auto.get_default_config).parameters
        extra = {"n_series": 2} if takes_n_series else {}
        for backend in ("ray", "optuna"):
            try:
                config = auto.get_default_config(h=2, backend=backend, **extra)
                entries = (
                    _optuna_entries(config)
                    if backend == "optuna"
                    else ((name, *_ray_domain(value)) for name, value in config.items())
                )
                for name, sampler, spec in entries:
                    rows.append(
                        {
                            "auto_class": auto.__name__,
                            "model_class": model_name,
                            "backend": backend,
                            "parameter": name,
                            "sampler": sampler,
                            "spec_json": _spec_json(spec),
                        }
                    )
            except BaseException as error:
                rows.append(
                    {
                        "auto_class": auto.__name__,
                        "model_class": model_name,
                        "backend": backend,
                        "parameter": "__error__",
                        "sampler": "error",
                        "spec_json": json.dumps({"error": _error_text(error)}),
                    }
                )
    return rows


def _optuna_entries(config: Any) -> Iterator[tuple[str, str, dict]]:
    if not callable(config):
        yield from ((name, "fixed", {"value": value}) for name, value in dict(config).items())
        return
    trial = RecordingTrial()
    returned = config(trial) or {}
    for name, (sampler, spec) in trial.suggestions.items():
        yield name, sampler, spec
    for name, value in returned.items():
        if name not in trial.suggestions:
            yield name, "fixed", {"value": value}


def library_checked_values(rows: ScanRows, models: list[type]) -> None:
    """Values the library itself accepts where the check lives away from the parameter."""
    import neuralforecast.core as core

    scalers = list(getattr(core, "_type2scaler", {}) or {})
    init_symbol = f"{core.__name__}.NeuralForecast.__init__"
    for parameter in ("local_scaler_type", "local_static_scaler_type"):
        rows.add_allowed(init_symbol, parameter, scalers, f"library_check:{core.__name__}._type2scaler")
    temporal_norm = [
        row
        for row in rows.allowed_values
        if row["symbol"].endswith("TemporalNorm.__init__")
        and row["parameter"] == "scaler_type"
        and row["value_source"].startswith("library_check")
    ]
    known = {(row["symbol"], row["parameter"]) for row in rows.parameters}
    for cls in models:
        symbol = f"{cls.__module__}.{cls.__qualname__}.__init__"
        if (symbol, "scaler_type") in known:
            for row in temporal_norm:
                rows.add_allowed(symbol, "scaler_type", [row["allowed_value"]], row["value_source"])


TRAINER_SYMBOL = "pytorch_lightning.trainer.trainer.Trainer.__init__"


def lightning_trainer_arguments(rows: ScanRows) -> None:
    """The Lightning Trainer's arguments: every model passes its `**trainer_kwargs` on to it.

    Recorded under TRAINER_SYMBOL with their types and allowed values, plus the accelerator and
    strategy names Lightning checks against its registries (they are not in the signature).
    """
    import pytorch_lightning as pl
    from pytorch_lightning.accelerators import AcceleratorRegistry
    from pytorch_lightning.strategies import StrategyRegistry

    from fcast.registry.introspect import LibraryChecks, scan_parameters

    function = pl.Trainer.__init__
    scan_parameters(TRAINER_SYMBOL, function, rows, LibraryChecks(), inspect.getdoc(function), skip_first=True)
    accelerators = ["auto", "gpu", *sorted(AcceleratorRegistry.available_accelerators())]
    rows.add_allowed(TRAINER_SYMBOL, "accelerator", accelerators, "library_check:pytorch_lightning.AcceleratorRegistry")
    strategies = ["auto", *sorted(StrategyRegistry.available_strategies())]
    rows.add_allowed(TRAINER_SYMBOL, "strategy", strategies, "library_check:pytorch_lightning.StrategyRegistry")


def scan_extras(rows: ScanRows) -> None:
    _quiet_logs()
    models = model_classes()
    autos = auto_counterparts(models)
    capability_rows, buildable = capabilities(models, autos)
    rows.model_capabilities.extend(capability_rows)
    variants = loss_variants(rows)
    compatibility = _declared_compatibility(models, buildable, variants)
    rows.model_losses.extend(compatibility)
    rows.losses.extend(loss_catalogue(variants, compatibility))
    rows.search_spaces.extend(search_spaces(autos))
    library_checked_values(rows, models)
    lightning_trainer_arguments(rows)
