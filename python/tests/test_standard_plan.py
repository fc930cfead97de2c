"""`fcast plan --game`: the standard k+1 plan, validated row by row, written as YAML that round-trips."""

from __future__ import annotations

from fcast.plans.spec import load_plan_file
from fcast.plans.standard import standard_plan
from fcast.plans.validate import validate_rows

from .conftest import environment, run_fcast
from .training_helpers import run_trainer_path


def test_loto6_standard_plan_has_k_plus_one_valid_runs(built_duckdb, tmp_path):
    output = tmp_path / "loto6.yaml"
    result = run_fcast("plan", "--game", "loto6", "--output", str(output), env=built_duckdb)
    assert "7 runs, 0 rejected" in result.stdout
    rows = load_plan_file(output)
    assert [row.series for row in rows] == ["N1", "N2", "N3", "N4", "N5", "N6", "all"]
    assert {row.model for row in rows[:6]} == {"NHITS"} and rows[6].model == "TSMixerx"
    assert rows[6].model_args["n_series"] == 6
    assert all(row.horizon == 1 and row.model_args["input_size"] == 20 for row in rows)
    assert len(rows[0].feature_list("hist")) == 19 and len(rows[0].feature_list("futr")) == 5
    with environment(built_duckdb):
        assert [row.plan_id for row in rows] == [row.plan_id for row in standard_plan("loto6")]


def test_univariate_mode_uses_one_global_model_over_the_k_series(built_duckdb):
    with environment(built_duckdb):
        rows = standard_plan("miniloto", mode="univariate")
        results = validate_rows(rows, store=False)
        assert all(result.valid for result in results)
        assert rows[-1].model == "NHITS" and rows[-1].series == "all" and "n_series" not in rows[-1].model_args
        forecast = run_trainer_path(rows[-1], max_steps=2).forecast
    assert sorted(forecast.unique_id) == [f"miniloto_N{slot}" for slot in range(1, 6)]


def test_the_multivariate_all_slot_run_trains(built_duckdb):
    with environment(built_duckdb):
        row = standard_plan("numbers3")[-1]
        forecast = run_trainer_path(row, max_steps=2).forecast
    assert len(forecast) == 3


def test_rejected_rows_keep_their_violations_and_the_command_fails(built_duckdb, tmp_path):
    result = run_fcast(
        "plan",
        "--game",
        "bingo5",
        "--slot-model",
        "NHITZ",
        "--output",
        str(tmp_path / "b.yaml"),
        env=built_duckdb,
        check=False,
    )
    assert result.returncode == 1
    assert "8 rejected" in result.stdout and "[unknown_model]" in result.stdout
