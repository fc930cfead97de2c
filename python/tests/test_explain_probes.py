"""Explain probes: what NeuralForecast.explain cannot explain is a recorded probe outcome, from a real call."""

from __future__ import annotations

import re

import pytest

from fcast import db
from fcast.probe.definitions import EXPLAINERS, RegistryView, build_matrix, explain_probe_key
from fcast.probe.observations import ADDITIVITY_TOLERANCE, additivity
from fcast.probe.runner import run_probes, view_from_registry
from fcast.registry.facts import RegistryFacts
from fcast.registry.scan import scan

MODELS = ("NHITS", "LSTM", "TSMixerx")
SKIPPED = "No models support explanations"


def _measured(reason: str) -> float:
    return float(re.search(r"miss the forecast by ([0-9.e+-]+)", reason).group(1))


@pytest.mark.fast
def test_additivity_decides_the_outcome_of_an_explanation_that_ran():
    assert additivity(2e-4).outcome == "ok" and additivity(2e-4).reason.startswith("additive")
    assert additivity(ADDITIVITY_TOLERANCE * 2).outcome == "not_additive"
    assert additivity(float("nan")).outcome == "not_additive"
    assert additivity(None).outcome == "ok" and "no additivity" in additivity(None).reason


@pytest.mark.fast
def test_explain_probes_cover_each_explainer_and_the_conditions_that_decide_it():
    view = RegistryView(
        models={"LSTM": {"can_build": True, "multivariate": False, "auto": False}},
        parameters={"LSTM": {"h": {"default_repr": ""}, "recurrent": {"default_repr": "False"}}},
        allowed={},
        losses=[],
        local_scalers=["standard"],
    )
    explain = {probe.value_label: probe for probe in build_matrix(view) if probe.method == "explain"}
    assert set(EXPLAINERS) <= set(explain)
    recurrent = explain["IntegratedGradients with recurrent=True"]
    assert recurrent.spec["model_kwargs"]["recurrent"] is True
    assert recurrent.baseline_id == explain["IntegratedGradients"].probe_id
    assert "IntegratedGradients with DistributionLoss(distribution=Normal)" in explain
    assert explain_probe_key("LSTM", "IntegratedGradients", "recurrent=True") == (
        "LSTM",
        "explain",
        "explainer",
        "IntegratedGradients with recurrent=True",
    )


def test_real_explain_probes_record_skips_and_additivity(duckdb_env):
    db.ensure_raw_tables()
    (scanned,) = scan(["neuralforecast"])
    env_key = scanned.env_key
    probes = [
        probe for probe in build_matrix(view_from_registry(env_key), models=list(MODELS)) if probe.method == "explain"
    ]
    report = run_probes(env_key, probes, timeout_s=180, progress=lambda line: None)
    assert report.run == len(probes)
    facts = RegistryFacts.load(env_key)

    def fact(model: str, explainer: str, condition: str = ""):
        found = facts.probe(*explain_probe_key(model, explainer, condition))
        assert found is not None, (model, explainer, condition)
        return found

    with db.connect(read_only=True) as warehouse:
        reasons = dict(
            warehouse.fetchall(
                "select probe_id, outcome_reason from raw.registry_probes where env_key = ? and method = 'explain'",
                (env_key,),
            )
        )
    identity = fact("NHITS", "IntegratedGradients")  # NHITS's default scaler_type is identity
    assert identity.outcome == "ok" and _measured(reasons[identity.probe_id]) <= ADDITIVITY_TOLERANCE
    assert fact("NHITS", "ShapleyValueSampling").outcome == "ok"
    assert fact("NHITS", "InputXGradient").outcome == "ok"  # not additive by design: nothing to measure
    assert "no additivity" in reasons[fact("NHITS", "InputXGradient").probe_id]
    normal = fact("NHITS", "IntegratedGradients", "DistributionLoss(distribution=Normal)")
    assert normal.outcome == "raised" and SKIPPED in normal.error
    recurrent = fact("LSTM", "IntegratedGradients", "recurrent=True")
    assert recurrent.outcome == "raised" and "not compatible with recurrent models" in recurrent.error
    assert fact("LSTM", "IntegratedGradients").outcome == "ok"  # recurrent=False, LSTM's default
    revin = fact("TSMixerx", "IntegratedGradients")  # TSMixerx's default revin=True
    assert revin.outcome == "not_additive" and _measured(reasons[revin.probe_id]) > ADDITIVITY_TOLERANCE
    for key in sorted(facts.probes):
        if key[1] == "explain":
            found = facts.probes[key]
            print(f"{key[0]} + {key[3]}: {found.outcome} {found.error or reasons[found.probe_id]}")
