"""Probes of neuralforecast's distributed fit on Spark: which models and calls train that way here.

A named family (`fcast registry probe --distributed`), not part of the default matrix: every probe starts
PySpark's TorchDistributor (a DDP training process) and predicts inside Spark, seconds each. The baseline of
every model class is `NeuralForecast.fit(df=<Spark DataFrame>, distributed_config=DistributedConfig(...))`
followed by `predict(engine=session)` on the tiny data of the matrix, beside the matrix's own one-machine fit of
the same model (a failure both share is the data's, not the distribution's); on representative models the calls a
plan row may add to a distributed fit are probed too: cross-validation, insample predictions, save and load,
conformal prediction intervals, a global scaler, each kind of exogenous, levels. Rows are
`method = 'fit_distributed'` in raw.registry_probes with real outcomes (ok, raised with the error,
ignored when a requested output did not come back); the validator's `distributed_*` rules cite them.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcast.probe.definitions import (
    NORMAL_LOSS,
    PREDICTION_INTERVALS,
    RUNS,
    TINY_DATA,
    TINY_MODEL,
    Probe,
    RegistryView,
    _probe,
)
from fcast.probe.definitions import _base as matrix_base

DISTRIBUTED_METHOD = "fit_distributed"
EXECUTOR = "fcast.probe.distributed:execute"
DISTRIBUTED_TIMEOUT_S = 600.0  # a Spark fit and a Spark predict, seconds each on a loaded machine
ONE_DEVICE = {"engine": "spark", "num_nodes": 1, "devices": 1}
VARIANT_MODELS = ("NHITS",)


@dataclass(frozen=True)
class Variant:
    """A call a plan row adds to a distributed fit: the probe that tries it, and the row fields that ask for it."""

    argument: str
    value_label: str
    changes: dict
    fields: tuple[str, ...]  # the row fields that ask for it ("cross_validation", "features.stat", ...)


VARIANTS = (
    Variant("cross_validation", "n_windows=1", {"call": "cross_validation"}, ("cross_validation",)),
    Variant("predict_insample", "step_size=1", {"call": "predict_insample"}, ("predict_insample",)),
    Variant("save_load", "save_dataset=False, predict(df=pandas)", {"call": "save_load"}, ()),
    Variant(
        "prediction_intervals",
        "n_windows=2",
        {"fit_kwargs": {"prediction_intervals": PREDICTION_INTERVALS}},
        ("fit.prediction_intervals",),
    ),
    Variant(
        "local_scaler_type",
        "standard",
        {"nf_kwargs": {"local_scaler_type": "standard"}},
        ("neuralforecast.local_scaler_type",),
    ),
    Variant(
        "futr_exog_list",
        '["futr_1"]',
        {"model_kwargs": {"futr_exog_list": ["futr_1"]}, "futr_df": True},
        ("features.futr",),
    ),
    Variant("hist_exog_list", '["hist_1"]', {"model_kwargs": {"hist_exog_list": ["hist_1"]}}, ("features.hist",)),
    Variant(
        "stat_exog_list",
        '["stat_1"] with static_df',
        {"model_kwargs": {"stat_exog_list": ["stat_1"]}, "with_static_df": True},
        ("features.stat",),
    ),
    Variant(
        "level",
        "[70] with DistributionLoss(distribution=Normal)",  # a level beyond the loss's own (80, 90)
        {"model_kwargs": {"loss": NORMAL_LOSS}, "call_kwargs": {"level": [70]}},
        ("predict.level",),
    ),
)


def distributed_probe_key(model: str, variant: Variant | None = None) -> tuple[str, str, str, str]:
    """The (model, method, argument, value_label) of a distributed probe, as RegistryFacts.probe takes it."""
    if variant is None:
        return model, DISTRIBUTED_METHOD, "", ""
    return model, DISTRIBUTED_METHOD, variant.argument, variant.value_label


def _base(model: str, view: RegistryView) -> dict:
    accepted = view.parameters.get(model, {})
    model_kwargs = {key: value for key, value in TINY_MODEL.items() if key in accepted or key == "h"}
    if view.models.get(model, {}).get("multivariate") and "n_series" in accepted:
        model_kwargs["n_series"] = TINY_DATA["series"]
    return {"method": DISTRIBUTED_METHOD, "model": model, "model_kwargs": model_kwargs, "distributed": ONE_DEVICE}


def _merged(spec: dict, changes: dict) -> dict:
    merged = {**spec}
    for key, value in changes.items():
        merged[key] = (
            {**merged[key], **value} if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def distributed_probes(
    view: RegistryView, models: list[str] | None = None, variant_models: tuple[str, ...] = VARIANT_MODELS
) -> list[Probe]:
    """The baseline distributed fit of every model class that builds here (or of `models`), and the variants
    on `variant_models`."""
    chosen = [
        name for name, info in sorted(view.models.items()) if info.get("can_build") and (not models or name in models)
    ]
    probes = []
    for model in chosen:
        # the matrix's own one-machine baseline (same id: skipped when recorded), so a failure the model has
        # anyway on the tiny data is not taken for a failure of the distributed fit
        probes.append(_probe(model, "fit", "", "", matrix_base(model, view), None))
        base = _base(model, view)
        probes.append(Probe(model, DISTRIBUTED_METHOD, "", "", base, None, RUNS))
        if model not in variant_models:
            continue
        for variant in VARIANTS:
            spec = _merged(base, variant.changes)
            probes.append(Probe(model, DISTRIBUTED_METHOD, variant.argument, variant.value_label, spec, base, RUNS))
    return probes


# --- in the worker process ------------------------------------------------------------------------


def warm_up() -> None:
    """The library's imports and the Spark session, before the first probe's clock starts."""
    from fcast.library.spark import spark_session
    from fcast.probe.scenarios import warm_up as library_warm_up

    library_warm_up()
    spark_session()


def _model(spec: dict) -> Any:
    from fcast.library.build import QUIET_TRAINER, make_model

    return make_model(spec["model"], {**QUIET_TRAINER, "accelerator": "cpu", **spec["model_kwargs"]})


def _call(spec: dict, folder: Path) -> Any:
    """Fit on Spark frames with a DistributedConfig, then the probed call; returns a pandas frame."""
    import pandas as pd
    from neuralforecast import NeuralForecast

    from fcast.library.build import make_prediction_intervals
    from fcast.library.spark import distributed_config, spark_frames, spark_session, to_pandas
    from fcast.probe.scenarios import tiny_data

    session = spark_session()
    df, static = tiny_data(spec)
    futr = None
    nf = NeuralForecast(models=[_model(spec)], freq=1, **spec.get("nf_kwargs", {}))
    if spec.get("futr_df"):  # the next h steps of every series (make_future_dataframe needs a fitted object)
        last = df.groupby("unique_id")["ds"].max()
        steps = range(1, int(spec["model_kwargs"]["h"]) + 1)
        futr = pd.DataFrame(
            [(uid, ds + step, 1.0) for uid, ds in last.items() for step in steps], columns=["unique_id", "ds", "futr_1"]
        )
    frames = spark_frames(session, df, static if spec.get("with_static_df") else None, futr)
    call = spec.get("call", "predict")
    if call == "cross_validation":
        return nf.cross_validation(df=frames.df, static_df=frames.static_df, n_windows=1)
    fit_kwargs = dict(spec.get("fit_kwargs", {}))
    if "prediction_intervals" in fit_kwargs:
        fit_kwargs["prediction_intervals"] = make_prediction_intervals(fit_kwargs["prediction_intervals"])
    config = distributed_config(spec["distributed"], folder)
    nf.fit(df=frames.df, static_df=frames.static_df, distributed_config=config, **fit_kwargs)
    if call == "predict_insample":
        return nf.predict_insample(step_size=1)
    if call == "save_load":
        nf.save(path=str(folder / "model"), save_dataset=False, overwrite=True)
        loaded = NeuralForecast.load(path=str(folder / "model"))
        return loaded.predict(df=df, static_df=static if spec.get("with_static_df") else None, futr_df=futr)
    arguments = {"engine": session, **spec.get("call_kwargs", {})}
    if frames.futr_df is not None:
        arguments["futr_df"] = frames.futr_df
    forecast = to_pandas(nf.predict(**arguments))
    return pd.DataFrame(forecast)


def _missing_levels(spec: dict, output: Any) -> str:
    """The asked levels whose -lo-/-hi- columns did not come back ('' when all did)."""
    columns = [str(column) for column in output.columns]
    missing = [
        level
        for level in spec.get("call_kwargs", {}).get("level") or []
        if not any(f"-lo-{level}" in c for c in columns)
    ]
    if not missing:
        return ""
    return f"predict(level={missing}) on a Spark fit returned no -lo-/-hi- columns (got {columns})"


ERROR_LINE = re.compile(r"^(?:\[rank\d+\]: )?((?:\w+\.)*\w*(?:Error|Exception)): (.+)$")


@contextmanager
def _output_kept(path: Path) -> Iterator[None]:
    """The process's stdout and stderr (file descriptors: TorchDistributor's training processes inherit them)
    go to `path` for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in (*saved, target):
            os.close(descriptor)


def training_error(output: str) -> str:
    """The last exception line the training processes printed (TorchDistributor raises only 'View stdout logs')."""
    found = [match.group(0) for line in output.splitlines() if (match := ERROR_LINE.match(line.strip()))]
    useful = [line for line in found if "ChildFailedError" not in line and "TorchDistributor failed" not in line]
    return useful[-1] if useful else ""


def execute(spec: dict) -> dict:
    """Run one distributed probe; never raises. outcome: ok, raised (with the training processes' own error when
    TorchDistributor hides it), ignored or nan_output."""
    from fcast.probe.scenarios import _finished, _library_warnings, _raised, _Recorder, quiet
    from fcast.probe.scenarios import execute as execute_on_one_machine

    if spec.get("method") != DISTRIBUTED_METHOD:  # the one-machine baseline of the family
        return execute_on_one_machine(spec)
    quiet()
    started = time.perf_counter()
    with _Recorder() as caught, tempfile.TemporaryDirectory(prefix="fcast-probe-spark-") as folder:
        kept = Path(folder) / "output.txt"
        try:
            with _output_kept(kept):
                output = _call(spec, Path(folder))
        except BaseException as error:
            result = _raised(error, time.perf_counter() - started, _library_warnings(caught))
            cause = training_error(kept.read_text(encoding="utf-8", errors="replace")) if kept.exists() else ""
            if cause:
                result["error_message"] = f"{result['error_message']} (training process: {cause})"[:2000]
            return result
        result = _finished(output, None, time.perf_counter() - started, _library_warnings(caught))
    missing = _missing_levels(spec, output)
    if missing:
        result.update(outcome="ignored", error_type="IgnoredOutput", error_message=missing)
    return result
