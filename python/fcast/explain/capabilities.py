"""What `NeuralForecast.explain` cannot explain, known from the registry before anything is loaded.

neuralforecast 3.3 skips models with a distribution loss, refuses recurrent models under
IntegratedGradients (and under InputXGradient on a GPU), and only explains neuralforecast models. A run
that falls in one of these is refused with the registry fact behind it and what to try instead. RevIN, window
scalers, global scalers and InputXGradient do not stop an explanation but can keep its attributions from
adding up to the forecast: they become warnings recorded with the explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fcast.errors import FcastError
from fcast.explain import ADDITIVE_EXPLAINERS
from fcast.plans.spec import RunPlanRow
from fcast.probe.definitions import NORMAL_LOSS, explain_probe_key, loss_label
from fcast.registry.facts import RegistryFacts

DISTRIBUTION_FAMILY = "probabilistic_parametric"


class ExplainRefused(FcastError, ValueError):
    """neuralforecast cannot explain this run with this explainer (said before the model is loaded)."""


@dataclass
class ExplainCheck:
    refusals: list[str] = field(default_factory=list)  # the evidence and what to try instead, one per reason
    warnings: list[str] = field(default_factory=list)  # what can make the attributions misleading

    def raise_if_refused(self, run_id: str, explainer: str) -> None:
        if self.refusals:
            reasons = "; ".join(self.refusals)
            raise ExplainRefused(f"run {run_id} cannot be explained with {explainer}: {reasons}. Nothing was loaded.")


def probe_evidence(facts: RegistryFacts, model: str, explainer: str, condition: str = "") -> str:
    """What the registry's explain probe of the model saw under the condition ("" when it was not probed)."""
    key = explain_probe_key(model, explainer, condition)
    fact = facts.probe(*key)
    if fact is None:
        return ""
    said = f": {fact.error}" if fact.error else ""
    return f"; probe {fact.probe_id[:12]} ({model}, {key[3]}) ended {fact.outcome}{said}"


def _default_loss(row: RunPlanRow, facts: RegistryFacts) -> dict | None:
    """The model's default loss as a loss spec, read from the registry's default_repr of its `loss` argument."""
    text = facts.parameters_of(row.model).get("loss", {}).get("default_repr", "")
    match = re.match(r"(\w+)\((.*)\)$", text)
    if not match:
        return None
    kwargs = dict(re.findall(r"(\w+)='?([\w.]+)'?", match.group(2)))
    return {"class": match.group(1), "kwargs": kwargs}


def _loss_check(row: RunPlanRow, facts: RegistryFacts, check: ExplainCheck) -> None:
    spec = row.loss or _default_loss(row, facts)
    found = facts.loss_entry(spec) if spec else None
    if found is None:
        return
    label, entry = found
    if entry["family"] == DISTRIBUTION_FAMILY:
        origin = "its loss" if row.loss else "its default loss"
        check.refusals.append(
            f"{origin} {label} outputs distribution parameters (registry_losses: family {DISTRIBUTION_FAMILY} in "
            f"{facts.env_key}{probe_evidence(facts, row.model, 'IntegratedGradients', loss_label(NORMAL_LOSS))}), "
            "and NeuralForecast.explain skips such models; train the row with a point loss (MAE, MSE) or a quantile "
            "loss (MQLoss, IQLoss) to explain it"
        )


def _recurrent_check(row: RunPlanRow, explainer: str, facts: RegistryFacts, on_gpu: bool, check: ExplainCheck):
    recurrent, evidence = facts.flag_of(row.model, "recurrent", row.model_args)
    if not recurrent:
        return
    if explainer == "IntegratedGradients":
        seen = probe_evidence(facts, row.model, explainer, "recurrent=True")
        check.refusals.append(
            f"{evidence}{seen}, and IntegratedGradients cannot explain recurrent models (NeuralForecast.explain "
            "skips them); use ShapleyValueSampling (or InputXGradient), or train the model with recurrent=False"
        )
    elif explainer == "InputXGradient" and on_gpu:
        check.refusals.append(
            f"{evidence}, and InputXGradient on a GPU fails in cuDNN for recurrent models (NeuralForecast.explain "
            "skips them); use ShapleyValueSampling, or train on the CPU"
        )


def _additivity_warnings(row: RunPlanRow, explainer: str, facts: RegistryFacts, check: ExplainCheck) -> None:
    parameters = facts.parameters_of(row.model)
    if explainer not in ADDITIVE_EXPLAINERS:
        check.warnings.append(
            f"{explainer} has no baseline prediction: its attributions do not add up to the forecast (additivity "
            "is not checked); use IntegratedGradients or ShapleyValueSampling for additive attributions"
        )
    if explainer == "IntegratedGradients":
        revin = row.model_args.get("revin", parameters.get("revin", {}).get("default_repr") == "True")
        if revin:
            seen = probe_evidence(facts, row.model, explainer)
            check.warnings.append(
                f"{row.model} normalises every window with RevIN (revin=True){seen}: IntegratedGradients "
                "attributions may not add up to the forecast; ShapleyValueSampling keeps them additive"
            )
        default_scaler = parameters.get("scaler_type", {}).get("default_repr", "").strip("'\"")
        scaler = row.model_args.get("scaler_type", default_scaler)
        if scaler and scaler != "identity":
            check.warnings.append(
                f"scaler_type={scaler} scales every window inside the model: IntegratedGradients attributions add "
                "up to the forecast only approximately (1e-3 to 5e-3 measured); scaler_type=identity keeps them "
                "within 1e-3"
            )
    local_scaler = row.neuralforecast.get("local_scaler_type")
    if local_scaler:
        seen = probe_evidence(facts, row.model, explainer, f"local_scaler_type={local_scaler}")
        check.warnings.append(
            f"local_scaler_type={local_scaler} scales the series before the model{seen}: attributions are in scaled "
            "units and may not add up to the forecast (their ranking still holds)"
        )


def assess(row: RunPlanRow, explainer: str, facts: RegistryFacts, on_gpu: bool = False) -> ExplainCheck:
    """Whether neuralforecast can explain the plan row's model with the explainer, and what to be careful of."""
    check = ExplainCheck()
    if facts.is_foundation(row.model) or row.model not in facts.models:
        check.refusals.append(
            f"{row.model} is not a neuralforecast model of the registry ({facts.env_key}); NeuralForecast.explain "
            "attributes neuralforecast models only: explain a run of a neuralforecast model instead"
        )
        return check
    _loss_check(row, facts, check)
    _recurrent_check(row, explainer, facts, on_gpu, check)
    _additivity_warnings(row, explainer, facts, check)
    return check
