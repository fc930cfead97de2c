"""The database module: targets, idempotent raw DDL, versioned migrations, rows by column name, and the DuckDB lock
with retry and a clear message."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time

import pytest

import fcast
from fcast import db
from fcast.raw_schema import (
    LOTTERY_DRAWS,
    MIGRATIONS,
    RAW_TABLES,
    REGISTRY_PROBES,
    SCHEMA_MIGRATIONS,
    SCHEMA_VERSION,
    RawTable,
)

from .conftest import FIXTURES, hold_duckdb_lock, run_fcast


@pytest.mark.fast
def test_raw_tables_are_created_empty_and_idempotently(warehouse_env):
    db.ensure_raw_tables()
    db.ensure_raw_tables()
    with db.connect(read_only=True) as warehouse:
        for table in RAW_TABLES:
            assert warehouse.table_exists("raw", table.name), table.name
            if table is not SCHEMA_MIGRATIONS:
                assert warehouse.fetchall(f"select count(*) from {table.qualified_name}") == [(0,)], table.name


@pytest.mark.fast
def test_a_warehouse_of_an_earlier_fcast_is_upgraded_in_place_and_keeps_every_value(warehouse_env):
    """The raw DDL of the release before migrations (73ecc6f), filled with runs, probes, plans and panels on the
    target, upgraded: every value stays, new columns hold their defaults or backfills, versions are recorded."""
    earlier_tables = _earlier_release_warehouse()
    with db.connect() as warehouse:
        for table in earlier_tables:
            for values in _sample_rows(table):
                names = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                warehouse.execute(
                    f"insert into {table.qualified_name} ({names}) values ({marks})", list(values.values())
                )
    assert db.schema_version() == 0

    applied = db.ensure_raw_tables()

    assert [migration.version for migration in applied] == [migration.version for migration in MIGRATIONS]
    assert db.schema_version() == SCHEMA_VERSION
    upgraded = _dump(RAW_TABLES)
    for table in earlier_tables:
        rows = upgraded[table.name]
        assert [{name: row[name] for name in _earlier_columns(table)} for row in rows] == _sample_rows(table)
        for row in rows:
            for column in (column for column in table.columns if column.added_in):
                expected = column.default()[1]
                if (table.name, column.name) == ("panel_observations", "ds_time"):
                    expected = dt.datetime.combine(row["ds_date"], dt.time())  # migration 4 backfills ds_date
                assert row[column.name] == expected, f"{table.name}.{column.name}"
    recorded = upgraded["schema_migrations"]
    assert [(row["version"], row["description"], row["fcast_version"]) for row in recorded] == [
        (migration.version, migration.description, fcast.__version__) for migration in MIGRATIONS
    ]

    assert db.ensure_raw_tables() == []
    assert _dump(RAW_TABLES) == upgraded


@pytest.mark.fast
def test_a_new_warehouse_starts_at_the_latest_schema_version_with_every_migration_recorded(warehouse_env):
    assert db.schema_version() == SCHEMA_VERSION
    assert db.ensure_raw_tables() == []
    with db.connect(read_only=True) as warehouse:
        versions = warehouse.fetchall("select version from raw.schema_migrations order by version")
    assert versions == [(migration.version,) for migration in MIGRATIONS]


def test_a_warehouse_upgraded_by_a_newer_fcast_is_refused_with_what_to_do(warehouse_env):
    db.ensure_raw_tables()
    with db.connect() as warehouse:
        warehouse.insert_rows(
            SCHEMA_MIGRATIONS,
            [
                {
                    "version": SCHEMA_VERSION + 1,
                    "description": "future",
                    "applied_at": dt.datetime(2030, 1, 1),
                    "fcast_version": "9",
                }
            ],
        )
    with pytest.raises(db.WarehouseError, match=f"raw schema version {SCHEMA_VERSION + 1}, made by a newer fcast"):
        db.ensure_raw_tables()


def _earlier_release_warehouse() -> list[RawTable]:
    """Replace the raw schema with the one an earlier fcast created; returns the tables it held."""
    script = (FIXTURES / "raw_schema_73ecc6f.sql").read_text(encoding="utf-8")
    statements = [part.strip() for part in _without_comments(script).split(";") if part.strip()]
    with db.connect() as warehouse:
        warehouse.execute("drop schema raw cascade")
        for statement in statements:
            warehouse.execute(statement)
    with db.connect(read_only=True) as warehouse:
        return [table for table in RAW_TABLES if warehouse.table_exists("raw", table.name)]


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()


def _earlier_columns(table: RawTable) -> list[str]:
    return [column.name for column in table.columns if not column.added_in]


def _sample_rows(table: RawTable) -> list[dict]:
    """Two rows of distinct values of each column's type (what a run, probe or plan row of that release held)."""
    rows = []
    for index in range(2):
        values = {}
        for column in (column for column in table.columns if not column.added_in):
            sql_type = column.base_type
            if sql_type.startswith(("varchar", "text")):
                values[column.name] = f"{column.name[:12]}-{index}"
            elif sql_type in ("integer", "bigint"):
                values[column.name] = 10 * index + len(values)
            elif sql_type == "float8":
                values[column.name] = index + 0.25 * len(values)
            elif sql_type == "boolean":
                values[column.name] = index == 1
            elif sql_type == "timestamp":
                values[column.name] = dt.datetime(2024, 1, 2, 3, 4, 5) + dt.timedelta(days=index, minutes=len(values))
            elif sql_type == "date":
                values[column.name] = dt.date(2024, 1, 31) + dt.timedelta(days=index)
            else:
                raise AssertionError(f"no sample value for {table.name}.{column.name} {sql_type}")
        rows.append(values)
    return rows


def _dump(tables) -> dict[str, list[dict]]:
    """Every row of every table, by column name, in key order (applied_at included)."""
    dumped = {}
    with db.connect(read_only=True) as warehouse:
        for table in tables:
            frame = warehouse.fetch_frame(
                f"select * from {table.qualified_name} order by {', '.join(table.primary_key)}"
            )
            dumped[table.name] = [
                {name: (None if _missing(value) else value) for name, value in row.items()}
                for row in frame.astype(object).to_dict("records")
            ]
    return dumped


def _missing(value) -> bool:
    """NULL as the driver and pandas give it back (None, NaN, NaT)."""
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


@pytest.mark.fast
def test_rows_are_written_by_column_name_and_a_positional_tuple_is_refused(warehouse_env):
    draw = {
        "game_code": "loto6",
        "draw_no": 1,
        "draw_date": dt.date(2000, 10, 5),
        "numbers_json": "[1, 2, 3, 4, 5, 6]",
        "bonus_json": "[7]",
        "draw_hash": "h",
        "source_name": "loto6.csv",
        "source_kind": "csv",
        "file_hash": "f",
        "source_row": 2,
        "original_record": "{}",
        "loaded_at": dt.datetime(2024, 1, 1),
    }
    plan_probe = REGISTRY_PROBES.row(
        {
            **{column.name: "x" for column in REGISTRY_PROBES.columns if column.sql_type.endswith("not null")},
            **{"duration_seconds": 1.0, "output_rows": 0, "tolerance": 0.0, "probed_at": dt.datetime(2024, 1, 1)},
            "probe_kind": "plan",
        }
    )
    with db.connect() as warehouse:
        with pytest.raises(TypeError, match="by column name"):
            warehouse.insert_rows(LOTTERY_DRAWS, [tuple(draw.values())])
        with pytest.raises(KeyError, match="no column draw_number"):
            warehouse.insert_rows(LOTTERY_DRAWS, [{**draw, "draw_number": 1}])
        assert warehouse.insert_rows(LOTTERY_DRAWS, [dict(reversed(draw.items()))]) == 1
        assert warehouse.insert_rows(REGISTRY_PROBES, [plan_probe]) == 1
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select draw_no, draw_date, numbers_json, source_row from raw.lottery_draws") == [
            (1, dt.date(2000, 10, 5), "[1, 2, 3, 4, 5, 6]", 2)
        ]
        assert warehouse.fetchall("select probe_kind, question, failed_stage, horizon from raw.registry_probes") == [
            ("plan", "effect", "", None)
        ]


@pytest.mark.fast
def test_unknown_target_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FCAST_TARGET", "sqlite")
    with pytest.raises(db.WarehouseError, match="use one of duckdb, postgres"):
        db.current_target()


@pytest.mark.fast
def test_target_flag_overrides_the_environment(duckdb_env, tmp_path):
    result = run_fcast("--target", "duckdb", "db", "info", env={**duckdb_env, "FCAST_TARGET": "postgres"})
    assert "duckdb file" in result.stdout and "raw.lottery_draws" in result.stdout


@pytest.mark.fast
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


@pytest.mark.fast
def test_connect_retries_while_another_process_holds_the_file(duckdb_env):
    holder = hold_duckdb_lock(duckdb_env["FCAST_DUCKDB_PATH"], seconds=1.5)
    started = time.monotonic()
    try:
        with db.connect(lock_timeout_s=30) as warehouse:
            assert warehouse.fetchall("select count(*) from raw.lottery_draws") == [(0,)]
    finally:
        holder.wait(timeout=30)
    assert time.monotonic() - started >= 1.0


@pytest.mark.fast
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


@pytest.mark.fast
def test_a_failed_unit_of_work_is_rolled_back(warehouse_env):
    with pytest.raises(RuntimeError), db.connect() as warehouse:
        warehouse.execute(
            "insert into raw.ingest_files values ('h', 's', 'n', 'csv', 1, 1, 0, 0, 0, current_timestamp)"
        )
        raise RuntimeError("boom")
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select count(*) from raw.ingest_files") == [(0,)]


@pytest.mark.fast
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
