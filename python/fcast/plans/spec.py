"""The run-plan format, defined once for every later step: a YAML file, and the same rows in raw.run_plans.

One row = one model run with exact arguments:

    plan: loto6_standard
    defaults:                    # merged into every run (a run's own keys win; dicts merge key by key)
      dataset: loto6             # a game code, or a panel dataset name
      horizon: 1
      loss: {class: MAE}
      neuralforecast: {freq: 1}
      fit: {val_size: 0}
      cross_validation: {n_windows: 3}
      predict: {}
      features: {futr: [], hist: [], stat: []}
    runs:
      - name: loto6_N1_nhits
        series: N1               # a selector of mart_series_selectors (N1..Nk, or all)
        model: NHITS
        model_args: {input_size: 20, max_steps: 50}
      - name: loto6_all_tsmixerx
        series: all
        model: TSMixerx
        model_args: {n_series: 6}
        search: {backend: optuna, num_samples: 10, config: {learning_rate: {low: 0.0001, high: 0.01, log: true}}}
      - name: loto6_N2_auto
        series: N2
        model: AutoNHITS         # an Auto model: NHITS searched over AutoNHITS's default space
        model_args: {num_samples: 8, input_size: 20}   # num_samples / backend / config go to the search

Other fields of a run: `valid_loss`; `predict_insample: {step_size: 1}` (or true), stored as forecasts
of kind insample; `fit: {val_size: 2, prediction_intervals: {n_windows: 2}}` (PredictionIntervals
arguments, or true); `cross_validation: {n_windows, step_size, val_size, test_size, refit, ...}`;
`predict: {level: [80]}` or `{quantiles: [0.1, 0.5, 0.9]}`; `neuralforecast: {local_scaler_type: ...}`;
`resources: {cpus: 1, gpus: 0}` (what the run asks of a Ray cluster node, `fcast train --ray`);
`distributed: {engine: spark, num_nodes: 1, devices: 1}` (neuralforecast's own distributed fit on Spark).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fcast.errors import FcastError

RUN_KEYS = {
    "name",
    "dataset",
    "series",
    "model",
    "model_args",
    "loss",
    "valid_loss",
    "horizon",
    "neuralforecast",
    "fit",
    "cross_validation",
    "predict",
    "predict_insample",
    "features",
    "search",
    "resources",
    "distributed",
}
# Fields that leave a row's spec (and so its plan_id) unchanged while they are empty: plans written before
# they existed keep their ids.
OPTIONAL_SPEC_FIELDS = ("resources", "distributed")


class PlanFormatError(FcastError, ValueError):
    pass


@dataclass
class RunPlanRow:
    plan_name: str
    run_name: str
    dataset: str
    series: str
    model: str
    horizon: int
    model_args: dict = field(default_factory=dict)
    loss: dict | None = None
    valid_loss: dict | None = None
    neuralforecast: dict = field(default_factory=dict)
    fit: dict = field(default_factory=dict)
    cross_validation: dict = field(default_factory=dict)
    predict: dict = field(default_factory=dict)
    predict_insample: dict | None = None
    features: dict = field(default_factory=dict)
    search: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)  # what one run asks of a cluster node: {cpus: 1, gpus: 0}
    distributed: dict = field(default_factory=dict)  # neuralforecast's distributed fit: {engine: spark, ...}
    row_index: int = 0
    source: str = ""

    def spec(self) -> dict:
        """Everything that defines the run (not where it was written): hashed into the plan id."""
        data = asdict(self)
        for key in ("row_index", "source"):
            data.pop(key)
        for key in OPTIONAL_SPEC_FIELDS:
            if not data[key]:
                data.pop(key)
        return data

    @property
    def plan_id(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True, default=str).encode()).hexdigest()[:32]

    @property
    def backend(self) -> str:
        return str(self.search.get("backend") or "")

    def feature_list(self, kind: str) -> list[str]:
        return list(self.features.get(kind) or [])


def _merge(defaults: dict, run: dict) -> dict:
    merged = copy.deepcopy(defaults)
    for key, value in run.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _loss(value: Any, where: str) -> dict | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"class": value, "kwargs": {}}
    if isinstance(value, dict) and "class" in value:
        return {"class": value["class"], "kwargs": dict(value.get("kwargs") or {})}
    raise PlanFormatError(f"{where}: a loss is a class name or {{class: NAME, kwargs: {{...}}}}, not {value!r}")


AUTO_PREFIX = "Auto"
SEARCH_ARGUMENTS_OF_AUTO = ("num_samples", "backend", "config")
DEFAULT_AUTO_BACKEND = "optuna"  # fcast's own study loop: it prunes at validation checks and resumes


def resolve_auto_model(merged: dict) -> dict:
    """`model: AutoNHITS` is NHITS with a search over AutoNHITS's default space (fcast's search loop).

    The Auto class's own search arguments (num_samples, backend, config) in model_args move to the
    search block; `search.auto` keeps the name the plan used, so the validator can say when neuralforecast
    has no such Auto class.
    """
    model = str(merged.get("model") or "")
    if not (model.startswith(AUTO_PREFIX) and len(model) > len(AUTO_PREFIX) and model[len(AUTO_PREFIX)].isupper()):
        return merged
    model_args = dict(merged.get("model_args") or {})
    search = {key: model_args.pop(key) for key in SEARCH_ARGUMENTS_OF_AUTO if key in model_args}
    search = {"backend": DEFAULT_AUTO_BACKEND, "config": {}, **search, **dict(merged.get("search") or {})}
    search["auto"] = model
    return {**merged, "model": model[len(AUTO_PREFIX) :], "model_args": model_args, "search": search}


def rows_from_document(document: dict, source: str) -> list[RunPlanRow]:
    if not isinstance(document, dict) or "runs" not in document:
        raise PlanFormatError(f"{source}: a plan has `plan:` (its name), optional `defaults:` and a list `runs:`")
    plan_name = str(document.get("plan") or Path(source).stem)
    defaults = document.get("defaults") or {}
    rows = []
    for index, run in enumerate(document["runs"] or [], start=1):
        where = f"{source}, run {index}"
        if not isinstance(run, dict):
            raise PlanFormatError(f"{where}: each run is a mapping")
        merged = resolve_auto_model(_merge(defaults, run))
        unknown = sorted(set(merged) - RUN_KEYS)
        if unknown:
            raise PlanFormatError(f"{where}: unknown key(s) {unknown}; a run takes {sorted(RUN_KEYS)}")
        missing = [key for key in ("dataset", "series", "model", "horizon") if merged.get(key) in (None, "")]
        if missing:
            raise PlanFormatError(f"{where}: missing {missing}")
        rows.append(
            RunPlanRow(
                plan_name=plan_name,
                run_name=str(merged.get("name") or f"{plan_name}_{index}"),
                dataset=str(merged["dataset"]),
                series=str(merged["series"]),
                model=str(merged["model"]),
                horizon=merged["horizon"],
                model_args=dict(merged.get("model_args") or {}),
                loss=_loss(merged.get("loss"), where),
                valid_loss=_loss(merged.get("valid_loss"), where),
                neuralforecast=dict(merged.get("neuralforecast") or {}),
                fit=dict(merged.get("fit") or {}),
                cross_validation=dict(merged.get("cross_validation") or {}),
                predict=dict(merged.get("predict") or {}),
                predict_insample=merged.get("predict_insample"),
                features=dict(merged.get("features") or {}),
                search=dict(merged.get("search") or {}),
                resources=dict(merged.get("resources") or {}),
                distributed=dict(merged.get("distributed") or {}),
                row_index=index,
                source=source,
            )
        )
    return rows


def load_plan_file(path: Path) -> list[RunPlanRow]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PlanFormatError(f"{path}: cannot be read as YAML ({error})") from error
    return rows_from_document(document, str(path))


def dump_plan(rows: list[RunPlanRow]) -> str:
    """The YAML of rows (one run each, no defaults): what `fcast plan` writes and the UI saves."""
    runs = []
    for row in rows:
        spec = row.spec()
        spec.pop("plan_name")
        run = {"name": spec.pop("run_name"), "series": spec.pop("series")}
        run.update({key: value for key, value in spec.items() if value not in (None, {}, [])})
        runs.append(run)
    return yaml.safe_dump({"plan": rows[0].plan_name if rows else "plan", "runs": runs}, sort_keys=False)
