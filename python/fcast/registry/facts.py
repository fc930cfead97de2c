"""The registry read model: typed facts of one scanned neuralforecast environment, read once.

The validator, the prober (`for_prober`) and the UI ask this one object; it can be built by hand in
a fast test. Keys of `parameters` and `allowed`:

- a model class name (`NHITS`): its `__init__`;
- `loss:<Class>`: a loss class's `__init__`;
- `trainer`: the Lightning Trainer, which takes every model's `**trainer_kwargs`;
- `NeuralForecast.<method>`: `__init__`, `fit`, `cross_validation`, `predict`, `predict_insample`;
- `PredictionIntervals`: the arguments of `fit.prediction_intervals`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fcast import db
from fcast.datasets import Dataset, load_datasets, loaded_but_not_built
from fcast.errors import NotFoundError
from fcast.registry.environment import distribution_version, version_sort_key

TRAINER = "trainer"
TRAINER_SYMBOL = "pytorch_lightning.trainer.trainer.Trainer.__init__"
CORE_PREFIX = "neuralforecast.core.NeuralForecast."
LOSS_PREFIX = "neuralforecast.losses.pytorch."
PREDICTION_INTERVALS_SYMBOL = "neuralforecast.utils.PredictionIntervals.__init__"
STRICT_SOURCES = ("library_check", "literal_annotation")
FAILING_OUTCOMES = ("raised", "timeout", "crashed", "nan_output")
# The class-scope flags of marts.registry_capability_history kept per scanned version.
HISTORY_FLAGS = (
    "exogenous_futr",
    "exogenous_hist",
    "exogenous_stat",
    "exogenous_cat",
    "multivariate",
    "recurrent",
    "can_build",
)


def owner_of(symbol: str) -> str | None:
    """The facts key of a scanned symbol (None for symbols the read model does not keep)."""
    if symbol == TRAINER_SYMBOL:
        return TRAINER
    if symbol == PREDICTION_INTERVALS_SYMBOL:
        return "PredictionIntervals"
    if symbol.startswith(CORE_PREFIX):
        return "NeuralForecast." + symbol[len(CORE_PREFIX) :]
    if symbol.startswith(LOSS_PREFIX) and symbol.endswith(".__init__"):
        return "loss:" + symbol.split(".")[-2]
    if symbol.startswith("neuralforecast.models.") and symbol.endswith(".__init__"):
        return symbol.split(".")[-2]
    return None


@dataclass(frozen=True)
class ProbeFact:
    """One probe of the matrix: what the call did, and the context it ran in."""

    outcome: str
    probe_id: str
    error: str
    spec: dict = field(default_factory=dict, hash=False)
    context: dict = field(default_factory=dict, hash=False)  # series_count, series_length, context_label

    @property
    def failed(self) -> bool:
        return self.outcome in FAILING_OUTCOMES


@dataclass
class RegistryFacts:
    """What fcast knows of one neuralforecast environment key (and of the warehouse's datasets)."""

    env_key: str
    version: str
    models: dict[str, dict]
    parameters: dict[str, dict[str, dict]]
    allowed: dict[tuple[str, str], dict[str, list[str]]]
    losses: dict[str, dict]
    declared_losses: dict[tuple[str, str, str], tuple[bool, str]]
    probes: dict[tuple[str, str, str, str], ProbeFact]
    removed: dict[tuple[str, str], str]
    train_columns: set[str]
    static_columns: set[str]
    selectors: dict[tuple[str, str], int]
    futr_horizon: dict[str, int]
    panel_features: dict[str, set[str]]
    # model class -> [(version, {flag: bool})], oldest first: every scanned release of neuralforecast
    # (marts.registry_capability_history; empty until the registry marts are built).
    capability_history: dict[str, list[tuple[str, dict[str, bool]]]] = field(default_factory=dict)
    # The datasets of marts.mart_datasets (games and panels with their time axis), panels loaded into raw
    # but not yet built, and per panel, fut_ column and series the future steps it has values for.
    datasets: dict[str, Dataset] = field(default_factory=dict)
    unbuilt_datasets: tuple[str, ...] = ()
    futr_coverage: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    # Foundation-model adapters (fcast.library.foundation) scanned under their own libraries: capabilities with
    # the env_key and library they were scanned under; their constructors are in `parameters`, their flags in
    # `models` like any model's.
    foundation: dict[str, dict] = field(default_factory=dict)
    # game -> {hist_/fut_ column of marts.nf_train_df: (draws where it is null, draws)}, only columns with nulls
    # (the embedding features stay null until `fcast features embed` computes them).
    feature_nulls: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    # model class -> {(argument, value as scanned, e.g. ('recurrent', 'true')): flags of an instance built with it}
    capability_overrides: dict[str, dict[tuple[str, str], dict[str, bool]]] = field(default_factory=dict)

    @classmethod
    def load(cls, env_key: str | None = None) -> RegistryFacts:
        with db.connect(read_only=True) as warehouse:
            return _load_facts(warehouse, env_key)

    # --- questions ---------------------------------------------------------------------------

    def is_foundation(self, model: str) -> bool:
        return model in self.foundation

    def parameters_of(self, owner: str) -> dict[str, dict]:
        return self.parameters.get(owner, {})

    def takes_trainer_kwargs(self, model: str) -> bool:
        return any(info["kind"] == "VAR_KEYWORD" for info in self.parameters_of(model).values())

    def strict_values(self, owner: str, name: str) -> dict[str, list[str]]:
        sources = self.allowed.get((owner, name), {})
        return {source: values for source, values in sources.items() if source.startswith(STRICT_SOURCES)}

    def loss_entry(self, spec: dict) -> tuple[str, dict] | None:
        """(catalogue label, entry) of a loss spec: its class, with the variant its kwargs name (distribution=...)."""
        kwargs = spec.get("kwargs") or {}
        for key, value in sorted(kwargs.items()):
            label = f"{spec['class']}({key}={value})"
            if label in self.losses:
                return label, self.losses[label]
        if spec["class"] in self.losses:
            return spec["class"], self.losses[spec["class"]]
        variants = [label for label, entry in self.losses.items() if entry["class"] == spec["class"]]
        return (variants[0], self.losses[variants[0]]) if variants else None  # a representative of the class

    def loss_classes(self) -> list[str]:
        return sorted({entry["class"] for entry in self.losses.values()})

    def probe(self, model: str, method: str, argument: str, value_label: str) -> ProbeFact | None:
        return self.probes.get((model, method, argument, value_label))

    def scanned_versions(self) -> list[str]:
        """Every neuralforecast release of the capability history, oldest first."""
        found = {version for history in self.capability_history.values() for version, _ in history}
        return sorted(found, key=_version_order)

    def flag_of(self, model: str, flag: str, model_args: dict | None = None) -> tuple[bool, str]:
        """(the flag of the model as the plan row builds it, the registry fact that says so): an argument the scan
        recorded as changing the flag wins (the row's value, else its default), then the class's own flag."""
        parameters = self.parameters_of(model)
        for (argument, scanned), flags in self.capability_overrides.get(model, {}).items():
            given = (model_args or {}).get(argument)
            value = _scanned_form(given) if argument in (model_args or {}) else _default_value(parameters, argument)
            if flag in flags and value == scanned:
                source = "set in the plan row" if argument in (model_args or {}) else "its default"
                return (
                    flags[flag],
                    f"registry_model_capabilities: {model}({argument}={scanned}, {source}) has "
                    f"{flag}={str(flags[flag]).lower()} in {self.env_key}",
                )
        value = bool(self.models.get(model, {}).get(flag))
        return value, f"registry_model_capabilities: class {model} has {flag}={str(value).lower()} in {self.env_key}"

    def capability_versions(self, model: str, flag: str) -> tuple[list[str], list[str]]:
        """(releases where the model has the flag, releases where it has not), oldest first; a release
        that lacks the model is in neither."""
        history = sorted(self.capability_history.get(model, []), key=lambda item: _version_order(item[0]))
        with_flag = [version for version, flags in history if flags.get(flag)]
        without_flag = [version for version, flags in history if not flags.get(flag)]
        return with_flag, without_flag

    def capability_changed(self, model: str, flag: str) -> bool:
        """Whether the flag differs among the scanned releases that hold the model."""
        with_flag, without_flag = self.capability_versions(model, flag)
        return bool(with_flag) and bool(without_flag)

    def for_prober(self):
        """The view the probe matrix is built from (fcast.probe.definitions.RegistryView)."""
        from fcast.probe.definitions import RegistryView

        models = {
            name: {
                "can_build": info["can_build"],
                "multivariate": info["multivariate"],
                "auto": bool(info["auto_class"]),
            }
            for name, info in self.models.items()
        }
        parameters = {
            model: {
                name: {"default_repr": info["default_repr"], "normalized_type": info["type"]}
                for name, info in self.parameters_of(model).items()
            }
            for model in self.models
        }
        allowed: dict[str, dict[str, list[str]]] = {}
        for owner, name in self.allowed:
            if owner not in self.models:
                continue
            values = [value for found in self.strict_values(owner, name).values() for value in found]
            kept = list(dict.fromkeys(value for value in values if value != "None"))
            if kept:
                allowed.setdefault(owner, {})[name] = kept
        scalers = [
            value
            for values in self.strict_values("NeuralForecast.__init__", "local_scaler_type").values()
            for value in values
            if value != "None"
        ]
        loss_specs = []
        for label, entry in sorted(self.losses.items()):
            if not entry["can_build"]:
                continue
            kwargs = {}
            if entry["variant"]:
                name, _, value = entry["variant"].partition("=")
                kwargs[name] = json.loads(value) if value.replace(".", "", 1).isdigit() else value
            loss_specs.append((label, {"class": entry["class"], "kwargs": kwargs}))
        call_defaults = {
            owner: {name: info["default_repr"] for name, info in found.items()}
            for owner, found in self.parameters.items()
            if owner.startswith("NeuralForecast.")
        }
        return RegistryView(models, parameters, allowed, loss_specs, list(dict.fromkeys(scalers)), call_defaults)


def _scanned_form(value: Any) -> str:
    """A plan value as the scan writes instance values: true, false, robust."""
    return value if isinstance(value, str) else json.dumps(value)


def _default_value(parameters: dict[str, dict], argument: str) -> str:
    """A parameter's default as the scan writes instance values (true, false, 'robust' -> robust)."""
    text = parameters.get(argument, {}).get("default_repr", "")
    return {"True": "true", "False": "false", "None": "null"}.get(text, text.strip("'\""))


def _version_order(version: str) -> tuple[str, str]:
    return version_sort_key(version), version


def version_ranges(versions: Iterable[str], scanned: Iterable[str]) -> str:
    """The versions as contiguous runs among the scanned ones: '3.3.0', '3.1.3–3.1.4', '3.0.2 and 3.2.2–3.3.0'.

    A run is broken by any scanned version that is not among `versions` ('none' when there are none).
    """
    chosen = set(versions)
    runs: list[list[str]] = []
    previous_chosen = False
    for version in sorted(chosen | set(scanned), key=_version_order):
        if version in chosen:
            if previous_chosen:
                runs[-1].append(version)
            else:
                runs.append([version])
        previous_chosen = version in chosen
    parts = [run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs]
    if not parts:
        return "none"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _columns(warehouse: db.Warehouse, schema: str, table: str) -> set[str]:
    rows = warehouse.fetchall(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        (schema, table),
    )
    return {row[0] for row in rows}


def latest_env_key(warehouse: db.Warehouse, library: str = "neuralforecast") -> str:
    """The most recent scan of the installed release of the library (the one the trainer runs), else the
    most recent scan of any release: scanning another release (`--version`) does not change it."""
    rows = warehouse.fetchall(
        "select env_key, library_version from raw.registry_environments "
        "where library = ? and status = 'scanned' order by scanned_at desc",
        (library,),
    )
    if not rows:
        raise NotFoundError(f"the registry holds no {library} scan: run `fcast registry scan` first")
    installed = distribution_version(library)
    return next((key for key, version in rows if version == installed), rows[0][0])


def foundation_facts(
    warehouse: db.Warehouse,
) -> tuple[dict[str, dict], dict[str, dict[str, dict]], dict[tuple[str, str, str, str], ProbeFact]]:
    """({adapter: capabilities with its env_key and library}, {adapter: constructor parameters}, {probe key:
    probe}) of the latest scan of each adapter library; adapters of a library never scanned are absent."""
    from fcast.registry.plugins import FOUNDATION_LIBRARIES

    if not warehouse.table_exists("raw", "registry_foundation_capabilities"):
        return {}, {}, {}
    foundation: dict[str, dict] = {}
    parameters: dict[str, dict[str, dict]] = {}
    probes: dict[tuple[str, str, str, str], ProbeFact] = {}
    for library in FOUNDATION_LIBRARIES:
        try:
            env_key = latest_env_key(warehouse, library)
        except NotFoundError:
            continue
        capability_columns = [
            "model_class", "zero_shot", "past_covariates", "future_covariates", "quantile_output", "quantile_min",
            "quantile_max", "max_context", "max_horizon", "fine_tuning", "embeddings", "needs_checkpoint",
            "default_checkpoint", "how_to_get",
        ]  # fmt: skip
        for row in warehouse.fetchall(
            f"select {', '.join(capability_columns)} from raw.registry_foundation_capabilities where env_key = ?",
            (env_key,),
        ):
            foundation[row[0]] = {**dict(zip(capability_columns[1:], row[1:], strict=True)), "env_key": env_key,
                                  "library": library}  # fmt: skip
        for symbol, name, normalized, required, kind, default_repr in warehouse.fetchall(
            "select symbol, parameter, normalized_type, required, kind, default_repr from raw.registry_parameters "
            "where env_key = ? and symbol like 'fcast.library.foundation.%.__init__'",
            (env_key,),
        ):
            parameters.setdefault(symbol.split(".")[-2], {})[name] = {
                "type": normalized,
                "required": bool(required),
                "kind": kind,
                "default_repr": default_repr,
            }
        for model, method, argument, label, outcome, probe_id, error in warehouse.fetchall(
            "select model_class, method, argument, value_label, outcome, probe_id, "
            "trim(error_type || ': ' || error_message) from raw.registry_probes "
            "where env_key = ? and coalesce(probe_kind, 'library') = 'library' order by probed_at",
            (env_key,),
        ):
            probes[(model, method, argument, label)] = ProbeFact(outcome, probe_id, error.strip(": "))
    return foundation, parameters, probes


def _load_facts(warehouse: db.Warehouse, env_key: str | None) -> RegistryFacts:
    env_key = env_key or latest_env_key(warehouse)
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
    if not models:
        raise NotFoundError(f"{env_key} is not in the registry: run `fcast registry scan` first")
    foundation, foundation_parameters, foundation_probes = foundation_facts(warehouse)
    for name, capability in foundation.items():
        for flags in warehouse.fetchall(
            "select can_build, build_error, exogenous_futr, exogenous_hist from raw.registry_model_capabilities "
            "where env_key = ? and model_class = ? and scope = 'class'",
            (capability["env_key"], name),
        ):
            models[name] = {
                "can_build": bool(flags[0]),
                "build_error": flags[1],
                "multivariate": False,
                "recurrent": False,
                "exogenous_futr": bool(flags[2]),
                "exogenous_hist": bool(flags[3]),
                "exogenous_stat": False,
                "auto_class": "",
            }
    parameters: dict[str, dict[str, dict]] = {}
    for symbol, name, normalized, required, kind, default_repr in warehouse.fetchall(
        "select symbol, parameter, normalized_type, required, kind, default_repr from raw.registry_parameters "
        "where env_key = ? and (symbol like 'neuralforecast.%' or symbol = ?)",
        (env_key, TRAINER_SYMBOL),
    ):
        owner = owner_of(symbol)
        if owner is not None:
            parameters.setdefault(owner, {})[name] = {
                "type": normalized,
                "required": bool(required),
                "kind": kind,
                "default_repr": default_repr,
            }
    allowed: dict[tuple[str, str], dict[str, list[str]]] = {}
    for symbol, name, value, source in warehouse.fetchall(
        "select symbol, parameter, allowed_value, value_source from raw.registry_allowed_values where env_key = ?",
        (env_key,),
    ):
        owner = owner_of(symbol)
        if owner is not None:
            allowed.setdefault((owner, name), {}).setdefault(source, []).append(value)
    losses = {
        row[0] + (f"({row[1]})" if row[1] else ""): {
            "class": row[0],
            "variant": row[1],
            "family": row[2],
            "trainable": bool(row[3]),
            "training_error": row[4],
            "can_build": bool(row[5]),
        }
        for row in warehouse.fetchall(
            "select loss_class, loss_variant, family, trainable, training_error, can_build from raw.registry_losses "
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
    probes = {}
    for row in warehouse.fetchall(
        "select model_class, method, argument, value_label, outcome, probe_id, error_type, error_message, "
        "case when outcome in ('raised', 'timeout', 'crashed', 'nan_output') then spec_json else '{}' end, "
        "series_count, series_length, coalesce(context_label, '') "
        "from raw.registry_probes where env_key = ? and coalesce(probe_kind, 'library') = 'library' "
        "order by coalesce(probe_version, '1'), probed_at",  # a newer definition of the same probe wins
        (env_key,),
    ):
        model, method, argument, label, outcome, probe_id, error_type, message, spec = row[:9]
        context = {"series_count": row[9], "series_length": row[10], "context_label": row[11]}
        probes[(model, method, argument, label)] = ProbeFact(
            outcome, probe_id, f"{error_type}: {message}".strip(": "), json.loads(spec or "{}"), context
        )
    removed = {}
    if warehouse.table_exists("marts", "registry_version_changes"):
        for symbol, name, from_version in warehouse.fetchall(
            "select symbol, parameter, from_version from marts.registry_version_changes "
            "where library = 'neuralforecast' and change_kind = 'parameter_removed' and to_version = ?",
            (version,),
        ):
            owner = owner_of(symbol)
            if owner is not None:
                removed[(owner, name)] = from_version
    capability_history: dict[str, list[tuple[str, dict[str, bool]]]] = {}
    if warehouse.table_exists("marts", "registry_capability_history"):
        for model, library_version, *flags in warehouse.fetchall(
            f"select model_class, library_version, {', '.join(HISTORY_FLAGS)} "
            "from marts.registry_capability_history where library = 'neuralforecast' "
            "order by model_class, version_rank"
        ):
            capability_history.setdefault(model, []).append(
                (library_version, {flag: bool(value) for flag, value in zip(HISTORY_FLAGS, flags, strict=True)})
            )
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
            "select distinct dataset, feature_name from marts.fct_panel_exogenous"
        ):
            panel_features.setdefault(dataset, set()).add(feature)
        for dataset, unique_id in warehouse.fetchall(
            "select distinct dataset, unique_id from marts.fct_series_long where dataset_kind = 'panel'"
        ):  # a panel's selectors: all of its series, or one by its id in the file
            selectors[(dataset, "all")] = selectors.get((dataset, "all"), 0) + 1
            selectors[(dataset, unique_id.removeprefix(f"{dataset}_"))] = 1
    datasets = load_datasets(warehouse)
    futr_coverage: dict[str, dict[str, dict[str, int]]] = {}
    if warehouse.table_exists("marts", "mart_panel_futr_coverage"):
        for dataset, feature, steps, unique_id in warehouse.fetchall(
            "select dataset, feature_name, covered_steps, unique_id from marts.mart_panel_futr_coverage"
        ):
            futr_coverage.setdefault(dataset, {}).setdefault(feature, {})[unique_id] = int(steps)
    capability_overrides: dict[str, dict[tuple[str, str], dict[str, bool]]] = {}
    for model, argument, value, recurrent, multivariate in warehouse.fetchall(
        "select model_class, argument, argument_value, recurrent, multivariate from raw.registry_model_capabilities "
        "where env_key = ? and scope = 'instance'",
        (env_key,),
    ):
        flags = {"recurrent": bool(recurrent), "multivariate": bool(multivariate)}
        capability_overrides.setdefault(model, {})[(argument, value)] = flags
    parameters.update(foundation_parameters)
    probes.update(foundation_probes)
    train_columns = _columns(warehouse, "marts", "nf_train_df")
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
        train_columns,
        _columns(warehouse, "marts", "nf_static_df"),
        selectors,
        futr_horizon,
        panel_features,
        capability_history=capability_history,
        datasets=datasets,
        unbuilt_datasets=tuple(loaded_but_not_built(warehouse, datasets)),
        futr_coverage=futr_coverage,
        foundation=foundation,
        feature_nulls=_feature_nulls(warehouse, train_columns),
        capability_overrides=capability_overrides,
    )


def _feature_nulls(warehouse: db.Warehouse, columns: set[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per game, the feature columns of marts.nf_train_df that are null somewhere, with (null draws, draws)."""
    features = sorted(column for column in columns if column.startswith(("hist_", "fut_")))
    if not features:
        return {}
    counts = ", ".join(f"count(*) - count({column})" for column in features)
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for game, rows, *nulls in warehouse.fetchall(
        f"select split_part(unique_id, '_N', 1), count(*), {counts} from marts.nf_train_df group by 1"
    ):
        missing = {column: (int(count), int(rows)) for column, count in zip(features, nulls, strict=True) if count}
        if missing:
            found[game] = missing
    return found


def empty_facts(env_key: str = "neuralforecast==0|py|torch|cpu", **overrides: Any) -> RegistryFacts:
    """Facts with nothing in them (tests and tools fill in what they need)."""
    values: dict[str, Any] = {
        "env_key": env_key,
        "version": env_key.split("|")[0].split("==")[-1],
        "models": {},
        "parameters": {},
        "allowed": {},
        "losses": {},
        "declared_losses": {},
        "probes": {},
        "removed": {},
        "train_columns": set(),
        "static_columns": set(),
        "selectors": {},
        "futr_horizon": {},
        "panel_features": {},
        "capability_history": {},
        "datasets": {},
        "unbuilt_datasets": (),
        "futr_coverage": {},
        "foundation": {},
        "feature_nulls": {},
    }
    values.update(overrides)
    return RegistryFacts(**values)
