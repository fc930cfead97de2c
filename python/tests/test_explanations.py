"""`fcast explain`: attributions of stored models add up to their forecasts, land in long form and in the
feature-importance marts on both targets, replace themselves when re-run, and what neuralforecast cannot explain
is refused from the registry's facts before anything is loaded.

The explained NHITS uses scaler_type identity: a window scaler makes IntegratedGradients additive only to about
1e-3 (the path integral runs through the scaler), and these tests hold it to 1e-3.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from fcast import app, db
from fcast.explain.attributions import ExplainedWindow, additivity_error, explanation_rows
from fcast.explain.capabilities import ExplainRefused, assess
from fcast.plans.spec import RunPlanRow
from fcast.registry.facts import empty_facts
from fcast.throwaway import copy_of_warehouse
from fcast.train.model_store import ArtifactTamperedError

from .conftest import environment, run_fcast
from .training_helpers import run_rows, tiny_plan

SMALL_FEATURES = {"futr": ["fut_weekday"], "hist": ["hist_lag_1"], "stat": ["stat_slot_index"]}
NHITS_RUN = {
    "name": "explained_nhits",
    "series": "N1",
    "model": "NHITS",
    "model_args": {"input_size": 8, "scaler_type": "identity"},
}
TFT_RUN = {"name": "explained_tft", "series": "N1", "model": "TFT", "model_args": {"input_size": 8, "hidden_size": 8}}
LSTM_RUN = {
    "name": "recurrent_lstm",
    "series": "N1",
    "model": "LSTM",
    "model_args": {"input_size": 8, "recurrent": True},
}


# --- fast: the tensors as rows, and the refusals from hand-built registry facts ---


def _row(model: str, **fields) -> RunPlanRow:
    return RunPlanRow(
        **{
            "plan_name": "p",
            "run_name": "r",
            "dataset": "loto6",
            "series": "N1",
            "model": model,
            "horizon": 1,
            **fields,
        }
    )


def _facts():
    return empty_facts(
        "neuralforecast==3.3.0|py|torch|cpu",
        models={
            name: {"recurrent": name == "LSTM", "multivariate": name == "TSMixerx"}
            for name in ("NHITS", "LSTM", "DeepAR", "TSMixerx")
        },
        parameters={
            "LSTM": {"recurrent": {"default_repr": "False"}, "scaler_type": {"default_repr": "'robust'"}},
            "DeepAR": {"loss": {"default_repr": "DistributionLoss(distribution='StudentT', level=[80, 90])"}},
            "TSMixerx": {"revin": {"default_repr": "True"}, "scaler_type": {"default_repr": "'identity'"}},
            "NHITS": {"scaler_type": {"default_repr": "'identity'"}},
        },
        losses={
            "MAE": {"class": "MAE", "variant": "", "family": "point"},
            "DistributionLoss(distribution=StudentT)": {
                "class": "DistributionLoss",
                "variant": "distribution=StudentT",
                "family": "probabilistic_parametric",
            },
        },
        capability_overrides={
            "LSTM": {("recurrent", "true"): {"recurrent": True}, ("recurrent", "false"): {"recurrent": False}}
        },
    )


@pytest.mark.fast
def test_a_recurrent_model_is_refused_for_integrated_gradients_with_the_registry_fact():
    check = assess(_row("LSTM", model_args={"recurrent": True}), "IntegratedGradients", _facts())
    (reason,) = check.refusals
    assert "registry_model_capabilities: LSTM(recurrent=true, set in the plan row) has recurrent=true" in reason
    assert "use ShapleyValueSampling" in reason
    assert not assess(_row("LSTM", model_args={"recurrent": True}), "ShapleyValueSampling", _facts()).refusals
    assert not assess(_row("LSTM"), "IntegratedGradients", _facts()).refusals  # recurrent=False is its default
    with pytest.raises(ExplainRefused, match="Nothing was loaded"):
        check.raise_if_refused("run1", "IntegratedGradients")


@pytest.mark.fast
def test_refusals_and_warnings_cite_the_explain_probes_of_the_registry():
    from fcast.probe.definitions import NORMAL_LOSS, explain_probe_key, loss_label
    from fcast.registry.facts import ProbeFact

    refused = "ValueError: No models support explanations with the current configuration."
    probes = {
        explain_probe_key("LSTM", "IntegratedGradients", "recurrent=True"): ProbeFact("raised", "a" * 32, refused),
        explain_probe_key("DeepAR", "IntegratedGradients", loss_label(NORMAL_LOSS)): ProbeFact(
            "raised", "b" * 32, refused
        ),
        explain_probe_key("TSMixerx", "IntegratedGradients"): ProbeFact("not_additive", "c" * 32, ""),
    }
    facts = dataclasses.replace(_facts(), probes=probes)
    (recurrent,) = assess(_row("LSTM", model_args={"recurrent": True}), "IntegratedGradients", facts).refusals
    assert f"probe {'a' * 12} (LSTM, IntegratedGradients with recurrent=True) ended raised: {refused}" in recurrent
    (distribution,) = assess(_row("DeepAR"), "ShapleyValueSampling", facts).refusals
    assert f"probe {'b' * 12}" in distribution and "ended raised" in distribution
    revin = assess(_row("TSMixerx", series="all"), "IntegratedGradients", facts).warnings
    assert any(f"probe {'c' * 12} (TSMixerx, IntegratedGradients) ended not_additive" in text for text in revin)


@pytest.mark.fast
def test_a_distribution_loss_is_refused_and_additivity_breakers_are_warnings():
    (reason,) = assess(_row("DeepAR"), "ShapleyValueSampling", _facts()).refusals
    assert "default loss DistributionLoss(distribution=StudentT)" in reason and "probabilistic_parametric" in reason
    revin = assess(_row("TSMixerx", series="all"), "IntegratedGradients", _facts())
    assert not revin.refusals and any("RevIN" in warning for warning in revin.warnings)
    assert not assess(_row("TSMixerx", series="all"), "ShapleyValueSampling", _facts()).warnings
    scaled = assess(_row("NHITS", model_args={"scaler_type": "robust"}), "IntegratedGradients", _facts())
    assert any("scaler_type=robust" in warning for warning in scaled.warnings)
    assert any("no baseline" in warning for warning in assess(_row("NHITS"), "InputXGradient", _facts()).warnings)
    assert assess(_row("Chronos2"), "IntegratedGradients", _facts()).refusals


@pytest.mark.fast
def test_univariate_and_multivariate_tensors_become_the_same_long_rows():
    rng = np.random.default_rng(3)
    lags, steps = 3, 1
    univariate = {
        "insample": rng.normal(size=(2, steps, 1, 1, lags, 2)),
        "futr_exog": rng.normal(size=(2, steps, 1, 1, 1, lags + steps)),
        "hist_exog": None,
        "stat_exog": rng.normal(size=(2, steps, 1, 1, 1)),
        "baseline_predictions": rng.normal(size=(2, steps, 1, 1)),
    }
    totals = sum(univariate[key].reshape(2, -1).sum(axis=1) for key in ("insample", "futr_exog", "stat_exog"))
    forecasts = (univariate["baseline_predictions"].reshape(2) + totals).reshape(2, 1, 1)
    window = ExplainedWindow(
        univariate,
        False,
        ["a", "b"],
        {"a": 10, "b": 10},
        {"a": [11], "b": [11]},
        forecasts,
        {"futr": ["fut_w"], "hist": [], "stat": ["stat_s"]},
        [""],
    )
    rows, explained = explanation_rows(window)
    assert len(rows) == 2 * (lags * 2 + (lags + steps) + 1)
    assert set(rows["input_kind"]) == {"insample_y", "insample_mask", "futr", "stat"}
    assert sorted(set(rows.loc[rows["input_kind"] == "futr", "lag_position"])) == [-2, -1, 0, 1]
    assert (rows["input_unique_id"] == rows["unique_id"]).all() and set(rows["ds"]) == {11}
    assert explained["additivity_error"].max() < 1e-12 and list(explained["output_name"]) == ["point", "point"]
    multivariate = {
        "insample": rng.normal(size=(1, steps, 2, 1, lags, 2, 2)),
        "futr_exog": None,
        "hist_exog": rng.normal(size=(1, steps, 2, 1, 1, lags, 2)),
        "stat_exog": None,
        "baseline_predictions": None,
    }
    window = ExplainedWindow(
        multivariate,
        True,
        ["a", "b"],
        {"a": 10, "b": 10},
        {"a": [11], "b": [11]},
        np.ones((2, 1, 1)),
        {"futr": [], "hist": ["hist_x"], "stat": []},
        [""],
    )
    rows, explained = explanation_rows(window)
    assert set(rows["input_unique_id"]) == {"a", "b"} and len(rows) == 2 * (lags * 2 * 2 + lags * 2)
    hist_of_a = rows[(rows["unique_id"] == "a") & (rows["input_kind"] == "hist") & (rows["input_unique_id"] == "b")]
    assert list(hist_of_a["attribution_value"]) == list(multivariate["hist_exog"][0, 0, 0, 0, 0, :, 1])
    assert explained["additivity_error"].isna().all()  # InputXGradient: no baseline
    assert additivity_error([1.0], [0.5], [0.2]) == pytest.approx([1.3])  # forecasts near zero compare absolutely


# --- full tier: real training, the model store and the marts ---


def _train(env: dict[str, str], tmp_path: Path, runs: list[dict]) -> dict[str, str]:
    plan = tiny_plan(tmp_path / "explain.yaml", runs, features=SMALL_FEATURES)
    run_fcast("train", "--static-only", str(plan), env=env)
    return {run["run_name"]: run["run_id"] for run in run_rows() if run["run_name"] in {r["name"] for r in runs}}


@pytest.fixture(scope="module")
def trained_for_explaining(built_duckdb, tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """One private copy of the built DuckDB warehouse with NHITS, LSTM and TFT trained once for the module's tests
    (env, run name -> run id). Each test writes only to runs no other test reads: NHITS is explained by one test,
    LSTM and TFT are explained, refused and tampered with by the other."""
    env = copy_of_warehouse(built_duckdb, tmp_path_factory.mktemp("explained_warehouse"))
    with environment(env):
        return env, _train(env, tmp_path_factory.mktemp("explain_plan"), [NHITS_RUN, LSTM_RUN, TFT_RUN])


@pytest.fixture
def explained_warehouse(trained_for_explaining) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The module's trained warehouse, active in this process for the test's duration."""
    env, runs = trained_for_explaining
    with environment(env):
        yield env, runs


def _importance(run_id: str) -> tuple[list[tuple], list[tuple]]:
    with db.connect(read_only=True) as warehouse:
        features = warehouse.fetchall(
            "select explainer, sum(importance_share), count(*) from marts.run_feature_importance "
            "where run_id = ? and importance_source = 'attribution' group by explainer order by explainer",
            (run_id,),
        )
        groups = warehouse.fetchall(
            "select explainer, feature_group, importance_share from marts.run_feature_group_importance "
            "where run_id = ? order by explainer, importance_rank",
            (run_id,),
        )
    return features, groups


def _explanation(run_id: str) -> list[tuple]:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetchall(
            "select e.explainer, e.status, e.is_additive, e.max_additivity_error, e.attribution_rows, "
            "(select count(*) from raw.run_attributions a where a.explain_id = e.explain_id) "
            "from raw.run_explanations e where e.run_id = ? order by e.explainer",
            (run_id,),
        )


def test_explanations_add_up_to_the_forecast_and_rank_the_features(explained_warehouse, tmp_path):
    env, runs = explained_warehouse
    run_id = runs["explained_nhits"]
    app.explain(run_id, "ShapleyValueSampling", windows=1, rebuild=False)  # the command's refresh below covers it
    result = run_fcast("explain", run_id[:12], "--windows", "2", env=env)
    assert "(additive)" in result.stdout and "marts refreshed" in result.stdout
    explanations = _explanation(run_id)
    assert [row[:3] for row in explanations] == [
        ("IntegratedGradients", "completed", True),
        ("ShapleyValueSampling", "completed", True),
    ]
    assert all(row[3] <= 1e-3 for row in explanations)
    # 8 lags of y and its mask, 9 positions of one fut_ column, 8 of one hist_ column, one stat_ column
    assert explanations[0][4] == explanations[0][5] == 2 * (8 * 2 + 9 + 8 + 1)
    with db.connect(read_only=True) as warehouse:
        kinds = warehouse.fetchall(
            "select distinct input_kind from raw.run_attributions where run_id = ? order by 1", (run_id,)
        )
    assert kinds == [("futr",), ("hist",), ("insample_mask",), ("insample_y",), ("stat",)]
    features, groups = _importance(run_id)
    assert [(explainer, count) for explainer, _, count in features] == [
        ("IntegratedGradients", 5),
        ("ShapleyValueSampling", 5),
    ]
    assert all(total == pytest.approx(1.0) for _, total, _ in features)
    assert {group for _, group, _ in groups} == {"insample", "hist", "fut", "stat"}
    report = tmp_path / "explained.html"
    run_fcast("report", run_id[:12], "--output", str(report), env=env)
    page = report.read_text(encoding="utf-8")
    assert "Feature importance (fcast explain)" in page and "ShapleyValueSampling" in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 3  # forecasts, resources, feature importance

    app.explain(run_id, "IntegratedGradients", windows=2)  # again: replaced, not added
    assert _explanation(run_id)[0][4:] == explanations[0][4:]
    assert len(_explanation(run_id)) == 2 and _importance(run_id)[0] == features

    gradient = app.explain(run_id, "InputXGradient", rebuild=False).report
    assert gradient.max_additivity_error is None and not gradient.is_additive
    with db.connect(read_only=True) as warehouse:
        (recorded,) = warehouse.fetchall(
            "select warnings from raw.run_explanations where run_id = ? and explainer = 'InputXGradient'", (run_id,)
        )[0]
    assert "no baseline prediction" in recorded  # what makes it non-additive is kept with the explanation


def test_tft_importance_recorded_recurrent_refused_before_loading_tampered_store_like_predict(explained_warehouse):
    env, runs = explained_warehouse
    app.explain(runs["explained_tft"], "IntegratedGradients", rebuild=False)
    with db.connect(read_only=True) as warehouse:
        tft_kinds = dict(
            warehouse.fetchall(
                "select input_kind, count(*) from raw.run_attributions where run_id = ? group by 1",
                (runs["explained_tft"],),
            )
        )
    assert tft_kinds.get("tft_importance", 0) > 0 and tft_kinds.get("insample_y", 0) > 0  # TFT's own beside IG
    with db.connect(read_only=True) as warehouse:
        paths = dict(warehouse.fetchall("select run_id, artifact_path from raw.model_artifacts"))
    shutil.rmtree(paths[runs["recurrent_lstm"]])  # a load would fail differently: the refusal comes first
    result = run_fcast("explain", runs["recurrent_lstm"], env=env, check=False)
    assert result.returncode == 1, result.stderr
    assert "registry_model_capabilities: LSTM(recurrent=true, set in the plan row) has recurrent=true" in result.stderr
    assert "use ShapleyValueSampling" in result.stderr and "Nothing was loaded" in result.stderr
    assert _explanation(runs["recurrent_lstm"]) == []

    explained = _explanation(runs["explained_tft"])
    weights = next(Path(paths[runs["explained_tft"]]).glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ArtifactTamperedError, match="do not match the recorded hash"):
        app.explain(runs["explained_tft"], "IntegratedGradients", rebuild=False)
    assert _explanation(runs["explained_tft"]) == explained  # the stored explanation is neither replaced nor failed


def test_explanations_and_their_marts_on_postgres(built_postgres, tmp_path):
    with environment(built_postgres):
        run_id = _train(built_postgres, tmp_path, [{**NHITS_RUN, "name": "explained_on_postgres"}])[
            "explained_on_postgres"
        ]
        result = app.explain(run_id, "IntegratedGradients")
        assert result.refresh.status == "refreshed", result.refresh.output[-3000:]
        assert result.report.is_additive and result.report.max_additivity_error <= 1e-3
        features, groups = _importance(run_id)
        assert features[0][0] == "IntegratedGradients" and features[0][1] == pytest.approx(1.0)
        assert sum(share for _, _, share in groups) == pytest.approx(1.0)
