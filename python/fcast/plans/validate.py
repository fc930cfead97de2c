"""The plan validator: every violation of a run plan before any training starts, with the evidence.

Rules come from the registry of the installed version (arguments, types, allowed values,
capabilities, the loss catalogue, removed arguments) and from the probes (what really raised on
this version), plus the warehouse (features, series selectors, the futr_df horizon).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fcast import db
from fcast.ingest.records import utc_now
from fcast.plans.spec import RunPlanRow
from fcast.raw_schema import PLAN_VALIDATIONS, PLAN_VIOLATIONS, RUN_PLANS

FAILING_OUTCOMES = ("raised", "timeout", "crashed", "nan_output")
OPTUNA_CATEGORICAL_TYPES = (type(None), bool, int, float, str)
CAPABILITY_FOR_FEATURE = {"futr": "exogenous_futr", "hist": "exogenous_hist", "stat": "exogenous_stat"}
PREFIX_FOR_FEATURE = {"futr": "fut_", "hist": "hist_", "stat": "stat_"}


@dataclass
class Violation:
    rule: str
    field: str
    message: str
    suggestion: str
    evidence_kind: str = "rule"
    evidence: str = ""
    severity: str = "error"

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


@dataclass
class RegistryFacts:
    """What the validator reads from the warehouse for one neuralforecast environment key."""

    env_key: str
    version: str
    models: dict[str, dict]
    parameters: dict[str, dict[str, dict]]
    allowed: dict[tuple[str, str], dict[str, list[str]]]
    losses: dict[str, dict]
    declared_losses: dict[tuple[str, str, str], tuple[bool, str]]
    probes: dict[tuple[str, str, str, str], tuple[str, str, str]]
    removed: dict[tuple[str, str], str]
    train_columns: set[str]
    static_columns: set[str]
    selectors: dict[tuple[str, str], int]
    futr_horizon: dict[str, int]
    panel_features: dict[str, set[str]]

    @classmethod
    def load(cls, env_key: str | None = None) -> RegistryFacts:
        with db.connect(read_only=True) as warehouse:
            return _load_facts(warehouse, env_key)


def _columns(warehouse: db.Warehouse, schema: str, table: str) -> set[str]:
    rows = warehouse.fetchall(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        (schema, table),
    )
    return {row[0] for row in rows}


def _load_facts(warehouse: db.Warehouse, env_key: str | None) -> RegistryFacts:
    if env_key is None:
        rows = warehouse.fetchall(
            "select env_key from raw.registry_environments where library = 'neuralforecast' and status = 'scanned' "
            "order by scanned_at desc"
        )
        if not rows:
            raise LookupError("the registry holds no neuralforecast scan: run `fcast registry scan` first")
        env_key = rows[0][0]
    version = env_key.split("|")[0].split("==")[-1]
    models = {
        row[0]: {
            "can_build": bool(row[1]),
            "build_error": row[2],
            "multivariate": bool(row[3]),
            "recurrent": bool(row[4]),
            "exogenous_futr": bool(row[5]),
            "exogenous_hist": bool(row[6]),
            "exogenous_stat": bool(row[7]),
            "auto_class": row[8],
        }
        for row in warehouse.fetchall(
            "select model_class, can_build, build_error, multivariate, recurrent, exogenous_futr, exogenous_hist, "
            "exogenous_stat, auto_class from raw.registry_model_capabilities where env_key = ? and scope = 'class'",
            (env_key,),
        )
    }
    parameters: dict[str, dict[str, dict]] = {}
    for symbol, name, normalized, required, kind in warehouse.fetchall(
        "select symbol, parameter, normalized_type, required, kind from raw.registry_parameters "
        "where env_key = ? and (symbol like 'neuralforecast.models.%.__init__' or symbol like 'neuralforecast.core.%')",
        (env_key,),
    ):
        owner = symbol.split(".")[-2] if symbol.endswith("__init__") and ".models." in symbol else symbol
        parameters.setdefault(owner, {})[name] = {"type": normalized, "required": bool(required), "kind": kind}
    allowed: dict[tuple[str, str], dict[str, list[str]]] = {}
    for symbol, name, value, source in warehouse.fetchall(
        "select symbol, parameter, allowed_value, value_source from raw.registry_allowed_values where env_key = ?",
        (env_key,),
    ):
        owner = symbol.split(".")[-2] if ".models." in symbol and symbol.endswith("__init__") else symbol
        allowed.setdefault((owner, name), {}).setdefault(source, []).append(value)
    losses = {
        row[0] + (f"({row[1]})" if row[1] else ""): {
            "class": row[0],
            "variant": row[1],
            "family": row[2],
            "trainable": bool(row[3]),
            "training_error": row[4],
        }
        for row in warehouse.fetchall(
            "select loss_class, loss_variant, family, trainable, training_error from raw.registry_losses "
            "where env_key = ?",
            (env_key,),
        )
    }
    declared = {
        (row[0], row[1] + (f"({row[2]})" if row[2] else ""), row[3]): (bool(row[4]), row[5])
        for row in warehouse.fetchall(
            "select model_class, loss_class, loss_variant, role, accepted, error from raw.registry_model_losses "
            "where env_key = ?",
            (env_key,),
        )
    }
    probes = {
        (row[0], row[1], row[2], row[3]): (row[4], row[5], f"{row[6]}: {row[7]}".strip(": "))
        for row in warehouse.fetchall(
            "select model_class, method, argument, value_label, outcome, probe_id, error_type, error_message "
            "from raw.registry_probes where env_key = ?",
            (env_key,),
        )
    }
    removed = {}
    if warehouse.table_exists("marts", "registry_version_changes"):
        for symbol, name, from_version in warehouse.fetchall(
            "select symbol, parameter, from_version from marts.registry_version_changes "
            "where library = 'neuralforecast' and change_kind = 'parameter_removed' and to_version = ?",
            (version,),
        ):
            owner = symbol.split(".")[-2] if ".models." in symbol and symbol.endswith("__init__") else symbol
            removed[(owner, name)] = from_version
    selectors, futr_horizon, panel_features = {}, {}, {}
    if warehouse.table_exists("marts", "mart_series_selectors"):
        for game, selector, n_series in warehouse.fetchall(
            "select game_code, selector_name, max(n_series) from marts.mart_series_selectors group by 1, 2"
        ):
            selectors[(game, selector)] = int(n_series)
    if warehouse.table_exists("marts", "nf_futr_df"):
        for unique_id, steps in warehouse.fetchall(
            "select unique_id, count(*) from marts.nf_futr_df group by unique_id"
        ):
            game = unique_id.rsplit("_N", 1)[0]
            futr_horizon[game] = min(futr_horizon.get(game, int(steps)), int(steps))
    if warehouse.table_exists("marts", "fct_panel_exogenous"):
        for dataset, feature in warehouse.fetchall(
            "select distinct dataset_name, feature_name from marts.fct_panel_exogenous"
        ):
            panel_features.setdefault(dataset, set()).add(feature)
        for (dataset,) in warehouse.fetchall(
            "select distinct dataset_name from marts.fct_series_long where dataset_name <> 'lottery'"
        ):
            selectors[(dataset, "all")] = 0
    return RegistryFacts(
        env_key,
        version,
        models,
        parameters,
        allowed,
        losses,
        declared,
        probes,
        removed,
        _columns(warehouse, "marts", "nf_train_df"),
        _columns(warehouse, "marts", "nf_static_df"),
        selectors,
        futr_horizon,
        panel_features,
    )


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


class PlanValidator:
    def __init__(self, facts: RegistryFacts) -> None:
        self.facts = facts

    def validate(self, row: RunPlanRow) -> ValidationResult:
        result = ValidationResult(row, self.facts.env_key)
        checks = (
            self._dataset,
            self._model,
            self._arguments,
            self._losses,
            self._features,
            self._horizon,
            self._multivariate,
            self._prediction_outputs,
            self._early_stopping,
            self._insample,
            self._auto_search,
        )
        for check in checks:
            result.violations.extend(check(row))
            if any(v.rule in ("unknown_model", "model_cannot_build") for v in result.violations):
                break
        return result

    # --- one method per rule family -----------------------------------------------------------

    def _probe(self, model: str, method: str, argument: str, value_label: str) -> tuple[str, str, str] | None:
        found = self.facts.probes.get((model, method, argument, value_label))
        return found if found and found[0] in FAILING_OUTCOMES else None

    def _dataset(self, row: RunPlanRow) -> list[Violation]:
        datasets = {dataset for dataset, _ in self.facts.selectors}
        if row.dataset not in datasets:
            return [
                Violation(
                    "unknown_dataset",
                    "dataset",
                    f"{row.dataset!r} is neither a game nor a loaded panel",
                    f"use one of {sorted(datasets)}",
                    "data",
                    "mart_series_selectors",
                )
            ]
        if row.dataset in self.facts.panel_features or (row.dataset, row.series) in self.facts.selectors:
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

    def _model(self, row: RunPlanRow) -> list[Violation]:
        info = self.facts.models.get(row.model)
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
        accepted = self.facts.parameters.get(row.model, {})
        violations = []
        for name, value in row.model_args.items():
            field_name = f"model_args.{name}"
            if name not in accepted:
                removed_in = self.facts.removed.get((row.model, name))
                evidence = (
                    f"removed after neuralforecast {removed_in}"
                    if removed_in
                    else f"not a parameter of {row.model}.__init__"
                )
                close = difflib.get_close_matches(name, list(accepted), n=3)
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
            normalized = accepted[name]["type"]
            if not _type_ok(value, normalized):
                violations.append(
                    Violation(
                        "wrong_type",
                        field_name,
                        f"{name}={value!r} is not a {normalized}",
                        f"give a {normalized}",
                        "registry",
                        f"{row.model}.__init__ type",
                    )
                )
                continue
            violations.extend(self._allowed(row.model, name, value, field_name))
            failed = self._probe(row.model, "fit", name, _label(value))
            if failed:
                violations.append(
                    Violation(
                        "probe_failed",
                        field_name,
                        f"{name}={value!r} {failed[0]} on this version: {failed[2][:300]}",
                        f"change {name}",
                        "probe",
                        failed[1],
                    )
                )
        return violations

    def _allowed(self, owner: str, name: str, value: Any, field_name: str) -> list[Violation]:
        sources = self.facts.allowed.get((owner, name), {})
        strict = {
            source: values
            for source, values in sources.items()
            if source.startswith(("library_check", "literal_annotation"))
        }
        text = value if isinstance(value, str) else _label(value)
        if value is None or not sources:
            return []
        if strict and not any(text in values for values in strict.values()):
            source, values = next(iter(strict.items()))
            return [
                Violation(
                    "value_not_allowed",
                    field_name,
                    f"{name}={value!r} is not accepted",
                    f"use one of {sorted(set(values))}",
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
                    "warning",
                )
            ]
        return []

    def _losses(self, row: RunPlanRow) -> list[Violation]:
        violations = []
        for role, loss in (("loss", row.loss), ("valid_loss", row.valid_loss)):
            if not loss:
                continue
            label = _loss_label(loss)
            entry = self.facts.losses.get(label) or self.facts.losses.get(loss["class"])
            if entry is None:
                violations.append(
                    Violation(
                        "unknown_loss",
                        role,
                        f"{label} is not a loss of neuralforecast {self.facts.version}",
                        f"use one of {sorted({v['class'] for v in self.facts.losses.values()})}",
                        "registry",
                        "registry_losses",
                    )
                )
                continue
            if role == "loss" and not entry["trainable"]:
                violations.append(
                    Violation(
                        "loss_not_trainable",
                        role,
                        f"{label} cannot be used for training",
                        "use MAE, MSE, MQLoss, DistributionLoss, ...",
                        "registry",
                        entry["training_error"],
                    )
                )
                continue
            accepted, error = self.facts.declared_losses.get((row.model, label, role), (True, ""))
            failed = self._probe(row.model, "fit", role, label)
            if not accepted:
                violations.append(
                    Violation(
                        "loss_refused",
                        role,
                        f"{row.model} refuses {role}={label}",
                        "choose a loss the model accepts",
                        "registry",
                        error,
                    )
                )
            elif failed:
                violations.append(
                    Violation(
                        "probe_failed",
                        role,
                        f"{row.model} with {role}={label} {failed[0]} in a real fit: {failed[2][:300]}",
                        "choose another loss",
                        "probe",
                        failed[1],
                    )
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

    def _available_columns(self, dataset: str, kind: str) -> set[str]:
        prefix = PREFIX_FOR_FEATURE[kind]
        if dataset in self.facts.panel_features:
            return {name for name in self.facts.panel_features[dataset] if name.startswith(prefix)}
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
        violations = []
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
        if predict_h is not None and predict_h != row.horizon:
            shape = "3" if predict_h > row.horizon else "1"
            failed = self._probe(row.model, "predict", "h", shape)
            if failed:
                violations.append(
                    Violation(
                        "horizon_mismatch",
                        "predict.h",
                        f"predict h={predict_h} differs from the model's h={row.horizon} and "
                        f"{row.model} {failed[0]}: {failed[2][:200]}",
                        f"predict with h={row.horizon}",
                        "probe",
                        failed[1],
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

    def _prediction_outputs(self, row: RunPlanRow) -> list[Violation]:
        asked = [key for key in ("level", "quantiles") if row.predict.get(key) or row.cross_validation.get(key)]
        if not asked:
            return []
        violations = []
        if "level" in asked and "quantiles" in asked:
            violations.append(
                Violation(
                    "level_and_quantiles", "predict", "level and quantiles are given together", "give one of them"
                )
            )
        family = self._loss_family(row)
        if family == "point" and not row.fit.get("prediction_intervals"):
            failed = self._probe(row.model, "predict", asked[0], _label([80] if asked[0] == "level" else [0.5]))
            violations.append(
                Violation(
                    "intervals_need_probabilistic_loss",
                    f"predict.{asked[0]}",
                    f"{asked[0]} with the point loss {_loss_label(row.loss or {'class': 'MAE'})} "
                    "and no prediction_intervals",
                    "use a probabilistic loss (MQLoss, DistributionLoss) or set fit.prediction_intervals",
                    "probe" if failed else "rule",
                    failed[1] if failed else "neuralforecast needs intervals or quantile outputs",
                )
            )
        return violations

    def _loss_family(self, row: RunPlanRow) -> str:
        loss = row.loss or {"class": "MAE", "kwargs": {}}
        entry = self.facts.losses.get(_loss_label(loss)) or self.facts.losses.get(loss["class"])
        return entry["family"] if entry else "point"

    def _early_stopping(self, row: RunPlanRow) -> list[Violation]:
        patience = row.model_args.get("early_stop_patience_steps", -1)
        if isinstance(patience, int) and patience > 0 and not row.fit.get("val_size"):
            failed = self._probe(row.model, "fit", "early_stop_patience_steps", _label("1 with val_size=0"))
            return [
                Violation(
                    "early_stopping_without_validation",
                    "model_args.early_stop_patience_steps",
                    "early stopping needs validation data but fit.val_size is 0",
                    "set fit.val_size > 0 (for example 2 * horizon) or drop early_stop_patience_steps",
                    "probe" if failed else "rule",
                    failed[1] if failed else "",
                )
            ]
        return []

    def _insample(self, row: RunPlanRow) -> list[Violation]:
        if row.predict_insample is None or not self.facts.models.get(row.model, {}).get("multivariate"):
            return []
        failed = self._probe(row.model, "predict_insample", "", '""')
        return [
            Violation(
                "insample_on_multivariate",
                "predict_insample",
                f"{row.model} is multivariate: insample predictions are not supported",
                "drop predict_insample or use a univariate model",
                "probe" if failed else "registry",
                failed[1] if failed else f"{row.model}.MULTIVARIATE",
            )
        ]

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


def _search_space_violations(backend: str, name: str, spec: Any) -> list[Violation]:
    field_name = f"search.config.{name}"
    if not isinstance(spec, dict):
        return []
    if "choices" in spec:
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


def _loss_label(loss: dict) -> str:
    kwargs = loss.get("kwargs") or {}
    if not kwargs:
        return loss["class"]
    inner = ",".join(f"{key}={value}" for key, value in sorted(kwargs.items()))
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
                (
                    r.row.plan_id,
                    r.row.plan_name,
                    r.row.source,
                    r.row.row_index,
                    r.row.run_name,
                    r.row.dataset,
                    r.row.series,
                    r.row.model,
                    (r.row.loss or {}).get("class", ""),
                    (r.row.valid_loss or {}).get("class", ""),
                    int(r.row.horizon) if isinstance(r.row.horizon, int) else 0,
                    r.row.backend,
                    json.dumps(r.row.spec(), sort_keys=True, default=str),
                    now,
                )
                for r in results
            ],
        )
        warehouse.insert_rows(
            PLAN_VALIDATIONS,
            [
                (
                    r.row.plan_id,
                    r.env_key,
                    "valid" if r.valid else "rejected",
                    len(r.errors),
                    len(r.violations) - len(r.errors),
                    now,
                )
                for r in results
            ],
        )
        warehouse.insert_rows(
            PLAN_VIOLATIONS,
            [
                (
                    r.row.plan_id,
                    r.env_key,
                    v.rule,
                    v.field,
                    v.severity,
                    v.message,
                    v.suggestion,
                    v.evidence_kind,
                    v.evidence[:2000],
                )
                for r in results
                for v in r.violations
            ],
        )
