"""Throwaway warehouses for the test suite and the benchmarks; the pipeline itself never uses this module.

A throwaway warehouse lives in one scratch folder: a fresh DuckDB file (or a fresh PostgreSQL database)
with dbt's target and log folders beside it, so nothing touches the checkout's warehouse or another
run's. `warehouse_env` is the environment that points fcast and dbt at it, `scoped_environment` makes
an environment this process's (and so every child's) for a block, `run_fcast` runs the real command line
in a child process, `copy_of_warehouse` gives a test its own copy of a built DuckDB warehouse, and
`temporary_postgres_database` creates a database and drops it afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

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
