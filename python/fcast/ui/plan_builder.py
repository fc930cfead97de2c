"""What the Plan page offers and checks: choices drawn from the registry, live validation, saving.

Choices are limited to what the registry allows (models that build, losses the model accepts and can
train with, allowed argument values, the dataset's selectors and feature columns). A dataset is a game
or an uploaded panel (marts.mart_datasets): a panel offers `all` and its series ids as in its file, and
its own hist_/fut_/stat_ columns. The YAML of the whole plan stays editable, so every edit goes through
the same validator as `fcast validate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from fcast import settings
from fcast.errors import FcastError
from fcast.plans.spec import PlanFormatError, RunPlanRow, rows_from_document
from fcast.plans.validate import RegistryFacts, ValidationResult, store_results

PLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FEATURE_KINDS = ("futr", "hist", "stat")


def model_choices(facts: RegistryFacts) -> list[str]:
    return sorted(name for name, model in facts.models.items() if model["can_build"])


def loss_choices(facts: RegistryFacts, model: str, role: str = "loss") -> list[str]:
    """Loss classes (no variants) the model accepts in `role` and that can train, as the registry records them."""
    choices = []
    for label, loss in facts.losses.items():
        if loss["variant"] or (role == "loss" and not loss["trainable"]):
            continue
        accepted, _ = facts.declared_losses.get((model, label, role), (True, ""))
        if accepted:
            choices.append(label)
    return sorted(choices)


def allowed_values(facts: RegistryFacts, model: str, argument: str) -> list[str]:
    sources = facts.allowed.get((model, argument), {})
    return sorted({value for values in sources.values() for value in values if value not in ("None", "")})


def is_panel(facts: RegistryFacts, dataset: str) -> bool:
    known = facts.datasets.get(dataset)
    return known.is_panel if known is not None else dataset in facts.panel_features


def dataset_choices(facts: RegistryFacts) -> list[str]:
    """Every dataset a plan row can name: the games and the panels (with series in the marts)."""
    return sorted({dataset for dataset, _ in facts.selectors} | set(facts.datasets))


def game_choices(facts: RegistryFacts) -> list[str]:
    """The datasets with a standard k+1 plan: the games."""
    return [dataset for dataset in dataset_choices(facts) if not is_panel(facts, dataset)]


def series_choices(facts: RegistryFacts, dataset: str) -> list[str]:
    """A game's selectors; a panel's `all` first, then each series by its id in the uploaded file."""
    selectors = sorted({selector for name, selector in facts.selectors if name == dataset})
    if not is_panel(facts, dataset):
        return selectors
    return ["all", *(selector for selector in selectors if selector != "all")]


def feature_choices(facts: RegistryFacts, model: str, dataset: str = "") -> dict[str, list[str]]:
    """The feature columns of each kind the model can take (empty for a kind it does not support): a panel's
    own columns, else the games' feature marts."""
    capabilities = facts.models.get(model, {})
    if dataset and is_panel(facts, dataset):
        own = facts.panel_features.get(dataset, set())
        train, static = own, own
    else:
        train, static = facts.train_columns, facts.static_columns
    columns = {
        "futr": sorted(c for c in train if c.startswith("fut_")),
        "hist": sorted(c for c in train if c.startswith("hist_")),
        "stat": sorted(c for c in static if c.startswith("stat_")),
    }
    return {kind: columns[kind] if capabilities.get(f"exogenous_{kind}") else [] for kind in FEATURE_KINDS}


def row_freq(facts: RegistryFacts, dataset: str) -> int | None:
    """The `neuralforecast.freq` a new row writes: 1 for a game (its draw numbers); none for a panel, whose
    recorded frequency fcast uses (writing it would only repeat it)."""
    return None if is_panel(facts, dataset) else 1


def futr_steps(facts: RegistryFacts, dataset: str) -> dict[str, int]:
    """A panel's fut_ columns with the future steps every series has values for (the longest horizon they allow)."""
    return {feature: min(by_series.values()) for feature, by_series in facts.futr_coverage.get(dataset, {}).items()}


def dataset_note(facts: RegistryFacts, dataset: str) -> str:
    """One line on the dataset's time axis for the form (empty when the marts do not describe it)."""
    known = facts.datasets.get(dataset)
    if known is None:
        return ""
    problem = known.axis_problem()
    if problem:
        return problem
    what = "panel" if known.is_panel else "game"
    return f"{dataset} ({what}, {known.series_count} series): ds holds {known.axis.describe()}"


def default_horizon(facts: RegistryFacts, dataset: str) -> int:
    """One season for a panel (12 months, 7 days, ...), one draw for a game."""
    known = facts.datasets.get(dataset)
    return max(int(known.season_length), 1) if known is not None and known.is_panel else 1


@dataclass
class RunForm:
    """The fields of the Plan page's form for one run."""

    name: str
    dataset: str
    series: str
    model: str
    loss: str
    horizon: int
    input_size: int
    max_steps: int
    scaler_type: str
    n_windows: int
    features: dict[str, list[str]]
    n_series: int = 0
    search_backend: str = ""
    num_samples: int = 0
    freq: int | str | None = 1  # None: the row names no freq and fcast uses the dataset's (panels)
    step_size: int = 1

    def run(self) -> dict:
        model_args = {"input_size": self.input_size, "max_steps": self.max_steps}
        if self.scaler_type:
            model_args["scaler_type"] = self.scaler_type
        if self.n_series:
            model_args["n_series"] = self.n_series
        run = {
            "name": self.name,
            "dataset": self.dataset,
            "series": self.series,
            "model": self.model,
            "horizon": self.horizon,
            "loss": {"class": self.loss},
            "model_args": model_args,
            "neuralforecast": {"freq": self.freq},
            "fit": {"val_size": 0},
            "cross_validation": {"n_windows": self.n_windows, "step_size": self.step_size},
            "features": {kind: list(columns) for kind, columns in self.features.items() if columns},
        }
        if self.freq is None:
            del run["neuralforecast"]
        if self.search_backend:
            run["search"] = {"backend": self.search_backend, "num_samples": self.num_samples}
        return run


def new_document(plan_name: str) -> dict:
    return {"plan": plan_name, "runs": []}


def add_run(plan_yaml: str, run: dict) -> str:
    """The plan YAML with `run` appended (a run of the same name is replaced)."""
    document = yaml.safe_load(plan_yaml) if plan_yaml.strip() else None
    if not isinstance(document, dict):
        document = new_document("my_plan")
    runs = [existing for existing in document.get("runs") or [] if existing.get("name") != run["name"]]
    document["runs"] = [*runs, run]
    return yaml.safe_dump(document, sort_keys=False)


@dataclass
class PlanCheck:
    rows: list[RunPlanRow]
    results: list[ValidationResult]
    format_error: str = ""

    @property
    def valid(self) -> bool:
        return not self.format_error and bool(self.results) and all(result.valid for result in self.results)

    def violations(self) -> pd.DataFrame:
        records = [
            {
                "run": result.row.run_name,
                "severity": violation.severity,
                "rule": violation.rule,
                "field": violation.field,
                "problem": violation.message,
                "what to do": violation.suggestion,
                "evidence": f"{violation.evidence_kind}: {violation.evidence}" if violation.evidence else "",
            }
            for result in self.results
            for violation in result.violations
        ]
        columns = ["run", "severity", "rule", "field", "problem", "what to do", "evidence"]
        return pd.DataFrame(records, columns=columns)


def check_plan(
    plan_yaml: str,
    facts: RegistryFacts,
    source: str = "ui",
    rehearse: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PlanCheck:
    """Parse and validate the plan text without storing anything (live: static rules only; Save rehearses)."""
    try:
        document = yaml.safe_load(plan_yaml)
        rows = rows_from_document(document, source)
    except (yaml.YAMLError, PlanFormatError) as error:
        return PlanCheck([], [], format_error=str(error))
    if not rows:
        return PlanCheck([], [], format_error="the plan has no runs yet: add one with the form")
    from fcast import app

    report = app.validate(rows, store=False, rehearse=rehearse, progress=progress or (lambda line: None), facts=facts)
    return PlanCheck(rows, report.results)


class PlanSaveError(FcastError, ValueError):
    pass


def save_plan(plan_yaml: str, facts: RegistryFacts, progress: Callable[[str], None] | None = None) -> Path:
    """Rehearse every row, then write the plan to the plans folder and record its validation; a plan with a
    rejected row (statically or in its rehearsal) is not written."""
    document = yaml.safe_load(plan_yaml)
    name = str((document or {}).get("plan", ""))
    if not PLAN_NAME.match(name):
        raise PlanSaveError(f"plan name {name!r}: use letters, digits, _ . - (it names the file)")
    path = settings.plans_dir() / f"{name}.yaml"
    check = check_plan(plan_yaml, facts, source=str(path), rehearse=True, progress=progress)
    if not check.valid:
        problem = check.format_error or "; ".join(str(v) for r in check.results for v in r.errors)
        raise PlanSaveError(f"the plan is not saved: {problem}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan_yaml, encoding="utf-8")
    store_results(check.results)
    return path
