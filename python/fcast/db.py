"""The one database module: target selection, short-lived connections, lock retry, raw DDL and migrations.

Every Python reader and writer goes through `connect()`. On DuckDB a file takes one process at a
time, so connections are opened per unit of work, retried with backoff while another process
holds the lock, and closed before anything else (dbt, the UI) needs the file. Rows are written by
column name only (`Warehouse.insert_rows`), and the raw schema carries its version (`schema_version`).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fcast import settings
from fcast.errors import FcastError
from fcast.raw_schema import (
    MIGRATIONS,
    POSTGRES_TOUCH_FUNCTION,
    RAW_SCHEMA,
    RAW_TABLES,
    SCHEMA_MIGRATIONS,
    SCHEMA_VERSION,
    TABLES_WITH_UPDATED_AT_TRIGGER,
    Migration,
    RawTable,
    postgres_updated_at_trigger,
)

if TYPE_CHECKING:
    import pandas as pd

TARGETS = ("duckdb", "postgres")


class WarehouseError(FcastError, RuntimeError):
    pass


class WarehouseBusyError(WarehouseError):
    """The DuckDB file stayed locked by another process for longer than the lock timeout."""


def current_target() -> str:
    target = settings.value("FCAST_TARGET").strip().lower()
    if target not in TARGETS:
        raise WarehouseError(f"FCAST_TARGET={target!r} is not a target; use one of {', '.join(TARGETS)}.")
    return target


def set_target(target: str | None) -> str:
    """Pin the target for this process and every child (dbt reads FCAST_TARGET from the profile)."""
    if target:
        os.environ["FCAST_TARGET"] = target
    resolved = current_target()
    os.environ["FCAST_TARGET"] = resolved
    if resolved == "duckdb":
        os.environ["FCAST_DUCKDB_PATH"] = str(settings.duckdb_path())
    else:
        for name, value in postgres_settings().items():
            os.environ.setdefault(name, value)
    return resolved


def postgres_settings() -> dict[str, str]:
    """libpq settings from the environment, with local defaults (no secrets are committed)."""
    return {name: settings.value(name) for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")}


def _postgres_conninfo(database: str | None = None) -> str:
    libpq = postgres_settings()
    parts = {
        "host": libpq["PGHOST"],
        "port": libpq["PGPORT"],
        "user": libpq["PGUSER"],
        "dbname": database or libpq["PGDATABASE"],
        "connect_timeout": "10",
    }
    if libpq["PGPASSWORD"]:
        parts["password"] = libpq["PGPASSWORD"]
    return " ".join(f"{key}='{value}'" for key, value in parts.items())


def describe_target() -> str:
    if current_target() == "duckdb":
        return f"duckdb file {settings.duckdb_path()}"
    libpq = postgres_settings()
    return f"postgres {libpq['PGUSER']}@{libpq['PGHOST']}:{libpq['PGPORT']}/{libpq['PGDATABASE']}"


def ensure_postgres_database() -> None:
    """Create PGDATABASE when the server lacks it (the server itself must be running)."""
    import psycopg

    database = postgres_settings()["PGDATABASE"]
    try:
        with psycopg.connect(_postgres_conninfo("postgres"), autocommit=True) as connection:
            exists = connection.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
            if not exists:
                # Another process may create it a moment before this one.
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    connection.execute(f'create database "{database}"')
    except psycopg.OperationalError as error:
        raise WarehouseError(
            f"Cannot reach PostgreSQL ({describe_target()}): {error}. Start the server or set "
            "PGHOST/PGPORT/PGUSER/PGPASSWORD, or use FCAST_TARGET=duckdb."
        ) from error


_LOCK_PATTERN = re.compile(r"lock", re.IGNORECASE)


def _open_duckdb(read_only: bool, lock_timeout_s: float):
    import duckdb

    path = settings.duckdb_path()
    if read_only and not path.exists():
        raise WarehouseError(f"{path} does not exist yet: run `fcast main` (or `fcast ingest`) first.")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not _LOCK_PATTERN.search(str(error)):
                raise
            if time.monotonic() + delay > deadline:
                raise WarehouseBusyError(
                    f"The warehouse file {path} is locked by another process and stayed locked for "
                    f"{lock_timeout_s:.0f}s ({error}). Wait for that process (dbt, a trainer, the UI) to "
                    "finish or stop it, raise FCAST_DB_LOCK_TIMEOUT, or use FCAST_TARGET=postgres "
                    "when several processes must work at once."
                ) from error
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@dataclass
class Warehouse:
    """A short-lived connection to the current target, with a small portable API.

    SQL uses `?` placeholders on both targets.
    """

    target: str
    connection: Any

    def _sql(self, sql: str) -> str:
        if self.target != "postgres":
            return sql
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(self._sql(sql), params)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.connection.execute(self._sql(sql), params).fetchall()

    def fetch_frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import pandas as pd

        cursor = self.connection.execute(self._sql(sql), params)
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.fetchall(
            "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
            (schema, table),
        )
        return bool(rows)

    def insert_rows(self, table: RawTable, rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> int:
        """Insert rows given by column name (dicts, or a DataFrame), skipping keys already present. A column left
        out takes its declared default; an unknown column is a KeyError. Returns rows added."""
        import pandas as pd

        if len(rows) == 0:
            return 0
        if isinstance(rows, pd.DataFrame):
            ordered: pd.DataFrame | list[tuple] = table.frame(rows)
        else:
            positional = next((row for row in rows if not isinstance(row, Mapping)), None)
            if positional is not None:
                raise TypeError(
                    f"insert_rows({table.qualified_name}) takes rows by column name (dicts or a DataFrame), "
                    f"not {type(positional).__name__}: build them with {table.name.upper()}.row({{...}})"
                )
            ordered = [tuple(table.row(row).values()) for row in rows]
        before = self.fetchall(f"select count(*) from {table.qualified_name}")[0][0]
        if self.target == "postgres":
            self._copy_insert_postgres(table, ordered)
        else:
            self._insert_duckdb(table, ordered)
        after = self.fetchall(f"select count(*) from {table.qualified_name}")[0][0]
        return int(after - before)

    def _select_cast_list(self, table: RawTable, source_alias: str) -> str:
        return ", ".join(f"cast({source_alias}.{column.name} as {column.base_type})" for column in table.columns)

    def _conflict_clause(self, table: RawTable) -> str:
        return f" on conflict ({', '.join(table.primary_key)}) do nothing" if table.primary_key else ""

    def _insert_duckdb(self, table: RawTable, rows: pd.DataFrame | list[tuple]) -> None:
        import pandas as pd

        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=table.column_names)
        frame = frame.drop_duplicates(subset=list(table.primary_key) or None, keep="first")
        self.connection.register("incoming_rows", frame)
        try:
            self.connection.execute(
                f"insert into {table.qualified_name} ({', '.join(table.column_names)}) "
                f"select {self._select_cast_list(table, 'incoming_rows')} from incoming_rows"
                f"{self._conflict_clause(table)}"
            )
        finally:
            self.connection.unregister("incoming_rows")

    def _copy_insert_postgres(self, table: RawTable, rows: pd.DataFrame | list[tuple]) -> None:
        staging = f"incoming_{table.name}"
        columns = ", ".join(table.column_names)
        cursor = self.connection.cursor()
        cursor.execute(f"create temp table {staging} (like {table.qualified_name}) on commit drop")
        with cursor.copy(f"copy {staging} ({columns}) from stdin") as copy:
            for row in _python_rows(rows):
                copy.write_row(row)
        distinct = f"distinct on ({', '.join(table.primary_key)})" if table.primary_key else ""
        cursor.execute(
            f"insert into {table.qualified_name} ({columns}) select {distinct} {columns} from {staging}"
            f"{self._conflict_clause(table)}"
        )
        cursor.execute(f"drop table {staging}")  # the same table may take more rows in this transaction


def _python_rows(rows: pd.DataFrame | list[tuple], chunk: int = 100_000) -> Iterator[tuple]:
    """Tuples of plain Python values (what the driver adapts; NaN and NaT as None), a chunk of a frame at a time."""
    import pandas as pd

    if not isinstance(rows, pd.DataFrame):
        yield from rows
        return
    for start in range(0, len(rows), chunk):
        part = rows.iloc[start : start + chunk].astype(object)
        yield from part.where(part.notna(), None).itertuples(index=False, name=None)


@contextmanager
def connect(read_only: bool = False, lock_timeout_s: float | None = None) -> Iterator[Warehouse]:
    """Open a short-lived connection; commit on success, roll back on error, always close."""
    target = current_target()
    timeout = lock_timeout_s
    if timeout is None:
        timeout = settings.number("FCAST_DB_LOCK_TIMEOUT")
    if target == "duckdb":
        connection = _open_duckdb(read_only, timeout)
        try:
            if not read_only:
                connection.execute("begin transaction")
            yield Warehouse(target, connection)
            if not read_only:
                connection.execute("commit")
        except BaseException:
            if not read_only:
                connection.execute("rollback")
            raise
        finally:
            connection.close()
        return

    import psycopg

    try:
        connection = psycopg.connect(_postgres_conninfo())
    except psycopg.OperationalError as error:
        raise WarehouseError(
            f"Cannot connect to {describe_target()}: {error}. Check the server and the PG* variables "
            "(run `fcast db init` to create the database)."
        ) from error
    try:
        if read_only:
            connection.read_only = True
        yield Warehouse(target, connection)
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def read_frame(sql: str, params: Sequence[Any] = (), lock_timeout_s: float | None = None) -> pd.DataFrame:
    """One query on its own short-lived read-only connection (notebooks, the UI)."""
    with connect(read_only=True, lock_timeout_s=lock_timeout_s) as warehouse:
        return warehouse.fetch_frame(sql, params)


def ensure_raw_tables() -> list[Migration]:
    """Create the raw schema and every raw table, empty and idempotently, so dbt sources resolve; then apply the
    migrations this warehouse has not recorded in raw.schema_migrations, in version order, once each. A warehouse
    made before that table existed records none, so every migration runs there (each is safe to run over the
    state it finds). Returns the migrations that upgraded existing tables now (none for a new warehouse)."""
    if current_target() == "postgres":
        ensure_postgres_database()
    with connect() as warehouse:
        if warehouse.target == "postgres":
            # Several processes may start at once; serialise the DDL.
            warehouse.execute("select pg_advisory_xact_lock(hashtext('fcast.raw_ddl'))")
        fresh = not any(warehouse.table_exists(RAW_SCHEMA, table.name) for table in RAW_TABLES)
        warehouse.execute(f"create schema if not exists {RAW_SCHEMA}")
        for table in RAW_TABLES:
            warehouse.execute(table.create_sql())
        applied = _apply_pending_migrations(warehouse)
        if fresh:
            applied = []  # created at the latest version: the migrations are recorded, nothing was upgraded
        if warehouse.target == "postgres":
            _ensure_updated_at_triggers(warehouse)
    return applied


def _apply_pending_migrations(warehouse: Warehouse) -> list[Migration]:
    from fcast import __version__

    recorded = {version for (version,) in warehouse.fetchall(f"select version from {SCHEMA_MIGRATIONS.qualified_name}")}
    if recorded and max(recorded) > SCHEMA_VERSION:
        raise WarehouseError(
            f"{describe_target()} is at raw schema version {max(recorded)}, made by a newer fcast; this one knows "
            f"versions up to {SCHEMA_VERSION}. Upgrade fcast (or point FCAST_DUCKDB_PATH / PGDATABASE elsewhere)."
        )
    pending = [migration for migration in MIGRATIONS if migration.version not in recorded]
    for migration in pending:
        for statement in migration.sql():
            warehouse.execute(statement)
        warehouse.insert_rows(
            SCHEMA_MIGRATIONS,
            [
                {
                    "version": migration.version,
                    "description": migration.description,
                    "applied_at": datetime.now(UTC).replace(tzinfo=None),
                    "fcast_version": __version__,
                }
            ],
        )
    return pending


def schema_version() -> int:
    """The raw schema version of the warehouse (its latest recorded migration; 0 for one that records none)."""
    with connect(read_only=True) as warehouse:
        if not warehouse.table_exists(RAW_SCHEMA, SCHEMA_MIGRATIONS.name):
            return 0
        return int(
            warehouse.fetchall(f"select coalesce(max(version), 0) from {SCHEMA_MIGRATIONS.qualified_name}")[0][0]
        )


def _ensure_updated_at_triggers(warehouse: Warehouse) -> None:
    existing = {
        name
        for (name,) in warehouse.fetchall(
            "select tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = ?",
            (RAW_SCHEMA,),
        )
    }
    missing = [table for table in TABLES_WITH_UPDATED_AT_TRIGGER if f"{table.name}_touch_updated_at" not in existing]
    if missing:
        warehouse.execute(POSTGRES_TOUCH_FUNCTION)
        for table in missing:
            warehouse.execute(postgres_updated_at_trigger(table))
