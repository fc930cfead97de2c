"""Probes of the foundation-model adapters: really call each one, on tiny data, and record what runs.

The same pool, comparison with a baseline and raw.registry_probes rows as neuralforecast's probes, keyed
by the environment key of the adapter's own library (chronos-forecasting, transformers, fcast). Each
adapter is probed through `FoundationForecast`, the object the trainer drives: predict (the baseline),
levels and quantiles inside and beyond the model's quantile grid (a level the model cannot give comes back
equal to a smaller one: `unchanged`), a context length of one draw, a horizon beyond the model's,
cross-validation, fine-tuning, save and load, and embeddings. An adapter whose weights (or API key) are
not here is skipped with the reason: probes never download anything.
"""

from __future__ import annotations

import importlib
import math
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from fcast.probe.definitions import EFFECT, RUNS, Probe, _label

TINY_SERIES = {"series": 2, "length": 48}
BASE_ARGUMENTS = {"h": 2, "batch_size": 8, "device": "cpu", "random_seed": 1}


@dataclass
class FoundationProbePlan:
    env_key: str
    library: str
    probes: list[Probe]
    skipped: dict[str, str]  # adapter -> why it was not probed


def _spec(model: str, library: str, method: str, model_kwargs: dict | None = None, **call: Any) -> dict:
    return {
        "kind": "foundation",
        "library": library,
        "model": model,
        "method": method,
        "model_kwargs": {**BASE_ARGUMENTS, **(model_kwargs or {})},
        "call_kwargs": call,
        "data": TINY_SERIES,
    }


def _probe(model: str, method: str, argument: str, value: Any, spec: dict, baseline: dict | None, question: str):
    return Probe(model, method, argument, _label(value) if argument else "", spec, baseline, question)


def grid_levels(info: dict) -> tuple[float, float]:
    """(the widest level the model's quantile grid gives, a level beyond it)."""
    edge = round(100 - 200 * info["quantile_min"], 6)
    return edge, round((edge + 100) / 2, 6)


def adapter_probes(model: str, info: dict) -> list[Probe]:
    """The probes of one adapter, from its scanned capabilities."""
    library = info["library"]

    def spec(method: str, model_kwargs: dict | None = None, **call: Any) -> dict:
        return _spec(model, library, method, model_kwargs, **call)

    base, level_base = spec("predict"), spec("predict", level=[80])
    edge, beyond = grid_levels(info)
    edge_spec = spec("predict", level=[edge]) if edge != 80 else level_base
    probes = [
        _probe(model, "predict", "", None, base, None, RUNS),
        _probe(model, "predict", "level", [80], level_base, base, RUNS),
        _probe(model, "predict", "level", [beyond], spec("predict", level=[beyond]), edge_spec, EFFECT),
        _probe(model, "model_init", "context_length", 1, spec("predict", {"context_length": 1}), base, EFFECT),
        _probe(
            model,
            "model_init",
            "h",
            info["max_horizon"] + 1,
            spec("predict", {"h": info["max_horizon"] + 1}),
            None,
            RUNS,
        ),
        _probe(model, "cross_validation", "n_windows", 2, spec("cross_validation", n_windows=2), None, RUNS),
        _probe(model, "fit", "fine_tune_steps", 1, spec("predict", {"fine_tune_steps": 1}), base, EFFECT),
        _probe(model, "save_load", "", None, spec("save_load"), base, EFFECT),
        _probe(model, "embed", "", None, spec("embed"), None, RUNS),
    ]
    if edge != 80:
        probes.append(_probe(model, "predict", "level", [edge], edge_spec, level_base, RUNS))
    return probes


def compare(result: dict, baseline: dict | None, probe: Probe):
    """A foundation probe's outcome: its own when it failed; `ignored` when an argument left the forecasts (values,
    whatever the columns are called) exactly as its baseline's; a save and load must give the same forecasts."""
    from fcast.probe.observations import TOLERANCE, Comparison

    if result["outcome"] != "ok":
        return Comparison(result["outcome"])
    if probe.question == RUNS or not baseline or baseline["outcome"] != "ok":
        return Comparison("ok", reason="the probe asks whether the call runs" if probe.question == RUNS else "")
    values, expected = result["values"], baseline["values"]
    gap = (
        max((abs(a - b) for a, b in zip(values, expected, strict=True)), default=0.0)
        if len(values) == len(expected)
        else None
    )
    same = gap is not None and gap <= TOLERANCE
    if probe.method == "save_load":
        reason = "the loaded model forecasts as the saved one" if same else "the loaded model forecasts differently"
        return Comparison("ok", gap, () if same else ("forecast",), reason)
    if same:
        return Comparison("ignored", gap, reason=f"{probe.argument}={probe.value_label} left the forecasts unchanged")
    return Comparison("ok", gap, ("forecast",))


def unavailable(model: str) -> str:
    """Why the adapter cannot be probed here ('' when it can): its weights, or TimeGPT's key."""
    from fcast.library.foundation import adapter_class
    from fcast.library.foundation.checkpoints import checkpoint_problem

    adapter = adapter_class(model)
    if adapter.CAPABILITIES.needs_checkpoint:
        return checkpoint_problem(adapter, None)
    module = importlib.import_module(adapter.__module__)
    return module.api_key_problem() if hasattr(module, "api_key_problem") else ""


def plan_foundation_probes(foundation: dict[str, dict]) -> list[FoundationProbePlan]:
    """One plan per adapter library's environment key, from the registry's foundation facts."""
    plans: dict[str, FoundationProbePlan] = {}
    for model, info in sorted(foundation.items()):
        plan = plans.setdefault(info["env_key"], FoundationProbePlan(info["env_key"], info["library"], [], {}))
        reason = unavailable(model)
        if reason:
            plan.skipped[model] = reason
        else:
            plan.probes.extend(adapter_probes(model, info))
    return list(plans.values())


# --- in the worker ---------------------------------------------------------------------------------


def tiny_draws(spec: dict):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    data = spec["data"]
    return pd.concat(
        pd.DataFrame(
            {
                "unique_id": f"s{index}",
                "ds": np.arange(1, data["length"] + 1),
                "y": rng.integers(1, 44, data["length"]).astype(float),
            }
        )
        for index in range(data["series"])
    )


def _call(spec: dict) -> Any:
    from fcast.library.foundation import adapter_class
    from fcast.library.foundation.forecaster import FoundationForecast

    df = tiny_draws(spec)
    forecaster = FoundationForecast([adapter_class(spec["model"])(**spec["model_kwargs"])], freq=1)
    method, call = spec["method"], spec["call_kwargs"]
    if method == "cross_validation":
        return forecaster.cross_validation(df=df, **call)
    if method == "embed":
        import pandas as pd

        windows = [group["y"].to_numpy(dtype="float32") for _, group in df.groupby("unique_id")]
        return pd.DataFrame(forecaster.adapter.embed(windows))
    forecaster.fit(df=df)
    if method == "save_load":
        with tempfile.TemporaryDirectory(prefix="fcast-probe-") as folder:
            forecaster.save(folder)
            return FoundationForecast.load(folder).predict(**call)
    return forecaster.predict(**call)


def _library_version(library: str) -> str:
    from importlib.metadata import version

    return version(library)


def execute(spec: dict) -> dict:
    """Run one foundation probe; never raises (ok, raised or nan_output; the parent compares)."""
    from fcast.probe.scenarios import _numbers

    started = time.perf_counter()
    result = {"library_version": _library_version(spec["library"]), "observed": {}, "warnings": []}
    try:
        output = _call(spec)
    except BaseException as error:
        return {
            **result,
            "outcome": "raised",
            "error_type": type(error).__name__,
            "error_message": str(error)[:2000],
            "duration_seconds": time.perf_counter() - started,
            "output_rows": 0,
            "output_columns": [],
            "values": [],
        }
    rows, columns, values = _numbers(output)
    return {
        **result,
        "outcome": "nan_output" if any(math.isnan(value) for value in values) else "ok",
        "error_type": "",
        "error_message": "",
        "duration_seconds": time.perf_counter() - started,
        "output_rows": rows,
        "output_columns": columns,
        "values": values,
        "observed": {"forecast": values},
    }
