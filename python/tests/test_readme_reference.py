"""The README and docs/ against the code: the generated parts equal what the parser, the settings and the rule
catalogue render now, and every command and option the parser accepts is in the README's command table.

Fast: no warehouse, no training. When a test fails, `python -m fcast.reference --write` brings the files level.
"""

from __future__ import annotations

import argparse
import re

import pytest

from fcast import reference, settings
from fcast.plans.rules import markdown_table as rule_table

from .conftest import PROJECT_DIR

pytestmark = pytest.mark.fast

pytestmark = pytest.mark.fast

FIX = f"run `{reference.WRITE_COMMAND}` and commit the result"
README = PROJECT_DIR / "README.md"


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def test_the_command_reference_page_is_what_the_parser_renders():
    page = (PROJECT_DIR / reference.CLI_REFERENCE).read_text(encoding="utf-8")
    assert page == reference.render_cli_reference(), f"{reference.CLI_REFERENCE} differs from the parser: {FIX}"


@pytest.mark.parametrize(
    ("region", "render"),
    [("commands", reference.render_command_table), ("settings", settings.markdown_table)],
)
def test_each_generated_region_of_the_readme_is_what_its_source_renders(region, render):
    assert reference.region_body(readme_text(), region) == render(), f"README.md's {region} table is stale: {FIX}"


def test_the_rule_table_of_the_validation_page_is_the_rule_catalogue():
    page = (PROJECT_DIR / "docs" / "validation.md").read_text(encoding="utf-8")
    assert reference.region_body(page, "rules") == rule_table(), f"docs/validation.md's rule table is stale: {FIX}"


def mentions(row: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", row) is not None


def test_every_command_and_option_of_the_parser_is_in_the_readme_table():
    rows = reference.region_body(readme_text(), "commands").splitlines()
    missing = []
    for command in reference.commands():
        row = next((line for line in rows if re.match(rf"\| \[`{command.name}[ `]", line)), "")
        if not row:
            missing.append(command.name)
            continue
        options = [
            option
            for action in command.parser._actions
            if not isinstance(action, argparse._HelpAction)
            for option in action.option_strings
        ]
        missing += [f"{command.name} {option}" for option in options if not mentions(row, option)]
    assert missing == [], f"README.md's command table lacks {', '.join(missing)}: {FIX}"


def test_the_readme_table_names_validate_no_store_which_the_hand_written_table_once_lost():
    assert "fcast validate" in readme_text()
    validate_row = next(line for line in readme_text().splitlines() if line.startswith("| [`fcast validate"))
    assert "--no-store" in validate_row


def test_every_environment_variable_fcast_reads_is_in_the_readme():
    readme = readme_text()
    missing = [item.name for item in settings.SETTINGS if f"`{item.name}`" not in readme]
    assert missing == [], f"README.md lacks {', '.join(missing)}: {FIX}"


def test_writing_fills_a_stale_region_and_leaves_the_text_around_it_alone():
    stale = "# Title\n\nbefore\n<!-- BEGIN generated: settings -->\n| old |\n<!-- END generated: settings -->\nafter\n"
    filled = reference.fill_regions(stale)
    assert filled == f"# Title\n\nbefore\n<!-- BEGIN generated: settings -->\n{settings.markdown_table()}\n" + (
        "<!-- END generated: settings -->\nafter\n"
    )
    assert reference.fill_regions(filled) == filled


def test_the_check_command_passes_on_the_committed_files(capsys):
    assert reference.main([]) == 0, capsys.readouterr().err
