"""Shared fixtures: real DuckDB files and real PostgreSQL databases, created per test or per session.

PostgreSQL tests never skip when FCAST_REQUIRE_POSTGRES=1 (the README's test command sets it):
a missing server fails them loudly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fcast import db, settings

PROJECT_DIR = settings.project_dir()
FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED = PROJECT_DIR / "data" / "lottery"
FCAST = [sys.executable, "-m", "fcast.cli"]
_ENV_KEYS = (
    "FCAST_TARGET",
    "FCAST_DUCKDB_PATH",
    "PGDATABASE",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
    "FCAST_PROJECT_DIR",
)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in (*_ENV_KEYS, *values)}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_fcast(
    *arguments: str, env: dict[str, str] | None = None, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run the real `fcast` command line in a child process."""
    result = subprocess.run(
        [*FCAST, *arguments],
        env={**os.environ, **(env or {})},
        cwd=cwd or PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"fcast {' '.join(arguments)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def hold_duckdb_lock(path: str, seconds: float) -> subprocess.Popen:
    """Another process that opens the DuckDB file for writing and keeps it for `seconds`."""
    script = textwrap.dedent(f"""
        import duckdb, sys, time
        connection = duckdb.connect({path!r})
        print("locked", flush=True)
        time.sleep({seconds})
        connection.close()
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture(scope="session", autouse=True)
def shared_registry_cache(tmp_path_factory) -> Iterator[None]:
    """One registry scan cache for the session: the main job in every test warehouse reuses one scan."""
    with environment({"FCAST_REGISTRY_CACHE": str(tmp_path_factory.mktemp("registry_cache"))}):
        yield


def _postgres_available() -> str | None:
    """None when the server answers, else the reason."""
    import psycopg

    try:
        with psycopg.connect(db._postgres_conninfo("postgres"), connect_timeout=5):
            return None
    except psycopg.OperationalError as error:
        return str(error)


@pytest.fixture(scope="session")
def postgres_server() -> None:
    reason = _postgres_available()
    if reason is None:
        return
    message = f"PostgreSQL is not reachable: {reason}"
    if os.environ.get("FCAST_REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
        pytest.fail(message + " (FCAST_REQUIRE_POSTGRES=1: PostgreSQL tests never skip here)")
    pytest.skip(message)


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    import psycopg

    name = f"fcast_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db._postgres_conninfo("postgres"), autocommit=True) as connection:
        connection.execute(f'create database "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(db._postgres_conninfo("postgres"), autocommit=True) as connection:
            connection.execute(f'drop database if exists "{name}" with (force)')


def _target_env(target: str, folder: Path, database: str | None) -> dict[str, str]:
    env = {
        "FCAST_TARGET": target,
        "FCAST_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(folder / "dbt_target"),
        "DBT_LOG_PATH": str(folder / "dbt_logs"),
    }
    if database:
        env["PGDATABASE"] = database
    return env


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_env(request, tmp_path) -> Iterator[dict[str, str]]:
    """An empty warehouse on each target, active in this process for the test's duration."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_server")
        with temporary_postgres_database() as name, environment(_target_env("postgres", tmp_path, name)) as _:
            db.ensure_raw_tables()
            yield _target_env("postgres", tmp_path, name)
        return
    env = _target_env("duckdb", tmp_path, None)
    with environment(env):
        db.ensure_raw_tables()
        yield env


@pytest.fixture
def duckdb_env(tmp_path) -> Iterator[dict[str, str]]:
    """An empty DuckDB warehouse, active in this process for the test's duration."""
    env = _target_env("duckdb", tmp_path, None)
    with environment(env):
        db.ensure_raw_tables()
        yield env


def _built_warehouse(target: str, folder: Path, database: str | None) -> dict[str, str]:
    env = _target_env(target, folder, database)
    result = run_fcast("main", "--max-steps", "2", env=env, check=False)
    if result.returncode != 0:
        raise AssertionError(f"fcast main on {target} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return env


@pytest.fixture(scope="session")
def built_duckdb(tmp_path_factory) -> dict[str, str]:
    """The main job (`fcast main`: shipped history of all six games + dbt build) on a fresh DuckDB file."""
    return _built_warehouse("duckdb", tmp_path_factory.mktemp("built_duckdb"), None)


@pytest.fixture(scope="session")
def built_postgres(tmp_path_factory, postgres_server) -> Iterator[dict[str, str]]:
    """The main job on a fresh PostgreSQL database."""
    with temporary_postgres_database() as name:
        yield _built_warehouse("postgres", tmp_path_factory.mktemp("built_postgres"), name)


@pytest.fixture(params=["duckdb", "postgres"])
def built_env(request) -> Iterator[dict[str, str]]:
    """A warehouse built by the main job on each target, active in this process."""
    env = request.getfixturevalue(f"built_{request.param}")
    with environment(env):
        yield env


@pytest.fixture
def trained_copy(built_duckdb, tmp_path):
    """A private copy of the built DuckDB warehouse, active in this process: its runs are the test's own."""
    from .training_helpers import copy_of_warehouse

    env = copy_of_warehouse(built_duckdb, tmp_path)
    with environment(env):
        yield env
