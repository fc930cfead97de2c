"""fcast on a real Ray cluster: two nodes started here as separate processes (`ray start --head`, then
`ray start --address`), a PostgreSQL warehouse, and the real `fcast` command line as the driver.

A plan spreads over both nodes with its rehearsal on the cluster (a ray-backend search row's trials
too); the probe matrix gives the same outcomes on the cluster as in the local pool; a node killed
mid-run has its row retried elsewhere with one COMPLETED run and its dead attempt FAILED; Ctrl+C on
the driver cancels the cluster's tasks and leaves no row open. The DuckDB target refuses a cluster
(a fast test).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from fcast import db
from fcast.throwaway import fcast_command, local_ray_cluster, run_fcast
from fcast.throwaway import scoped_environment as environment

from .training_helpers import run_rows, tiny_plan

PROJECT_DIR = Path(__file__).resolve().parents[2]
LONG_STEPS = 100_000  # a run that lasts until it is stopped


@pytest.fixture(scope="module")
def cluster():
    with local_ray_cluster(nodes=2, cpus_per_node=1) as started:
        yield started


@pytest.fixture
def cluster_warehouse(built_postgres, tmp_path):
    """The built PostgreSQL warehouse with a model store of the test's own (every local node reaches it)."""
    env = {**built_postgres, "FCAST_MODEL_STORE": str(tmp_path / "models")}
    with environment(env):
        yield env


def _rows_of(plan_name: str) -> list[dict]:
    return run_rows("where plan_name = ?", (plan_name,))


def _train_in_background(env: dict, plan: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        fcast_command("train", str(plan), *options),
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until(condition, process: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the driver exited before {what}:\n{process.stdout.read()}")
        time.sleep(1.0)
    process.kill()
    raise AssertionError(f"not within {seconds:.0f}s: {what}\n{process.communicate()[0][-4000:]}")


def _running_on(plan_name: str, node_id: str) -> bool:
    return any(row["status"] == "RUNNING" and row["ray_node_id"] == node_id for row in _rows_of(plan_name))


def _training_on(plan_name: str, node_ids: list[str]) -> bool:
    """A run of the plan is cross-validating on each of these nodes (its flushed log says so)."""
    running = {row["ray_node_id"] for row in _rows_of(plan_name) if "cross-validation" in row["logs"]}
    return set(node_ids) <= running


@pytest.mark.postgres
@pytest.mark.dbt
def test_a_plan_spreads_over_both_nodes_with_its_rehearsal_on_the_cluster(cluster, cluster_warehouse, tmp_path):
    search = {"backend": "ray", "num_samples": 2, "config": {"learning_rate": {"low": 1e-4, "high": 1e-2}}}
    plan = tiny_plan(
        tmp_path / "ray_spread.yaml",
        [
            *({"name": f"ray_spread_{slot}", "series": slot, "model": "NHITS"} for slot in ("N1", "N2", "N3")),
            {"name": "ray_spread_search", "series": "N4", "model": "NHITS", "search": search},
        ],
    )
    result = run_fcast("train", str(plan), "--ray", cluster.address, env=cluster_warehouse)
    assert f"rehearsing 4 row(s) as tasks on the Ray cluster {cluster.address}" in result.stdout
    assert f"training 4 row(s) as tasks on the Ray cluster {cluster.address}" in result.stdout
    runs = _rows_of("ray_spread")
    names = ["ray_spread_N1", "ray_spread_N2", "ray_spread_N3", "ray_spread_search"]
    assert sorted(run["run_name"] for run in runs) == names
    assert {run["status"] for run in runs} == {"COMPLETED"}, [run["error_message"] for run in runs]
    assert {run["ray_node_id"] for run in runs} == set(cluster.node_ids)  # both nodes trained
    assert len({run["dispatch_id"] for run in runs}) == 4 and all(run["dispatch_id"] for run in runs)
    (searched,) = [run for run in runs if run["run_name"] == "ray_spread_search"]
    assert searched["backend"] == "ray" and "learning_rate" in json.loads(searched["best_params"])
    for run in runs:
        assert Path(run_artifact(run["run_id"])).is_dir()
    with db.connect(read_only=True) as warehouse:
        rehearsed = warehouse.fetchall(
            "select value_label, outcome from raw.registry_probes where probe_kind = 'plan' and value_label like ?",
            ("ray_spread_%",),
        )
    assert sorted(rehearsed) == [(name, "ok") for name in names]


def run_artifact(run_id: str) -> str:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetchall("select artifact_path from raw.model_artifacts where run_id = ?", (run_id,))[0][0]


@pytest.mark.postgres
@pytest.mark.dbt
def test_the_probe_matrix_gives_the_same_outcomes_on_the_cluster_as_in_the_local_pool(cluster, cluster_warehouse):
    """The main job probed the quick subset with the local pool; the cluster probes NHITS's share again."""
    key = (
        "select probe_id, outcome, error_type from raw.registry_probes where probe_kind = 'library' and model_class = ?"
    )
    with db.connect() as warehouse:
        local = sorted(warehouse.fetchall(key, ("NHITS",)))
        assert local, "the main job probed no NHITS combination"
        warehouse.execute(
            "delete from raw.registry_probes where probe_kind = 'library' and model_class = ?", ("NHITS",)
        )
    result = run_fcast("registry", "probe", "--quick", "--models", "NHITS", "--ray", cluster.address)
    assert f"{len(local)} run" in result.stdout, result.stdout
    with db.connect(read_only=True) as warehouse:
        on_cluster = sorted(warehouse.fetchall(key, ("NHITS",)))
    assert on_cluster == local


@pytest.mark.postgres
@pytest.mark.dbt
def test_a_row_no_node_can_hold_is_named_before_anything_is_submitted(cluster, cluster_warehouse, tmp_path):
    plan = tiny_plan(
        tmp_path / "ray_gpu.yaml",
        [{"name": "ray_gpu_row", "series": "N1", "model": "NHITS", "resources": {"cpus": 1, "gpus": 1}}],
    )
    result = run_fcast("train", str(plan), "--static-only", "--ray", cluster.address, check=False)
    assert result.returncode == 1, result.stdout
    assert "no node of the cluster" in result.stderr and "ray_gpu_row asks for 1 CPU(s) and 1 GPU(s)" in result.stderr
    assert _rows_of("ray_gpu") == []


@pytest.mark.postgres
@pytest.mark.dbt
def test_ctrl_c_on_the_driver_cancels_the_cluster_tasks_and_closes_every_row(cluster, cluster_warehouse, tmp_path):
    plan = tiny_plan(
        tmp_path / "ray_cancel.yaml",
        [{"name": f"ray_cancel_{slot}", "series": slot, "model": "NHITS"} for slot in ("N1", "N2")],
        max_steps=LONG_STEPS,
    )
    driver = _train_in_background(cluster_warehouse, plan, "--static-only", "--ray", cluster.address)
    _wait_until(lambda: _training_on("ray_cancel", cluster.node_ids), driver, 240, "both nodes trained a row")
    driver.send_signal(signal.SIGINT)
    output, _ = driver.communicate(timeout=120)
    assert driver.returncode == 130, output
    runs = _rows_of("ray_cancel")
    assert len(runs) == 2 and {run["status"] for run in runs} == {"FAILED"}, runs
    assert {run["error_type"] for run in runs} == {"Interrupted"}
    deadline = time.monotonic() + 60
    while cluster.available_cpus() < 2 and time.monotonic() < deadline:
        time.sleep(1.0)
    assert cluster.available_cpus() == 2  # no task of the plan holds a CPU any more


@pytest.mark.postgres
@pytest.mark.dbt
def test_a_row_whose_node_dies_is_retried_elsewhere_with_one_completed_run(cluster_warehouse, tmp_path):
    """Its own cluster: one of its nodes is killed (SIGKILL to the node's whole process group)."""
    plan = tiny_plan(
        tmp_path / "ray_fault.yaml",
        [{"name": f"ray_fault_{slot}", "series": slot, "model": "NHITS"} for slot in ("N1", "N2")],
        max_steps=30,
    )
    with local_ray_cluster(nodes=2, cpus_per_node=1) as doomed:
        head, victim = doomed.node_ids
        driver = _train_in_background(cluster_warehouse, plan, "--static-only", "--ray", doomed.address)
        _wait_until(lambda: _running_on("ray_fault", victim), driver, 240, "the second node started a row")
        doomed.kill_node(1)
        output, _ = driver.communicate(timeout=600)
    assert driver.returncode == 0, output
    runs = _rows_of("ray_fault")
    for name in ("ray_fault_N1", "ray_fault_N2"):
        statuses = sorted(run["status"] for run in runs if run["run_name"] == name)
        assert statuses.count("COMPLETED") == 1 and set(statuses) <= {"COMPLETED", "FAILED"}, (name, statuses)
    (dead,) = [run for run in runs if run["status"] == "FAILED"]
    assert dead["ray_node_id"] == victim and dead["error_type"] == "NodeDied", dead
    (retry,) = [run for run in runs if run["status"] == "COMPLETED" and run["dispatch_id"] == dead["dispatch_id"]]
    assert retry["ray_node_id"] == head and retry["run_name"] == dead["run_name"]


@pytest.mark.fast
def test_the_duckdb_target_refuses_a_cluster_and_says_what_to_do(duckdb_env, tmp_path):
    plan = tiny_plan(tmp_path / "refused.yaml", [{"name": "refused", "series": "N1", "model": "NHITS"}])
    for command in (("train", str(plan)), ("registry", "probe", "--quick")):
        result = run_fcast(*command, "--ray", "127.0.0.1:6379", env=duckdb_env, check=False)
        assert result.returncode == 1, result.stdout
        assert "cannot use the DuckDB warehouse" in result.stderr and "FCAST_TARGET=postgres" in result.stderr
    assert run_rows() == []
