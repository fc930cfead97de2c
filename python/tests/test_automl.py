"""Searches from a plan: the selector's choices and reasons, pruning that really stops a bad trial,
durable studies that resume (SQLite beside DuckDB, an `optuna` schema on PostgreSQL), and ray."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fcast import db
from fcast.automl.search import study_name
from fcast.automl.selector import SearchProblem, choose
from fcast.plans.spec import load_plan_file

from .conftest import environment, run_fcast
from .training_helpers import run_rows, tiny_plan


def _problem(**overrides) -> SearchProblem:
    values = {
        "n_trials": 20,
        "train_rows": 2_000,
        "n_series": 6,
        "model": "NHITS",
        "recurrent": False,
        "n_parameters": 200_000,
        "all_numeric": False,
    }
    return SearchProblem(**{**values, **overrides})


@pytest.mark.fast
@pytest.mark.parametrize(
    ("overrides", "sampler", "pruner", "because"),
    [
        ({"n_trials": 9}, "random", "median", "9 trials (< 10)"),
        ({"train_rows": 200_000, "recurrent": True, "model": "LSTM"}, "multivariate_tpe", "hyperband", "recurrent"),
        ({"n_series": 101, "model": "PatchTST"}, "multivariate_tpe", "hyperband", "transformer"),
        ({"train_rows": 100_001, "n_parameters": 2_000_000}, "multivariate_tpe", "hyperband", "2,000,000 parameters"),
        ({"train_rows": 200_000}, "tpe", "median", "categorical"),  # large data but a simple model
        ({"recurrent": True}, "tpe", "median", "categorical"),  # complex model but small data
        ({"all_numeric": True}, "cmaes", "median", "every searched parameter is numeric"),
    ],
)
def test_the_selector_picks_and_explains(overrides, sampler, pruner, because):
    algorithm = choose(_problem(**overrides))
    assert (algorithm.sampler, algorithm.pruner) == (sampler, pruner)
    assert because in algorithm.reason
    built_sampler, built_pruner = algorithm.build(seed=1)
    assert type(built_sampler).__name__.lower().startswith({"multivariate_tpe": "tpe"}.get(sampler, sampler)[:3])
    assert built_pruner is not None


MAX_STEPS = 20


def _search_plan(path: Path, backend: str, config: dict, num_samples: int, max_steps: int = MAX_STEPS) -> Path:
    return tiny_plan(
        path,
        [
            {
                "name": f"{backend}_search",
                "series": "N1",
                "model": "NHITS",
                "model_args": {"scaler_type": "robust"},
                "search": {"backend": backend, "num_samples": num_samples, "config": config},
            }
        ],
        max_steps=max_steps,
    )


def test_a_bad_trial_is_pruned_at_an_early_validation_check(trained_copy, tmp_path):
    import optuna

    from fcast.automl import storage

    plan = _search_plan(tmp_path / "prune.yaml", "optuna", {"learning_rate": {"choices": [0.001, 5.0]}}, 2)
    (row,) = load_plan_file(plan)
    study = optuna.create_study(study_name=study_name(row), storage=storage.open_storage(), direction="minimize")
    study.enqueue_trial({"learning_rate": 0.001})  # a sane first trial, then one that diverges
    study.enqueue_trial({"learning_rate": 5.0})
    result = run_fcast("train", str(plan), env=trained_copy)
    assert "1 completed" in result.stdout

    trials = optuna.load_study(study_name=study_name(row), storage=storage.open_storage()).trials
    good, bad = trials
    assert good.state == optuna.trial.TrialState.COMPLETE
    assert sorted(good.intermediate_values) == list(range(2, MAX_STEPS + 1, 2))  # reported at every check
    assert bad.state == optuna.trial.TrialState.PRUNED
    assert max(bad.intermediate_values) < MAX_STEPS  # stopped before its last step
    assert (
        bad.intermediate_values[min(bad.intermediate_values)] > good.intermediate_values[min(bad.intermediate_values)]
    )

    (run,) = run_rows("where run_name = 'optuna_search'")
    assert run["status"] == "COMPLETED"
    assert json.loads(run["best_params"]) == {"learning_rate": 0.001}
    assert json.loads(run["search_space"]) == {"learning_rate": {"choices": [0.001, 5.0]}}
    search = json.loads(run["optimization_config"])["search"]
    assert search["trials"] == {"complete": 1, "pruned": 1} and search["algorithm"]["sampler"] == "random"
    assert "pruned at step" in run["logs"]


def test_searches_run_on_postgres_and_resume_from_the_optuna_schema(built_postgres, tmp_path):
    config = {"learning_rate": {"low": 0.0001, "high": 0.01, "log": True}}
    plan = _search_plan(tmp_path / "pg_search.yaml", "optuna", config, 3, max_steps=4)
    run_fcast("train", str(plan), env=built_postgres)
    second = run_fcast("train", str(plan), env=built_postgres)
    with environment(built_postgres):
        runs = run_rows("where run_name = 'optuna_search'")
        with db.connect(read_only=True) as warehouse:
            studies = warehouse.fetchall("select study_name from optuna.studies")
    assert [run["status"] for run in runs] == ["COMPLETED", "COMPLETED"]
    assert runs[0]["best_params"] == runs[1]["best_params"] != "{}"
    assert "3 trials done, 0 to run" in runs[1]["logs"]
    (row,) = load_plan_file(plan)
    assert (study_name(row),) in studies
    assert "1 completed" in second.stdout


@pytest.fixture
def stale_ray_cluster_record():
    """What `ray start` leaves behind when its cluster dies uncleanly: the machine's record of the latest cluster,
    pointing at an address nobody listens on (a plain `ray.init()` would wait for it for ever)."""
    import socket

    from ray._private.utils import get_ray_address_file

    record = Path(get_ray_address_file(None))
    before = record.read_text() if record.exists() else None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"127.0.0.1:{dead_port}")
    try:
        yield record
    finally:
        if before is None:
            record.unlink(missing_ok=True)
        else:
            record.write_text(before)


def test_the_ray_backend_searches_from_a_plan(trained_copy, tmp_path, stale_ray_cluster_record):
    """Ray Tune's own `ray.init()` starts a local instance, even when `ray start` left a dead cluster's record."""
    plan = _search_plan(
        tmp_path / "ray.yaml", "ray", {"learning_rate": {"low": 0.0001, "high": 0.01, "log": True}}, 2, max_steps=3
    )
    run_fcast("train", str(plan), env=trained_copy)
    (run,) = run_rows("where run_name = 'ray_search'")
    assert run["status"] == "COMPLETED"
    best = json.loads(run["best_params"])
    assert set(best) == {"learning_rate"} and 0.0001 <= best["learning_rate"] <= 0.01
    search = json.loads(run["optimization_config"])["search"]
    assert search["backend"] == "ray" and search["trials"] == {"complete": 2}
    assert Path(search["storage"]).is_dir()
