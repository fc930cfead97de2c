"""The raw-table contract: dbt's sources file is the one the Python declarations generate, every raw table and
column is described there once, every source a model reads is declared, and the migrations are well ordered."""

from __future__ import annotations

import re

import pytest
import yaml

from fcast import raw_schema
from fcast.raw_schema import MIGRATIONS, RAW_TABLES, SCHEMA_VERSION, SOURCES_FILE, WRITE_SOURCES_COMMAND

from .conftest import PROJECT_DIR

pytestmark = pytest.mark.fast

SOURCE_CALL = re.compile(r"""source\(\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\)""")


def test_the_committed_sources_file_is_the_one_the_declarations_generate():
    committed = (PROJECT_DIR / SOURCES_FILE).read_text(encoding="utf-8")
    assert committed == raw_schema.sources_yaml(), (
        f"{SOURCES_FILE} differs from the raw-table declarations in python/fcast/raw_schema.py: "
        f"run `{WRITE_SOURCES_COMMAND}` and commit the result (never edit the YAML by hand)"
    )


def test_every_raw_table_and_column_is_in_the_one_sources_file_with_a_description():
    document = yaml.safe_load((PROJECT_DIR / SOURCES_FILE).read_text(encoding="utf-8"))
    [source] = document["sources"]
    tables = {table["name"]: table for table in source["tables"]}
    assert source["schema"] == "raw" and list(tables) == [table.name for table in RAW_TABLES]
    for table in RAW_TABLES:
        described = {column["name"]: column.get("description", "") for column in tables[table.name]["columns"]}
        assert list(described) == table.column_names, table.name
        assert tables[table.name]["description"].strip(), table.name
        undescribed = [name for name, text in described.items() if not text.strip()]
        assert not undescribed, f"{table.name}: describe {undescribed} in python/fcast/raw_schema.py"


def test_no_other_yaml_file_declares_raw_sources():
    others = [
        path.relative_to(PROJECT_DIR)
        for path in (PROJECT_DIR / "models").rglob("*.yml")
        if path != PROJECT_DIR / SOURCES_FILE and "sources:" in path.read_text(encoding="utf-8")
    ]
    assert others == [], f"raw sources are declared only in {SOURCES_FILE} (generated): remove them from {others}"


def test_every_source_a_model_reads_is_a_declared_raw_table():
    declared = {table.name for table in RAW_TABLES}
    read = {
        (path.relative_to(PROJECT_DIR), schema, table)
        for path in (PROJECT_DIR / "models").rglob("*.sql")
        for schema, table in SOURCE_CALL.findall(path.read_text(encoding="utf-8"))
    }
    assert read, "the models read no source: the pattern no longer matches how they call source()"
    unknown = sorted(str(entry) for entry in read if entry[1] != "raw" or entry[2] not in declared)
    assert unknown == [], f"models read sources the raw declarations do not have: {unknown}"


def test_every_column_is_described_once_and_every_key_column_is_declared():
    for table in RAW_TABLES:
        names = table.column_names
        assert len(names) == len(set(names)), f"{table.name} declares a column twice"
        assert set(table.primary_key) <= set(names), table.name
        assert table.written_by, f"{table.name}: say which module writes it"
        for column in table.columns:
            assert column.description.strip().endswith((".", ")")), f"{table.name}.{column.name}: a sentence"


def test_migrations_run_in_version_order_and_every_added_column_names_one():
    versions = [migration.version for migration in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1)) and versions[-1] == SCHEMA_VERSION
    added_in = {column.added_in for table in RAW_TABLES for column in table.columns} - {0}
    assert added_in <= set(versions), f"columns name migrations that do not exist: {sorted(added_in - set(versions))}"
    for migration in MIGRATIONS:
        assert migration.description.strip() and migration.sql(), f"migration {migration.version} does nothing"
    adds = [statement for statement in MIGRATIONS[3].sql() if "add column" in statement]
    assert "alter table raw.panel_observations add column if not exists ds_time timestamp" in adds


def test_a_row_by_name_takes_declared_defaults_and_refuses_unknown_or_missing_columns():
    row = raw_schema.PANEL_OBSERVATIONS.row(
        {
            "dataset_name": "air",
            "unique_id": "a",
            "ds": 3,
            "y": 1.5,
            "source_name": "air.csv",
            "file_hash": "h",
            "source_row": 4,
            "loaded_at": None,
        }
    )
    assert list(row) == raw_schema.PANEL_OBSERVATIONS.column_names
    assert (row["filled_by"], row["ds_time"], row["ds_date"]) == ("", None, None)
    with pytest.raises(KeyError, match="has no column draw_no"):
        raw_schema.PANEL_OBSERVATIONS.row({**row, "draw_no": 1})
    with pytest.raises(KeyError, match="y is not null and has no default"):
        raw_schema.PANEL_OBSERVATIONS.row({name: value for name, value in row.items() if name != "y"})
