"""The trainer's path: the sequence of neuralforecast calls one plan row makes, stage by stage.

`fcast train` and the rehearsal both run `trainer_path`: build the model, cross-validate, fit on
every draw, predict the next h draws (futr_df, static_df, level/quantiles of the plan), predict
insample when the plan asks. The rehearsal then saves, loads and predicts again, and extracts the
forecast and metric rows the trainer would store. A failure names the stage it happened in.
A row with a `distributed` block takes `distributed_path`: neuralforecast's own distributed fit on Spark.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcast.library.build import (
    build_model,
    build_neuralforecast,
    cross_validation_arguments,
    distributed_fit_arguments,
    distributed_predict_arguments,
    fit_arguments,
    insample_arguments,
    is_distributed,
    load_forecaster,
    predict_arguments,
)
from fcast.plans.spec import RunPlanRow
from fcast.train.inputs import RunInputs
from fcast.train.run_log import RunLog

STAGES = (
    "build",
    "search",
    "cross_validation",
    "fit",
    "predict",
    "predict_insample",
    "save",
    "load",
    "predict_loaded",
    "scoring",
)


class StageFailure(Exception):
    """An exception raised inside one stage of the trainer's path."""

    def __init__(self, stage: str, error: BaseException) -> None:
        super().__init__(f"{stage}: {type(error).__name__}: {error}")
        self.stage = stage
        self.error = error


@dataclass
class StageClock:
    """Which stage the path is in, and how long each took."""

    current: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.current = name
        started = time.perf_counter()
        try:
            yield
        except StageFailure:
            raise
        except Exception as error:
            raise StageFailure(name, error) from error
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@dataclass
class PathOutputs:
    nf: Any
    cv: Any
    forecast: Any
    insample: Any | None = None


def trainer_path(
    row: RunPlanRow, inputs: RunInputs, log: RunLog, trainer_kwargs: dict, clock: StageClock | None = None
) -> PathOutputs:
    """Cross-validate (refit off), fit on every draw, predict the next h draws, predict insample if asked."""
    clock = clock or StageClock()
    if is_distributed(row):
        return distributed_path(row, inputs, log, trainer_kwargs, clock)
    with clock.stage("build"):
        nf = build_neuralforecast(row, [build_model(row, **trainer_kwargs)], inputs.freq)
        cv_arguments = cross_validation_arguments(row)
    log.info(f"cross-validation {cv_arguments} on {inputs.train_rows} rows of {len(inputs.unique_ids)} series")
    with clock.stage("cross_validation"):
        cv = nf.cross_validation(df=inputs.df, static_df=inputs.static_df, **cv_arguments)
    log.info(f"cross-validation done in {clock.seconds['cross_validation']:.1f}s; fitting on every draw")
    with clock.stage("fit"):
        nf.fit(df=inputs.df, static_df=inputs.static_df, **fit_arguments(row))
    with clock.stage("predict"):
        forecast = nf.predict(**predict_arguments(row, inputs.futr_df))
    insample = _insample(nf, row, log, clock)
    log.info(f"fit and predict done in {clock.seconds['fit'] + clock.seconds['predict']:.1f}s")
    return PathOutputs(nf, cv, forecast, insample)


def _insample(nf: Any, row: RunPlanRow, log: RunLog, clock: StageClock) -> Any | None:
    """The insample predictions the row asks for (predict_insample), else None."""
    arguments = insample_arguments(row)
    if arguments is None:
        return None
    with clock.stage("predict_insample"):
        insample = nf.predict_insample(**arguments)
    log.info(f"insample predictions: {len(insample)} rows")
    return insample


def distributed_path(
    row: RunPlanRow, inputs: RunInputs, log: RunLog, trainer_kwargs: dict, clock: StageClock
) -> PathOutputs:
    """neuralforecast's distributed fit: the frames go to Spark, `fit` trains with a DistributedConfig and
    `predict(engine=session)` forecasts inside Spark.

    neuralforecast 3.3.0 cannot cross-validate a Spark DataFrame (its cross_validation takes pandas or polars
    frames): a row that asks for cross-validation windows makes the real call, which fails (the validator rejects
    such rows first, citing the probe); a row that asks for none is not cross-validated, and its log says so.
    """
    from fcast.library.spark import distributed_block, distributed_config, spark_frames, spark_session, to_pandas

    with clock.stage("build"):
        nf = build_neuralforecast(row, [build_model(row, **trainer_kwargs)], inputs.freq)
        session = spark_session()
        frames = spark_frames(session, inputs.df, inputs.static_df, inputs.futr_df)
    block = distributed_block(row.distributed)
    master = session.sparkContext.master
    with tempfile.TemporaryDirectory(prefix="fcast-spark-") as scratch:
        config = distributed_config(row.distributed, Path(scratch))
        cv = None
        if row.cross_validation:
            with clock.stage("cross_validation"):
                cv = nf.cross_validation(df=frames.df, static_df=frames.static_df, **cross_validation_arguments(row))
        else:
            log.info(
                "cross-validation skipped: a distributed row asks for no cross-validation windows "
                "(neuralforecast cannot cross-validate a Spark DataFrame); the run stores forecasts, no metrics"
            )
        log.info(
            f"distributed fit on Spark {master} ({block['num_nodes']} node(s) x {block['devices']} device(s)), "
            f"{inputs.train_rows} rows of {len(inputs.unique_ids)} series"
        )
        with clock.stage("fit"):
            nf.fit(**distributed_fit_arguments(row, frames, config))
        with clock.stage("predict"):
            forecast = to_pandas(nf.predict(**distributed_predict_arguments(row, frames, session)))
        insample = _insample(nf, row, log, clock)
    log.info(f"distributed fit and predict done in {clock.seconds['fit'] + clock.seconds['predict']:.1f}s")
    return PathOutputs(nf, cv, forecast, insample)


def predict_with_saved(nf: Any, row: RunPlanRow, inputs: RunInputs) -> Any:
    """A loaded model forecasts the next draws from the current draws: `fcast predict RUN_ID`."""
    return nf.predict(df=inputs.df, static_df=inputs.static_df, **predict_arguments(row, inputs.futr_df))


def save_load_predict(outputs: PathOutputs, row: RunPlanRow, inputs: RunInputs, folder: Path, clock: StageClock):
    """Save as the model store does, load it back and predict again as `fcast predict` will."""
    with clock.stage("save"):
        outputs.nf.save(path=str(folder), save_dataset=False, overwrite=True)
    with clock.stage("load"):
        loaded = load_forecaster(str(folder))
    with clock.stage("predict_loaded"):
        return predict_with_saved(loaded, row, inputs)
