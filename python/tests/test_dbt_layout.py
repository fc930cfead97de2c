"""The dbt project's layout follows docs/naming.md: staging folders mirror the writing packages, marts
take a prefix of their folder."""

from __future__ import annotations

import re

import pytest

from fcast import settings
from fcast.raw_schema import RAW_TABLES

pytestmark = pytest.mark.fast

PROJECT = settings.project_dir()
NAMING = PROJECT / "docs" / "naming.md"
# raw tables read by a staging model of another name (one raw table feeds two models)
STAGING_OF_ANOTHER_TABLE = {"lottery_draw_bonus": "lottery_draws"}


def _prefixes_by_folder() -> dict[str, list[str]]:
    """The marts table of docs/naming.md: `| \\`folder/\\` | ... \\`prefix_\\` ... |`."""
    text = NAMING.read_text(encoding="utf-8")
    section = text[text.index("## Marts") :]
    table = {}
    for line in section.splitlines():
        folder = re.match(r"\|\s*`(\w+)/`\s*\|([^|]*)\|", line)
        if folder:
            table[folder.group(1)] = re.findall(r"`([a-z]+_)`", folder.group(2))
    return table


def test_every_mart_takes_a_prefix_of_its_folder():
    prefixes = _prefixes_by_folder()
    marts = PROJECT / "models" / "marts"
    folders = sorted(path.name for path in marts.iterdir() if path.is_dir())
    assert sorted(prefixes) == folders, "docs/naming.md lists one row per marts folder"
    strays = [
        f"{model.parent.name}/{model.stem}"
        for folder in folders
        for model in (marts / folder).glob("*.sql")
        if not model.stem.startswith(tuple(prefixes[folder]))
    ]
    assert not strays, f"these marts break docs/naming.md (prefixes per folder {prefixes}): {strays}"


def test_a_prefix_belongs_to_one_folder_only():
    seen: dict[str, str] = {}
    for folder, prefixes in _prefixes_by_folder().items():
        for prefix in prefixes:
            assert prefix not in seen, f"{prefix} is a prefix of both {seen[prefix]}/ and {folder}/"
            seen[prefix] = folder


def test_each_staging_model_of_a_raw_table_sits_in_the_folder_of_the_package_that_writes_it():
    writers = {table.name: table.written_by for table in RAW_TABLES}
    misplaced = []
    for model in (PROJECT / "models" / "staging").glob("*/stg_raw__*.sql"):
        table = model.stem.removeprefix("stg_raw__")
        table = STAGING_OF_ANOTHER_TABLE.get(table, table)
        packages = {writer.strip().split(".")[1] for writer in writers[table].split(",")}
        if model.parent.name not in packages:
            misplaced.append(f"{model.parent.name}/{model.name} (written by {writers[table]})")
    assert not misplaced, misplaced


def test_each_folder_of_models_has_one_models_file_named_after_it():
    for folder in (PROJECT / "models").rglob("*"):
        if folder.is_dir() and any(folder.glob("*.sql")):
            assert [path.name for path in folder.glob("_*__models.yml")] == [f"_{folder.name}__models.yml"], folder
