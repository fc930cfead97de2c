"""The generated parts of the documentation, rendered from the code that owns each fact.

- the command reference (`docs/cli-reference.md`, whole) and the README's command table, from
  `fcast.cli.build_parser()`: every command and subcommand with its arguments, options and help;
- the README's environment-variable table, from `fcast.settings.markdown_table()`;
- the rule table of `docs/validation.md`, from `fcast.plans.rules.markdown_table()`.

A generated region of a markdown file sits between `<!-- BEGIN generated: NAME -->` and
`<!-- END generated: NAME -->`; nothing else in the file is touched. `python -m fcast.reference --write`
rewrites every region and file; `python -m fcast.reference --check` (the default) exits 1 naming each
stale one. Rendering walks argparse's actions itself (no `format_help()`), so the text does not depend
on the terminal width or the Python version.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fcast import settings

WRITE_COMMAND = "python -m fcast.reference --write"
CLI_REFERENCE = Path("docs/cli-reference.md")


@dataclass(frozen=True)
class Command:
    """One command a user can type: its words after `fcast`, its parser and its one-line help."""

    words: tuple[str, ...]
    parser: argparse.ArgumentParser
    help: str

    @property
    def name(self) -> str:
        return " ".join(("fcast", *self.words))

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9-]", "", self.name.replace(" ", "-").lower())


def build_parser() -> argparse.ArgumentParser:
    from fcast.cli import build_parser as cli_parser

    return cli_parser()


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def commands(parser: argparse.ArgumentParser | None = None, words: tuple[str, ...] = ()) -> Iterator[Command]:
    """Every leaf command of the parser, in the order the parser declares them (`registry scan`, not `registry`)."""
    parser = parser or build_parser()
    group = _subparsers(parser)
    if group is None:
        return
    helps = {choice.dest: choice.help or "" for choice in group._choices_actions}
    for name, subparser in group.choices.items():
        if _subparsers(subparser) is None:
            yield Command((*words, name), subparser, helps.get(name, ""))
        else:
            yield from commands(subparser, (*words, name))


def _documented(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and action.help != argparse.SUPPRESS
    ]


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(str(choice) for choice in action.choices) + "}"
    return action.dest if not action.option_strings else action.dest.upper()


def _argument_form(action: argparse.Action) -> str:
    """How the argument is written: `--workers N`, `PLAN.yaml ...`, `--no-store`."""
    if action.nargs == 0:
        value = ""
    else:
        metavar = _metavar(action)
        value = {
            "*": f"[{metavar} ...]",
            "+": f"{metavar} [{metavar} ...]",
            "?": f"[{metavar}]",
        }.get(action.nargs, metavar)
    if not action.option_strings:
        return value
    return f"{'/'.join(action.option_strings)} {value}".strip()


def synopsis(command: Command) -> str:
    """One line like argparse's usage: `fcast validate [PLAN.yaml ...] [--no-store] ...`."""
    from fcast.cli import DBT_PASSTHROUGH_COMMANDS

    parts = [command.name]
    for action in _documented(command.parser):
        form = _argument_form(action)
        optional = action.option_strings and not action.required
        optional = optional or (not action.option_strings and action.nargs in ("*", "?"))
        parts.append(f"[{form}]" if optional and not form.startswith("[") else form)
    if command.words and command.words[-1] in DBT_PASSTHROUGH_COMMANDS:
        parts.append("[DBT ARGUMENT ...]")
    return " ".join(parts)


def _row(*cells: str) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """Help text as a table cell: `value:<number>` must not read as an HTML tag."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def _default(action: argparse.Action) -> str:
    if action.default in (None, False, argparse.SUPPRESS) or action.nargs == 0:
        return ""
    return f"`{action.default}`"


def _arguments_table(parser: argparse.ArgumentParser) -> list[str]:
    actions = _documented(parser)
    if not actions:
        return ["No arguments of its own."]
    lines = ["| argument | what it does | default |", "|---|---|---|"]
    for action in actions:
        help_text = _prose(action.help or "")
        if action.required and action.option_strings:
            help_text = f"required; {help_text}" if help_text else "required"
        lines.append(_row(f"`{_cell(_argument_form(action))}`", help_text, _default(action)))
    return lines


def render_cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """docs/cli-reference.md: the global options, then every command with its synopsis and arguments."""
    parser = parser or build_parser()
    lines = [
        "# Command reference",
        "",
        f"<!-- Generated from fcast.cli.build_parser() by `{WRITE_COMMAND}`; do not edit by hand. -->",
        "",
        parser.description or "",
        "",
        "Options before the command apply to every command:",
        "",
        "```",
        synopsis(Command((), parser, "")) + " COMMAND ...",
        "```",
        "",
        *_arguments_table(parser),
        "",
        "Commands:",
        "",
    ]
    found = list(commands(parser))
    lines += [f"- [`{command.name}`](#{command.anchor}): {_prose(command.help)}" for command in found]
    for command in found:
        lines += [
            "",
            f"## {command.name}",
            "",
            _prose(command.help),
            "",
            "```",
            synopsis(command),
            "```",
            "",
            *_arguments_table(command.parser),
        ]
    return "\n".join(lines) + "\n"


def render_command_table(parser: argparse.ArgumentParser | None = None) -> str:
    """The README's compact table: every command's synopsis and its one-line help."""
    lines = ["| command | what it does |", "|---|---|"]
    for command in commands(parser or build_parser()):
        link = f"[`{_cell(synopsis(command))}`](docs/cli-reference.md#{command.anchor})"
        lines.append(_row(link, _prose(command.help)))
    return "\n".join(lines)


def render_rule_table() -> str:
    from fcast.plans.rules import markdown_table

    return markdown_table()


# --- Generated regions ---

REGION = re.compile(
    r"(?P<begin><!-- BEGIN generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)\n?<!-- END generated: (?P=name) -->",
    re.DOTALL,
)
REGIONS: dict[str, Callable[[], str]] = {
    "commands": render_command_table,
    "settings": settings.markdown_table,
    "rules": render_rule_table,
}
REGION_FILES = (Path("README.md"), Path("docs/validation.md"))


def region_names(text: str) -> list[str]:
    return [match["name"] for match in REGION.finditer(text)]


def region_body(text: str, name: str) -> str:
    for match in REGION.finditer(text):
        if match["name"] == name:
            return match["body"]
    raise KeyError(f"no region `<!-- BEGIN generated: {name} -->` ... `<!-- END generated: {name} -->`")


def fill_regions(text: str) -> str:
    """The text with every generated region it marks rendered afresh."""

    def render(match: re.Match) -> str:
        name = match["name"]
        if name not in REGIONS:
            raise KeyError(f"unknown generated region {name!r} (known: {', '.join(REGIONS)})")
        return f"{match['begin']}{REGIONS[name]()}\n<!-- END generated: {name} -->"

    return REGION.sub(render, text)


def expected_files(project_dir: Path | None = None) -> dict[Path, str]:
    """Every generated file and every file with generated regions, as it should read now."""
    root = project_dir or settings.project_dir()
    expected = {root / CLI_REFERENCE: render_cli_reference()}
    for relative in REGION_FILES:
        path = root / relative
        expected[path] = fill_regions(path.read_text(encoding="utf-8"))
    return expected


def stale_files(project_dir: Path | None = None) -> list[Path]:
    return [
        path
        for path, text in expected_files(project_dir).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write(project_dir: Path | None = None) -> list[Path]:
    """Rewrite what is stale; returns the files written."""
    written = []
    for path, text in expected_files(project_dir).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fcast.reference",
        description="Render the command reference, the README's command and environment tables and the rule table.",
    )
    parser.add_argument("--write", action="store_true", help="rewrite the stale files (default: only check)")
    args = parser.parse_args(argv)
    if args.write:
        written = write()
        print("\n".join(f"wrote {path}" for path in written) or "nothing to write: every generated part is current")
        return 0
    stale = stale_files()
    for path in stale:
        print(f"stale: {path} (run `{WRITE_COMMAND}`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
