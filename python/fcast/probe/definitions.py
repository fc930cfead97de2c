"""The probe matrix: which calls to make, built from the scanned registry plus the lists of the issue.

Candidate values come from the registry (allowed values of each argument, boolean flips, the loss
catalogue, the models that can be built) and from boundaries (0, 1, negative, None, wrong type).
Every probe has a baseline (the same call without the argument) and an id that hashes its spec,
so a changed probe runs again and an unchanged one is skipped.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

PROBE_VERSION = "1"
TINY_MODEL = {"h": 2, "input_size": 4, "max_steps": 2, "random_seed": 1}
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

    @property
    def probe_id(self) -> str:
        return spec_id(self.spec)

    @property
    def baseline_id(self) -> str:
        return spec_id(self.baseline_spec) if self.baseline_spec else ""


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
    return {
        "method": method,
        "model": model,
        "model_kwargs": {key: value for key, value in TINY_MODEL.items() if key in accepted or key == "h"},
    }


def _probe(model: str, method: str, argument: str, value: Any, spec: dict, baseline: dict | None) -> Probe:
    return Probe(
        model,
        method,
        argument,
        value if isinstance(value, str) and argument in ("loss", "valid_loss") else _label(value),
        spec,
        baseline,
    )


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
        ),
        _probe(
            model,
            "neuralforecast_init",
            "freq",
            "'D' (str) on dates",
            _with(base, method="neuralforecast_init", data={"freq": "D"}),
            base,
        ),
        _probe(
            model,
            "neuralforecast_init",
            "freq",
            "'D' (str) on integer ds",
            _with(base, method="neuralforecast_init", nf_kwargs={"freq": "D"}),
            base,
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
        probes.append(_probe(model, "save_load", argument, changes, _with(saved, **changes), saved))
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
        ("config", None),
        ("h", 1),
    ):
        probes.append(_probe(model, "auto_fit", argument, value, _with(base, model_kwargs={argument: value}), base))
    probes.append(
        _probe(model, "auto_fit", "loss", "MQLoss", _with(base, loss={"class": "MQLoss", "kwargs": {}}), base)
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
            probes += [probe for probe in predict_probes(model, view) if probe.argument in ("level", "quantiles")]
            probes += [probe for probe in argument_probes(model, view) if probe.argument == "early_stop_patience_steps"]
            continue
        probes += argument_probes(model, view) + exogenous_probes(model, view) + predict_probes(model, view)
        if model in REPRESENTATIVE_MODELS:
            probes += workflow_probes(model, view)
            if view.models[model]["auto"]:
                probes += auto_probes(model, view, include_ray and model == "NHITS")
    unique = {probe.probe_id: probe for probe in probes}
    for probe in list(unique.values()):
        if probe.baseline_spec and probe.baseline_id not in unique:
            spec = probe.baseline_spec
            unique[probe.baseline_id] = Probe(probe.model_class, spec["method"], "", "baseline", spec, None)
    return sorted(unique.values(), key=lambda probe: (probe.baseline_id != "", probe.model_class, probe.method))
