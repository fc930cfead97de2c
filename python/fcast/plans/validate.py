"""The plan validator's static layer: every rule of the catalogue that answers without training.

Rules (fcast.plans.rules) read the registry of the installed version (fcast.registry.facts:
arguments, types, allowed values, capabilities, the loss catalogue, the Lightning Trainer's
arguments, removed arguments), the probes (cited as errors only when the plan matches the probe's
context, otherwise as warnings saying how it differs) and the warehouse (features, series
selectors, the futr_df horizon). `validate_rows(..., rehearse=True)` then runs each accepted row
one step on the trainer's own path (fcast.plans.rehearse), which settles what static rules cannot.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fcast import db
from fcast.features import ANOMALY_COLUMN_PREFIX
from fcast.ingest.records import utc_now
from fcast.library.build import QUIET_TRAINER
from fcast.library.foundation import ADAPTERS as FOUNDATION_ADAPTERS
from fcast.library.foundation import adapter_class, is_foundation_model
from fcast.library.foundation.checkpoints import checkpoint_problem
from fcast.plans.rules import rule
from fcast.plans.spec import RunPlanRow
from fcast.raw_schema import PLAN_VALIDATIONS, PLAN_VIOLATIONS, RUN_PLANS
from fcast.registry.facts import FAILING_OUTCOMES, TRAINER, ProbeFact, RegistryFacts, version_ranges

__all__ = ["PlanValidator", "RegistryFacts", "ValidationResult", "Violation", "store_results", "validate_rows"]

OPTUNA_CATEGORICAL_TYPES = (type(None), bool, int, float, str)
CAPABILITY_FOR_FEATURE = {"futr": "exogenous_futr", "hist": "exogenous_hist", "stat": "exogenous_stat"}
PREFIX_FOR_FEATURE = {"futr": "fut_", "hist": "hist_", "stat": "stat_"}
# What a capability flag lets a model do, as the capability-history warning says it.
CAPABILITY_WORDS = {
    "exogenous_futr": "takes future exogenous",
    "exogenous_hist": "takes historical exogenous",
    "exogenous_stat": "takes static exogenous",
    "multivariate": "is multivariate",
}
# Arguments of a probe that say nothing about the context it failed in (training length, quiet flags).
CONTEXT_FREE_ARGUMENTS = {"max_steps", "val_check_steps", "random_seed", *QUIET_TRAINER}
# The sections of a plan row that are passed to a NeuralForecast method, and what fcast sets itself.
CALL_SECTIONS = {
    "neuralforecast": ("NeuralForecast.__init__", {"models"}),
    "fit": ("NeuralForecast.fit", {"df", "static_df"}),
    "cross_validation": ("NeuralForecast.cross_validation", {"df", "static_df"}),
    "predict": ("NeuralForecast.predict", {"df", "static_df", "futr_df"}),
    "predict_insample": ("NeuralForecast.predict_insample", set()),
}
EMBEDDING_COLUMN = re.compile(r"^hist_emb_([a-z0-9]+)_\d+$")  # fcast features embed: hist_emb_<model>_<i>
# The probe of fcast.probe.foundation that shows what a foundation-model capability rule prevents.
FOUNDATION_RULE_PROBES = {
    "foundation_horizon_too_long": ("model_init", "h"),
    "foundation_quantiles_outside_grid": ("predict", "level"),
    "foundation_cannot_fine_tune": ("fit", "fine_tune_steps"),
}
MULTI_OUTPUT_LOSSES = ("MQLoss", "HuberMQLoss", "DistributionLoss", "IQLoss", "HuberIQLoss", "GMM", "PMM", "NBMM")


@dataclass
class Violation:
    rule: str
    field: str
    message: str
    suggestion: str
    evidence_kind: str = "rule"
    evidence: str = ""
    severity: str = ""  # the catalogue's severity unless given

    def __post_init__(self) -> None:
        self.severity = self.severity or rule(self.rule).severity

    def __str__(self) -> str:
        evidence = f" [evidence: {self.evidence_kind}: {self.evidence}]" if self.evidence else ""
        return f"{self.severity} [{self.rule}] {self.field}: {self.message} -> {self.suggestion}{evidence}"


@dataclass
class ValidationResult:
    row: RunPlanRow
    env_key: str
    violations: list[Violation] = field(default_factory=list)
    rehearsal: Any | None = None  # fcast.plans.rehearse.Rehearsal, when the row was rehearsed

    @property
    def errors(self) -> list[Violation]:
        return [violation for violation in self.violations if violation.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors


def _label(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _type_ok(value: Any, normalized: str) -> bool:
    if normalized.startswith("optional["):
        return value is None or _type_ok(value, normalized[len("optional[") : -1])
    if normalized.startswith("union["):
        return any(_type_ok(value, part.strip()) for part in _split(normalized[len("union[") : -1]))
    if normalized == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if normalized == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if normalized == "bool":
        return isinstance(value, bool)
    if normalized == "str":
        return isinstance(value, str)
    if normalized.startswith("list"):
        return isinstance(value, list)
    if normalized == "dict":
        return isinstance(value, dict)
    return True  # unknown, callable, class instances, DataFrames: not checkable from a plan


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for character in text:
        depth += (character == "[") - (character == "]")
        if character == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    return [*parts, current]


def _members(normalized: str) -> list[str]:
    if normalized.startswith("optional["):
        return ["none", *_members(normalized[len("optional[") : -1])]
    if normalized.startswith("union["):
        return [member for part in _split(normalized[len("union[") : -1]) for member in _members(part.strip())]
    return [normalized]


def _matches_open_member(value: Any, normalized: str) -> bool:
    """The value fits a member of the type that has no value list (bool in union[bool, literal])."""
    return any(
        member not in ("literal", "str", "unknown", "none") and _type_ok(value, member)
        for member in _members(normalized)
        if not member.startswith("class:")
    )


class PlanValidator:
    def __init__(self, facts: RegistryFacts) -> None:
        self.facts = facts

    def validate(self, row: RunPlanRow) -> ValidationResult:
        result = ValidationResult(row, self.facts.env_key)
        if self.facts.is_foundation(row.model) or is_foundation_model(row.model):
            return self._validate_foundation(row, result)
        checks = (
            self._dataset,
            self._frequency,
            self._model,
            self._arguments,
            self._training_steps,
            self._losses,
            self._call_arguments,
            self._features,
            self._horizon,
            self._multivariate,
            self._capability_history,
            self._prediction_outputs,
            self._early_stopping,
            self._insample,
            self._auto_search,
            self._distributed,
            self._resources,
        )
        for check in checks:
            result.violations.extend(check(row))
            if any(v.rule in ("unknown_model", "model_cannot_build", "unknown_auto_model") for v in result.violations):
                break
        return result

    def _validate_foundation(self, row: RunPlanRow, result: ValidationResult) -> ValidationResult:
        """A foundation-model row: the data rules, its adapter's arguments and capabilities (fcast.library.foundation),
        under the environment key of the adapter's library."""
        info = self.facts.foundation.get(row.model)
        if info is None:
            result.violations.append(
                Violation(
                    "unknown_model",
                    "model",
                    f"{row.model} is a foundation model whose adapter library was never scanned here",
                    "run `fcast registry scan` (it scans the adapter libraries with neuralforecast)",
                    "registry",
                    "raw.registry_foundation_capabilities",
                )
            )
            return result
        result.env_key = info["env_key"]
        for check in (self._dataset, self._frequency, self._model, self._arguments, self._features, self._horizon):
            result.violations.extend(check(row))
            if any(v.rule in ("unknown_model", "model_cannot_build") for v in result.violations):
                return result
        result.violations.extend(self._with_probe_evidence(row.model, foundation_violations(row, info)))
        return result

    def _with_probe_evidence(self, model: str, violations: list[Violation]) -> list[Violation]:
        """A capability rule that a probe of the adapter saw happen cites that probe."""
        for violation in violations:
            if violation.rule not in FOUNDATION_RULE_PROBES:
                continue
            method, argument = FOUNDATION_RULE_PROBES[violation.rule]
            seen = [
                (label, probe)
                for (name, probed_method, probed_argument, label), probe in self.facts.probes.items()
                if (name, probed_method, probed_argument) == (model, method, argument)
                and probe.outcome in (*FAILING_OUTCOMES, "ignored")
            ]
            if seen:
                label, probe = seen[0]
                happened = probe.error or "the forecasts came back unchanged"
                violation.evidence_kind = "probe"
                violation.evidence = f"{probe.probe_id} ({argument}={label}: {probe.outcome}, {happened})"
        return violations

    # --- probes, in their context -------------------------------------------------------------

    def _failed_probe(self, model: str, method: str, argument: str, value_label: str) -> ProbeFact | None:
        found = self.facts.probe(model, method, argument, value_label)
        return found if found and found.failed else None

    def _default_label(self, model: str, name: str) -> str | None:
        info = self.facts.parameters_of(model).get(name)
        return info["default_repr"] if info else None

    def context_differences(self, probe: ProbeFact, row: RunPlanRow, argument: str) -> list[str]:
        """How the plan differs from the context the probe failed in ([] when it is the same context)."""
        spec = probe.spec
        probed = dict(spec.get("model_kwargs") or {})
        planned = {"h": row.horizon, **row.model_args}
        differences = []
        for name in sorted(set(probed) | set(planned)):
            if name in CONTEXT_FREE_ARGUMENTS or name == argument:
                continue
            if name not in planned:
                if repr(probed[name]) != self._default_label(row.model, name):
                    differences.append(f"the probe sets {name}={probed[name]!r}, the plan keeps the default")
            elif name not in probed:
                differences.append(f"the plan sets {name}={planned[name]!r}, the probe does not")
            elif _label(probed[name]) != _label(planned[name]):
                differences.append(f"{name} is {probed[name]!r} in the probe, {planned[name]!r} in the plan")
        if argument not in ("loss", "valid_loss"):
            probe_loss = spec.get("loss") or None
            if _label(probe_loss) != _label(row.loss or None):
                differences.append(f"the probe's loss is {_loss_text(probe_loss)}, the plan's {_loss_text(row.loss)}")
        if spec.get("method") not in ("model_init", None):
            context = probe.context
            shape = (
                f"{context['series_count']} toy series of {context['series_length']} points"
                if context.get("series_count")
                else "toy series"
            )
            n_series = self.facts.selectors.get((row.dataset, row.series))
            differences.append(
                f"the probe ran on {shape}, the plan on "
                + (f"{n_series} series of its {row.dataset} data" if n_series else f"its {row.dataset} data")
            )
        return differences

    def _probe_violation(
        self, row: RunPlanRow, probe: ProbeFact, argument: str, field_name: str, what: str, suggestion: str
    ) -> Violation:
        differences = self.context_differences(probe, row, argument)
        if not differences:
            return Violation(
                "probe_failed",
                field_name,
                f"{what} {probe.outcome} on this version, in the plan's context: {probe.error[:300]}",
                suggestion,
                "probe",
                probe.probe_id,
            )
        return Violation(
            "probe_failed_elsewhere",
            field_name,
            f"{what} {probe.outcome} in a probe ({probe.error[:200]}), but the plan differs: "
            + "; ".join(differences[:4]),
            "the rehearsal runs the plan's own context and decides",
            "probe",
            probe.probe_id,
        )

    # --- one method per rule family -----------------------------------------------------------

    def _dataset(self, row: RunPlanRow) -> list[Violation]:
        datasets = {dataset for dataset, _ in self.facts.selectors} | set(self.facts.datasets)
        if row.dataset in self.facts.unbuilt_datasets:
            from fcast.datasets import rebuild_command

            return [
                Violation(
                    "dataset_not_built",
                    "dataset",
                    f"{row.dataset} is loaded, but the marts were not rebuilt since it was",
                    f"run `{rebuild_command()}` (fcast ingest does it unless --no-build), then validate again",
                    "data",
                    "raw.panel_observations",
                )
            ]
        if row.dataset not in datasets:
            return [
                Violation(
                    "unknown_dataset",
                    "dataset",
                    f"{row.dataset!r} is neither a game nor a loaded panel",
                    f"use one of {sorted(datasets)}, or load a panel with `fcast ingest --panel {row.dataset} FILE`",
                    "data",
                    "mart_datasets",
                )
            ]
        if (row.dataset, row.series) in self.facts.selectors:
            return []
        selectors = sorted(selector for dataset, selector in self.facts.selectors if dataset == row.dataset)
        return [
            Violation(
                "unknown_series_selector",
                "series",
                f"{row.dataset} has no selector {row.series!r}",
                f"use one of {selectors}",
                "data",
                "mart_series_selectors",
            )
        ]

    def _frequency(self, row: RunPlanRow) -> list[Violation]:
        """The plan's NeuralForecast freq must put timestamps where the dataset's time axis does."""
        from fcast.time_axis import TimeAxisError

        dataset = self.facts.datasets.get(row.dataset)
        if dataset is None:
            return []
        try:
            axis = dataset.axis
        except TimeAxisError as error:
            return [
                Violation(
                    "unknown_frequency",
                    "dataset",
                    f"{row.dataset}: {error}",
                    f"load the panel again with `fcast ingest --panel {row.dataset} FILE --freq FREQ` "
                    "(D, W-SUN, MS, ME, ...)",
                    "data",
                    "mart_datasets",
                )
            ]
        if "freq" not in row.neuralforecast or axis.describes_same_grid(row.neuralforecast["freq"]):
            return []
        given = row.neuralforecast["freq"]
        expected = axis.nf_freq
        if axis.is_date:
            problem = (
                f"freq {given!r} puts timestamps elsewhere than {row.dataset}'s dates ({axis.describe()}), so "
                "futr_df, forecasts and actuals would not line up"
            )
            if isinstance(given, int) or str(given).isdigit():
                problem = f"freq {given!r} is an integer step, but {row.dataset}'s ds holds dates ({axis.describe()})"
        else:
            problem = f"freq {given!r} is not the integer step of {row.dataset}, whose ds holds {axis.describe()}"
        return [
            Violation(
                "freq_mismatch",
                "neuralforecast.freq",
                problem,
                f"set neuralforecast.freq: {expected!r} (or leave freq out: fcast uses the dataset's)",
                "data",
                "mart_datasets",
            )
        ]

    def _model(self, row: RunPlanRow) -> list[Violation]:
        auto_name = str(row.search.get("auto") or "")
        info = self.facts.models.get(row.model)
        if auto_name and (info is None or info["auto_class"] != auto_name):
            autos = sorted(model["auto_class"] for model in self.facts.models.values() if model["auto_class"])
            close = difflib.get_close_matches(auto_name, autos, n=3)
            plain = f"write model: {row.model} with a search block, or " if info else ""
            return [
                Violation(
                    "unknown_auto_model",
                    "model",
                    f"{auto_name} is not an Auto model of neuralforecast {self.facts.version}",
                    f"{plain}use one of {close or autos[:8]}",
                    "registry",
                    "registry_model_capabilities.auto_class",
                )
            ]
        if info is None:
            close = difflib.get_close_matches(row.model, list(self.facts.models), n=3)
            return [
                Violation(
                    "unknown_model",
                    "model",
                    f"{row.model} is not a model of neuralforecast {self.facts.version}",
                    f"use one of {close or sorted(self.facts.models)[:8]}",
                    "registry",
                    self.facts.env_key,
                )
            ]
        if not info["can_build"]:
            return [
                Violation(
                    "model_cannot_build",
                    "model",
                    f"{row.model} cannot be built here",
                    "choose another model or install what it needs",
                    "registry",
                    info["build_error"],
                )
            ]
        return []

    def _arguments(self, row: RunPlanRow) -> list[Violation]:
        accepted = self.facts.parameters_of(row.model)
        trainer = self.facts.parameters_of(TRAINER) if self.facts.takes_trainer_kwargs(row.model) else {}
        violations = []
        for name, value in row.model_args.items():
            field_name = f"model_args.{name}"
            owner = row.model if name in accepted else TRAINER if name in trainer else None
            if owner is None:
                removed_in = self.facts.removed.get((row.model, name))
                evidence = (
                    f"removed after neuralforecast {removed_in}"
                    if removed_in
                    else f"not a parameter of {row.model}.__init__ nor of the Lightning Trainer"
                )
                close = difflib.get_close_matches(name, [*accepted, *trainer], n=3)
                violations.append(
                    Violation(
                        "unknown_argument",
                        field_name,
                        f"{row.model} in neuralforecast {self.facts.version} has no argument {name!r}",
                        f"remove it{f' or use {close}' if close else ''}",
                        "registry",
                        evidence,
                    )
                )
                continue
            normalized = self.facts.parameters_of(owner)[name]["type"]
            where = f"{row.model}.__init__" if owner == row.model else "pytorch_lightning.Trainer (**trainer_kwargs)"
            problems = self._value_violations(owner, name, value, field_name, normalized, where)
            violations.extend(problems)
            if problems:
                continue
            failed = self._failed_probe(row.model, "fit", name, _label(value)) or self._failed_probe(
                row.model, "model_init", name, _label(value)
            )
            if failed:
                violations.append(
                    self._probe_violation(row, failed, name, field_name, f"{name}={value!r}", f"change {name}")
                )
        return violations

    def _value_violations(
        self, owner: str, name: str, value: Any, field_name: str, normalized: str, where: str
    ) -> list[Violation]:
        """wrong_type when the value is not of the scanned type, else the allowed-value rules."""
        if not _type_ok(value, normalized):
            return [
                Violation(
                    "wrong_type",
                    field_name,
                    f"{name}={value!r} is not a {normalized}",
                    f"give a {normalized}",
                    "registry",
                    f"{where} type",
                )
            ]
        return self._allowed(owner, name, value, field_name, normalized)

    def _allowed(self, owner: str, name: str, value: Any, field_name: str, normalized: str = "") -> list[Violation]:
        sources = self.facts.allowed.get((owner, name), {})
        strict = self.facts.strict_values(owner, name)
        text = value if isinstance(value, str) else _label(value)
        if value is None or not sources or (normalized and _matches_open_member(value, normalized)):
            return []
        if strict and not any(text in values for values in strict.values()):
            source = next(iter(strict))
            every = sorted({value for found in strict.values() for value in found})
            return [
                Violation(
                    "value_not_allowed",
                    field_name,
                    f"{name}={value!r} is not accepted",
                    f"use one of {every}",
                    "registry",
                    source,
                )
            ]
        documented = sources.get("docstring")
        if not strict and documented and text not in documented:
            return [
                Violation(
                    "value_not_documented",
                    field_name,
                    f"{name}={value!r} is not a documented option",
                    f"the documentation lists {documented}",
                    "registry",
                    "docstring",
                )
            ]
        return []

    def _training_steps(self, row: RunPlanRow) -> list[Violation]:
        violations = []
        for name in ("max_steps", "val_check_steps"):
            value = row.model_args.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                violations.append(
                    Violation(
                        "bad_training_steps",
                        f"model_args.{name}",
                        f"{name}={value!r} must be a positive integer",
                        f"give {name} a whole number of steps >= 1",
                    )
                )
        return violations

    def _losses(self, row: RunPlanRow) -> list[Violation]:
        violations = []
        for role, loss in (("loss", row.loss), ("valid_loss", row.valid_loss)):
            if not loss:
                continue
            found = self.facts.loss_entry(loss)
            if found is None:
                close = difflib.get_close_matches(loss["class"], self.facts.loss_classes(), n=3)
                violations.append(
                    Violation(
                        "unknown_loss",
                        role,
                        f"{loss['class']} is not a loss class of neuralforecast {self.facts.version}",
                        f"use one of {close or self.facts.loss_classes()}",
                        "registry",
                        "registry_losses",
                    )
                )
                continue
            argument_problems = self._loss_arguments(role, loss)
            violations.extend(argument_problems)
            if argument_problems:
                continue
            label, entry = found
            if role == "loss" and not entry["trainable"]:
                violations.append(
                    Violation(
                        "loss_not_trainable",
                        role,
                        f"{_loss_text(loss)} cannot be used for training",
                        "use MAE, MSE, MQLoss, DistributionLoss, ...",
                        "registry",
                        entry["training_error"],
                    )
                )
                continue
            violations.extend(self._declared_loss(row, role, label))
        return violations

    def _loss_arguments(self, role: str, loss: dict) -> list[Violation]:
        owner = f"loss:{loss['class']}"
        accepted = self.facts.parameters_of(owner)
        kwargs = loss.get("kwargs") or {}
        violations = []
        for name, value in kwargs.items():
            field_name = f"{role}.kwargs.{name}"
            if accepted and name not in accepted:
                violations.append(
                    Violation(
                        "unknown_loss_argument",
                        field_name,
                        f"{loss['class']} takes no argument {name!r}",
                        f"use {sorted(accepted)}",
                        "registry",
                        f"{loss['class']}.__init__",
                    )
                )
                continue
            normalized = accepted.get(name, {}).get("type", "unknown")
            violations.extend(
                self._value_violations(owner, name, value, field_name, normalized, f"{loss['class']}.__init__")
            )
        if kwargs.get("level") and kwargs.get("quantiles") and loss["class"] in MULTI_OUTPUT_LOSSES:
            violations.append(
                Violation(
                    "loss_level_and_quantiles",
                    f"{role}.kwargs",
                    f"{loss['class']} is given level {kwargs['level']} and quantiles {kwargs['quantiles']}: "
                    "neuralforecast uses the quantiles and silently drops level",
                    "give level or quantiles, not both",
                    "rule",
                    "neuralforecast #603",
                )
            )
        return violations

    def _declared_loss(self, row: RunPlanRow, role: str, label: str) -> list[Violation]:
        """The registry's model x loss facts, applied only in their context.

        The scan builds `loss=X` alone and `valid_loss=X` beside a point loss: a refused valid_loss is
        an error only when the plan's own loss is a point loss too; otherwise the rehearsal decides.
        """
        accepted, error = self.facts.declared_losses.get((row.model, label, role), (True, ""))
        if not accepted:
            plan_loss = self.facts.loss_entry(row.loss) if row.loss else None
            same_context = role == "loss" or plan_loss is None or plan_loss[1]["family"] == "point"
            if same_context:
                return [
                    Violation(
                        "loss_refused",
                        role,
                        f"{row.model} refuses {role}={label}",
                        "choose a loss the model accepts",
                        "registry",
                        error,
                    )
                ]
            return [
                Violation(
                    "loss_refused_elsewhere",
                    role,
                    f"{row.model} refused {role}={label} beside a point loss ({error[:200]}); the plan's loss is "
                    f"{_loss_text(row.loss)}",
                    "the rehearsal runs the plan's own pair of losses and decides",
                    "registry",
                    error,
                )
            ]
        failed = self._failed_probe(row.model, "fit", role, label)
        if failed:
            return [
                self._probe_violation(
                    row, failed, role, role, f"{row.model} with {role}={label}", "choose another loss"
                )
            ]
        return []

    def _call_arguments(self, row: RunPlanRow) -> list[Violation]:
        violations = []
        for section, (owner, set_by_fcast) in CALL_SECTIONS.items():
            given = getattr(row, section)
            if not isinstance(given, dict):
                continue
            accepted = self.facts.parameters_of(owner)
            if not accepted:
                continue
            takes_any = any(info["kind"] == "VAR_KEYWORD" for info in accepted.values())
            for name, value in given.items():
                field_name = f"{section}.{name}"
                if name in set_by_fcast or (name not in accepted and not takes_any):
                    reason = "fcast passes it itself (from the marts)" if name in set_by_fcast else "no such argument"
                    violations.append(
                        Violation(
                            "unknown_call_argument",
                            field_name,
                            f"{owner} does not take {name!r} from a plan: {reason}",
                            f"remove it; {owner} takes {sorted(set(accepted) - set_by_fcast - {'self'})}",
                            "registry",
                            owner,
                        )
                    )
                    continue
                info = accepted.get(name)
                if info is None:
                    continue
                if name == "prediction_intervals" and (value is True or isinstance(value, dict)):
                    if isinstance(value, dict):  # the plan's form of PredictionIntervals(...)
                        violations.extend(self._prediction_interval_arguments(field_name, value))
                    continue
                violations.extend(self._value_violations(owner, name, value, field_name, info["type"], owner))
        return violations

    def _prediction_interval_arguments(self, field_name: str, value: dict) -> list[Violation]:
        accepted = self.facts.parameters_of("PredictionIntervals")
        violations = []
        for name, given in value.items():
            if accepted and name not in accepted:
                violations.append(
                    Violation(
                        "unknown_call_argument",
                        f"{field_name}.{name}",
                        f"PredictionIntervals takes no argument {name!r}",
                        f"use {sorted(set(accepted) - {'self'})}",
                        "registry",
                        "PredictionIntervals.__init__",
                    )
                )
            elif accepted:
                violations.extend(
                    self._allowed("PredictionIntervals", name, given, f"{field_name}.{name}", accepted[name]["type"])
                )
        return violations

    def _features(self, row: RunPlanRow) -> list[Violation]:
        violations = []
        info = self.facts.models.get(row.model, {})
        for kind, capability in CAPABILITY_FOR_FEATURE.items():
            columns = row.feature_list(kind)
            if not columns:
                continue
            if not info.get(capability, True):
                violations.append(
                    Violation(
                        "unsupported_exogenous",
                        f"features.{kind}",
                        f"{row.model} takes no {kind} exogenous features",
                        f"drop features.{kind} or use a model with {capability.upper()}",
                        "registry",
                        f"{row.model}.{capability.upper()} = False",
                    )
                )
            available = self._available_columns(row.dataset, kind)
            violations.extend(self._feature_nulls(row, kind, [column for column in columns if column in available]))
            missing = sorted(set(columns) - available)
            if missing:
                violations.append(
                    Violation(
                        "missing_feature_columns",
                        f"features.{kind}",
                        f"{row.dataset} has no column(s) {missing}",
                        f"use columns of the feature marts ({sorted(available)[:6]}...)",
                        "data",
                        "nf_train_df / nf_static_df / fct_panel_exogenous",
                    )
                )
        return violations

    def _feature_nulls(self, row: RunPlanRow, kind: str, columns: list[str]) -> list[Violation]:
        """A selected column that is null for some of the dataset's draws (neuralforecast refuses missing values)."""
        nulls = self.facts.feature_nulls.get(row.dataset, {})
        found = {column: nulls[column] for column in columns if column in nulls}
        if not found:
            return []
        embeddings = sorted(
            {EMBEDDING_COLUMN.match(column).group(1) for column in found if EMBEDDING_COLUMN.match(column)}
        )
        adapters = {name.lower(): name for name in FOUNDATION_ADAPTERS}
        commands = [
            f"`fcast features embed --model {adapters.get(key, key)} --game {row.dataset}`" for key in embeddings
        ]
        if any(column.startswith(ANOMALY_COLUMN_PREFIX) for column in found):
            commands.append(f"`fcast features anomaly --game {row.dataset}`")
        if commands:
            suggestion = f"run {' and '.join(commands)} (it rebuilds the marts)"
        else:
            suggestion = "rebuild the feature marts (`fcast build`) or drop the column"
        shown = ", ".join(f"{column} ({missing} of {rows} draws)" for column, (missing, rows) in sorted(found.items()))
        return [
            Violation(
                "feature_not_computed",
                f"features.{kind}",
                f"{row.dataset} has null values in {shown}: training would stop at missing values",
                suggestion,
                "data",
                "marts.nf_train_df",
            )
        ]

    def _available_columns(self, dataset: str, kind: str) -> set[str]:
        prefix = PREFIX_FOR_FEATURE[kind]
        known = self.facts.datasets.get(dataset)
        if dataset in self.facts.panel_features or (known is not None and known.is_panel):
            return {name for name in self.facts.panel_features.get(dataset, ()) if name.startswith(prefix)}
        columns = self.facts.static_columns if kind == "stat" else self.facts.train_columns
        return {column for column in columns if column.startswith(prefix)}

    def _horizon(self, row: RunPlanRow) -> list[Violation]:
        if not isinstance(row.horizon, int) or isinstance(row.horizon, bool) or row.horizon < 1:
            return [
                Violation(
                    "bad_horizon",
                    "horizon",
                    f"horizon={row.horizon!r} must be a positive integer",
                    "set horizon: 1 (the next draw) or more",
                )
            ]
        violations = self._panel_futr_coverage(row)
        available = self.facts.futr_horizon.get(row.dataset)
        if row.feature_list("futr") and available is not None and row.horizon > available:
            violations.append(
                Violation(
                    "horizon_beyond_futr_df",
                    "horizon",
                    f"futr_df holds {available} future draws of {row.dataset}, the plan asks for {row.horizon}",
                    f"use horizon <= {available}, or raise the dbt var futr_max_horizon and rebuild",
                    "data",
                    "nf_futr_df",
                )
            )
        predict_h = row.predict.get("h")
        if isinstance(predict_h, int) and predict_h != row.horizon:  # a non-int h is a wrong_type already
            shape = "3" if predict_h > row.horizon else "1"
            failed = self._failed_probe(row.model, "predict", "h", shape)
            if failed:
                violations.append(
                    Violation(
                        "horizon_mismatch",
                        "predict.h",
                        f"predict h={predict_h} differs from the model's h={row.horizon} and "
                        f"{row.model} {failed.outcome}: {failed.error[:200]}",
                        f"predict with h={row.horizon}",
                        "probe",
                        failed.probe_id,
                    )
                )
        return violations

    def _panel_futr_coverage(self, row: RunPlanRow) -> list[Violation]:
        """A panel's fut_ columns need values for every step of the horizon after each series' last observation."""
        coverage = self.facts.futr_coverage.get(row.dataset, {})
        violations = []
        for column in row.feature_list("futr"):
            if column not in coverage:
                continue  # not a column of the dataset: missing_feature_columns says so
            by_series = coverage[column]
            if row.series != "all":
                by_series = {uid: n for uid, n in by_series.items() if uid == f"{row.dataset}_{row.series}"}
            if not by_series:
                continue
            unique_id, steps = min(by_series.items(), key=lambda item: (item[1], item[0]))
            if steps < row.horizon:
                violations.append(
                    Violation(
                        "horizon_beyond_futr_df",
                        "horizon",
                        f"{column} has future values for {steps} of the {row.horizon} steps after the last "
                        f"observation of {unique_id}: {row.horizon - steps} step(s) short",
                        f"load the next {row.horizon} values of every series with `fcast ingest --panel {row.dataset} "
                        f"--futr FILE` (columns unique_id, ds, {column}), or use horizon <= {steps}",
                        "data",
                        "mart_panel_futr_coverage",
                    )
                )
        return violations

    def _multivariate(self, row: RunPlanRow) -> list[Violation]:
        info = self.facts.models.get(row.model, {})
        n_series = self.facts.selectors.get((row.dataset, row.series))
        if not info.get("multivariate"):
            return []
        given = row.model_args.get("n_series")
        if n_series and given is None:
            return [
                Violation(
                    "multivariate_n_series",
                    "model_args.n_series",
                    f"{row.model} is multivariate and needs n_series",
                    f"set n_series: {n_series}",
                    "registry",
                    f"{row.model}.MULTIVARIATE = True",
                )
            ]
        if n_series and given != n_series:
            return [
                Violation(
                    "multivariate_n_series",
                    "model_args.n_series",
                    f"n_series={given} but selector {row.series} of {row.dataset} holds {n_series} series",
                    f"set n_series: {n_series}",
                    "data",
                    "mart_series_selectors",
                )
            ]
        return []

    def _capability_history(self, row: RunPlanRow) -> list[Violation]:
        """A capability the row relies on that holds in only some of the scanned releases (a warning: the
        row is checked against this environment; pinning another release would change the answer)."""
        relied = [
            (f"features.{kind}", capability)
            for kind, capability in CAPABILITY_FOR_FEATURE.items()
            if row.feature_list(kind)
        ]
        if self.facts.models.get(row.model, {}).get("multivariate"):
            relied.append(("model", "multivariate"))
        violations = []
        for field_name, capability in relied:
            with_flag, without_flag = self.facts.capability_versions(row.model, capability)
            if not (with_flag and without_flag):
                continue
            scanned = self.facts.scanned_versions()
            holds, lacks = version_ranges(with_flag, scanned), version_ranges(without_flag, scanned)
            what = CAPABILITY_WORDS[capability]
            holding = sorted(with_flag + without_flag, key=scanned.index)
            absent = [version for version in scanned if version not in holding]
            missing = f"; {row.model} is not in {version_ranges(absent, scanned)}" if absent else ""
            alternative = "" if field_name == "model" else f", or drop {field_name}"
            violations.append(
                Violation(
                    "capability_changed_across_versions",
                    field_name,
                    f"{row.model} {what} only in {holds} of the scanned releases ({', '.join(holding)}){missing}; "
                    f"this environment is {self.facts.version}",
                    f"pin neuralforecast to {holds}, where {row.model} {what} (not in {lacks}){alternative}",
                    "registry",
                    "marts.registry_capability_history",
                )
            )
        return violations

    def _prediction_outputs(self, row: RunPlanRow) -> list[Violation]:
        violations = []
        for section in ("predict", "cross_validation"):
            block = getattr(row, section)
            if block.get("level") and block.get("quantiles"):
                violations.append(
                    Violation(
                        "level_and_quantiles",
                        section,
                        f"{section} asks for level and quantiles together",
                        "give one of them",
                    )
                )
        asked = [key for key in ("level", "quantiles") if row.predict.get(key) or row.cross_validation.get(key)]
        if not asked:
            return violations
        family = self._loss_family(row)
        if family == "point" and not row.fit.get("prediction_intervals"):
            failed = self._failed_probe(row.model, "predict", asked[0], _label([80] if asked[0] == "level" else [0.5]))
            violations.append(
                Violation(
                    "intervals_need_probabilistic_loss",
                    f"predict.{asked[0]}",
                    f"{asked[0]} with the point loss {_loss_text(row.loss or {'class': 'MAE'})} "
                    "and no prediction_intervals",
                    "use a probabilistic loss (MQLoss, DistributionLoss) or set fit.prediction_intervals",
                    "probe" if failed else "rule",
                    failed.probe_id if failed else "neuralforecast needs intervals or quantile outputs",
                )
            )
        return violations

    def _loss_family(self, row: RunPlanRow) -> str:
        found = self.facts.loss_entry(row.loss or {"class": "MAE", "kwargs": {}})
        return found[1]["family"] if found else "point"

    def _early_stopping(self, row: RunPlanRow) -> list[Violation]:
        patience = row.model_args.get("early_stop_patience_steps", -1)
        if not isinstance(patience, int) or isinstance(patience, bool) or patience <= 0:
            return []
        if not row.fit.get("val_size"):
            failed = self._failed_probe(row.model, "fit", "early_stop_patience_steps", _label("1 with val_size=0"))
            return [
                Violation(
                    "early_stopping_without_validation",
                    "model_args.early_stop_patience_steps",
                    "early stopping needs validation data but fit.val_size is 0",
                    "set fit.val_size >= horizon (for example 2 * horizon) or drop early_stop_patience_steps",
                    "probe" if failed else "rule",
                    failed.probe_id if failed else "",
                )
            ]
        return []

    def _insample(self, row: RunPlanRow) -> list[Violation]:
        if row.predict_insample in (None, False) or not self.facts.models.get(row.model, {}).get("multivariate"):
            return []
        failed = self._failed_probe(row.model, "predict_insample", "", '""')
        return [
            Violation(
                "insample_on_multivariate",
                "predict_insample",
                f"{row.model} is multivariate: insample predictions are not supported",
                "drop predict_insample or use a univariate model",
                "probe" if failed else "registry",
                failed.probe_id if failed else f"{row.model}.MULTIVARIATE",
            )
        ]

    def _resources(self, row: RunPlanRow) -> list[Violation]:
        from fcast.cluster import resource_problems

        return [
            Violation("bad_resources", field, message, "write `resources: {cpus: 1, gpus: 0}` (the defaults)")
            for field, message in resource_problems(row.resources)
        ]

    def _distributed(self, row: RunPlanRow) -> list[Violation]:
        """A distributed row: its block, then what the distributed-fit probes (fcast.probe.distributed) saw here."""
        if not row.distributed:
            return []
        from fcast.probe.distributed import VARIANT_MODELS, VARIANTS, distributed_probe_key

        violations = distributed_block_violations(row)
        if violations:
            return violations
        base = self.facts.probe(*distributed_probe_key(row.model))
        if base is None:
            violations.append(
                Violation(
                    "distributed_fit_not_probed",
                    "model",
                    f"no distributed-fit probe of {row.model} is recorded for {self.facts.env_key}",
                    f"run `fcast registry probe --distributed --models {row.model}` to know before training; "
                    "the rehearsal runs the row on Spark either way",
                    "registry",
                    "raw.registry_probes (method fit_distributed)",
                )
            )
        elif base.outcome in (*FAILING_OUTCOMES, "ignored") and not self._fails_locally(row.model):
            violations.append(
                Violation(
                    "distributed_fit_unsupported",
                    "model",
                    f"neuralforecast {self.facts.version} cannot train {row.model} distributed: its Spark fit "
                    f"probe {base.outcome} ({base.error[:300]})",
                    f"drop `distributed` to train {row.model} on one machine, or use a model whose distributed probe "
                    "ran (`fcast registry probe --distributed` lists them in raw.registry_probes)",
                    "probe",
                    base.probe_id,
                )
            )
            return violations
        for variant in VARIANTS:
            asked = [field for field in variant.fields if _asks(row, field)]
            if not asked:
                continue
            probed = [self.facts.probe(*distributed_probe_key(name, variant)) for name in (row.model, *VARIANT_MODELS)]
            failed = next((probe for probe in probed if probe is not None), None)
            if failed is None or failed.outcome not in (*FAILING_OUTCOMES, "ignored"):
                continue
            violations.append(
                Violation(
                    "distributed_call_unsupported",
                    asked[0],
                    f"a distributed fit with {variant.argument} ({variant.value_label}) {failed.outcome} in its "
                    f"probe: {failed.error[:300]}",
                    f"drop {asked[0]} from the row (and from the plan's defaults), or drop `distributed` to train "
                    "on one machine",
                    "probe",
                    failed.probe_id,
                )
            )
        return violations

    def _fails_locally(self, model: str) -> bool:
        """The model's plain (one-machine) fit probe failed too: its distributed failure says nothing about Spark
        (tiny probe data, not the distribution), so the other rules and the rehearsal decide."""
        local = self.facts.probe(model, "fit", "", _label(""))  # the matrix labels its baselines '""'
        return local is not None and local.failed

    def _auto_search(self, row: RunPlanRow) -> list[Violation]:
        backend = row.backend
        if not backend:
            return []
        violations = []
        if backend not in ("ray", "optuna"):
            return [
                Violation(
                    "unknown_backend",
                    "search.backend",
                    f"backend {backend!r} is not ray or optuna",
                    "use optuna or ray",
                )
            ]
        if not self.facts.models.get(row.model, {}).get("auto_class"):
            violations.append(
                Violation(
                    "no_auto_model",
                    "model",
                    f"{row.model} has no Auto counterpart",
                    "search with a model that has one, or drop search",
                    "registry",
                    "registry_model_capabilities.auto_class",
                )
            )
        for name, spec in (row.search.get("config") or {}).items():
            violations.extend(_search_space_violations(backend, name, spec))
        return violations


def _asks(row: RunPlanRow, field: str) -> bool:
    """The row asks for what a distributed variant probe tries (its field, fcast.probe.distributed.VARIANTS)."""
    section, _, key = field.partition(".")
    if section == "features":
        return bool(row.feature_list(key))
    value = getattr(row, section)
    if not key:
        return value not in (None, False, {}, [])
    return isinstance(value, dict) and value.get(key) not in (None, False, [])


def distributed_block_violations(row: RunPlanRow) -> list[Violation]:
    """A malformed `distributed` block: unknown keys, an engine neuralforecast lacks, sizes that are not counts."""
    from fcast.library.spark import BLOCK_KEYS, ENGINES

    block = row.distributed
    violations = [
        Violation(
            "distributed_unknown_key",
            f"distributed.{key}",
            f"{key!r} is not a key of a distributed block",
            f"write `distributed: {{engine: spark, num_nodes: 1, devices: 1}}` (keys {', '.join(BLOCK_KEYS)})",
        )
        for key in sorted(set(block) - set(BLOCK_KEYS), key=str)
    ]
    engine = block.get("engine")
    if engine not in ENGINES:
        violations.append(
            Violation(
                "distributed_unknown_engine",
                "distributed.engine",
                f"engine {engine!r} is not one neuralforecast's DistributedConfig trains on ({', '.join(ENGINES)})",
                "set `engine: spark`, or drop `distributed` to train on one machine",
                "registry",
                "neuralforecast.DistributedConfig",
            )
        )
    for key in ("num_nodes", "devices"):
        value = block.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            violations.append(
                Violation(
                    "distributed_bad_size",
                    f"distributed.{key}",
                    f"{key} is {value!r}; neuralforecast trains on num_nodes x devices processes",
                    f"set {key} to a positive integer (1 on one machine)",
                )
            )
    return violations


def foundation_violations(row: RunPlanRow, info: dict) -> list[Violation]:
    """What a foundation model cannot do, from its scanned capabilities: weights, horizon, context, quantile grid,
    fine-tuning, and the neuralforecast-only parts of a row."""
    evidence = f"registry_foundation_capabilities of {row.model} ({info['env_key']})"
    violations = []
    adapter = adapter_class(row.model)
    if info["needs_checkpoint"]:
        problem = checkpoint_problem(adapter, row.model_args.get("checkpoint"))
        if problem:
            violations.append(
                Violation(
                    "foundation_checkpoint_missing",
                    "model_args.checkpoint",
                    problem,
                    f"put its weights in {info['default_checkpoint']}/ under FCAST_TSFM_HOME",
                    "registry",
                    evidence,
                )
            )
    elif hasattr(importlib.import_module(adapter.__module__), "api_key_problem"):
        problem = importlib.import_module(adapter.__module__).api_key_problem()
        if problem:
            violations.append(
                Violation("foundation_api_key_missing", "model", problem, "set NIXTLA_API_KEY", "rule", row.model)
            )
    if isinstance(row.horizon, int) and row.horizon > info["max_horizon"]:
        violations.append(
            Violation(
                "foundation_horizon_too_long",
                "horizon",
                f"{row.model} answers at most {info['max_horizon']} steps in one call; the plan asks {row.horizon}",
                f"use horizon <= {info['max_horizon']}",
                "registry",
                evidence,
            )
        )
    context = row.model_args.get("context_length")
    if isinstance(context, int) and not isinstance(context, bool) and not 1 <= context <= info["max_context"]:
        violations.append(
            Violation(
                "foundation_context_too_long",
                "model_args.context_length",
                f"context_length={context}: {row.model} reads between 1 and {info['max_context']} draws",
                f"use a context_length up to {info['max_context']} (or leave it out: the model's maximum)",
                "registry",
                evidence,
            )
        )
    for section in ("predict", "cross_validation"):
        arguments = getattr(row, section)
        asked = [(f"{section}.level", 0.5 - float(v) / 200) for v in arguments.get("level") or []]
        asked += [(f"{section}.quantiles", float(v)) for v in arguments.get("quantiles") or []]
        outside = sorted(
            {where for where, q in asked if not info["quantile_min"] - 1e-9 <= q <= info["quantile_max"] + 1e-9}
        )
        for where in outside:
            violations.append(
                Violation(
                    "foundation_quantiles_outside_grid",
                    where,
                    f"{row.model} forecasts quantiles {info['quantile_min']}..{info['quantile_max']}; the plan asks "
                    f"{arguments.get(where.split('.')[1])}",
                    f"ask levels up to {round((1 - 2 * info['quantile_min']) * 100)} (quantiles within the grid)",
                    "registry",
                    evidence,
                )
            )
    steps = row.model_args.get("fine_tune_steps")
    if steps and not info["fine_tuning"]:
        violations.append(
            Violation(
                "foundation_cannot_fine_tune",
                "model_args.fine_tune_steps",
                f"{row.model} cannot be fine-tuned through fcast (zero-shot only)",
                "drop fine_tune_steps, or use Chronos2 or TimeGPT to fine-tune",
                "registry",
                evidence,
            )
        )
    unsupported = {
        "search": "a hyperparameter search",
        "predict_insample": "insample predictions",
        "fit.prediction_intervals": "conformal prediction intervals (its quantiles give the intervals)",
        "cross_validation.prediction_intervals": "conformal prediction intervals (its quantiles give the intervals)",
        "cross_validation.refit": "refitting per window (each window is forecast from its own context)",
        "neuralforecast.local_scaler_type": "neuralforecast's scalers",
    }
    for where, what in unsupported.items():
        section, _, key = where.partition(".")
        value = getattr(row, section)
        present = value.get(key) if key and isinstance(value, dict) else value
        if present not in (None, False, {}, [], 0):
            violations.append(
                Violation(
                    "foundation_unsupported_call",
                    where,
                    f"{row.model} is a pre-trained foundation model: it has no {what}",
                    f"remove {where} from this row",
                    "rule",
                    "fcast.library.foundation.forecaster",
                )
            )
    for role in ("loss", "valid_loss"):
        if getattr(row, role):
            violations.append(
                Violation(
                    "foundation_loss_unused",
                    role,
                    f"{row.model} trains no loss of the plan (zero-shot; fine-tuning uses the model's own loss)",
                    f"leave {role} out of this row (a plan default applies to every row)",
                    "rule",
                    row.model,
                )
            )
    return violations


def _search_space_violations(backend: str, name: str, spec: Any) -> list[Violation]:
    field_name = f"search.config.{name}"
    if not isinstance(spec, dict):
        return []
    if "choices" in spec:
        if not isinstance(spec["choices"], list) or not spec["choices"]:
            return [
                Violation(
                    "bad_search_space",
                    field_name,
                    f"choices must be a non-empty list, not {spec['choices']!r}",
                    "give {choices: [a, b, ...]}",
                )
            ]
        bad = [choice for choice in spec["choices"] if not isinstance(choice, OPTUNA_CATEGORICAL_TYPES)]
        if backend == "optuna" and bad:
            return [
                Violation(
                    "optuna_refuses_choices",
                    field_name,
                    f"optuna categorical choices must be None, bool, int, float or str; got {bad[:3]}",
                    "encode each choice as a string and decode it in the config",
                    "rule",
                    "optuna.distributions.CategoricalDistribution",
                )
            ]
        return []
    low, high = spec.get("low"), spec.get("high")
    if low is None or high is None:
        return [
            Violation(
                "bad_search_space",
                field_name,
                "a range needs low and high (or a list of choices)",
                "give {low: .., high: ..} or {choices: [..]}",
            )
        ]
    numbers = all(isinstance(bound, (int, float)) and not isinstance(bound, bool) for bound in (low, high))
    if not numbers:
        return [
            Violation(
                "bad_search_space",
                field_name,
                f"low={low!r} and high={high!r} must be numbers",
                "give numeric bounds",
            )
        ]
    if low > high:
        return [Violation("bad_search_space", field_name, f"low={low} is above high={high}", "swap them")]
    if spec.get("log") and low <= 0:
        return [
            Violation(
                "bad_search_space",
                field_name,
                f"a log range needs low > 0, got {low}",
                "use a positive low",
                "rule",
                "optuna FloatDistribution(log=True)",
            )
        ]
    return []


def _loss_text(loss: dict | None) -> str:
    if not loss:
        return "the model's default"
    kwargs = loss.get("kwargs") or {}
    if not kwargs:
        return loss["class"]
    inner = ", ".join(f"{key}={value}" for key, value in sorted(kwargs.items()))
    return f"{loss['class']}({inner})"


def validate_rows(
    rows: list[RunPlanRow],
    facts: RegistryFacts | None = None,
    store: bool = True,
    rehearse: bool = False,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> list[ValidationResult]:
    """Validate plan rows: the static rules, then (rehearse=True) a one-step rehearsal of each row they
    accept, on the trainer's own path; store rows, outcomes and violations beside the plan."""
    facts = facts or RegistryFacts.load()
    validator = PlanValidator(facts)
    results = [validator.validate(row) for row in rows]
    if rehearse:
        from fcast.plans.rehearse import apply_rehearsals, rehearse_rows

        accepted = [result.row for result in results if result.valid]
        apply_rehearsals(results, rehearse_rows(accepted, facts.env_key, workers=workers, progress=progress))
    if store:
        store_results(results)
    return results


def store_results(results: list[ValidationResult]) -> None:
    now = utc_now()
    with db.connect() as warehouse:
        if warehouse.target == "postgres":
            # Processes validating the same rows at once (`fcast validate` beside `fcast train` of one plan) would
            # deadlock: each deletes a row the other re-inserts. One store at a time; it takes milliseconds.
            warehouse.execute("select pg_advisory_xact_lock(hashtext('fcast.plan_validations'))")
        for result in results:
            row = result.row
            warehouse.execute(
                f"delete from {PLAN_VIOLATIONS.qualified_name} where plan_id = ? and env_key = ?",
                (row.plan_id, result.env_key),
            )
            warehouse.execute(
                f"delete from {PLAN_VALIDATIONS.qualified_name} where plan_id = ? and env_key = ?",
                (row.plan_id, result.env_key),
            )
        warehouse.insert_rows(
            RUN_PLANS,
            [
                {
                    "plan_id": r.row.plan_id,
                    "plan_name": r.row.plan_name,
                    "plan_source": r.row.source,
                    "row_index": r.row.row_index,
                    "run_name": r.row.run_name,
                    "dataset": r.row.dataset,
                    "series_selector": r.row.series,
                    "model_class": r.row.model,
                    "loss_class": (r.row.loss or {}).get("class", ""),
                    "valid_loss_class": (r.row.valid_loss or {}).get("class", ""),
                    "horizon": int(r.row.horizon) if isinstance(r.row.horizon, int) else 0,
                    "backend": r.row.backend,
                    "spec_json": json.dumps(r.row.spec(), sort_keys=True, default=str),
                    "created_at": now,
                }
                for r in results
            ],
        )
        warehouse.insert_rows(
            PLAN_VALIDATIONS,
            [
                {
                    "plan_id": r.row.plan_id,
                    "env_key": r.env_key,
                    "status": "valid" if r.valid else "rejected",
                    "violations": len(r.errors),
                    "warnings": len(r.violations) - len(r.errors),
                    "validated_at": now,
                }
                for r in results
            ],
        )
        warehouse.insert_rows(
            PLAN_VIOLATIONS,
            [
                {
                    "plan_id": r.row.plan_id,
                    "env_key": r.env_key,
                    "rule": v.rule,
                    "field": v.field,
                    "severity": v.severity,
                    "message": v.message,
                    "suggestion": v.suggestion,
                    "evidence_kind": v.evidence_kind,
                    "evidence": v.evidence[:2000],
                }
                for r in results
                for v in r.violations
            ],
        )
