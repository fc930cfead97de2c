"""The run-plan format and the validator's static rules, checked against real neuralforecast runs on the
built warehouse, on the trainer's own path (fcast.train.pipeline.trainer_path).

A plan the validator accepts must train; a plan it rejects for a reason the registry knew must
really fail the same way in neuralforecast.
"""

from __future__ import annotations

import pytest

from fcast import db
from fcast.plans.spec import PlanFormatError, rows_from_document
from fcast.plans.validate import validate_rows
from fcast.registry.facts import RegistryFacts

from .conftest import PROJECT_DIR, run_fcast
from .training_helpers import run_trainer_path

TINY = {"input_size": 8, "max_steps": 2}
DEFAULTS = {"dataset": "loto6", "horizon": 1, "loss": {"class": "MAE"}, "neuralforecast": {"freq": 1}}


def plan(*runs: dict) -> list:
    return rows_from_document({"plan": "test_plan", "defaults": DEFAULTS, "runs": list(runs)}, "test")


@pytest.fixture(scope="module")
def facts(built_duckdb):
    from .conftest import environment

    with environment(built_duckdb):
        yield RegistryFacts.load()


def rules_of(result) -> set[str]:
    return {violation.rule for violation in result.errors}


GOOD = [
    {
        "name": "nhits_slot",
        "series": "N1",
        "model": "NHITS",
        "model_args": {**TINY, "scaler_type": "robust"},
        "features": {"futr": ["fut_weekday"], "hist": ["hist_lag_1"], "stat": ["stat_slot_index"]},
    },
    {
        "name": "tsmixerx_all",
        "series": "all",
        "model": "TSMixerx",
        "model_args": {**TINY, "n_series": 6},
        "features": {"futr": ["fut_weekday"]},
    },
    {
        "name": "mqloss_levels",
        "series": "N2",
        "model": "NHITS",
        "model_args": TINY,
        "loss": {"class": "MQLoss", "kwargs": {"level": [80]}},
        "predict": {"level": [80]},
    },
    {
        "name": "early_stop_with_validation",
        "series": "N3",
        "model": "NHITS",
        "model_args": {**TINY, "early_stop_patience_steps": 1, "val_check_steps": 1},
        "fit": {"val_size": 2},
    },
]

# (run, rule the validator must report, whether neuralforecast itself fails on it)
BAD = [
    (
        {
            "name": "level_with_point_loss",
            "series": "N1",
            "model": "NHITS",
            "model_args": TINY,
            "predict": {"level": [80]},
        },
        "intervals_need_probabilistic_loss",
        True,
    ),
    (
        {
            "name": "early_stop_no_validation",
            "series": "N1",
            "model": "NHITS",
            "model_args": {**TINY, "early_stop_patience_steps": 1},
        },
        "early_stopping_without_validation",
        True,
    ),
    (
        {"name": "wrong_scaler", "series": "N1", "model": "NHITS", "model_args": {**TINY, "scaler_type": "robus"}},
        "value_not_allowed",
        True,
    ),
    (
        {"name": "relmse_training", "series": "N1", "model": "NHITS", "model_args": TINY, "loss": "relMSE"},
        "loss_not_trainable",
        True,
    ),
    (
        {"name": "unknown_argument", "series": "N1", "model": "NHITS", "model_args": {**TINY, "input_sise": 3}},
        "unknown_argument",
        True,
    ),
    (
        {"name": "multivariate_without_n_series", "series": "all", "model": "TSMixerx", "model_args": TINY},
        "multivariate_n_series",
        True,
    ),
    (
        {
            "name": "missing_feature_column",
            "series": "N1",
            "model": "NHITS",
            "model_args": TINY,
            "features": {"hist": ["hist_lag_99"]},
        },
        "missing_feature_columns",
        True,
    ),
    (
        {
            "name": "horizon_beyond_futr_df",
            "series": "N1",
            "model": "NHITS",
            "model_args": TINY,
            "horizon": 31,
            "features": {"futr": ["fut_weekday"]},
        },
        "horizon_beyond_futr_df",
        True,
    ),
    (
        {"name": "wrong_type", "series": "N1", "model": "NHITS", "model_args": {**TINY, "input_size": "8"}},
        "wrong_type",
        True,
    ),
    (
        {
            "name": "optuna_list_choices",
            "series": "N1",
            "model": "NHITS",
            "model_args": TINY,
            "search": {"backend": "optuna", "config": {"n_pool_kernel_size": {"choices": [[2, 2, 1]]}}},
        },
        "optuna_refuses_choices",
        False,
    ),
    (
        {"name": "unknown_selector", "series": "N9", "model": "NHITS", "model_args": TINY},
        "unknown_series_selector",
        False,
    ),
    ({"name": "unknown_model", "series": "N1", "model": "NHITZ"}, "unknown_model", False),
]


@pytest.mark.parametrize("run", GOOD, ids=[run["name"] for run in GOOD])
def test_accepted_plans_really_train(run, facts, built_duckdb):
    from .conftest import environment

    (row,) = plan(run)
    (result,) = validate_rows([row], facts, store=False)
    assert result.valid, [str(v) for v in result.violations]
    with environment(built_duckdb):
        forecast = run_trainer_path(row).forecast
    assert len(forecast) == row.horizon * (6 if row.series == "all" else 1)
    assert not forecast.select_dtypes("number").isna().any().any()


@pytest.mark.parametrize(("run", "rule", "library_fails"), BAD, ids=[run["name"] for run, _, _ in BAD])
def test_rejected_plans_name_the_rule_and_really_fail(run, rule, library_fails, facts, built_duckdb):
    from .conftest import environment

    (row,) = plan(run)
    (result,) = validate_rows([row], facts, store=False)
    assert rule in rules_of(result), [str(v) for v in result.violations]
    violation = next(v for v in result.errors if v.rule == rule)
    assert violation.suggestion and violation.message
    if library_fails:
        with environment(built_duckdb), pytest.raises(Exception):  # noqa: B017 - any failure of the real run
            run_trainer_path(row)


def test_probe_evidence_is_attached_where_a_probe_failed(facts):
    (row,) = plan(BAD[0][0])
    (result,) = validate_rows([row], facts, store=False)
    violation = next(v for v in result.errors if v.rule == "intervals_need_probabilistic_loss")
    assert violation.evidence_kind == "probe" and len(violation.evidence) == 32


def test_cli_validates_stores_and_exits_non_zero_on_rejections(built_duckdb, tmp_path):
    good = run_fcast("validate", "--static-only", str(PROJECT_DIR / "plans" / "example_loto6.yaml"), env=built_duckdb)
    assert "3 run(s), 0 rejected" in good.stdout
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(
        "plan: bad\nruns:\n  - {dataset: loto6, series: N1, model: NHITS, horizon: 1, "
        "model_args: {scaler_type: robus}}\n"
    )
    bad = run_fcast("validate", "--static-only", str(bad_file), env=built_duckdb, check=False)
    assert bad.returncode == 1 and "[value_not_allowed]" in bad.stdout and "scaler_type='robus'" in bad.stdout
    from .conftest import environment

    with environment(built_duckdb), db.connect(read_only=True) as warehouse:
        stored = warehouse.fetchall(
            "select v.rule, v.evidence_kind from raw.plan_violations v join raw.run_plans p on v.plan_id = p.plan_id "
            "where p.plan_name = 'bad'"
        )
    assert ("value_not_allowed", "registry") in stored


@pytest.mark.fast
def test_plan_format_errors_name_the_place():
    with pytest.raises(PlanFormatError, match="run 1: missing"):
        rows_from_document({"plan": "p", "runs": [{"model": "NHITS"}]}, "p.yaml")
    with pytest.raises(PlanFormatError, match="unknown key"):
        rows_from_document(
            {"plan": "p", "runs": [{**DEFAULTS, "series": "N1", "model": "NHITS", "modle": 1}]}, "p.yaml"
        )
