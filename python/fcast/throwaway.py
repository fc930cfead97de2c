"""Throwaway warehouses for the test suite and the benchmarks; the pipeline itself never uses this module.

A throwaway warehouse lives in one scratch folder: a fresh DuckDB file (or a fresh PostgreSQL database)
with dbt's target and log folders beside it, so nothing touches the checkout's warehouse or another
run's. `warehouse_env` is the environment that points fcast and dbt at it, `scoped_environment` makes
an environment this process's (and so every child's) for a block, `run_fcast` runs the real command line
in a child process, `copy_of_warehouse` gives a test its own copy of a built DuckDB warehouse, and
`temporary_postgres_database` creates a database and drops it afterwards; `local_ray_cluster` starts a real
Ray cluster of several nodes on this machine, one of which a test may kill.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcast import db, settings

# What a throwaway warehouse sets; scoped_environment restores these even when only a test body changed them.
WAREHOUSE_VARIABLES = (
    "FCAST_TARGET",
    "FCAST_DUCKDB_PATH",
    "PGDATABASE",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
    "FCAST_PROJECT_DIR",
)


def warehouse_env(
    folder: Path, target: str = "duckdb", database: str | None = None, project_dir: Path | None = None
) -> dict[str, str]:
    """The environment of a warehouse in `folder`: the DuckDB file (or PostgreSQL `database`) and dbt's folders.

    `project_dir` points fcast at a copy of the dbt project instead of the checkout.
    """
    env = {
        "FCAST_TARGET": target,
        "FCAST_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(folder / "dbt_target"),
        "DBT_LOG_PATH": str(folder / "dbt_logs"),
    }
    if database:
        env["PGDATABASE"] = database
    if project_dir is not None:
        env["FCAST_PROJECT_DIR"] = str(project_dir)
    return env


@contextmanager
def scoped_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in os.environ for the block; afterwards they and WAREHOUSE_VARIABLES are as before."""
    before = os.environ.copy()
    os.environ.update(values)
    try:
        yield
    finally:
        for name in (*WAREHOUSE_VARIABLES, *values):
            if name in before:
                os.environ[name] = before[name]
            else:
                os.environ.pop(name, None)


def fcast_command(*arguments: str) -> list[str]:
    """The `fcast` command line run by this interpreter (the checkout's environment)."""
    return [sys.executable, "-m", "fcast.cli", *arguments]


def run_fcast(
    *arguments: str, env: Mapping[str, str] | None = None, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run the real `fcast` command line in a child process, with `env` over this process's environment.

    With `check`, a non-zero exit raises AssertionError carrying the command's output.
    """
    result = subprocess.run(
        fcast_command(*arguments),
        env={**os.environ, **(env or {})},
        cwd=cwd or settings.project_dir(),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"fcast {' '.join(arguments)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def copy_of_warehouse(built: Mapping[str, str], folder: Path) -> dict[str, str]:
    """A private copy of a built DuckDB warehouse in `folder`, so the runs written to it are all its own."""
    env = {**built, **warehouse_env(folder)}
    shutil.copy2(built["FCAST_DUCKDB_PATH"], env["FCAST_DUCKDB_PATH"])
    return env


def postgres_unavailable_reason() -> str | None:
    """None when the PostgreSQL server answers, else why it does not."""
    import psycopg

    try:
        with psycopg.connect(db._postgres_conninfo("postgres"), connect_timeout=5):
            return None
    except psycopg.OperationalError as error:
        return str(error)


def create_postgres_database(name: str) -> str:
    """A fresh, empty PostgreSQL database called `name` (one left by an earlier run is dropped first)."""
    import psycopg

    with psycopg.connect(db._postgres_conninfo("postgres"), autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}" with (force)')
        connection.execute(f'create database "{name}"')
    return name


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(db._postgres_conninfo("postgres"), autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}" with (force)')


@contextmanager
def temporary_postgres_database(prefix: str = "fcast_test") -> Iterator[str]:
    """A fresh PostgreSQL database with a unique name, dropped when the block ends."""
    name = create_postgres_database(f"{prefix}_{uuid.uuid4().hex[:12]}")
    try:
        yield name
    finally:
        drop_postgres_database(name)


# --- a real Ray cluster on this machine: one `ray start` process group per node ---------------------

RAY_NODE_RESOURCE = "fcast_node_{index}"  # a marker resource that tells the nodes apart
LOCAL_CLUSTER_ENVIRONMENT = {
    # A throwaway cluster on this machine needs no token; with Ray 2.60 a token in ~/.ray/auth_token (which a
    # local `ray.init()` leaves) turns token authentication on and the test's drivers could not connect.
    "RAY_AUTH_MODE": "disabled",
    # The GCS declares a silent node dead after ~3 s instead of ~30 s.
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
    "RAY_USAGE_STATS_ENABLED": "0",
}


@dataclass
class LocalRayCluster:
    address: str
    processes: list[subprocess.Popen]
    node_ids: list[str]  # in start order: node 0 is the head

    def kill_node(self, index: int) -> None:
        """SIGKILL a node's whole process group (its raylet, object store and workers), as a machine dying would."""
        import signal

        with suppress(ProcessLookupError):
            os.killpg(self.processes[index].pid, signal.SIGKILL)
        self.processes[index].wait(timeout=30)

    def available_cpus(self) -> float:
        """CPUs no task holds now (every live node's)."""
        return float((ray_query(self.address, "ray.available_resources()") or {}).get("CPU", 0.0))

    def stop(self) -> None:
        for index in reversed(range(len(self.processes))):
            self.kill_node(index)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _without_ray_address() -> dict[str, str]:
    """This process's environment without RAY_ADDRESS (fcast sets it to `local` outside a cluster)."""
    return {name: value for name, value in os.environ.items() if name != "RAY_ADDRESS"}


def ray_query(address: str, expression: str) -> Any:
    """The JSON value of a Python expression over `ray`, evaluated by a driver connected to `address`
    (a child process: this one never joins the cluster); None when the cluster does not answer."""
    import json

    script = (
        f"import json, ray; ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False); "
        f"print(json.dumps({expression}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120,
        env={**_without_ray_address(), **LOCAL_CLUSTER_ENVIRONMENT},
    )  # fmt: skip
    if result.returncode != 0:
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ray_nodes(address: str) -> list[dict]:
    expression = "[{'id': n['NodeID'], 'alive': n['Alive'], 'resources': n['Resources']} for n in ray.nodes()]"
    return ray_query(address, expression) or []


@contextmanager
def local_ray_cluster(nodes: int = 2, cpus_per_node: int = 1, wait_s: float = 120.0) -> Iterator[LocalRayCluster]:
    """A Ray cluster of `nodes` nodes started here as separate processes (`ray start --head`, then
    `ray start --address`), each node with its own process group so one can be killed; stopped afterwards."""
    import json
    import tempfile
    import time

    ray = str(Path(sys.executable).with_name("ray"))
    port = _free_port()
    address = f"127.0.0.1:{port}"
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths live under it
    environment = {**_without_ray_address(), **LOCAL_CLUSTER_ENVIRONMENT}
    processes: list[subprocess.Popen] = []
    cluster = LocalRayCluster(address, processes, [])
    try:
        for index in range(nodes):
            role = ["--head", f"--port={port}", "--include-dashboard=false"] if index == 0 else [f"--address={address}"]
            command = [
                ray, "start", "--block", *role, f"--num-cpus={cpus_per_node}", "--num-gpus=0",
                "--object-store-memory=100000000", "--disable-usage-stats", f"--temp-dir={temp_dir}",
                f"--resources={json.dumps({RAY_NODE_RESOURCE.format(index=index): 1})}",
            ]  # fmt: skip
            log = open(Path(temp_dir) / f"node_{index}.log", "w")  # noqa: SIM115 - the node keeps writing to it
            processes.append(
                subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True)
            )
            deadline = time.monotonic() + wait_s
            while True:
                found = {
                    marker: node["id"]
                    for node in _ray_nodes(address)
                    if node["alive"]
                    for marker in node["resources"]
                    if marker.startswith("fcast_node_")
                }
                if RAY_NODE_RESOURCE.format(index=index) in found:
                    cluster.node_ids.append(found[RAY_NODE_RESOURCE.format(index=index)])
                    break
                if processes[-1].poll() is not None or time.monotonic() > deadline:
                    text = (Path(temp_dir) / f"node_{index}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"Ray node {index} did not join the cluster at {address}:\n{text}")
                time.sleep(1.0)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)
