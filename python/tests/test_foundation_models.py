"""Foundation models in the same plans as neuralforecast: a plan mixing NHITS, Chronos-2, Chronos-Bolt, TimesFM
and TimeGPT validates (with rehearsal), trains on the same cross-validation windows, and every run stands in
the leaderboard against chance, on both targets. Weights are tiny random models written from each library's
own config class; TimeGPT answers from a local server that speaks its API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fcast import db
from fcast.library.foundation.tiny import write_tiny_checkpoints

from .conftest import environment, run_fcast
from .timegpt_server import timegpt_api
from .training_helpers import count_rows, run_rows, write_plan

FOUNDATION_RUNS = {
    "fm_N1_chronos2": "Chronos2",
    "fm_N1_chronosbolt": "ChronosBolt",
    "fm_N1_timesfm": "TimesFM",
    "fm_N1_timegpt": "TimeGPT",
}
WINDOWS = 20
INTERVALS = {"predict": {"level": [80]}, "cross_validation": {"n_windows": WINDOWS, "step_size": 1, "level": [80]}}


@pytest.fixture(scope="module")
def tsfm_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("tsfm_home")
    write_tiny_checkpoints(home)
    return home


def mixed_plan(path: Path, plan_name: str) -> Path:
    runs = [
        {
            "name": "fm_N1_nhits",
            "model": "NHITS",
            "loss": {"class": "MAE"},
            "model_args": {"input_size": 12, "max_steps": 2},
        },
        *({"name": name, "model": model, **INTERVALS} for name, model in FOUNDATION_RUNS.items()),
    ]
    runs[2]["model_args"] = {"context_length": 64}  # Chronos-Bolt on a shorter context than its maximum
    document = {
        "plan": plan_name,
        "defaults": {
            "dataset": "loto6",
            "series": "N1",
            "horizon": 1,
            "cross_validation": {"n_windows": WINDOWS, "step_size": 1},
        },
        "runs": runs,
    }
    return write_plan(path, document)


def _check_mixed_plan(env: dict[str, str], folder: Path, plan_name: str) -> None:
    plan = mixed_plan(folder / f"{plan_name}.yaml", plan_name)
    validated = run_fcast("validate", str(plan), env=env)
    assert "5 run(s), 0 rejected" in validated.stdout, validated.stdout
    trained = run_fcast("train", str(plan), "--refresh-marts", env=env)
    assert "5 plan row(s): 5 completed, 0 failed, 0 rejected" in trained.stdout, trained.stdout
    with environment(env):
        runs = {run["run_name"]: run for run in run_rows("where plan_name = ?", (plan_name,))}
        assert set(runs) == {"fm_N1_nhits", *FOUNDATION_RUNS}
        for name, model in FOUNDATION_RUNS.items():
            run = runs[name]
            assert run["status"] == "COMPLETED" and run["model_name"] == model and run["loss"] == "pretrained"
            assert json.loads(run["metrics"])["n_windows"] == WINDOWS
            assert count_rows("raw.run_forecasts", run["run_id"]) == WINDOWS + 1
            assert count_rows("raw.run_forecast_intervals", run["run_id"]) == WINDOWS + 1  # level 80: one interval
            assert count_rows("raw.model_artifacts", run["run_id"]) == 1
            assert count_rows("raw.run_resource_summaries", run["run_id"]) == 1
        with db.connect(read_only=True) as warehouse:
            cutoffs = {
                name: warehouse.fetchall(
                    "select distinct cutoff from raw.run_forecasts "
                    "where run_id = ? and forecast_kind = 'cross_validation' order by cutoff",
                    (runs[name]["run_id"],),
                )
                for name in runs
            }
            ids = [run["run_id"] for run in runs.values()]
            board = warehouse.fetch_frame(
                "select run_name, model_name, model_mae, exact_best_mae, best_constant_mae, verdict "
                f"from marts.chance_leaderboard where run_id in ({', '.join('?' for _ in ids)}) order by run_name",
                tuple(ids),
            )
    assert len({tuple(map(tuple, found)) for found in cutoffs.values()}) == 1, "every row has the same cutoffs"
    assert set(board["run_name"]) == set(runs), board
    assert np.isfinite(board[["model_mae", "exact_best_mae", "best_constant_mae"]].astype(float)).all().all()
    assert board["verdict"].str.contains("chance").all()


def test_a_plan_mixing_nhits_and_foundation_models_trains_on_duckdb(trained_copy, tmp_path, tsfm_home):
    with timegpt_api():
        env = {**trained_copy, "FCAST_TSFM_HOME": str(tsfm_home)}
        _check_mixed_plan(env, tmp_path, "foundation_mixed")
        # a stored foundation model forecasts again from the model store, as `fcast predict` does
        with environment(env):
            chronos_run = run_rows("where run_name = ?", ("fm_N1_chronos2",))[-1]["run_id"]
        predicted = run_fcast("predict", chronos_run, env=env)
        assert "COMPLETED" in predicted.stdout, predicted.stdout


def test_a_plan_mixing_nhits_and_foundation_models_trains_on_postgres(built_postgres, tmp_path, tsfm_home):
    with timegpt_api():
        env = {**built_postgres, "FCAST_TSFM_HOME": str(tsfm_home)}
        _check_mixed_plan(env, tmp_path, "foundation_mixed_pg")


def test_a_missing_checkpoint_or_key_is_rejected_before_training_with_how_to_get_one(trained_copy, tmp_path):
    plan = write_plan(
        tmp_path / "no_weights.yaml",
        {
            "plan": "no_weights",
            "defaults": {"dataset": "loto6", "series": "N1", "horizon": 1},
            "runs": [
                {"name": "no_chronos", "model": "Chronos2", "model_args": {"checkpoint": str(tmp_path / "absent")}},
                {"name": "no_key", "model": "TimeGPT"},
            ],
        },
    )
    env = {**trained_copy, "NIXTLA_API_KEY": ""}
    result = run_fcast("train", str(plan), env=env, check=False)
    assert result.returncode != 0
    assert "2 rejected" in result.stdout, result.stdout
    assert "foundation_checkpoint_missing" in result.stdout and "hf download amazon/chronos-2" in result.stdout
    assert "foundation_api_key_missing" in result.stdout and "NIXTLA_API_KEY" in result.stdout
    with environment(trained_copy):
        assert run_rows("where plan_name = ?", ("no_weights",)) == []


def test_the_prober_calls_every_adapter_whose_weights_or_key_are_here(duckdb_env, tsfm_home):
    from fcast import app

    lines: list[str] = []
    with environment({"FCAST_TSFM_HOME": str(tsfm_home)}), timegpt_api():
        reports = app.probe_foundation_models(progress=lines.append)
        with db.connect(read_only=True) as warehouse:
            probes = {
                (model, method, argument, label): (outcome, error)
                for model, method, argument, label, outcome, error in warehouse.fetchall(
                    "select model_class, method, argument, value_label, outcome, error_message "
                    "from raw.registry_probes where library <> 'neuralforecast'"
                )
            }
        again = app.probe_foundation_models(progress=lines.append)
    assert {report.env_key.split("==")[0] for report in reports} == {"chronos-forecasting", "transformers", "fcast"}
    assert {model for model, *_ in probes} == {"Chronos2", "ChronosBolt", "TimesFM", "TimeGPT"}
    assert probes[("Chronos2", "predict", "level", "[99.0]")][0] == "ignored"  # beyond its 0.01..0.99 grid
    assert probes[("TimesFM", "model_init", "h", "129")][0] == "raised"
    assert probes[("ChronosBolt", "fit", "fine_tune_steps", "1")][0] == "raised"
    assert probes[("Chronos2", "fit", "fine_tune_steps", "1")][0] == "ok"
    assert probes[("TimeGPT", "embed", "", "")] == ("raised", "TimeGPT has no embedding output")
    assert all(probes[(model, "save_load", "", "")][0] == "ok" for model in FOUNDATION_RUNS.values())
    assert all(report.run == 0 for report in again), "probes already recorded are not run again"
