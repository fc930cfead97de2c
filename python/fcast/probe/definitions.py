"""The probe matrix: which calls to make, built from the scanned registry plus the lists of the issue.

Candidate values come from the registry (allowed values of each argument, boolean flips, the loss
catalogue, the models that can be built) and from boundaries (0, 1, negative, None, wrong type).
Every probe has a baseline (the same call without the argument) and an id that hashes its spec,
so a changed probe runs again and an unchanged one is skipped.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from fcast.explain import EXPLAINERS

PROBE_VERSION = "2"
# windows_batch_size: neuralforecast samples that many training windows per step, with replacement when
# the data has fewer (its default 1024 made a tiny probe train on 1024 copies of ~40 windows).
TINY_MODEL = {"h": 2, "input_size": 4, "max_steps": 2, "windows_batch_size": 16, "random_seed": 1}
TINY_DATA = {"series": 2, "length": 24}
# Spec keys of the call under test; the rest decides the fitted object, which probes then share.
CALL_KEYS = ("method", "call_kwargs", "futr_df", "predict_static_df", "path_variant", "nested", "load_kwargs")
FITTED_METHODS = ("fit", "neuralforecast_init", "auto_fit", "predict", "predict_insample", "save_load", "explain")
EFFECT, RUNS = "effect", "runs"  # what a probe asks: does the argument change what we observe / does it run
BOUNDARY_ARGUMENTS = (
    "input_size",
    "max_steps",
    "learning_rate",
    "batch_size",
    "windows_batch_size",
    "step_size",
    "val_check_steps",
    "num_lr_decays",
    "inference_windows_batch_size",
    "valid_batch_size",
)
BOUNDARY_VALUES: tuple[Any, ...] = (0, 1, -1, None, "x")
REPRESENTATIVE_MODELS = ("NHITS", "LSTM", "TSMixerx")
QUICK_MODELS = ("NHITS", "TSMixerx")
QUICK_LOSSES = ("MAE", "MQLoss", "DistributionLoss(distribution=Normal)")
PREDICTION_INTERVALS = {"__class__": "PredictionIntervals", "kwargs": {"n_windows": 2}}
NORMAL_LOSS = {"class": "DistributionLoss", "kwargs": {"distribution": "Normal"}}


def _label(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Probe:
    model_class: str
    method: str
    argument: str
    value_label: str
    spec: dict = field(hash=False)
    baseline_spec: dict | None = field(default=None, hash=False)
    question: str = EFFECT
    is_default: bool = False  # the value is the argument's default: the call is the baseline's

    @property
    def context(self) -> dict:
        return probe_context(self.spec)

    @property
    def fit_group(self) -> str:
        """Probes with the same group share one fitted object (cross-validation fits inside the call)."""
        if self.spec.get("method") not in FITTED_METHODS:
            return ""
        fit_part = {key: value for key, value in self.spec.items() if key not in CALL_KEYS}
        fit_part["__save_load__"] = self.spec["method"] == "save_load"  # saved as a user has it (no tracer)
        return json.dumps(fit_part, sort_keys=True, default=str)

    @property
    def probe_id(self) -> str:
        return spec_id(self.spec)

    @property
    def baseline_id(self) -> str:
        return spec_id(self.baseline_spec) if self.baseline_spec else ""


def loss_label(loss: dict | None) -> str:
    if not loss:
        return ""
    kwargs = ",".join(f"{key}={value}" for key, value in sorted((loss.get("kwargs") or {}).items()))
    return f"{loss['class']}({kwargs})" if kwargs else loss["class"]


def integer_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def probe_context(spec: dict) -> dict:
    """What decides a probe's outcome besides the argument under test: data shape, horizon, steps, losses."""
    data = {**TINY_DATA, **spec.get("data", {})}
    model_kwargs = spec.get("model_kwargs", {})
    config = model_kwargs.get("config")
    trial = config.get("values", {}) if isinstance(config, dict) and config.get("__callable__") else {}
    exogenous = [kind for kind in ("futr", "hist", "stat") if model_kwargs.get(f"{kind}_exog_list")]
    return {
        "series_count": int(data["series"]),
        "series_length": int(data["length"]),
        "horizon": integer_or_none(model_kwargs.get("h")),
        "input_size": integer_or_none(model_kwargs.get("input_size", trial.get("input_size"))),
        "max_steps": integer_or_none(model_kwargs.get("max_steps", trial.get("max_steps"))),
        "windows_batch_size": integer_or_none(model_kwargs.get("windows_batch_size")),
        "loss": loss_label(spec.get("loss")) or "default",
        "valid_loss": loss_label(spec.get("valid_loss")) or "default",
        "val_size": int((spec.get("fit_kwargs") or {}).get("val_size") or 0),
        "exogenous": ",".join(exogenous),
    }


def context_label(context: dict) -> str:
    parts = [
        f"{context['series_count']} series x {context['series_length']} points",
        f"h={context['horizon']}",
        f"input_size={context['input_size']}",
        f"{context['max_steps']} steps",
        f"windows_batch_size={context['windows_batch_size'] or 'default'}",
        f"loss {context['loss']}",
    ]
    if context["valid_loss"] != "default":
        parts.append(f"valid_loss {context['valid_loss']}")
    parts.append(f"val_size {context['val_size']}")
    if context["exogenous"]:
        parts.append(f"exogenous {context['exogenous']}")
    return ", ".join(parts)


# raw.registry_probes column -> key of probe_context
CONTEXT_COLUMNS = {
    "series_count": "series_count",
    "series_length": "series_length",
    "horizon": "horizon",
    "input_size": "input_size",
    "max_steps": "max_steps",
    "windows_batch_size": "windows_batch_size",
    "loss_label": "loss",
    "valid_loss_label": "valid_loss",
    "val_size": "val_size",
    "exogenous_kinds": "exogenous",
}


def context_columns(context: dict) -> dict:
    """A probe context as the raw.registry_probes columns that hold it (the label included)."""
    return {**{name: context[key] for name, key in CONTEXT_COLUMNS.items()}, "context_label": context_label(context)}


def spec_id(spec: dict) -> str:
    payload = json.dumps({"probe_version": PROBE_VERSION, "spec": spec}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass
class RegistryView:
    """What the prober needs from the scanned registry of one environment key."""

    models: dict[str, dict]  # model class -> {"multivariate": bool, "can_build": bool, "futr": bool, ...}
    parameters: dict[str, dict[str, dict]]  # model class -> parameter -> {"default_repr", "normalized_type"}
    allowed: dict[str, dict[str, list[str]]]  # model class -> parameter -> allowed values (strict sources)
    losses: list[tuple[str, dict]]  # (label, {"class": ..., "kwargs": {...}})
    local_scalers: list[str]
    call_defaults: dict[str, dict[str, str]] = field(default_factory=dict)  # "NeuralForecast.predict" -> defaults


def _with(spec: dict, **changes: Any) -> dict:
    updated = copy.deepcopy(spec)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(updated.get(key), dict):
            updated[key] = {**updated[key], **value}
        else:
            updated[key] = value
    return updated


def _base(model: str, view: RegistryView, method: str = "fit") -> dict:
    accepted = view.parameters.get(model, {})
    model_kwargs = {key: value for key, value in TINY_MODEL.items() if key in accepted or key == "h"}
    if view.models.get(model, {}).get("multivariate") and "n_series" in accepted:
        model_kwargs["n_series"] = TINY_DATA["series"]  # a multivariate model is built for the probe's series
    return {"method": method, "model": model, "model_kwargs": model_kwargs}


def _probe(
    model: str, method: str, argument: str, value: Any, spec: dict, baseline: dict | None, question: str = EFFECT
) -> Probe:
    return Probe(
        model,
        method,
        argument,
        value if isinstance(value, str) and argument in ("loss", "valid_loss", "explainer") else _label(value),
        spec,
        baseline,
        question,
    )


_CALL_OWNERS = (
    ("call_kwargs", None),
    ("fit_kwargs", "NeuralForecast.fit"),
    ("nf_kwargs", "NeuralForecast.__init__"),
)


def _is_default(probe: Probe, view: RegistryView) -> bool:
    """The probed value is the one the library uses when the argument is left out."""
    spec, argument = probe.spec, probe.argument
    model_defaults = {name: info["default_repr"] for name, info in view.parameters.get(probe.model_class, {}).items()}
    if argument == "loss" and spec.get("loss") and not spec["loss"].get("kwargs"):
        return model_defaults.get("loss") == f"{spec['loss']['class']}()"
    if argument == "valid_loss" and spec.get("valid_loss") and not spec.get("loss"):
        # valid_loss=None validates with the training loss, here the model's default loss
        return not spec["valid_loss"].get("kwargs") and model_defaults.get("loss") == f"{spec['valid_loss']['class']}()"
    for key, owner in _CALL_OWNERS:
        arguments = spec.get(key) or {}
        in_baseline = ((probe.baseline_spec or {}).get(key) or {}).get(argument, _MISSING)
        if argument not in arguments or in_baseline == arguments[argument]:
            continue
        value = arguments[argument]
        if argument == "h" and key == "call_kwargs":
            return value == spec.get("model_kwargs", {}).get("h")  # h=None predicts the model's horizon
        owner = owner or ("NeuralForecast." + probe.method)
        default = view.call_defaults.get(owner, {}).get(argument)
        return default is not None and default == repr(value)
    value = (spec.get("model_kwargs") or {}).get(argument, _MISSING)
    return value is not _MISSING and argument in model_defaults and model_defaults[argument] == repr(value)


_MISSING = object()


def loss_probes(model: str, view: RegistryView, losses: list[tuple[str, dict]]) -> list[Probe]:
    base = _base(model, view)
    validated = _with(base, model_kwargs={"val_check_steps": 1}, fit_kwargs={"val_size": 4})
    probes = []
    for label, loss in losses:
        probes.append(_probe(model, "fit", "loss", label, _with(base, loss=loss), base))
        probes.append(_probe(model, "fit", "valid_loss", label, _with(validated, valid_loss=loss), validated))
    return probes


def _coerce(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None if text == "None" else text


def argument_probes(model: str, view: RegistryView) -> list[Probe]:
    base = _base(model, view)
    parameters = view.parameters.get(model, {})
    probes = []
    for name, values in sorted(view.allowed.get(model, {}).items()):
        if name in ("loss", "valid_loss"):
            continue
        for value in values:
            probes.append(
                _probe(model, "fit", name, _coerce(value), _with(base, model_kwargs={name: _coerce(value)}), base)
            )
    for name, info in sorted(parameters.items()):
        if info["default_repr"] in ("True", "False") and name not in view.allowed.get(model, {}):
            flipped = info["default_repr"] == "False"
            probes.append(_probe(model, "fit", name, flipped, _with(base, model_kwargs={name: flipped}), base))
    for name in BOUNDARY_ARGUMENTS:
        if name not in parameters:
            continue
        for value in BOUNDARY_VALUES:
            if _label(value) == _label(base["model_kwargs"].get(name)):
                continue
            probes.append(_probe(model, "fit", name, value, _with(base, model_kwargs={name: value}), base))
    if "early_stop_patience_steps" in parameters:
        for val_size in (0, 4):
            spec = _with(
                base,
                model_kwargs={"early_stop_patience_steps": 1, "val_check_steps": 1},
                fit_kwargs={"val_size": val_size},
            )
            baseline = _with(base, fit_kwargs={"val_size": val_size})
            probes.append(
                _probe(model, "fit", "early_stop_patience_steps", f"1 with val_size={val_size}", spec, baseline)
            )
    return probes


def exogenous_probes(model: str, view: RegistryView) -> list[Probe]:
    base = _base(model, view)
    predict = _base(model, view, "predict")
    probes = [
        _probe(
            model,
            "fit",
            "futr_exog_list",
            ["futr_1"],
            _with(base, model_kwargs={"futr_exog_list": ["futr_1"]}, futr_df="complete"),
            base,
        ),
        _probe(
            model, "fit", "hist_exog_list", ["hist_1"], _with(base, model_kwargs={"hist_exog_list": ["hist_1"]}), base
        ),
        _probe(
            model,
            "fit",
            "stat_exog_list",
            ["stat_1"],
            _with(base, model_kwargs={"stat_exog_list": ["stat_1"]}, with_static_df=True),
            base,
        ),
        _probe(model, "fit", "static_df", "given without stat_exog_list", _with(base, with_static_df=True), base),
    ]
    futr = _with(predict, model_kwargs={"futr_exog_list": ["futr_1"]})
    for variant in ("complete", "missing_rows", "absent"):
        probes.append(
            _probe(
                model,
                "predict",
                "futr_df",
                variant,
                _with(futr, futr_df=variant),
                _with(futr, futr_df="complete") if variant != "complete" else predict,
                RUNS,
            )
        )
    return probes


def predict_probes(model: str, view: RegistryView) -> list[Probe]:
    predict = _base(model, view, "predict")
    quantile_loss = {"class": "MQLoss", "kwargs": {}}
    probes = []
    for argument, value in (("level", [80]), ("quantiles", [0.5]), ("h", 1), ("h", 2), ("h", 3), ("verbose", True)):
        probes.append(_probe(model, "predict", argument, value, _with(predict, call_kwargs={argument: value}), predict))
    probes.append(
        _probe(
            model,
            "predict",
            "level+quantiles",
            {"level": [80], "quantiles": [0.5]},
            _with(predict, call_kwargs={"level": [80], "quantiles": [0.5]}),
            predict,
        )
    )
    with_mq = _with(predict, loss=quantile_loss)
    probes.append(
        _probe(model, "predict", "level with MQLoss", [80], _with(with_mq, call_kwargs={"level": [80]}), with_mq)
    )
    probes.append(_probe(model, "predict", "static_df", "given", _with(predict, predict_static_df=True), predict))
    insample = _base(model, view, "predict_insample")
    for argument, value in (("step_size", 1), ("step_size", 2), ("level", [80]), ("quantiles", [0.5])):
        probes.append(
            _probe(model, "predict_insample", argument, value, _with(insample, call_kwargs={argument: value}), insample)
        )
    probes.append(_probe(model, "predict_insample", "", "", insample, None))
    return probes


def workflow_probes(model: str, view: RegistryView) -> list[Probe]:
    """NeuralForecast(...), fit, cross_validation and save/load arguments, on representative models."""
    base = _base(model, view)
    probes = [
        _probe(
            model,
            "neuralforecast_init",
            "freq",
            "1 (int) on integer ds",
            _with(base, method="neuralforecast_init"),
            base,
            RUNS,
        ),
        _probe(
            model,
            "neuralforecast_init",
            "freq",
            "'D' (str) on dates",
            _with(base, method="neuralforecast_init", data={"freq": "D"}),
            base,
            RUNS,
        ),
        _probe(
            model,
            "neuralforecast_init",
            "freq",
            "'D' (str) on integer ds",
            _with(base, method="neuralforecast_init", nf_kwargs={"freq": "D"}),
            base,
            RUNS,
        ),
    ]
    for scaler in [*view.local_scalers, None]:
        probes.append(
            _probe(
                model,
                "neuralforecast_init",
                "local_scaler_type",
                scaler,
                _with(base, method="neuralforecast_init", nf_kwargs={"local_scaler_type": scaler}),
                base,
            )
        )
    static_base = _with(base, model_kwargs={"stat_exog_list": ["stat_1"]}, with_static_df=True)
    for scaler in [*view.local_scalers, None]:
        probes.append(
            _probe(
                model,
                "neuralforecast_init",
                "local_static_scaler_type",
                scaler,
                _with(static_base, method="neuralforecast_init", nf_kwargs={"local_static_scaler_type": scaler}),
                static_base,
            )
        )
    for argument, value in (
        ("val_size", 0),
        ("val_size", 4),
        ("val_size", -1),
        ("val_size", 1000),
        ("use_init_models", True),
        ("prediction_intervals", PREDICTION_INTERVALS),
        ("distributed_config", None),
    ):
        probes.append(_probe(model, "fit", argument, value, _with(base, fit_kwargs={argument: value}), base))
    cv = _with(base, method="cross_validation", call_kwargs={"n_windows": 1})
    for argument, value in (
        ("n_windows", 2),
        ("n_windows", 0),
        ("step_size", 2),
        ("val_size", 4),
        ("test_size", 6),
        ("refit", True),
        ("refit", 1),
        ("use_init_models", True),
        ("prediction_intervals", PREDICTION_INTERVALS),
        ("level", [80]),
        ("quantiles", [0.5]),
        ("h", 1),
        ("h", 3),
    ):
        call = {argument: value} if argument != "test_size" else {"n_windows": None, "test_size": value}
        probes.append(_probe(model, "cross_validation", argument, value, _with(cv, call_kwargs=call), cv))
    saved = _with(base, method="save_load")
    for argument, changes in (
        ("path", {"path_variant": "existing"}),
        ("path", {"nested": True}),
        ("model_index", {"call_kwargs": {"model_index": [0]}}),
        ("save_dataset", {"call_kwargs": {"save_dataset": False}}),
        ("overwrite", {"call_kwargs": {"overwrite": True}}),
        ("overwrite", {"path_variant": "existing", "call_kwargs": {"overwrite": False}}),
    ):
        probes.append(_probe(model, "save_load", argument, changes, _with(saved, **changes), saved, RUNS))
    return probes


def explain_label(explainer: str, condition: str = "") -> str:
    """The value_label of an explain probe: `IntegratedGradients`, `IntegratedGradients with recurrent=True`."""
    return f"{explainer} with {condition}" if condition else explainer


def explain_probe_key(model: str, explainer: str, condition: str = "") -> tuple[str, str, str, str]:
    """The (model, method, argument, value_label) of an explain probe, as RegistryFacts.probe takes it."""
    return model, "explain", "explainer", explain_label(explainer, condition)


def explain_conditions(model: str, view: RegistryView) -> list[tuple[str, tuple[str, ...], dict]]:
    """(condition label, explainers, spec changes) that decide what NeuralForecast.explain can explain."""
    parameters = view.parameters.get(model, {})
    conditions: list[tuple[str, tuple[str, ...], dict]] = [
        (loss_label(NORMAL_LOSS), ("IntegratedGradients",), {"loss": NORMAL_LOSS})
    ]
    if "recurrent" in parameters:
        conditions.append(("recurrent=True", EXPLAINERS, {"model_kwargs": {"recurrent": True}}))
    if parameters.get("revin", {}).get("default_repr") == "True":
        conditions.append(("revin=False", ("IntegratedGradients",), {"model_kwargs": {"revin": False}}))
    if "scaler_type" in parameters:
        conditions.append(("scaler_type=robust", ("IntegratedGradients",), {"model_kwargs": {"scaler_type": "robust"}}))
    conditions.append(
        ("local_scaler_type=standard", ("IntegratedGradients",), {"nf_kwargs": {"local_scaler_type": "standard"}})
    )
    return conditions


def explain_probes(model: str, view: RegistryView) -> list[Probe]:
    """NeuralForecast.explain per explainer on the baseline fit, then under the conditions that skip a model
    (a distribution loss, a recurrent model) or may break additivity (RevIN, window and global scalers)."""
    base = _base(model, view, "explain")
    plain = {explainer: _with(base, call_kwargs={"explainer": explainer}) for explainer in EXPLAINERS}
    probes = [_probe(model, "explain", "explainer", explainer, spec, None, RUNS) for explainer, spec in plain.items()]
    for condition, explainers, changes in explain_conditions(model, view):
        for explainer in explainers:
            spec = _with(plain[explainer], **changes)
            probes.append(
                _probe(model, "explain", "explainer", explain_label(explainer, condition), spec, plain[explainer], RUNS)
            )
    return probes


def auto_probes(model: str, view: RegistryView, include_ray: bool) -> list[Probe]:
    tiny = {"input_size": 4, "max_steps": 2, "random_seed": 1}
    base = {
        "method": "auto_fit",
        "model": model,
        "auto": True,
        "model_kwargs": {
            "h": 2,
            "backend": "optuna",
            "num_samples": 1,
            "config": {"__callable__": True, "values": tiny},
        },
    }
    probes = [_probe(model, "auto_fit", "", "", base, None)]
    for argument, value in (
        ("num_samples", 2),
        ("num_samples", 0),
        ("refit_with_val", True),
        ("callbacks", []),
        ("h", 1),
    ):
        probes.append(_probe(model, "auto_fit", argument, value, _with(base, model_kwargs={argument: value}), base))
    probes.append(
        _probe(model, "auto_fit", "loss", "MQLoss", _with(base, loss={"class": "MQLoss", "kwargs": {}}), base)
    )
    default_space = {"__default__": True, "values": {"max_steps": 2, "val_check_steps": 1}}
    probes.append(
        _probe(
            model,
            "auto_fit",
            "config",
            "None (the default search space, max_steps capped at 2)",
            _with(base, model_kwargs={"config": default_space}),
            base,
            RUNS,
        )
    )
    probes.append(
        _probe(
            model,
            "auto_fit",
            "futr_exog_list",
            ["futr_1"],
            _with(base, model_kwargs={"futr_exog_list": ["futr_1"]}),
            base,
        )
    )
    if include_ray:
        ray = _with(base, model_kwargs={"backend": "ray", "config": {**tiny}, "cpus": 1})
        probes.append(_probe(model, "auto_fit", "backend", "ray", ray, base))
    return probes


def build_matrix(
    view: RegistryView, quick: bool = False, models: list[str] | None = None, include_ray: bool = True
) -> list[Probe]:
    """Baselines first, then every variant; `quick` keeps the subset the main job runs."""
    chosen = [name for name, info in sorted(view.models.items()) if not models or name in models]
    if quick:
        chosen = [name for name in chosen if name in QUICK_MODELS]
    probes: list[Probe] = []
    for model in chosen:
        base = _base(model, view)
        probes.append(_probe(model, "fit", "", "", base, None))
        if not view.models[model]["can_build"]:
            continue
        losses = [(label, loss) for label, loss in view.losses if not quick or label in QUICK_LOSSES]
        probes += loss_probes(model, view, losses)
        if quick:
            probes += [probe for probe in exogenous_probes(model, view) if probe.method == "predict"]
            probes += [
                probe
                for probe in predict_probes(model, view)
                if probe.argument in ("level", "quantiles", "level with MQLoss", "static_df")
            ]
            probes += [probe for probe in exogenous_probes(model, view) if probe.argument == "static_df"]
            probes += [probe for probe in argument_probes(model, view) if probe.argument == "early_stop_patience_steps"]
            probes += explain_probes(model, view)
            continue
        probes += argument_probes(model, view) + exogenous_probes(model, view) + predict_probes(model, view)
        if model in REPRESENTATIVE_MODELS:
            probes += workflow_probes(model, view) + explain_probes(model, view)
            if view.models[model]["auto"]:
                probes += auto_probes(model, view, include_ray and model == "NHITS")
    unique = {probe.probe_id: probe for probe in probes}
    for probe_id, probe in unique.items():
        if probe.argument and probe.question == EFFECT and _is_default(probe, view):
            unique[probe_id] = dataclasses.replace(probe, is_default=True)
    for probe in list(unique.values()):
        if probe.baseline_spec and probe.baseline_id not in unique:
            spec = probe.baseline_spec
            unique[probe.baseline_id] = Probe(probe.model_class, spec["method"], "", "baseline", spec, None)
    return sorted(unique.values(), key=lambda probe: (probe.baseline_id != "", probe.model_class, probe.method))
