"""`fcast train`: validate each plan row, then train, cross-validate, predict and store every valid one.

One run = one plan row. Its life in raw.nf_model_runs: PENDING (created), RUNNING (inputs read,
heartbeat every few seconds with the resource samples and the log so far), then COMPLETED with metrics, forecasts,
resources and a stored model, or FAILED with the error and the log. Ctrl+C or SIGTERM ends the
run FAILED before the command stops; a run whose process was killed outright is closed FAILED by
the next command (`runs.close_stale_runs`).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcast import db
from fcast.ingest.records import utc_now
from fcast.library.foundation import is_foundation_model
from fcast.plans.spec import RunPlanRow
from fcast.raw_schema import (
    MODEL_ARTIFACTS,
    RUN_FORECAST_INTERVALS,
    RUN_FORECASTS,
    RUN_METRICS,
    RUN_RESOURCE_SUMMARIES,
    RUN_RESOURCES,
)
from fcast.registry.environment import detect_accelerator, distribution_version
from fcast.train import model_store, runs, scoring
from fcast.train.inputs import RunInputs, load_inputs
from fcast.train.monitor import DEFAULT_FLUSH_INTERVAL_S, DEFAULT_SAMPLE_INTERVAL_S, ResourceMonitor, ResourceSample
from fcast.train.pipeline import StageFailure, trainer_path
from fcast.train.run_log import RunLog

DEFAULT_RANDOM_SEED = 1
VERSIONED_PACKAGES = (
    "neuralforecast",
    "torch",
    "pytorch-lightning",
    "pandas",
    "numpy",
    "duckdb",
    "dbt-core",
    "chronos-forecasting",
    "transformers",
)
PRETRAINED_LOSS = "pretrained"  # a foundation model's run trains no loss of the plan's


@dataclass
class TrainOptions:
    mlflow: bool = False
    rehearse: bool = True  # run each row one step on its real data before it may train
    monitor_interval_s: float = DEFAULT_SAMPLE_INTERVAL_S
    flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S
    progress: Callable[[str], None] = field(default=lambda line: print(line, flush=True))


@dataclass
class RunOutcome:
    run_id: str
    run_name: str
    status: str
    metrics: dict = field(default_factory=dict)
    error: str = ""
    duration_seconds: float = 0.0
    artifact_path: str = ""

    def summary(self) -> str:
        if self.status == "COMPLETED":
            shown = ", ".join(f"{key} {value:.4f}" for key, value in self.metrics.items() if key in ("mae", "rmse"))
            shown = f"cross-validation {shown}" if shown else "forecast of the next draws written"
            return f"{self.run_name}: COMPLETED in {self.duration_seconds:.1f}s ({shown}) run {self.run_id}"
        return f"{self.run_name}: {self.status} run {self.run_id}: {self.error}"


def library_versions() -> dict[str, str]:
    versions = {name: distribution_version(name) or "not-installed" for name in VERSIONED_PACKAGES}
    versions["python"] = platform.python_version()
    return versions


def trainer_defaults(model_args: dict, scratch: Path) -> dict[str, Any]:
    """Lightning settings fcast adds when the plan does not set them: GPU when present, no logs on disk."""
    defaults: dict[str, Any] = {
        "accelerator": "auto",
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "enable_checkpointing": False,
        "default_root_dir": str(scratch),
    }
    import torch

    if torch.cuda.is_available():
        defaults["devices"] = 1  # one GPU per run; several runs share a machine through separate processes
    return {key: value for key, value in defaults.items() if key not in model_args}


def point_alias(row: RunPlanRow) -> str:
    return str(row.model_args.get("alias") or row.model)


def _flush_samples(run_id: str, samples: list[ResourceSample], log: RunLog) -> None:
    """One short transaction: the new samples, the heartbeat and the log so far (the trainer is the only writer)."""
    now = utc_now()
    with db.connect() as warehouse:
        warehouse.insert_rows(RUN_RESOURCES, [sample.as_row(run_id) for sample in samples])
        runs.update_run(run_id, warehouse, heartbeat_at=now, logs=log.text())


@dataclass(frozen=True)
class Placement:
    """Where a run runs on a Ray cluster: its node and the task its attempts share ('' outside a cluster)."""

    ray_node_id: str = ""
    dispatch_id: str = ""


def _record_run(
    row: RunPlanRow, env_key: str, run_kind: str, parent_run_id: str, placement: Placement
) -> runs.RunRecord:
    seed = int(row.model_args.get("random_seed", DEFAULT_RANDOM_SEED))
    record = runs.RunRecord(
        run_id=uuid.uuid4().hex,
        run_kind=run_kind,
        plan_id=row.plan_id,
        plan_name=row.plan_name,
        run_name=row.run_name,
        table_name="",
        dataset=row.dataset,
        series_selector=row.series,
        model_name=row.model,
        backend=row.backend or "none",
        horizon=int(row.horizon),
        loss=PRETRAINED_LOSS if is_foundation_model(row.model) else (row.loss or {}).get("class", "") or "default",
        env_key=env_key,
        random_seed=seed,
        accelerator=detect_accelerator(),
        optimization_config={"plan_row": row.spec(), "versions": library_versions()},
        search_space=dict(row.search.get("config") or {}),
        parent_run_id=parent_run_id,
        ray_node_id=placement.ray_node_id,
        dispatch_id=placement.dispatch_id,
    )
    record.insert()
    return record


@dataclass
class ResultRows:
    """What a run writes from its outputs: metric, forecast and interval rows (the rehearsal builds them too)."""

    metrics: list[dict]
    forecasts: list[dict]
    intervals: list[dict]


def result_rows(run_id: str, row: RunPlanRow, inputs: RunInputs, cv: Any | None, forecast: Any, insample: Any | None):
    alias = point_alias(row)
    metric_rows, forecasts, intervals = [], [], []
    axis = inputs.axis
    if cv is not None:
        metric_rows = scoring.metric_rows(run_id, cv, alias, axis)
        forecasts, intervals = scoring.forecast_rows(run_id, cv, alias, scoring.CROSS_VALIDATION, axis=axis)
    next_forecasts, next_intervals = scoring.forecast_rows(
        run_id, forecast, alias, scoring.FORECAST, inputs.last_ds, axis
    )
    forecasts, intervals = forecasts + next_forecasts, intervals + next_intervals
    if insample is not None:
        insample_forecasts, insample_intervals = scoring.forecast_rows(
            run_id, insample, alias, scoring.INSAMPLE, axis=axis
        )
        forecasts, intervals = forecasts + insample_forecasts, intervals + insample_intervals
    return ResultRows(metric_rows, forecasts, intervals)


def _store_results(
    record: runs.RunRecord,
    row: RunPlanRow,
    inputs: RunInputs,
    result: WorkResult,
    saved: model_store.SavedModel | None,
) -> dict:
    rows = result_rows(record.run_id, row, inputs, result.cv, result.forecast, result.insample)
    now = utc_now()
    with db.connect() as warehouse:
        warehouse.insert_rows(RUN_METRICS, rows.metrics)
        warehouse.insert_rows(RUN_FORECASTS, rows.forecasts)
        warehouse.insert_rows(RUN_FORECAST_INTERVALS, rows.intervals)
        if saved is not None:
            warehouse.insert_rows(
                MODEL_ARTIFACTS,
                [
                    {
                        "artifact_id": uuid.uuid4().hex,
                        "run_id": record.run_id,
                        "plan_id": row.plan_id,
                        "model_name": row.model,
                        "loto": row.dataset,
                        "table_name": inputs.table_name,
                        "artifact_path": str(saved.path),
                        "files_hash": saved.files_hash,
                        "file_count": saved.file_count,
                        "size_bytes": saved.size_bytes,
                        "unique_ids": runs.to_json(inputs.unique_ids),
                        "futr_exog_list": runs.to_json(row.feature_list("futr")),
                        "hist_exog_list": runs.to_json(row.feature_list("hist")),
                        "stat_exog_list": runs.to_json(row.feature_list("stat")),
                        "feature_set": runs.to_json(
                            {kind: row.feature_list(kind) for kind in ("futr", "hist", "stat")}
                        ),
                        "env_key": record.env_key,
                        "data_version": inputs.data_version,
                        "status": "stored",
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
    return scoring.summarize(rows.metrics) if rows.metrics else {}


def _store_resource_summary(run_id: str, monitor: ResourceMonitor) -> dict:
    summary = monitor.summary()
    with db.connect() as warehouse:
        warehouse.execute(f"delete from {RUN_RESOURCE_SUMMARIES.qualified_name} where run_id = ?", (run_id,))
        warehouse.insert_rows(RUN_RESOURCE_SUMMARIES, [summary.as_row(run_id)])
    return summary.as_dict()


@dataclass
class WorkResult:
    nf: Any
    cv: Any | None
    forecast: Any
    save: bool
    search: dict | None = None  # what a hyperparameter search found (fcast.automl.search.SearchOutcome)
    insample: Any | None = None


Work = Callable[[RunPlanRow, RunInputs, Path, RunLog], WorkResult]


def fit_work(row: RunPlanRow, inputs: RunInputs, scratch: Path, log: RunLog) -> WorkResult:
    outputs = trainer_path(row, inputs, log, trainer_defaults(row.model_args, scratch))
    return WorkResult(outputs.nf, outputs.cv, outputs.forecast, save=True, insample=outputs.insample)


def search_work(row: RunPlanRow, inputs: RunInputs, scratch: Path, log: RunLog) -> WorkResult:
    """Search the row's hyperparameters (optuna or ray), then train the row with the best of them."""
    from fcast.automl.search import best_row, optuna_search, ray_search

    search = optuna_search if row.backend == "optuna" else ray_search
    outcome = search(row, inputs, scratch, log, trainer_defaults(row.model_args, scratch))
    best = best_row(row, outcome)
    outputs = trainer_path(best, inputs, log, trainer_defaults(best.model_args, scratch))
    return WorkResult(
        outputs.nf, outputs.cv, outputs.forecast, save=True, search=outcome.as_config(), insample=outputs.insample
    )


def train_row(
    row: RunPlanRow,
    env_key: str,
    options: TrainOptions | None = None,
    run_kind: str = "train",
    parent_run_id: str = "",
    work: Work = fit_work,
    check_inputs: Callable[[RunInputs], None] | None = None,
    placement: Placement = Placement(),
) -> RunOutcome:
    """Run one validated plan row end to end; the returned outcome mirrors its nf_model_runs row.

    `work` does the modelling (by default: cross-validate, fit on every draw, predict); everything
    around it (run row, heartbeat, resource monitor, results, model store, failure) is the same for
    training, retraining and predicting from a stored model.
    """
    options = options or TrainOptions()
    record = _record_run(row, env_key, run_kind, parent_run_id, placement)
    log = RunLog()
    started = utc_now()
    monitor: ResourceMonitor | None = None
    where = f" on node {placement.ray_node_id[:12]}" if placement.ray_node_id else ""
    options.progress(
        f"{run_kind} {row.run_name} ({row.model} on {row.dataset}/{row.series}){where}, run {record.run_id}"
    )
    try:
        with log.capture(), tempfile.TemporaryDirectory(prefix="fcast-run-") as scratch:
            runs.mark_running(record.run_id)
            log.info(f"run {record.run_id} ({run_kind}) of plan row {row.plan_id} on {env_key}{where}")
            inputs = load_inputs(row)
            if check_inputs is not None:
                check_inputs(inputs)
            runs.update_run(
                record.run_id,
                table_name=inputs.table_name,
                unique_ids=inputs.unique_ids,
                data_version=inputs.data_version,
                train_rows=inputs.train_rows,
                last_ds=max(inputs.last_ds.values()),
            )
            monitor = ResourceMonitor(
                on_flush=lambda samples: _flush_samples(record.run_id, samples, log),
                interval_s=options.monitor_interval_s,
                flush_interval_s=options.flush_interval_s,
            )
            with monitor:
                result = work(row, inputs, Path(scratch), log)
                saved = None
                if result.save:
                    saved = model_store.save_model(result.nf, model_store.artifact_dir(row.dataset, record.run_id))
            if saved is not None:
                log.info(f"model saved to {saved.path} ({saved.file_count} files, sha256 {saved.files_hash[:12]}…)")
            resource_summary = _store_resource_summary(record.run_id, monitor)
            metrics = _store_results(record, row, inputs, result, saved)
            mlflow_run_id = ""
            if options.mlflow:
                from fcast.train.tracking import log_run

                mlflow_run_id = log_run(
                    row.run_name,
                    params=record.optimization_config["plan_row"],
                    metrics=metrics,
                    tags={"fcast_run_id": record.run_id, "plan_id": row.plan_id, "env_key": env_key},
                    artifact_path=str(saved.path) if saved else None,
                )
                log.info(f"logged to MLflow run {mlflow_run_id}")
        finished = utc_now()
        duration = (finished - started).total_seconds()
        found = {}
        if result.search is not None:
            found = {
                "best_params": result.search["best_params"],
                "search_space": result.search["search_space"],
                "optimization_config": {**record.optimization_config, "search": result.search},
            }
        runs.update_run(
            record.run_id,
            **found,
            status="COMPLETED",
            end_time=finished,
            heartbeat_at=finished,
            duration_seconds=duration,
            metrics=metrics,
            resource_summary=resource_summary,
            logs=log.text(),
            mlflow_run_id=mlflow_run_id,
        )
        artifact = str(saved.path) if saved else ""
        return RunOutcome(record.run_id, row.run_name, "COMPLETED", metrics, "", duration, artifact)
    except BaseException as error:  # Ctrl+C, SIGTERM and Lightning's exit on interrupt end the run FAILED too
        if monitor is not None:
            monitor.stop()
        log.exception(error)
        interrupted = not isinstance(error, Exception)
        cause = error.error if isinstance(error, StageFailure) else error
        error_type = "Interrupted" if interrupted else type(cause).__name__
        message = str(cause) or type(cause).__name__
        if isinstance(error, StageFailure):
            message = f"{message} (in {error.stage})"
        if interrupted:
            message = f"the run was interrupted ({type(error).__name__}) before it finished"
        _fail_quietly(record.run_id, error_type, message, log, started, monitor)
        options.progress(f"  {row.run_name}: FAILED ({error_type}: {message})")
        if interrupted:
            raise KeyboardInterrupt from error
        return RunOutcome(record.run_id, row.run_name, "FAILED", error=f"{error_type}: {message}")


def _fail_quietly(
    run_id: str, error_type: str, message: str, log: RunLog, started: dt.datetime, monitor: ResourceMonitor | None
) -> None:
    """Record the failure; the summary of what was sampled is kept when the database takes it."""
    summary: dict = {}
    if monitor is not None and monitor.samples:
        try:
            summary = _store_resource_summary(run_id, monitor)
        except Exception as error:  # the failure itself matters more than its resource figures
            log.lines.append(f"resource summary not stored: {error}")
    runs.mark_failed(run_id, error_type, message[:4000], log.text(), started=started)
    if summary:
        runs.update_run(run_id, resource_summary=summary)


@dataclass
class PlanTrainingReport:
    outcomes: list[RunOutcome]
    rejected: list[Any]  # ValidationResult of the rows that got no run
    closed_stale: list[str]

    @property
    def failed(self) -> int:
        return sum(outcome.status != "COMPLETED" for outcome in self.outcomes)


WORKS: dict[str, Work] = {"fit": fit_work, "search": search_work}


def work_name(row: RunPlanRow) -> str:
    return "search" if row.backend else "fit"


def train_dispatched(
    row: RunPlanRow, env_key: str, options: TrainOptions, placement: Placement, work: str
) -> RunOutcome:
    """One attempt of a plan row's cluster task. A retry (its earlier attempt's node or worker died) closes
    the dead attempt's run FAILED, and returns the earlier attempt's run when it had completed already."""
    completed = runs.completed_run_of_dispatch(placement.dispatch_id)
    if completed is not None:
        return RunOutcome(
            completed["run_id"],
            row.run_name,
            "COMPLETED",
            json.loads(completed["metrics"] or "{}"),
            "",
            float(completed["duration_seconds"] or 0.0),
        )
    runs.close_dispatch(
        placement.dispatch_id,
        "NodeDied",
        f"its Ray worker or node died before it finished; Ray ran the row again on node {placement.ray_node_id}",
    )
    return train_row(row, env_key, options, work=WORKS[work], placement=placement)


def train_plan(rows: list[RunPlanRow], options: TrainOptions | None = None) -> PlanTrainingReport:
    """Validate every row (stored beside the plan); train the valid ones (in order here, or as tasks on the
    Ray cluster of FCAST_RAY_ADDRESS); rejected rows get no run."""
    from fcast import cluster
    from fcast.plans.validate import validate_rows

    options = options or TrainOptions()
    if cluster.address():
        cluster.require_shared_warehouse()
    closed = runs.close_stale_runs()
    for run_id in closed:
        options.progress(f"closed stale run {run_id} as FAILED (its process had stopped)")
    results = validate_rows(rows, rehearse=options.rehearse, progress=options.progress)
    rejected = [result for result in results if not result.valid]
    for result in rejected:
        options.progress(f"{result.row.run_name}: REJECTED by the validator, not trained")
        for violation in result.errors:
            options.progress(f"  {violation}")
    valid = [result for result in results if result.valid]
    outcomes = []
    if cluster.address():
        env_keys = {result.row.plan_id: result.env_key for result in valid}
        options.progress(f"training {len(valid)} row(s) as tasks on the Ray cluster {cluster.address()}")
        finished = cluster.train_rows(
            [result.row for result in valid], lambda row: env_keys[row.plan_id], options, work_name
        )
        for outcome in finished:
            options.progress(f"  {outcome.summary()}")
            outcomes.append(outcome)
        return PlanTrainingReport(outcomes, rejected, closed)
    for result in valid:
        outcome = train_row(result.row, result.env_key, options, work=WORKS[work_name(result.row)])
        options.progress(f"  {outcome.summary()}")
        outcomes.append(outcome)
    return PlanTrainingReport(outcomes, rejected, closed)
