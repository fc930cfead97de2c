"""`fcast explain RUN_ID`: attribute a stored model's forecasts to its inputs and store them in long form.

The run's plan row is checked against the registry first (`capabilities.assess`): a model neuralforecast
cannot explain with the explainer is refused before anything is loaded. Then, as `fcast predict` does, the
inputs are rebuilt from the model-store record and the model is loaded only if its files match the recorded
hash. Each of the latest `windows` forecast origins (the latest draw, then one draw earlier each) is explained
by `NeuralForecast.explain`; a TFT's own variable-selection weights are recorded beside the attributions.
Explaining a run again with the same explainer replaces its rows.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fcast import db
from fcast.errors import FcastError, UsageError
from fcast.explain import ADDITIVE_EXPLAINERS, ADDITIVITY_TOLERANCE, EXPLAINERS
from fcast.explain.attributions import ExplainedWindow, explanation_rows, is_additive
from fcast.explain.capabilities import assess
from fcast.ingest.records import utc_now
from fcast.raw_schema import EXPLANATION_TABLES, RUN_ATTRIBUTIONS, RUN_EXPLANATION_FORECASTS, RUN_EXPLANATIONS

WRITTEN_TABLES = tuple(table.name for table in EXPLANATION_TABLES)
LIBRARIES = ("neuralforecast", "captum", "torch")


class ExplainFailed(FcastError, RuntimeError):
    """neuralforecast raised while explaining (recorded as a failed explanation)."""


@dataclass
class ExplanationReport:
    explain_id: str
    run_id: str
    model_name: str
    explainer: str
    windows: int
    explained_forecasts: int = 0
    attribution_rows: int = 0
    max_additivity_error: float | None = None
    is_additive: bool = False
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        error = "n/a" if self.max_additivity_error is None else f"{self.max_additivity_error:.2e}"
        additive = "additive" if self.is_additive else "not additive"
        return (
            f"explained run {self.run_id} ({self.model_name}) with {self.explainer}: {self.windows} window(s), "
            f"{self.explained_forecasts} forecast value(s), {self.attribution_rows:,} attributions in "
            f"{self.seconds:.1f}s; max additivity error {error} ({additive})"
        )


def explain_id_of(run_id: str, explainer: str) -> str:
    return hashlib.sha256(f"{run_id}|{explainer}".encode()).hexdigest()[:32]


def _on_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def library_versions() -> dict[str, str | None]:
    from fcast.registry.environment import distribution_version

    return {name: distribution_version(name) for name in LIBRARIES}


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def window_frames(inputs: Any, back: int, horizon: int, futr_columns: list[str]) -> tuple[pd.DataFrame, Any]:
    """(df, futr_df) of the forecast origin `back` draws before the latest: each series' draws up to it, and the
    fut_ values of the `horizon` draws after it (the calendar's future rows for the latest origin)."""
    df = _ordered(inputs.df)
    if back == 0:
        return df, inputs.futr_df
    position = df.groupby("unique_id").cumcount(ascending=False)
    history = df[position >= back].reset_index(drop=True)
    if not futr_columns:
        return history, None
    future = [df[position < back][["unique_id", "ds", *futr_columns]]]
    if inputs.futr_df is not None:
        future.append(inputs.futr_df[["unique_id", "ds", *futr_columns]])
    ahead = _ordered(pd.concat(future, ignore_index=True))
    return history, ahead[ahead.groupby("unique_id").cumcount() < horizon].reset_index(drop=True)


def _as_index(values: Any, axis: Any) -> np.ndarray:
    """ds values as the stored integer index (draw number, step, position on a date grid)."""
    return axis.index_of(values) if axis.is_date else np.asarray(values, dtype="int64")


def _numpy(value: Any) -> Any:
    return None if value is None else value.detach().cpu().numpy()


def explain_window(nf: Any, explainer: str, df: pd.DataFrame, futr_df: Any, inputs: Any) -> ExplainedWindow:
    """NeuralForecast.explain of every horizon step and output of the model, at the origin df ends at."""
    model = nf.models[0]
    output_names = [str(name) for name in model.loss.output_names]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecasts, explanations = nf.explain(
            explainer=explainer,
            outputs=list(range(len(output_names))),
            df=df,
            static_df=inputs.static_df,
            futr_df=futr_df,
            verbose=False,
        )
    (arrays,) = explanations.values()
    unique_ids = list(dict.fromkeys(forecasts["unique_id"]))
    columns = [column for column in forecasts.columns if column not in ("unique_id", "ds")]
    values = np.stack([forecasts[forecasts["unique_id"] == unique_id][columns].to_numpy() for unique_id in unique_ids])
    last = df.groupby("unique_id")["ds"].max()
    return ExplainedWindow(
        arrays={key: _numpy(value) for key, value in arrays.items()},
        multivariate=bool(model.MULTIVARIATE),
        unique_ids=unique_ids,
        cutoffs={uid: int(_as_index([last[uid]], inputs.axis)[0]) for uid in unique_ids},
        forecast_ds={
            uid: [int(ds) for ds in _as_index(forecasts.loc[forecasts["unique_id"] == uid, "ds"], inputs.axis)]
            for uid in unique_ids
        },
        forecasts=values.astype(float),
        features={
            "futr": list(model.futr_exog_list),
            "hist": list(model.hist_exog_list),
            "stat": list(model.stat_exog_list),
        },
        output_names=output_names,
    )


def tft_importance_rows(nf: Any, df: pd.DataFrame, futr_df: Any, inputs: Any, cutoff: int) -> pd.DataFrame:
    """TFT's own variable-selection weights at this origin (batch means over the series), as attribution rows."""
    model = nf.models[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nf.predict(df=df, static_df=inputs.static_df, futr_df=futr_df, verbose=False)
    parts = []
    for title, table in model.feature_importances().items():
        if title.startswith("Static"):
            parts.append(pd.DataFrame({"feature": table.index, "lag_position": 0, "value": table["importance"]}))
            continue
        offset = 1 if title.startswith("Future") else -(len(table) - 1)
        long = table.reset_index(names="row").melt(id_vars="row", var_name="feature", value_name="value")
        parts.append(long.assign(lag_position=long["row"] + offset).drop(columns="row"))
    rows = pd.concat(parts, ignore_index=True)
    rows["feature"] = rows["feature"].replace({"observed_target": "y"})
    rows = rows.groupby(["feature", "lag_position"], as_index=False)["value"].sum()  # a fut_ column is past and future
    return pd.DataFrame(
        {
            "unique_id": "",
            "cutoff": cutoff,
            "ds": cutoff,
            "horizon_step": 0,
            "output_index": 0,
            "input_kind": "tft_importance",
            "feature": rows["feature"].astype(str),
            "input_unique_id": "",
            "lag_position": rows["lag_position"].astype(int),
            "attribution_value": rows["value"].astype(float),
        }
    )


def _write(explanation: dict, forecasts: pd.DataFrame, attributions: pd.DataFrame) -> None:
    """Replace the explanation's rows in the three tables, in one transaction."""
    with db.connect() as warehouse:
        for table in EXPLANATION_TABLES:
            warehouse.execute(f"delete from {table.qualified_name} where explain_id = ?", (explanation["explain_id"],))
        warehouse.insert_rows(RUN_EXPLANATIONS, [explanation])
        warehouse.insert_rows(RUN_EXPLANATION_FORECASTS, forecasts)
        warehouse.insert_rows(RUN_ATTRIBUTIONS, attributions)


def explain_run(
    run_id_prefix: str,
    explainer: str = "IntegratedGradients",
    windows: int = 1,
    progress: Callable[[str], None] = lambda line: None,
) -> ExplanationReport:
    """Explain the stored model of a run at its latest `windows` forecast origins and store the attributions."""
    from fcast.registry.facts import RegistryFacts
    from fcast.train.inputs import check_features_exist, load_inputs
    from fcast.train.stored import load_stored, same_series, verified_model

    if explainer not in EXPLAINERS:
        raise UsageError(f"unknown explainer {explainer}: choose one of {', '.join(EXPLAINERS)}")
    if windows < 1:
        raise UsageError(f"--windows must be at least 1 (got {windows})")
    stored = load_stored(run_id_prefix)
    check = assess(stored.row, explainer, RegistryFacts.load(), on_gpu=_on_gpu())
    check.raise_if_refused(stored.run_id, explainer)
    for warning in check.warnings:
        progress(f"  warning: {warning}")
    check_features_exist(stored.features, f"explain run {stored.run_id}", stored.row.dataset)
    inputs = load_inputs(stored.row)
    same_series(stored)(inputs)
    started = time.perf_counter()
    nf = verified_model(stored)
    report = ExplanationReport(
        explain_id_of(stored.run_id, explainer),
        stored.run_id,
        stored.row.model,
        explainer,
        windows,
        warnings=[*check.warnings],
    )
    explanation = {
        "explain_id": report.explain_id,
        "run_id": stored.run_id,
        "model_name": stored.row.model,
        "explainer": explainer,
        "windows": windows,
        "additivity_tolerance": ADDITIVITY_TOLERANCE,
        "library_versions": json.dumps(library_versions(), sort_keys=True),
        "created_at": utc_now(),
    }
    forecast_parts, attribution_parts = [], []
    try:
        for back in range(windows):
            df, futr_df = window_frames(inputs, back, stored.row.horizon, stored.features["futr"])
            progress(f"explaining the forecast after ds {df['ds'].max()} ({back + 1}/{windows}) with {explainer} ...")
            window = explain_window(nf, explainer, df, futr_df, inputs)
            attributions, forecasts = explanation_rows(window)
            if stored.row.model == "TFT":
                cutoff = max(window.cutoffs.values())
                attributions = pd.concat([attributions, tft_importance_rows(nf, df, futr_df, inputs, cutoff)])
            forecast_parts.append(forecasts)
            attribution_parts.append(attributions)
    except Exception as error:
        report.seconds = time.perf_counter() - started
        failed = {
            **explanation,
            "status": "failed",
            "explained_forecasts": 0,
            "attribution_rows": 0,
            "is_additive": False,
            "warnings": "\n".join(report.warnings),
            "error": f"{type(error).__name__}: {error}",
            "duration_seconds": report.seconds,
        }
        _write(failed, pd.DataFrame(), pd.DataFrame())
        raise ExplainFailed(
            f"neuralforecast could not explain run {stored.run_id} with {explainer}: {type(error).__name__}: {error}"
        ) from error
    forecasts = pd.concat(forecast_parts, ignore_index=True)
    attributions = pd.concat(attribution_parts, ignore_index=True)
    errors = forecasts["additivity_error"].dropna()
    report.max_additivity_error = float(errors.max()) if explainer in ADDITIVE_EXPLAINERS and len(errors) else None
    report.is_additive = explainer in ADDITIVE_EXPLAINERS and is_additive(report.max_additivity_error)
    if explainer in ADDITIVE_EXPLAINERS and not report.is_additive:
        report.warnings.append(
            f"attributions plus baseline differ from the forecast by up to {report.max_additivity_error:.2e} "
            f"(relative; tolerance {ADDITIVITY_TOLERANCE:g})"
        )
    report.explained_forecasts = len(forecasts)
    report.attribution_rows = len(attributions)
    report.seconds = time.perf_counter() - started
    completed = {
        **explanation,
        "status": "completed",
        "explained_forecasts": report.explained_forecasts,
        "attribution_rows": report.attribution_rows,
        "max_additivity_error": report.max_additivity_error,
        "is_additive": report.is_additive,
        "warnings": "\n".join(report.warnings),
        "error": "",
        "duration_seconds": report.seconds,
    }
    keyed = {"explain_id": report.explain_id, "run_id": stored.run_id}
    _write(completed, forecasts.assign(**keyed), attributions.assign(**keyed))
    return report
