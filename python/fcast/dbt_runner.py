"""Run dbt on the current target with the project's profile, as a child process.

A child process holds the DuckDB file only while it runs; no fcast connection is open meanwhile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from fcast import db, settings


def dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("dbt is not installed in this environment: run `python3 bootstrap.py main`.")
    return found


def run_dbt(arguments: list[str], capture: bool = False) -> subprocess.CompletedProcess:
    """`dbt ARGUMENTS --target <current>` from the project root, with FCAST_* passed through."""
    target = db.set_target(None)
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(settings.profiles_dir()))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    command = [dbt_executable(), *arguments]
    if arguments and arguments[0] not in ("deps", "clean", "--version") and "--target" not in arguments:
        command += ["--target", target]
    return subprocess.run(command, cwd=settings.project_dir(), env=env, check=False, text=True, capture_output=capture)


def downstream_selection(raw_table_names: list[str]) -> list[str]:
    """The dbt selection to rebuild after a step wrote these raw tables (the one place that decides it):
    every model and test downstream of them (`source:raw.<t>+`), and every table their tests compare them with
    (`@source:raw.<t>,config.materialized:table`).

    The tables: a relationships test between a rebuilt mart and one left as it was (run_forecasts_vs_actuals
    against run_history after new runs) would otherwise compare tables of two different moments and fail.
    Only tables: a view always reads the current rows, and rebuilding an upstream view that is not downstream
    of the write would, on PostgreSQL, drop its other dependent views (dbt replaces a view with `drop ...
    cascade`)."""
    downstream = [f"source:raw.{name}+" for name in raw_table_names]
    compared_tables = [f"@source:raw.{name},config.materialized:table" for name in raw_table_names]
    return ["--select", *downstream, *compared_tables]


def marts_built() -> bool:
    """Whether `dbt build` has run on this warehouse (its seeds and marts exist), so a partial rebuild can work."""
    with db.connect(read_only=True) as warehouse:
        return warehouse.table_exists("marts", "mart_datasets")


def refresh_downstream(raw_table_names: list[str], capture: bool = False) -> subprocess.CompletedProcess:
    """`dbt build` of the models downstream of the raw tables a step wrote (their tests included)."""
    return run_dbt(["build", *downstream_selection(raw_table_names)], capture=capture)
