"""The rehearsal keeps the promise: a plan the validator accepts trains, a plan it rejects would have failed.

Every row below is rehearsed for real (neuralforecast, one step on the trainer's own path, on the
built warehouse's Loto6 draws); the accepted ones then train through `fcast train`'s own code. The
failing rows are the classes of real neuralforecast failures that static rules let through before.
"""

from __future__ import annotations

import time

import pytest

from fcast import db
from fcast.plans.spec import rows_from_document
from fcast.plans.validate import validate_rows

from .conftest import run_fcast

ARGS = {"input_size": 20, "max_steps": 2}
DEFAULTS = {"dataset": "loto6", "horizon": 1, "loss": {"class": "MAE"}, "cross_validation": {"n_windows": 2}}

# (run, the rule ids one of which must reject it; empty: it must be accepted and train)
CASES = [
    (
        {"name": "dlinear_even_window", "model": "DLinear", "model_args": {**ARGS, "moving_avg_window": 4}},
        {"rehearsal_failed"},
    ),
    ({"name": "nbeats_h1_default_stacks", "model": "NBEATS", "model_args": ARGS}, {"rehearsal_failed"}),
    (
        {"name": "input_longer_than_series", "model": "NHITS", "model_args": {**ARGS, "input_size": 5000}},
        {"rehearsal_failed"},
    ),
    (
        {
            "name": "n_windows_and_test_size",
            "model": "NHITS",
            "model_args": ARGS,
            "cross_validation": {"n_windows": 2, "test_size": 4},
        },
        {"rehearsal_failed"},
    ),
    (
        {
            "name": "model_scaler_as_local_scaler",
            "model": "NHITS",
            "model_args": ARGS,
            "neuralforecast": {"local_scaler_type": "identity"},
        },
        {"value_not_allowed"},
    ),
    (
        {"name": "deepar_mqloss", "model": "DeepAR", "model_args": ARGS, "loss": {"class": "MQLoss"}},
        {"rehearsal_failed", "loss_refused"},
    ),
    (
        {"name": "deepnpts_mqloss", "model": "DeepNPTS", "model_args": ARGS, "loss": {"class": "MQLoss"}},
        {"rehearsal_failed", "loss_refused"},
    ),
    (
        {
            "name": "different_quantiles",
            "model": "NHITS",
            "model_args": ARGS,
            "fit": {"val_size": 5},
            "loss": {"class": "MQLoss", "kwargs": {"quantiles": [0.1, 0.5, 0.9]}},
            "valid_loss": {"class": "MQLoss", "kwargs": {"quantiles": [0.2, 0.5, 0.8]}},
        },
        {"rehearsal_failed"},
    ),
    (
        {"name": "optimizer_as_string", "model": "NHITS", "model_args": {**ARGS, "optimizer": "adam"}},
        {"rehearsal_failed", "wrong_type"},
    ),
    (
        {
            "name": "stemgnn_three_stacks",
            "series": "all",
            "model": "StemGNN",
            "model_args": {**ARGS, "n_series": 6, "n_stacks": 3},
        },
        {"rehearsal_failed"},
    ),
    (
        {
            "name": "integer_availability_threshold",
            "model": "NHITS",
            "model_args": {**ARGS, "training_data_availability_threshold": 1},
        },
        {"rehearsal_failed", "wrong_type"},
    ),
    (
        {"name": "val_size_below_horizon", "model": "NHITS", "model_args": ARGS, "horizon": 3, "fit": {"val_size": 2}},
        {"rehearsal_failed"},
    ),
    (
        {
            "name": "mqloss_level_and_quantiles",
            "model": "NHITS",
            "model_args": ARGS,
            "loss": {"class": "MQLoss", "kwargs": {"level": [80], "quantiles": [0.1, 0.9]}},
        },
        {"loss_level_and_quantiles"},
    ),
    (
        {
            "name": "quantiles_mqloss_ignores",
            "model": "NHITS",
            "model_args": ARGS,
            "loss": {"class": "MQLoss", "kwargs": {"level": [80]}},
            "predict": {"quantiles": [0.25]},
        },
        {"rehearsal_ignored_output"},
    ),
    (
        {
            "name": "iqloss_quantiles_without_median",
            "model": "NHITS",
            "model_args": ARGS,
            "loss": {"class": "IQLoss"},
            "valid_loss": {"class": "IQLoss"},
            "predict": {"quantiles": [0.1, 0.9]},
        },
        {"rehearsal_failed"},
    ),
    (
        {
            "name": "iqloss_with_point_valid_loss",
            "model": "NHITS",
            "model_args": ARGS,
            "loss": {"class": "IQLoss"},
            "valid_loss": {"class": "MAE"},
        },
        {"rehearsal_failed"},
    ),
    (
        {
            "name": "distribution_loss_with_level",
            "model": "NHITS",
            "model_args": ARGS,
            "loss": {"class": "DistributionLoss", "kwargs": {"distribution": "Normal", "level": [80]}},
            "predict": {"level": [80]},
        },
        set(),
    ),
    (
        {"name": "auto_nhits_default_space", "model": "AutoNHITS", "model_args": {"num_samples": 1, "max_steps": 2}},
        set(),
    ),
    (
        {
            "name": "lightning_device_arguments",
            "model": "NHITS",
            "model_args": {**ARGS, "accelerator": "cpu", "devices": 1, "precision": 32},
        },
        set(),
    ),
    (
        {
            "name": "early_stopping_with_val_size",
            "model": "NHITS",
            "model_args": {**ARGS, "early_stop_patience_steps": 2, "val_check_steps": 1},
            "fit": {"val_size": 5},
        },
        set(),
    ),
    (
        {
            "name": "conformal_intervals",
            "model": "NHITS",
            "model_args": ARGS,
            "fit": {"prediction_intervals": {"n_windows": 2}},
            "predict": {"level": [80]},
        },
        set(),
    ),
    (
        {"name": "insample_predictions", "model": "NHITS", "model_args": ARGS, "predict_insample": {"step_size": 1}},
        set(),
    ),
    (
        {
            "name": "iqloss_pair",
            "model": "NHITS",
            "model_args": ARGS,
            "loss": {"class": "IQLoss"},
            "valid_loss": {"class": "IQLoss"},
        },
        set(),
    ),
]


def plan_rows(cases=CASES):
    runs = [{"series": "N1", **run} for run, _ in cases]
    return rows_from_document({"plan": "rehearsal_cases", "defaults": DEFAULTS, "runs": runs}, "test")


@pytest.fixture(scope="module")
def rehearsed(built_duckdb, tmp_path_factory):
    """Every case validated with its rehearsal, once, on a private copy of the built warehouse."""
    from fcast.throwaway import copy_of_warehouse

    from .conftest import environment

    env = copy_of_warehouse(built_duckdb, tmp_path_factory.mktemp("rehearsal"))
    with environment(env):
        started = time.perf_counter()
        results = validate_rows(plan_rows(), rehearse=True, workers=2)
        seconds = time.perf_counter() - started
        yield env, {result.row.run_name: result for result in results}, seconds


@pytest.mark.parametrize(("run", "rules"), CASES, ids=[run["name"] for run, _ in CASES])
def test_each_case_is_rejected_with_a_reason_or_accepted(run, rules, rehearsed):
    _, results, _ = rehearsed
    result = results[run["name"]]
    found = {violation.rule for violation in result.errors}
    if rules:
        assert found & rules, [str(v) for v in result.violations]
        violation = next(v for v in result.errors if v.rule in rules)
        assert violation.message and violation.suggestion and violation.evidence
        if violation.rule.startswith("rehearsal_"):
            assert violation.evidence_kind == "probe" and violation.field.startswith("rehearsal.")
    else:
        assert result.valid, [str(v) for v in result.violations]
        assert result.rehearsal is not None and result.rehearsal.outcome == "ok"


def test_known_messages_get_a_specific_suggestion(rehearsed):
    _, results, _ = rehearsed
    suggestion = next(v.suggestion for v in results["dlinear_even_window"].errors if v.rule == "rehearsal_failed")
    assert "odd" in suggestion
    stage = next(v.field for v in results["val_size_below_horizon"].errors if v.rule == "rehearsal_failed")
    assert stage in ("rehearsal.cross_validation", "rehearsal.fit")


def test_accepted_rows_train_on_the_trainer_path_and_rehearsals_are_reused(rehearsed):
    from fcast.train.trainer import TrainOptions, train_plan

    from .conftest import environment

    env, _, cold_seconds = rehearsed
    accepted = [run for run, rules in CASES if not rules]
    with environment(env):
        started = time.perf_counter()
        again = validate_rows(plan_rows([(run, set()) for run in accepted]), store=False, rehearse=True)
        cached_seconds = time.perf_counter() - started
        assert all(result.rehearsal.cached for result in again)
        assert cached_seconds < cold_seconds / 5
        lines: list[str] = []
        report = train_plan(plan_rows([(run, set()) for run in accepted]), TrainOptions(progress=lines.append))
    assert not report.rejected, lines
    assert [outcome.status for outcome in report.outcomes] == ["COMPLETED"] * len(accepted), lines
    with environment(env), db.connect(read_only=True) as warehouse:
        kinds = dict(
            warehouse.fetchall(
                "select r.run_name || ':' || f.forecast_kind, count(*) from raw.run_forecasts f "
                "join raw.nf_model_runs r using (run_id) group by 1"
            )
        )
    assert kinds["insample_predictions:insample"] > 1000
    assert "conformal_intervals:forecast" in kinds


def test_rehearsals_are_plan_probes_in_the_marts(rehearsed):
    from .conftest import environment

    env, _, _ = rehearsed
    run_fcast("build", "--select", "stg_raw__registry_probes", "stg_raw__run_plans", "probe_plan_rehearsals", env=env)
    with environment(env), db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select run_name, outcome, failed_stage, error_type from marts.probe_plan_rehearsals "
            "where plan_name = 'rehearsal_cases'"
        )
        library_rows = warehouse.fetchall("select count(*) from marts.probe_argument_outcomes where method = 'plan'")[
            0
        ][0]
    by_name = {name: (outcome, stage, error) for name, outcome, stage, error in rows}
    assert by_name["dlinear_even_window"][0] == "raised" and by_name["dlinear_even_window"][1] == "build"
    assert by_name["quantiles_mqloss_ignores"][0] == "ignored"
    assert by_name["conformal_intervals"][0] == "ok"
    assert library_rows == 0  # the argument marts keep to the probe matrix


def test_a_row_that_overruns_its_time_is_rejected_as_timeout(trained_copy):
    from fcast.plans.rehearse import rehearse_rows
    from fcast.registry.facts import RegistryFacts

    (row,) = plan_rows([({"name": "slow", "model": "NHITS", "model_args": {**ARGS, "input_size": 40}}, set())])
    outcomes = rehearse_rows([row], RegistryFacts.load().env_key, workers=1, timeout_s=0.05)
    rehearsal = outcomes[row.plan_id]
    assert rehearsal.outcome == "timeout"
    assert rehearsal.violation().rule == "rehearsal_timeout"


def test_cli_rehearses_by_default_and_static_only_skips_it(built_duckdb, tmp_path):
    from fcast.throwaway import copy_of_warehouse

    from .training_helpers import write_plan

    env = copy_of_warehouse(built_duckdb, tmp_path)
    plan_file = write_plan(
        tmp_path / "even.yaml",
        {
            "plan": "even",
            "defaults": DEFAULTS,
            "runs": [
                {"name": "even", "series": "N1", "model": "DLinear", "model_args": {**ARGS, "moving_avg_window": 4}}
            ],
        },
    )
    static = run_fcast("validate", "--static-only", str(plan_file), env=env)
    assert "0 rejected" in static.stdout and "rehears" not in static.stdout
    rehearsed = run_fcast("validate", str(plan_file), env=env, check=False)
    assert rehearsed.returncode == 1
    assert "rehearsing 1 row(s)" in rehearsed.stdout and "[rehearsal_failed] rehearsal.build" in rehearsed.stdout
    listed = run_fcast("validate", "--list-rules", env=env)
    assert "rehearsal_failed" in listed.stdout and "loss_level_and_quantiles" in listed.stdout
