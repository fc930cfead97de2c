"""The DDL of every table Python writes. dbt reads them as sources from the `raw` schema.

Column types are the portable subset that DuckDB and PostgreSQL both accept. Later issues add
their tables to RAW_TABLES; every command creates them all, empty and idempotently.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...] = ()
    description: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def create_sql(self) -> str:
        lines = [f"{name} {sql_type}" for name, sql_type in self.columns]
        if self.primary_key:
            lines.append(f"primary key ({', '.join(self.primary_key)})")
        body = ",\n    ".join(lines)
        return f"create table if not exists {self.qualified_name} (\n    {body}\n)"


LOTTERY_DRAWS = RawTable(
    name="lottery_draws",
    description="Append-only: the first accepted statement of each draw, with its provenance.",
    columns=(
        ("game_code", "varchar(32) not null"),
        ("draw_no", "bigint not null"),
        ("draw_date", "date not null"),
        ("numbers_json", "text not null"),
        ("bonus_json", "text not null"),
        ("draw_hash", "varchar(64) not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("original_record", "text not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("game_code", "draw_no"),
)

LOTTERY_DRAW_CONFLICTS = RawTable(
    name="lottery_draw_conflicts",
    description="Re-statements of a known draw that disagree with the stored one: kept aside, never applied.",
    columns=(
        ("game_code", "varchar(32) not null"),
        ("draw_no", "bigint not null"),
        ("draw_date", "date not null"),
        ("numbers_json", "text not null"),
        ("bonus_json", "text not null"),
        ("draw_hash", "varchar(64) not null"),
        ("stored_draw_hash", "varchar(64) not null"),
        ("difference", "text not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("original_record", "text not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("game_code", "draw_no", "draw_hash"),
)

INGEST_REJECTS = RawTable(
    name="ingest_rejects",
    description="Rows that broke a rule (draws or panel rows), with file, row and rule; never dropped silently.",
    columns=(
        ("subject", "varchar(64) not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("rule", "varchar(64) not null"),
        ("message", "text not null"),
        ("original_record", "text not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("file_hash", "subject", "source_row", "rule"),
)

INGEST_FILES = RawTable(
    name="ingest_files",
    description="One row per distinct file (by content hash) and subject, with what its first load did.",
    columns=(
        ("file_hash", "varchar(64) not null"),
        ("subject", "varchar(64) not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("records_read", "bigint not null"),
        ("rows_added", "bigint not null"),
        ("rows_already_known", "bigint not null"),
        ("rows_rejected", "bigint not null"),
        ("rows_conflicting", "bigint not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("file_hash", "subject"),
)

PANEL_OBSERVATIONS = RawTable(
    name="panel_observations",
    description="Generic unique_id/ds/y panels uploaded as datasets of their own.",
    columns=(
        ("dataset_name", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("ds", "bigint not null"),
        ("ds_date", "date"),
        ("y", "float8 not null"),
        ("source_name", "text not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("dataset_name", "unique_id", "ds"),
)

PANEL_EXOGENOUS = RawTable(
    name="panel_exogenous",
    description="Exogenous columns of a panel (hist_/stat_/fut_ prefixed), one row per value.",
    columns=(
        ("dataset_name", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("ds", "bigint not null"),
        ("feature_name", "varchar(128) not null"),
        ("feature_value", "float8 not null"),
        ("file_hash", "varchar(64) not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("dataset_name", "unique_id", "ds", "feature_name"),
)

RAW_TABLES: tuple[RawTable, ...] = (
    LOTTERY_DRAWS,
    LOTTERY_DRAW_CONFLICTS,
    INGEST_REJECTS,
    INGEST_FILES,
    PANEL_OBSERVATIONS,
    PANEL_EXOGENOUS,
)
