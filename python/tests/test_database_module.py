"""The database module: targets, idempotent raw DDL, and the DuckDB lock with retry and a clear message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from fcast import db
from fcast.raw_schema import RAW_TABLES

from .conftest import hold_duckdb_lock, run_fcast


def test_raw_tables_are_created_empty_and_idempotently(warehouse_env):
    db.ensure_raw_tables()
    db.ensure_raw_tables()
    with db.connect(read_only=True) as warehouse:
        for table in RAW_TABLES:
            assert warehouse.table_exists("raw", table.name), table.name
            assert warehouse.fetchall(f"select count(*) from {table.qualified_name}") == [(0,)]


def test_a_panel_warehouse_of_an_earlier_fcast_is_migrated_in_place(warehouse_env):
    """Migration 0004: panels and forecasts get their time columns; a date panel's ds_date becomes ds_time."""
    with db.connect() as warehouse:
        warehouse.execute("drop table raw.panel_observations")
        warehouse.execute(
            "create table raw.panel_observations (dataset_name varchar(64) not null, unique_id varchar(128) not null, "
            "ds bigint not null, ds_date date, y float8 not null, source_name text not null, "
            "file_hash varchar(64) not null, source_row bigint not null, loaded_at timestamp not null, "
            "primary key (dataset_name, unique_id, ds))"
        )
        warehouse.execute(
            "insert into raw.panel_observations values ('old', 'a', 1, '2024-01-31', 1.5, 'f.csv', 'h', 2, "
            "'2024-02-01 00:00:00')"
        )
        for table, column in (("panel_exogenous", "ds_time"), ("run_forecasts", "cutoff_time")):
            warehouse.execute(f"alter table raw.{table} drop column {column}")
    db.ensure_raw_tables()
    db.ensure_raw_tables()
    with db.connect(read_only=True) as warehouse:
        migrated = warehouse.fetchall("select ds, ds_time, filled_by, y from raw.panel_observations")
        assert warehouse.fetchall("select count(cutoff_time) from raw.run_forecasts") == [(0,)]
        assert warehouse.fetchall("select count(ds_time) from raw.panel_exogenous") == [(0,)]
    assert [(ds, str(time), filled, y) for ds, time, filled, y in migrated] == [(1, "2024-01-31 00:00:00", "", 1.5)]


def test_unknown_target_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FCAST_TARGET", "sqlite")
    with pytest.raises(db.WarehouseError, match="use one of duckdb, postgres"):
        db.current_target()


def test_target_flag_overrides_the_environment(duckdb_env, tmp_path):
    result = run_fcast("--target", "duckdb", "db", "info", env={**duckdb_env, "FCAST_TARGET": "postgres"})
    assert "duckdb file" in result.stdout and "raw.lottery_draws" in result.stdout


def test_postgres_database_is_created_when_missing(postgres_server, monkeypatch):
    import uuid

    import psycopg

    name = f"fcast_test_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("FCAST_TARGET", "postgres")
    monkeypatch.setenv("PGDATABASE", name)
    try:
        db.ensure_raw_tables()
        with db.connect(read_only=True) as warehouse:
            assert warehouse.table_exists("raw", "lottery_draws")
    finally:
        with psycopg.connect(db._postgres_conninfo("postgres"), autocommit=True) as connection:
            connection.execute(f'drop database if exists "{name}" with (force)')


def test_connect_retries_while_another_process_holds_the_file(duckdb_env):
    holder = hold_duckdb_lock(duckdb_env["FCAST_DUCKDB_PATH"], seconds=1.5)
    started = time.monotonic()
    try:
        with db.connect(lock_timeout_s=30) as warehouse:
            assert warehouse.fetchall("select count(*) from raw.lottery_draws") == [(0,)]
    finally:
        holder.wait(timeout=30)
    assert time.monotonic() - started >= 1.0


def test_connect_gives_up_with_a_message_that_says_what_to_do(duckdb_env):
    holder = hold_duckdb_lock(duckdb_env["FCAST_DUCKDB_PATH"], seconds=10)
    try:
        with pytest.raises(db.WarehouseBusyError) as raised, db.connect(lock_timeout_s=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert duckdb_env["FCAST_DUCKDB_PATH"] in message
    assert "locked by another process" in message and "FCAST_DB_LOCK_TIMEOUT" in message


def test_a_failed_unit_of_work_is_rolled_back(warehouse_env):
    with pytest.raises(RuntimeError), db.connect() as warehouse:
        warehouse.execute(
            "insert into raw.ingest_files values ('h', 's', 'n', 'csv', 1, 1, 0, 0, 0, current_timestamp)"
        )
        raise RuntimeError("boom")
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select count(*) from raw.ingest_files") == [(0,)]


def test_help_is_instant_and_imports_no_heavy_library():
    probe = textwrap.dedent("""
        import sys, contextlib, io
        from fcast import cli
        with contextlib.redirect_stdout(io.StringIO()) as out:
            try:
                cli.main(["--help"])
            except SystemExit:
                pass
        heavy = sorted(m for m in ("torch", "neuralforecast", "pandas", "duckdb", "psycopg", "dbt", "ray",
                                   "optuna", "requests", "bs4") if m in sys.modules)
        print("HEAVY=" + ",".join(heavy))
        print("HELP_HAS_INGEST=" + str("ingest" in out.getvalue()))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in result.stdout
    assert "HELP_HAS_INGEST=True" in result.stdout


def test_dbt_waits_while_a_reader_holds_the_duckdb_file(duckdb_env):
    from fcast.dbt_runner import run_dbt

    holder = hold_duckdb_lock(duckdb_env["FCAST_DUCKDB_PATH"], seconds=15)
    try:
        result = run_dbt(["seed", "--select", "game_families"], capture=True)
        assert holder.poll() is not None, "dbt finished while the file was still locked"
    finally:
        holder.wait(timeout=60)
    assert result.returncode == 0, result.stdout[-3000:]
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select count(*) from reference.game_families")[0][0] > 0
