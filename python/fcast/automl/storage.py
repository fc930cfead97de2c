"""Where Optuna keeps its studies: a SQLite file beside the DuckDB warehouse, or an `optuna` schema on
PostgreSQL, so a study can be inspected (`optuna` tools, the UI) and resumed after an interruption."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fcast import db, settings

POSTGRES_SCHEMA = "optuna"


def sqlite_path():
    return settings.beside_warehouse("optuna.sqlite3")


def storage_url() -> str:
    if db.current_target() == "postgres":
        settings = db.postgres_settings()
        user = quote(settings["PGUSER"], safe="")
        password = f":{quote(settings['PGPASSWORD'], safe='')}" if settings.get("PGPASSWORD") else ""
        return (
            f"postgresql+psycopg://{user}{password}@{settings['PGHOST']}:{settings['PGPORT']}"
            f"/{quote(settings['PGDATABASE'], safe='')}"
        )
    path = sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def describe() -> str:
    if db.current_target() == "postgres":
        return f"schema {POSTGRES_SCHEMA} of {db.describe_target()}"
    return str(sqlite_path())


def open_storage() -> Any:
    """An optuna RDBStorage on the current target (the schema is created when missing)."""
    import optuna

    if db.current_target() == "postgres":
        db.ensure_postgres_database()
        with db.connect() as warehouse:
            warehouse.execute("select pg_advisory_xact_lock(hashtext('fcast.optuna_ddl'))")
            warehouse.execute(f"create schema if not exists {POSTGRES_SCHEMA}")
        return optuna.storages.RDBStorage(
            storage_url(), engine_kwargs={"connect_args": {"options": f"-csearch_path={POSTGRES_SCHEMA}"}}
        )
    return optuna.storages.RDBStorage(storage_url(), engine_kwargs={"connect_args": {"timeout": 60}})
