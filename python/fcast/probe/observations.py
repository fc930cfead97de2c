"""What a probe's outcome may claim, from what the probe observed.

A probe that ran is compared with its baseline (the same call without the argument) on everything
the call lets us see: the forecast, the training-loss and validation-loss curves and the learning
rate per step (fcast.probe.scenarios). Some difference: `ok`. All equal proves little by itself,
so an equal result is one of:

- `baseline`: the value is the argument's default (or a value the library treats as the default),
  so the call *is* the baseline call;
- `ignored`: a rule below proves the argument reaches nothing in this call (each rule has a test);
- `not_observable`: a rule below names what the argument acts on and why this probe cannot see it
  (validation it does not run, steps it does not reach, more series than it has, memory, logging);
- `unchanged`: no rule applies; everything observed equals the baseline in the probe's context,
  and nothing more is claimed.

A probe whose question is whether the call runs (a `futr_df` variant, a `freq`, a save/load path)
is `ok` when it runs: equality with its baseline is not what it asks. An explain probe whose attributions
plus baseline prediction miss the forecast by more than ADDITIVITY_TOLERANCE is `not_additive`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from fcast.explain import ADDITIVITY_TOLERANCE
from fcast.probe.definitions import EFFECT, Probe

TOLERANCE = 1e-6
OBSERVABLES = ("forecast", "train_loss", "valid_loss", "learning_rate")
VALIDATION_ARGUMENTS = ("valid_loss", "val_check_steps", "valid_batch_size", "early_stop_patience_steps")
INTERVAL_ARGUMENTS = ("level", "quantiles", "level with MQLoss")


@dataclass(frozen=True)
class Comparison:
    outcome: str
    difference: float | None = None
    differs_in: tuple[str, ...] = ()
    reason: str = ""
    rule: str = ""


@dataclass(frozen=True)
class Explanation:
    """Why a probe whose observations equal its baseline's saw no effect: the outcome it may state."""

    id: str
    outcome: str  # baseline, ignored or not_observable
    doc: str
    applies: Callable[[Probe, dict, dict], str | None] = field(repr=False)  # -> the reason, or None


def _value(probe: Probe):
    spec = probe.spec
    for key in ("call_kwargs", "fit_kwargs", "nf_kwargs", "model_kwargs"):
        arguments = spec.get(key) or {}
        if probe.argument in arguments:
            return arguments[probe.argument]
    return None


def _number(probe: Probe) -> float | None:
    value = _value(probe)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _lr_decay_off(probe: Probe, result: dict, baseline: dict) -> str | None:
    value = _number(probe)
    if probe.argument == "num_lr_decays" and value is not None and value <= 0:
        return f"num_lr_decays={value:g} turns the decay off, as the default does (decay only when > 0)"
    return None


def _static_df_unlisted(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.argument != "static_df":
        return None
    if (probe.spec.get("model_kwargs") or {}).get("stat_exog_list"):
        return None
    return "stat_exog_list is empty, so no column of static_df reaches the model (the data is read, then unused)"


def _intervals_dropped(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.method not in ("predict", "cross_validation") or probe.argument not in INTERVAL_ARGUMENTS:
        return None
    if result.get("output_columns") != baseline.get("output_columns"):
        return None
    loss = (probe.spec.get("loss") or {}).get("class", "the model's default loss")
    call = "NeuralForecast.predict" if probe.method == "predict" else "NeuralForecast.cross_validation"
    return (
        f"with {loss} and no prediction_intervals, {call} returned the same columns and values as without "
        "the argument: the asked level/quantiles were dropped"
    )


def _one_window(probe: Probe, result: dict, baseline: dict) -> str | None:
    windows = (probe.spec.get("call_kwargs") or {}).get("n_windows", 1)
    if probe.method == "cross_validation" and probe.argument == "step_size" and windows in (None, 1):
        return "step_size spaces the cross-validation windows; the probe has one"
    return None


def _warned_ignoring(probe: Probe, result: dict, baseline: dict) -> str | None:
    name = probe.argument.split(" ")[0]
    for warning in result.get("warnings", []):
        if "ignor" in warning.lower() and name and name in warning and warning not in baseline.get("warnings", []):
            return f"the library says so: {warning}"
    return None


def _multivariate_batch(probe: Probe, result: dict, baseline: dict) -> str | None:
    value, n_series = _number(probe), (probe.spec.get("model_kwargs") or {}).get("n_series")
    if probe.argument not in ("batch_size", "valid_batch_size") or value is None or not n_series:
        return None
    if value > n_series:
        return None
    return (
        f"a multivariate model sets {probe.argument} = max({probe.argument}, n_series) = {n_series}: "
        f"{value:g} is replaced, and every batch holds all {n_series} series"
    )


def _validation_not_run(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.argument.split(" ")[0] not in VALIDATION_ARGUMENTS or probe.context["val_size"] > 0:
        return None
    return f"{probe.argument} acts on validation, and this probe validates nothing (val_size=0)"


def _validation_batching(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.argument != "valid_batch_size":
        return None
    return "splits validation into batches; the validation loss is a mean over all windows either way"


def _inference_batching(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.argument != "inference_windows_batch_size":
        return None
    return "splits inference into batches of windows: memory and speed change, the forecast does not"


def _batch_holds_all(probe: Probe, result: dict, baseline: dict) -> str | None:
    value, context = _number(probe), probe.context
    if value is None:
        return None
    if probe.argument == "batch_size" and value >= context["series_count"]:
        return (
            f"a batch of {value:g} series holds all {context['series_count']} series of the probe, as the default "
            "batch does: the difference needs more series than the batch"
        )
    windows = context["series_count"] * context["series_length"]
    if probe.argument == "windows_batch_size" and value >= windows:
        return (
            f"{value:g} windows per batch hold every training window of the probe (at most {windows}), as the "
            "default does: the difference needs more windows than the batch"
        )
    return None


def _lr_decay_beyond_steps(probe: Probe, result: dict, baseline: dict) -> str | None:
    value, steps = _number(probe), probe.context["max_steps"]
    if probe.argument != "num_lr_decays" or value is None or not steps:
        return None
    return (
        f"the learning rate first decays after max_steps // num_lr_decays = {max(int(steps // value), 1)} steps; "
        f"the probe's {steps} steps end before any step trains with the decayed rate"
    )


def _refit_only(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.argument == "use_init_models":
        return "acts when a NeuralForecast object fits again; the probe fits once"
    if probe.argument == "refit" and probe.method == "cross_validation":
        windows = (probe.spec.get("call_kwargs") or {}).get("n_windows", 1)
        if windows in (None, 1):
            return "refit acts from the second cross-validation window; the probe has one"
    return None


def _logging_only(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.argument == "verbose":
        return "prints progress only; the outputs cannot show it"
    return None


def _fixed_search(probe: Probe, result: dict, baseline: dict) -> str | None:
    if probe.method == "auto_fit" and probe.argument == "num_samples":
        return "every trial of the probe's search has the same fixed config, so more samples pick the same model"
    return None


EXPLANATIONS: tuple[Explanation, ...] = (
    Explanation("lr_decay_off", "baseline", "num_lr_decays <= 0 turns the decay off, as the default", _lr_decay_off),
    Explanation("warned_ignoring", "ignored", "the library warns that it ignores the argument", _warned_ignoring),
    Explanation(
        "static_df_unlisted", "ignored", "static_df with an empty stat_exog_list reaches no input", _static_df_unlisted
    ),
    Explanation(
        "intervals_dropped",
        "ignored",
        "predict returned the loss's own outputs, dropping level/quantiles",
        _intervals_dropped,
    ),
    Explanation(
        "multivariate_batch",
        "ignored",
        "a batch size below n_series, which a multivariate model replaces",
        _multivariate_batch,
    ),
    Explanation(
        "validation_not_run",
        "not_observable",
        "a validation argument in a probe without validation",
        _validation_not_run,
    ),
    Explanation("validation_batching", "not_observable", "validation batch size", _validation_batching),
    Explanation("inference_batching", "not_observable", "inference batch size", _inference_batching),
    Explanation("batch_holds_all", "not_observable", "a batch larger than the probe's data", _batch_holds_all),
    Explanation(
        "lr_decay_beyond_steps", "not_observable", "a decay after the probe's last step", _lr_decay_beyond_steps
    ),
    Explanation("refit_only", "not_observable", "an argument that acts on a second fit", _refit_only),
    Explanation("one_window", "not_observable", "a window spacing with one cross-validation window", _one_window),
    Explanation("logging_only", "not_observable", "an argument that acts on logging only", _logging_only),
    Explanation("fixed_search", "not_observable", "more samples of a fixed search", _fixed_search),
)


def additivity(error: float | None) -> Comparison:
    """An explanation that ran: additive, not additive, or from an explainer that claims no additivity."""
    if error is None:
        return Comparison("ok", reason="the explainer returned no baseline prediction: it claims no additivity")
    measured = (
        f"attributions summed over every input plus the baseline prediction miss the forecast by {error:.2e} "
        f"of the largest forecast (tolerance {ADDITIVITY_TOLERANCE:g})"
    )
    if not error <= ADDITIVITY_TOLERANCE:  # NaN included
        return Comparison("not_additive", reason=measured, rule="additivity")
    return Comparison("ok", reason=f"additive: {measured}")


def _observed(result: dict) -> dict[str, list[float]]:
    return result.get("observed") or {"forecast": result.get("values", [])}


def differences(result: dict, baseline: dict) -> tuple[float | None, tuple[str, ...]]:
    """The largest difference over the observables both calls have, and which observables differ."""
    observed, reference = _observed(result), _observed(baseline)
    if result.get("output_columns") != baseline.get("output_columns"):
        return None, ("output columns",)
    largest, differing = 0.0, []
    for name in OBSERVABLES:
        values, expected = observed.get(name), reference.get(name)
        if values is None or expected is None:
            continue
        if len(values) != len(expected):
            differing.append(name)
            continue
        gaps = [abs(a - b) for a, b in zip(values, expected, strict=True)]
        gap = max(gaps, default=0.0)
        if math.isnan(gap) or any(math.isnan(a) != math.isnan(b) for a, b in zip(values, expected, strict=True)):
            differing.append(name)
        elif gap > TOLERANCE:
            differing.append(name)
            largest = max(largest, gap)
        else:
            largest = max(largest, gap)
    return largest, tuple(differing)


def compare_with_baseline(result: dict, baseline: dict | None, probe: Probe | None = None) -> Comparison:
    """The outcome of a probe from its result and its baseline's (see the module docstring)."""
    if probe is not None and probe.spec.get("kind") == "foundation":
        from fcast.probe.foundation import compare

        return compare(result, baseline, probe)
    if result["outcome"] != "ok":
        return Comparison(result["outcome"])
    if "additivity_error" in result:
        return additivity(result["additivity_error"])
    if probe is not None and probe.question != EFFECT:
        return Comparison("ok", reason="the probe asks whether the call runs")
    if not baseline or baseline["outcome"] != "ok":
        return Comparison("ok")
    difference, differing = differences(result, baseline)
    if differing:
        return Comparison("ok", difference, differing)
    if not _observed(result).get("forecast"):
        return Comparison("ok", difference, reason="nothing numeric to compare with the baseline")
    if probe is None:
        return Comparison("unchanged", difference, reason="the output equals the baseline's")
    if probe.is_default:
        return Comparison("baseline", difference, reason="the value is the argument's default: this is the baseline")
    for explanation in EXPLANATIONS:
        reason = explanation.applies(probe, result, baseline)
        if reason:
            return Comparison(explanation.outcome, difference, reason=reason, rule=explanation.id)
    observed = ", ".join(name for name in OBSERVABLES if _observed(result).get(name))
    return Comparison(
        "unchanged",
        difference,
        reason=f"everything this probe observes ({observed}) equals the baseline's in its context; "
        "the argument may act in other contexts",
    )
