"""The rehearsal: before a row may train, it runs for real, one training step on the trainer's own path.

Static rules answer in milliseconds but cannot see every combination; the rehearsal settles the
rest (anchor: Lightning's `fast_dev_run`). Each statically valid row is read from the marts exactly
as `fcast train` reads it, then a worker process runs `fcast.train.pipeline.trainer_path` on it with
training cut to one step (a search row: one trial of one step), saves, loads and predicts again as
`fcast predict` will, and extracts the forecast and metric rows the trainer would store. A failure
rejects the row with the stage, the exception and a suggestion; a requested output that does not
come back (levels, quantiles, insample) rejects it as ignored.

Rows rehearse in parallel worker processes with a timeout (the prober's pool); the parent alone
writes. Every rehearsal is stored as a probe of kind `plan` in raw.registry_probes, keyed by the
environment key, the row spec with its training length normalised, a fingerprint of its data and
of the trainer path's code: validating an unchanged plan again reads the stored outcome instead of
running it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcast import db, settings
from fcast.ingest.records import utc_now
from fcast.library.foundation import adapter_class, is_foundation_model
from fcast.plans.known_failures import suggestion_for
from fcast.plans.spec import RunPlanRow
from fcast.raw_schema import REGISTRY_PROBES

REHEARSAL_VERSION = "1"  # bump when the rehearsal runs something new: stored rehearsals then run again
EXECUTOR = "fcast.plans.rehearse:execute"
ONE_STEP = {"max_steps": 1, "val_check_steps": 1}
CACHED_OUTCOMES = ("ok", "raised", "ignored", "nan_output")  # a timeout or a crash may be the machine's: run again
RULE_FOR_OUTCOME = {
    "raised": "rehearsal_failed",
    "ignored": "rehearsal_ignored_output",
    "timeout": "rehearsal_timeout",
    "crashed": "rehearsal_crashed",
    "nan_output": "rehearsal_nan_output",
}


def default_workers() -> int:
    """FCAST_REHEARSAL_WORKERS, else one per core, at most 4."""
    if settings.value("FCAST_REHEARSAL_WORKERS"):
        return int(settings.number("FCAST_REHEARSAL_WORKERS"))
    return min(os.cpu_count() or 1, 4)


def rehearsal_row(row: RunPlanRow) -> RunPlanRow:
    """The row with training cut to one step (validating at that step) and a search to one trial; a foundation
    model runs zero-shot as it will, its fine-tuning (when asked) cut to one step."""
    if is_foundation_model(row.model):
        steps = row.model_args.get("fine_tune_steps")
        return dataclasses.replace(row, model_args={**row.model_args, **({"fine_tune_steps": 1} if steps else {})})
    search = {**row.search, "num_samples": 1} if row.search else {}
    return dataclasses.replace(row, model_args={**row.model_args, **ONE_STEP}, search=search)


def weights_identity(row: RunPlanRow) -> str:
    """What else a foundation row's rehearsal depends on: the weights it loads ('' for neuralforecast rows)."""
    if not is_foundation_model(row.model):
        return ""
    from fcast.library.foundation.checkpoints import checkpoint_fingerprint

    return checkpoint_fingerprint(adapter_class(row.model), row.model_args.get("checkpoint"))


def rehearsed_spec(row: RunPlanRow) -> dict:
    """What a rehearsal depends on: the normalised spec without the row's names."""
    spec = rehearsal_row(row).spec()
    for key in ("plan_name", "run_name"):
        spec.pop(key)
    return spec


# The modules of the trainer's path: a change to any of them makes stored rehearsals run again.
PATH_MODULES = (
    "fcast.library.build",
    "fcast.library.spark",
    "fcast.train.pipeline",
    "fcast.train.scoring",
    "fcast.train.trainer",
    "fcast.automl.search",
    "fcast.plans.rehearse",
    "fcast.library.foundation.base",
    "fcast.library.foundation.forecaster",
    "fcast.library.foundation.chronos",
    "fcast.library.foundation.timesfm",
    "fcast.library.foundation.timegpt",
)


@functools.lru_cache(maxsize=1)
def trainer_path_fingerprint() -> str:
    import importlib.util

    digest = hashlib.sha256()
    for name in PATH_MODULES:
        digest.update(Path(importlib.util.find_spec(name).origin).read_bytes())
    return digest.hexdigest()[:16]


def rehearsal_id(env_key: str, row: RunPlanRow, data_version: str) -> str:
    payload = {"rehearsal_version": REHEARSAL_VERSION, "env_key": env_key, "row": rehearsed_spec(row)}
    if is_foundation_model(row.model):
        payload["weights"] = weights_identity(row)
    payload.update(data_version=data_version, trainer_path=trainer_path_fingerprint())
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass
class Rehearsal:
    """The outcome of one row's rehearsal (run now, or read from the stored plan probe)."""

    run_name: str
    plan_id: str
    probe_id: str
    outcome: str
    stage: str = ""
    error_type: str = ""
    error_message: str = ""
    seconds: float = 0.0
    cached: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome in ("ok", "nan_output")

    def violation(self):
        """The violation this outcome puts on the row (None when it ran)."""
        from fcast.plans.validate import Violation

        if self.outcome == "ok":
            return None
        where = f"rehearsal.{self.stage}" if self.stage else "rehearsal"
        if self.outcome == "nan_output":
            return Violation(
                "rehearsal_nan_output",
                where,
                f"one training step gave NaN forecasts: {self.error_message[:300]}",
                "check the scaler and the inputs for constant or missing values; training may not recover",
                "probe",
                self.probe_id,
                "warning",
            )
        if self.outcome == "ignored":
            message = f"it runs, but {self.error_message[:400]}"
            suggestion = "ask only for outputs this model and loss return (see the message), or change the loss"
        elif self.outcome == "timeout":
            message = f"the one-step rehearsal did not finish in time ({self.error_message})"
            suggestion = "make the row smaller (input_size, batch sizes, windows) or raise FCAST_REHEARSAL_TIMEOUT_S"
        elif self.outcome == "crashed":
            message = f"the process running the row died ({self.error_message})"
            suggestion = "the row crashes the interpreter (memory or a native error): make it smaller"
        else:
            message = f"{self.stage} raised {self.error_type}: {self.error_message[:400]}"
            suggestion = suggestion_for(self.error_type, self.error_message)
        return Violation(RULE_FOR_OUTCOME[self.outcome], where, message, suggestion, "probe", self.probe_id)


@dataclass
class _Task:
    """What the prober's pool runs: `probe_id` and `spec` (here the row and its inputs)."""

    probe_id: str
    spec: dict


# --- in the worker process ------------------------------------------------------------------------


def _requested_outputs_missing(row: RunPlanRow, outputs: Any, alias: str) -> list[str]:
    from fcast.library.build import cross_validation_arguments
    from fcast.train.scoring import output_columns

    missing = []
    for where, frame, asked in (
        ("predict", outputs.forecast, row.predict),
        ("cross_validation", outputs.cv, cross_validation_arguments(row)),
    ):
        if frame is None:  # a distributed row is not cross-validated (fcast.train.pipeline.distributed_path)
            continue
        columns = output_columns(frame, alias)
        for level in asked.get("level") or []:
            if not any(math.isclose(float(level), known) for known in columns.intervals):
                missing.append(
                    f"{where}.level {level} asked, and no {alias}-lo-{level} / {alias}-hi-{level} columns came "
                    f"back (got {list(frame.columns)})"
                )
        quantiles = columns.quantile_columns()
        for quantile in asked.get("quantiles") or []:
            if not any(math.isclose(float(quantile), known, abs_tol=1e-6) for known in quantiles):
                missing.append(
                    f"{where}.quantiles {quantile} asked, and no {alias}_ql{quantile} column or matching interval "
                    f"bound came back (got {list(frame.columns)})"
                )
    if row.predict_insample not in (None, False) and (outputs.insample is None or len(outputs.insample) == 0):
        missing.append("predict_insample asked, and no insample predictions came back")
    return missing


def _nan_forecasts(frame: Any, alias: str) -> bool:
    from fcast.train.scoring import output_columns

    return bool(frame[output_columns(frame, alias).point].isna().any())


def _run_row(row: RunPlanRow, inputs: Any, scratch: Path, clock: Any) -> dict:
    from fcast.automl.search import best_row, optuna_search, ray_search
    from fcast.train import scoring
    from fcast.train.pipeline import save_load_predict, trainer_path
    from fcast.train.run_log import RunLog
    from fcast.train.trainer import point_alias, result_rows, trainer_defaults

    log = RunLog()
    if row.backend:
        search = optuna_search if row.backend == "optuna" else ray_search
        with clock.stage("search"):
            found = search(
                rehearsal_row(row),
                inputs,
                scratch,
                log,
                trainer_defaults(row.model_args, scratch),
                trial_overrides=ONE_STEP,
                durable=False,
            )
        row = best_row(row, found)
    row = rehearsal_row(row)
    outputs = trainer_path(row, inputs, log, trainer_defaults(row.model_args, scratch), clock)
    loaded_forecast = save_load_predict(outputs, row, inputs, scratch / "model", clock)
    alias = point_alias(row)
    with clock.stage("scoring"):
        rows = result_rows("rehearsal", row, inputs, outputs.cv, outputs.forecast, outputs.insample)
        scoring.summarize(rows.metrics)
        scoring.forecast_rows("rehearsal", loaded_forecast, alias, scoring.FORECAST, inputs.last_ds, inputs.axis)
        missing = _requested_outputs_missing(row, outputs, alias)
        has_nan = _nan_forecasts(outputs.forecast, alias) or _nan_forecasts(loaded_forecast, alias)
    result = {
        "outcome": "ok",
        "stage": "",
        "error_type": "",
        "error_message": "",
        "output_rows": len(outputs.forecast),
        "output_columns": [str(column) for column in outputs.forecast.columns],
    }
    if missing:
        result.update(outcome="ignored", stage="outputs", error_type="IgnoredOutput", error_message="; ".join(missing))
    elif has_nan:
        result.update(outcome="nan_output", stage="predict", error_type="NaN", error_message="NaN in the forecasts")
    return result


def warm_up() -> None:
    """Import the trainer's path once per worker, so no row's clock counts the imports."""
    import neuralforecast.auto
    import neuralforecast.models  # noqa: F401

    import fcast.automl.search
    import fcast.train.trainer  # noqa: F401


def execute(spec: dict) -> dict:
    """Rehearse one row in a worker process; every failure comes back as a result, never as an exception."""
    from fcast.train.pipeline import StageClock, StageFailure

    started = time.perf_counter()
    clock = StageClock()
    row = RunPlanRow(**spec["row"])
    try:
        with tempfile.TemporaryDirectory(prefix="fcast-rehearsal-") as scratch:
            result = _run_row(row, spec["inputs"], Path(scratch), clock)
    except StageFailure as failure:
        error = failure.error
        result = {
            "outcome": "raised",
            "stage": failure.stage,
            "error_type": type(error).__name__,
            "error_message": (str(error) or type(error).__name__).strip()[:2000],
            "output_rows": 0,
            "output_columns": [],
        }
    except Exception as error:  # outside any stage: still a failure of the row, never of the pool
        result = {
            "outcome": "raised",
            "stage": clock.current or "build",
            "error_type": type(error).__name__,
            "error_message": str(error)[:2000],
            "output_rows": 0,
            "output_columns": [],
        }
    result["duration_seconds"] = time.perf_counter() - started
    result["stage_seconds"] = {name: round(seconds, 3) for name, seconds in clock.seconds.items()}
    result["values"] = []
    return result


# --- in the parent ---------------------------------------------------------------------------------


def _stored(env_key: str, probe_ids: list[str]) -> dict[str, Rehearsal]:
    if not probe_ids:
        return {}
    marks = ", ".join("?" for _ in probe_ids)
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select probe_id, argument, value_label, outcome, failed_stage, error_type, error_message, "
            f"duration_seconds from {REGISTRY_PROBES.qualified_name} where env_key = ? and probe_kind = 'plan' "
            f"and probe_id in ({marks})",
            [env_key, *probe_ids],
        )
    return {
        probe_id: Rehearsal(run_name, plan_id, probe_id, outcome, stage or "", kind, message, seconds, cached=True)
        for probe_id, plan_id, run_name, outcome, stage, kind, message, seconds in rows
        if outcome in CACHED_OUTCOMES
    }


def rehearsal_context(row: RunPlanRow, inputs) -> dict:
    """The context a rehearsal ran in, as the probe matrix records it: the row's real data and arguments."""
    from fcast.probe.definitions import integer_or_none, loss_label

    lengths = inputs.df.groupby("unique_id").size() if len(inputs.df) else None
    return {
        "series_count": len(inputs.unique_ids),
        "series_length": int(lengths.max()) if lengths is not None else 0,
        "horizon": row.horizon,
        "input_size": integer_or_none(row.model_args.get("input_size")),
        "max_steps": ONE_STEP["max_steps"],
        "windows_batch_size": integer_or_none(row.model_args.get("windows_batch_size")),
        "loss": loss_label(row.loss) or "default",
        "valid_loss": loss_label(row.valid_loss) or "default",
        "val_size": int(row.fit.get("val_size") or 0),
        "exogenous": ",".join(kind for kind in ("futr", "hist", "stat") if row.feature_list(kind)),
    }


def _probe_row(env_key: str, row: RunPlanRow, inputs, rehearsal: Rehearsal, result: dict) -> dict:
    from fcast.probe.definitions import context_columns

    spec = {"row": rehearsed_spec(row), "data_version": inputs.data_version, "stage_seconds": rehearsal.stage_seconds}
    context = rehearsal_context(row, inputs)
    return REGISTRY_PROBES.row(
        {
            "env_key": env_key,
            "probe_id": rehearsal.probe_id,
            "library": "neuralforecast",
            "model_class": row.model,
            "method": "plan",
            "argument": row.plan_id,
            "value_label": row.run_name[:300],
            "baseline_probe_id": "",
            "spec_json": json.dumps(spec, sort_keys=True, default=str),
            "outcome": rehearsal.outcome,
            "error_type": rehearsal.error_type[:128],
            "error_message": rehearsal.error_message[:2000],
            "duration_seconds": float(rehearsal.seconds),
            "output_rows": int(result.get("output_rows", 0)),
            "output_columns": json.dumps(result.get("output_columns", []))[:2000],
            "max_abs_diff_from_baseline": None,
            "tolerance": 0.0,
            "probed_at": utc_now(),
            "probe_kind": "plan",
            "failed_stage": rehearsal.stage,
            "question": "runs",
            **context_columns(context),
        }
    )


def _store(env_key: str, rows: list[dict]) -> None:
    if not rows:
        return
    with db.connect() as warehouse:
        marks = ", ".join("?" for _ in rows)
        warehouse.execute(
            f"delete from {REGISTRY_PROBES.qualified_name} where env_key = ? and probe_id in ({marks})",
            [env_key, *(row["probe_id"] for row in rows)],
        )
        warehouse.insert_rows(REGISTRY_PROBES, rows)


def _inputs_failure(row: RunPlanRow, error: Exception) -> Rehearsal:
    return Rehearsal(row.run_name, row.plan_id, "", "raised", "inputs", type(error).__name__, str(error)[:2000])


def rehearse_rows(
    rows: list[RunPlanRow],
    env_key: str,
    workers: int | None = None,
    timeout_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Rehearsal]:
    """Rehearse each row (stored outcomes are reused); {plan_id: Rehearsal}."""
    from fcast.probe.runner import task_pool
    from fcast.train.inputs import load_inputs

    say = progress or (lambda line: None)
    started = time.perf_counter()
    outcomes: dict[str, Rehearsal] = {}
    tasks: dict[str, _Task] = {}
    rows_of: dict[str, list[RunPlanRow]] = {}
    inputs_of: dict = {}
    for row in rows:
        try:
            inputs = load_inputs(row)
        except Exception as error:  # the row cannot be read as the trainer reads it: it cannot train
            outcomes[row.plan_id] = _inputs_failure(row, error)
            continue
        probe_id = rehearsal_id(env_key, row, inputs.data_version)
        rows_of.setdefault(probe_id, []).append(row)
        inputs_of[probe_id] = inputs
        tasks.setdefault(probe_id, _Task(probe_id, {"row": row.spec(), "inputs": inputs}))
    stored = _stored(env_key, list(tasks))
    for probe_id, rehearsal in stored.items():
        for row in rows_of[probe_id]:
            outcomes[row.plan_id] = dataclasses.replace(rehearsal, run_name=row.run_name, plan_id=row.plan_id)
    pending = [task for probe_id, task in tasks.items() if probe_id not in stored]
    if stored:
        say(f"rehearsal: {len(stored)} row spec(s) already rehearsed on this data and environment (stored)")
    if pending:
        count = max(1, min(workers or default_workers(), len(pending)))
        from fcast import cluster

        where = (
            f"as tasks on the Ray cluster {cluster.address()}"
            if cluster.address()
            else f"in {count} worker process(es)"
        )
        say(f"rehearsing {len(pending)} row(s) {where}, one training step each ...")
        written: list[dict] = []
        done = 0

        def record(task: _Task, result: dict) -> None:
            nonlocal done
            done += 1
            first = rows_of[task.probe_id][0]
            rehearsal = Rehearsal(
                first.run_name,
                first.plan_id,
                task.probe_id,
                result["outcome"],
                result.get("stage", ""),
                result.get("error_type", ""),
                result.get("error_message", ""),
                float(result.get("duration_seconds", 0.0)),
                stage_seconds=result.get("stage_seconds", {}),
            )
            for row in rows_of[task.probe_id]:
                outcomes[row.plan_id] = dataclasses.replace(rehearsal, run_name=row.run_name, plan_id=row.plan_id)
            written.append(_probe_row(env_key, first, inputs_of[task.probe_id], rehearsal, result))
            shown = "ok" if rehearsal.outcome == "ok" else f"{rehearsal.outcome} in {rehearsal.stage or '-'}"
            say(
                f"  [{done}/{len(pending)}] {first.run_name}: {shown} ({rehearsal.seconds:.1f}s, "
                f"{time.perf_counter() - started:.0f}s elapsed)"
            )

        pool = task_pool(count, timeout_s or settings.number("FCAST_REHEARSAL_TIMEOUT_S"), EXECUTOR)
        try:
            pool.run(pending, record)
        finally:
            pool.close()
            _store(env_key, written)
    return outcomes


def apply_rehearsals(results: list, outcomes: dict[str, Rehearsal]) -> None:
    """Put each rehearsal's violation on its row's validation result."""
    for result in results:
        rehearsal = outcomes.get(result.row.plan_id)
        if rehearsal is None:
            continue
        result.rehearsal = rehearsal
        if rehearsal.stage == "inputs":
            from fcast.plans.validate import Violation

            result.violations.append(
                Violation(
                    "rehearsal_inputs",
                    "dataset",
                    f"the row's frames cannot be read from the marts: {rehearsal.error_type}: "
                    f"{rehearsal.error_message}",
                    "run `fcast build` so the marts exist, and check dataset, series and features",
                    "data",
                    "nf_train_df / nf_static_df / nf_futr_df",
                )
            )
            continue
        violation = rehearsal.violation()
        if violation is not None:
            result.violations.append(violation)
