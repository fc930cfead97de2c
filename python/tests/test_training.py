"""The trainer on real warehouses: plans of every game train, every training table is filled and its
marts pass their tests on both targets, interrupted and killed runs end FAILED, retrain reproduces
the feature set, predict uses the stored model, and a tampered model is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from fcast import db
from fcast.games import load_games
from fcast.plans.spec import dump_plan, load_plan_file
from fcast.plans.standard import standard_plan

from .conftest import FCAST, PROJECT_DIR, environment, run_fcast
from .training_helpers import TINY_FEATURES, count_rows, run_rows, tiny_plan

GAMES = load_games()


def test_the_main_job_trained_the_loto6_plan_on_each_target(built_env):
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select run_name, status, n_series, cv_windows, has_stored_model from marts.run_history "
            "where plan_name = 'loto6_standard_multivariate' order by run_name"
        )
        # the main job's models only: other tests train loto6 rows in this warehouse too, and any rebuild shows them
        store = warehouse.fetchall(
            "select count(*) from marts.model_store where run_id in "
            "(select run_id from marts.run_history where plan_name = 'loto6_standard_multivariate')"
        )[0][0]
    names = [f"loto6_N{slot}_nhits" for slot in range(1, 7)] + ["loto6_all_tsmixerx"]
    assert sorted(row[0] for row in rows) == sorted(names)
    assert all(status == "COMPLETED" and windows == 20 and stored for _, status, _, windows, stored in rows)
    assert {row[0]: row[2] for row in rows}["loto6_all_tsmixerx"] == 6
    assert store == 7


# Every game's standard plan trains somewhere in this file: loto6 in the main job, numbers3 and miniloto on
# PostgreSQL below, the rest here.
TRAINED_ELSEWHERE = ("loto6", "numbers3", "miniloto")


def test_the_standard_plans_of_every_game_validate_and_train(trained_copy, tmp_path):
    plan_files = {}
    for code in GAMES:
        plan_files[code] = tmp_path / f"{code}.yaml"
        plan_files[code].write_text(dump_plan(standard_plan(code, max_steps=2)), encoding="utf-8")
    validated = run_fcast("validate", "--static-only", *map(str, plan_files.values()), env=trained_copy)
    rows = sum(game.main_count + 1 for game in GAMES.values())
    assert f"{rows} run(s), 0 rejected" in validated.stdout
    trained_here = {code: game for code, game in GAMES.items() if code not in TRAINED_ELSEWHERE}
    trained_by_the_main_job = {run["run_id"] for run in run_rows()}
    result = run_fcast("train", *(str(plan_files[code]) for code in trained_here), env=trained_copy)
    expected = sum(game.main_count + 1 for game in trained_here.values())
    assert f"{expected} plan row(s): {expected} completed, 0 failed, 0 rejected" in result.stdout

    runs = [run for run in run_rows() if run["run_id"] not in trained_by_the_main_job]
    assert len(runs) == expected and {run["status"] for run in runs} == {"COMPLETED"}
    for run in runs:
        unique_ids = json.loads(run["unique_ids"])
        game = GAMES[run["loto"]]
        assert len(unique_ids) == (game.main_count if run["series_selector"] == "all" else 1)
        assert run["env_key"].startswith("neuralforecast==") and len(run["data_version"]) == 16
        assert run["random_seed"] == 1 and run["accelerator"] == "cpu" and run["pid"] > 0
        assert run["start_time"] <= run["end_time"] <= run["heartbeat_at"] <= run["updated_at"]
        assert json.loads(run["metrics"])["n_windows"] == 20
        assert json.loads(run["resource_summary"])["peak_rss_bytes"] > 0
        assert json.loads(run["optimization_config"])["plan_row"]["model"] == run["model_name"]
        assert "cross-validation done" in run["logs"]
        assert count_rows("raw.run_metrics", run["run_id"]) == 20 * len(unique_ids) * 2  # mae and rmse
        assert count_rows("raw.run_forecasts", run["run_id"]) == 20 * len(unique_ids) + len(unique_ids)
        assert count_rows("raw.run_resource_summaries", run["run_id"]) == 1
        assert count_rows("raw.model_artifacts", run["run_id"]) == 1
    build = run_fcast("build", "--select", "staging.train+", env=trained_copy)
    assert "ERROR=0" in build.stdout


def test_every_training_table_and_mart_on_postgres(built_postgres, tmp_path):
    with environment(built_postgres):
        numbers3 = standard_plan("numbers3", max_steps=2)
        miniloto = standard_plan("miniloto", mode="univariate", max_steps=2)
    (tmp_path / "n3.yaml").write_text(dump_plan(numbers3), encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(dump_plan(miniloto), encoding="utf-8")
    probabilistic = tiny_plan(
        tmp_path / "pg_quantiles.yaml",
        [
            {
                "name": "n3_N1_mqloss",
                "series": "N1",
                "model": "NHITS",
                "loss": {"class": "MQLoss", "kwargs": {"level": [80]}},
            }
        ],
        dataset="numbers3",
        predict={"level": [80]},
    )
    result = run_fcast(
        "train", str(tmp_path / "n3.yaml"), str(tmp_path / "mini.yaml"), str(probabilistic), env=built_postgres
    )
    assert "11 plan row(s): 11 completed" in result.stdout
    with environment(built_postgres):
        runs = run_rows(
            "where plan_name in (?, ?, ?)",
            ("numbers3_standard_multivariate", "miniloto_standard_univariate", "pg_quantiles"),
        )
        assert len(runs) == 11 and {run["status"] for run in runs} == {"COMPLETED"}
        first = runs[0]["run_id"]
        for table in ("run_metrics", "run_forecasts", "run_resource_summaries", "model_artifacts"):
            assert count_rows(f"raw.{table}", first) > 0, table
        quantile_run = next(run["run_id"] for run in runs if run["run_name"] == "n3_N1_mqloss")
        assert count_rows("raw.run_forecast_intervals", quantile_run) == 5  # 4 windows + the next draw
        # updated_at is kept by a trigger on PostgreSQL: an update that sets an old value still moves it.
        with db.connect() as warehouse:
            warehouse.execute(
                "update raw.nf_model_runs set updated_at = timestamp '2000-01-01', mlflow_run_id = '' where run_id = ?",
                (first,),
            )
            (updated,) = warehouse.fetchall("select updated_at from raw.nf_model_runs where run_id = ?", (first,))[0]
        assert updated.year >= 2026
    build = run_fcast("build", "--select", "staging.train+", env=built_postgres)
    assert "ERROR=0" in build.stdout
    with environment(built_postgres), db.connect(read_only=True) as warehouse:
        metrics = warehouse.fetchall(
            "select metric, count(*) from marts.run_series_metrics where run_id = ? group by metric order by metric",
            (quantile_run,),
        )
        covered = warehouse.fetchall(
            "select count(*) from marts.run_forecast_intervals_vs_actuals where run_id = ? and is_covered is not null",
            (quantile_run,),
        )[0][0]
    assert metrics == [("coverage_80", 1), ("mae", 1), ("quantile_loss", 1), ("rmse", 1)]
    assert covered == 4


def test_a_rejected_row_keeps_its_violations_and_gets_no_run(trained_copy, tmp_path):
    plan = tiny_plan(
        tmp_path / "mixed.yaml",
        [
            {"name": "good", "series": "N1", "model": "NHITS"},
            {"name": "bad", "series": "N1", "model": "NHITS", "predict": {"level": [80]}},
        ],
    )
    result = run_fcast("train", str(plan), env=trained_copy, check=False)
    assert result.returncode == 1
    assert "bad: REJECTED by the validator" in result.stdout and "[intervals_need_probabilistic_loss]" in result.stdout
    assert "2 plan row(s): 1 completed, 0 failed, 1 rejected" in result.stdout
    (bad,) = [row for row in load_plan_file(plan) if row.run_name == "bad"]
    assert run_rows("where plan_id = ?", (bad.plan_id,)) == []
    with db.connect(read_only=True) as warehouse:
        violations = warehouse.fetchall("select rule from raw.plan_violations where plan_id = ?", (bad.plan_id,))
    assert ("intervals_need_probabilistic_loss",) in violations


def _start_long_training(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, str]:
    """Start `fcast train` on a run that takes minutes; return once its flushed log shows it cross-validating."""
    plan = tiny_plan(
        tmp_path / "long.yaml", [{"name": "long_run", "series": "N1", "model": "NHITS"}], max_steps=100_000
    )
    process = subprocess.Popen(
        [*FCAST, "train", str(plan)],
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = run_rows("where run_name = 'long_run'")
        if runs and runs[0]["status"] == "RUNNING" and "cross-validation" in runs[0]["logs"]:
            return process, runs[0]["run_id"]
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.5)
    process.kill()
    raise AssertionError("the long run did not start training within 120 s")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_an_interrupted_run_ends_failed_with_its_log(trained_copy, tmp_path, stop_signal):
    process, run_id = _start_long_training(trained_copy, tmp_path)
    process.send_signal(stop_signal)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0, output
    (run,) = run_rows("where run_id = ?", (run_id,))
    assert run["status"] == "FAILED" and run["error_type"] == "Interrupted", run
    assert run["end_time"] is not None and run["duration_seconds"] > 0
    assert "cross-validation" in run["logs"] and "Interrupt" in run["logs"]
    assert count_rows("raw.run_resource_summaries", run_id) == 1


def test_a_killed_run_is_closed_failed_by_the_next_command(trained_copy, tmp_path):
    process, run_id = _start_long_training(trained_copy, tmp_path)
    process.kill()
    process.wait(timeout=30)
    (run,) = run_rows("where run_id = ?", (run_id,))
    assert run["status"] == "RUNNING"  # nobody could say otherwise yet
    result = run_fcast("runs", env=trained_copy)
    assert f"closed stale run {run_id} as FAILED" in result.stdout
    (run,) = run_rows("where run_id = ?", (run_id,))
    assert run["status"] == "FAILED" and run["error_type"] == "StaleRun"
    assert "stopped beating" in run["logs"]


@pytest.mark.fast
def test_a_silent_run_on_another_host_is_closed_only_when_its_heartbeat_is_stale(duckdb_env):
    from fcast.ingest.records import utc_now
    from fcast.train import runs

    def insert(run_id: str, age_s: float, host: str = "another-host", pid: int = 1) -> None:
        record = runs.RunRecord(
            run_id=run_id, run_kind="train", plan_id="p", plan_name="p", run_name=run_id, table_name="",
            dataset="loto6", series_selector="N1", model_name="NHITS", backend="none", horizon=1, loss="MAE",
            env_key="e", random_seed=1, accelerator="cpu",
        )  # fmt: skip
        record.insert()
        beat = utc_now().replace(microsecond=0) - __import__("datetime").timedelta(seconds=age_s)
        runs.update_run(run_id, status="RUNNING", host=host, pid=pid, heartbeat_at=beat, start_time=beat)

    insert("fresh", 5)
    insert("stale", 600)
    assert runs.close_stale_runs(stale_after_s=120) == ["stale"]
    statuses = {run["run_id"]: run["status"] for run in run_rows()}
    assert statuses == {"fresh": "RUNNING", "stale": "FAILED"}

    # On this host the process table decides: a live trainer whose flushes wait behind a lock stays open.
    waiting = subprocess.Popen(["sleep", "60"])
    try:
        insert("blocked_here", 600, host=runs.HOST, pid=waiting.pid)
        assert runs.close_stale_runs(stale_after_s=120) == []
    finally:
        waiting.kill()
        waiting.wait()
    assert runs.close_stale_runs(stale_after_s=120) == ["blocked_here"]


def test_a_run_that_raises_ends_failed_with_the_traceback(trained_copy):
    from fcast.plans.validate import validate_rows
    from fcast.train.trainer import TrainOptions, train_row

    (row,) = standard_plan("numbers3", max_steps=2)[:1]
    (result,) = validate_rows([row])

    def broken_work(row, inputs, scratch, log):
        raise RuntimeError("the GPU caught fire")

    outcome = train_row(row, result.env_key, TrainOptions(progress=lambda line: None), work=broken_work)
    assert outcome.status == "FAILED" and "the GPU caught fire" in outcome.error
    (run,) = run_rows("where run_id = ?", (outcome.run_id,))
    assert run["status"] == "FAILED" and run["error_type"] == "RuntimeError"
    assert "Traceback" in run["logs"] and "broken_work" in run["logs"]


def _train_one(env: dict[str, str], tmp_path: Path, name: str = "store_me") -> dict:
    plan = tiny_plan(tmp_path / f"{name}.yaml", [{"name": name, "series": "all", "model": "NHITS"}], dataset="numbers3")
    run_fcast("train", str(plan), env=env)
    (run,) = run_rows("where run_name = ?", (name,))
    return run


def _artifact(run_id: str) -> dict:
    with db.connect(read_only=True) as warehouse:
        frame = warehouse.fetch_frame("select * from raw.model_artifacts where run_id = ?", (run_id,))
    return frame.iloc[0].to_dict()


def test_retrain_reproduces_the_feature_set_and_the_result(trained_copy, tmp_path):
    original = _train_one(trained_copy, tmp_path)
    result = run_fcast("retrain", original["run_id"][:10], env=trained_copy)
    assert "COMPLETED" in result.stdout
    (retrained,) = run_rows("where run_kind = 'retrain'")
    assert retrained["parent_run_id"] == original["run_id"] and retrained["plan_id"] == original["plan_id"]
    first, second = _artifact(original["run_id"]), _artifact(retrained["run_id"])
    for column in ("unique_ids", "futr_exog_list", "hist_exog_list", "stat_exog_list", "feature_set", "data_version"):
        assert first[column] == second[column], column
    assert json.loads(first["feature_set"]) == TINY_FEATURES
    assert json.loads(retrained["metrics"])["mae"] == pytest.approx(json.loads(original["metrics"])["mae"], rel=1e-5)


def test_retrain_stops_before_training_when_a_recorded_feature_is_gone(trained_copy, tmp_path):
    original = _train_one(trained_copy, tmp_path)
    with db.connect() as warehouse:
        warehouse.execute("alter table marts.nf_train_df drop column hist_roll_mean_10")
    result = run_fcast("retrain", original["run_id"], env=trained_copy, check=False)
    assert result.returncode == 1
    assert "hist_roll_mean_10 (hist, marts.nf_train_df)" in result.stderr and "Nothing was trained" in result.stderr
    assert len(run_rows()) == len(run_rows("where run_kind <> 'retrain'"))


def test_predict_uses_the_stored_model_and_refuses_a_tampered_one(trained_copy, tmp_path):
    original = _train_one(trained_copy, tmp_path)
    result = run_fcast("predict", original["run_id"], env=trained_copy)
    assert "COMPLETED" in result.stdout
    (predicted,) = run_rows("where run_kind = 'predict'")
    assert predicted["parent_run_id"] == original["run_id"]
    with db.connect(read_only=True) as warehouse:
        forecasts = warehouse.fetchall(
            "select unique_id, ds, cutoff from raw.run_forecasts where run_id = ? order by unique_id",
            (predicted["run_id"],),
        )
        last = warehouse.fetchall("select max(ds) from marts.fct_series_long where game_code = 'numbers3'")[0][0]
    assert forecasts == [(f"numbers3_N{slot}", last + 1, last) for slot in (1, 2, 3)]

    artifact = _artifact(original["run_id"])
    weights = next(Path(artifact["artifact_path"]).glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    result = run_fcast("predict", original["run_id"], env=trained_copy, check=False)
    assert result.returncode == 1 and "do not match the recorded hash" in result.stderr
    assert len(run_rows("where run_kind = 'predict'")) == 1  # nothing ran with the changed files
    assert _artifact(original["run_id"])["status"] == "tampered"


def test_mlflow_logging_works_offline(trained_copy, tmp_path):
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**trained_copy, "MLFLOW_TRACKING_URI": tracking}
    plan = tiny_plan(tmp_path / "tracked.yaml", [{"name": "tracked", "series": "N2", "model": "NHITS"}])
    run_fcast("train", str(plan), "--mlflow", env=env)
    (run,) = run_rows("where run_name = 'tracked'")
    assert run["mlflow_run_id"]

    import mlflow

    client = mlflow.tracking.MlflowClient(tracking_uri=tracking)
    logged = client.get_run(run["mlflow_run_id"])
    assert logged.data.tags["fcast_run_id"] == run["run_id"]
    assert logged.data.metrics["mae"] == pytest.approx(json.loads(run["metrics"])["mae"])
    assert logged.data.params["model"] == '"NHITS"'


def test_reports_of_a_run_and_a_plan_open_offline(trained_copy, tmp_path):
    import re

    plan = tiny_plan(
        tmp_path / "reported.yaml",
        [
            {
                "name": "reported",
                "series": "N1",
                "model": "NHITS",
                "loss": {"class": "MQLoss", "kwargs": {"level": [80]}},
            }
        ],
        predict={"level": [80]},
    )
    run_fcast("train", str(plan), env=trained_copy)
    run_fcast("evaluate", "--game", "loto6", env=trained_copy)
    (run,) = run_rows("where run_name = 'reported'")
    output = tmp_path / "run.html"
    result = run_fcast("report", run["run_id"][:12], "--output", str(output), env=trained_copy)
    assert str(output) in result.stdout
    page = output.read_text(encoding="utf-8")
    for section in ("Configuration and library versions", "Validation of the plan row", "Metrics per series",
                    "Forecasts against the draws", "Beside chance", "Resources", "Log (tail)"):  # fmt: skip
        assert section in page, section
    assert run["env_key"] in page and "neuralforecast" in page and "coverage_80" in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 2  # forecasts with intervals, resources
    assert not re.search(r'(src|href)="https?://', page)  # nothing to fetch: it opens offline
    plan_report = tmp_path / "plan.html"
    run_fcast("report", "--plan", "reported", "--output", str(plan_report), env=trained_copy)
    assert "reported" in plan_report.read_text(encoding="utf-8")
