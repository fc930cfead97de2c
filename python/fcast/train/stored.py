"""`fcast retrain` and `fcast predict`: start from a model-store record and rebuild its inputs from it.

The record names the exact series and feature columns a model was trained with; the run's plan row
is stored beside it. A retrain trains that row again on the current draws; a predict loads the saved
model (only when its files match the recorded hash) and forecasts the next h draws after the latest
one. A feature column that is gone, or a selector that now means other series, stops either
command before anything trains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from fcast import db
from fcast.errors import FcastError
from fcast.plans.spec import RunPlanRow
from fcast.raw_schema import MODEL_ARTIFACTS
from fcast.train import model_store, runs
from fcast.train.inputs import FEATURE_KINDS, RunInputs, check_features_exist
from fcast.train.pipeline import predict_with_saved
from fcast.train.run_log import RunLog
from fcast.train.trainer import RunOutcome, TrainOptions, WorkResult, train_row


class StoredModelError(FcastError, RuntimeError):
    pass


@dataclass
class StoredModel:
    run: dict
    artifact: dict
    row: RunPlanRow

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])

    @property
    def features(self) -> dict[str, list[str]]:
        return {kind: list(self.row.features.get(kind) or []) for kind in FEATURE_KINDS}

    @property
    def unique_ids(self) -> list[str]:
        return list(json.loads(self.artifact["unique_ids"]))

    @property
    def path(self) -> Path:
        return Path(self.artifact["artifact_path"])


def _artifact_of(run_id: str) -> dict:
    with db.connect(read_only=True) as warehouse:
        frame = warehouse.fetch_frame(
            f"select * from {MODEL_ARTIFACTS.qualified_name} where run_id = ? order by created_at desc", (run_id,)
        )
    if frame.empty:
        raise StoredModelError(
            f"run {run_id} has no stored model (only COMPLETED train and retrain runs do): see `fcast runs`"
        )
    return frame.iloc[0].to_dict()


def load_stored(run_id_prefix: str) -> StoredModel:
    run = runs.find_run(run_id_prefix)
    artifact = _artifact_of(str(run["run_id"]))
    spec = json.loads(run["optimization_config"])["plan_row"]
    recorded = json.loads(artifact["feature_set"])
    row = RunPlanRow(**{**spec, "features": recorded}, source=f"stored model of run {run['run_id']}")
    return StoredModel(run, artifact, row)


def same_series(stored: StoredModel):
    def check(inputs: RunInputs) -> None:
        if inputs.unique_ids != stored.unique_ids:
            raise StoredModelError(
                f"the selector {stored.row.dataset}/{stored.row.series} now gives {inputs.unique_ids}, but the model "
                f"was trained on {stored.unique_ids}: train a new plan instead"
            )

    return check


def _set_artifact_status(artifact_id: str, status: str) -> None:
    with db.connect() as warehouse:
        runs.update_table(MODEL_ARTIFACTS, "artifact_id", artifact_id, warehouse, status=status)


def verified_model(stored: StoredModel):
    """The saved NeuralForecast object, loaded only if its files still match the recorded hash."""
    try:
        return model_store.load_verified(stored.path, stored.artifact["files_hash"])
    except model_store.ArtifactTamperedError:
        _set_artifact_status(stored.artifact["artifact_id"], "tampered")
        raise
    except model_store.ArtifactMissingError:
        _set_artifact_status(stored.artifact["artifact_id"], "missing")
        raise


def retrain(run_id_prefix: str, options: TrainOptions | None = None) -> RunOutcome:
    from fcast.plans.validate import validate_rows

    runs.close_stale_runs()
    stored = load_stored(run_id_prefix)
    check_features_exist(stored.features, f"retrain of run {stored.run_id}", stored.row.dataset)
    options = options or TrainOptions()
    (result,) = validate_rows([stored.row], rehearse=options.rehearse, progress=options.progress)
    if not result.valid:
        problems = "; ".join(str(violation) for violation in result.errors)
        raise StoredModelError(f"the plan row of run {stored.run_id} no longer validates: {problems}")
    return train_row(
        stored.row,
        result.env_key,
        options,
        run_kind="retrain",
        parent_run_id=stored.run_id,
        check_inputs=same_series(stored),
    )


def predict(run_id_prefix: str, options: TrainOptions | None = None) -> RunOutcome:
    from fcast.registry.environment import environment_facts

    runs.close_stale_runs()
    stored = load_stored(run_id_prefix)
    check_features_exist(stored.features, f"predict with run {stored.run_id}", stored.row.dataset)
    nf = verified_model(stored)

    def forecast_next_draws(row: RunPlanRow, inputs: RunInputs, scratch: Path, log: RunLog) -> WorkResult:
        log.info(f"forecasting the next {row.horizon} draw(s) after draw {max(inputs.last_ds.values())}")
        return WorkResult(nf, None, predict_with_saved(nf, row, inputs), save=False)

    row = replace(stored.row, source=f"predict with the stored model of run {stored.run_id}")
    return train_row(
        row,
        environment_facts("neuralforecast")["env_key"],
        options,
        run_kind="predict",
        parent_run_id=stored.run_id,
        work=forecast_next_draws,
        check_inputs=same_series(stored),
    )
