"""Read draw results from the official results pages (HTML), saved from a browser or fetched over HTTP.

Three table layouts are understood, all through the column vocabulary of ``fcast.ingest.tabular``:

- a back-number table: one header row (回別 / 抽せん日 / 本数字 / ボーナス数字, or one numbers column per
  game such as "ナンバーズ3 抽せん数字") and one row per draw;
- a per-draw vertical table: rows headed 回別, 抽せん日, 本数字 (one cell per number, the bonus in
  parentheses or in a cell whose class names a bonus);
- the same draw shown twice (a PC table and a phone table) is kept once.

``source_row`` is the 1-based position of the draw's ``<tr>`` among all ``<tr>`` elements of the page
(lxml does not report source lines). A page where no draw can be found raises IngestError; a page whose
number cells are left for JavaScript to fill in says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

from fcast.games import Game, get_game
from fcast.ingest.records import DrawRecord, IngestError, ReadResult
from fcast.ingest.tabular import (
    DATE,
    DRAW_NO,
    NUMBER,
    NUMBERS,
    Layout,
    build_records,
    classify_column,
    game_from_text,
    guess_game,
    layout_from_header,
    numbers_for_guessing,
    resolve_game_code,
)

_HEADER_SEARCH_ROWS = 3
_BONUS_CLASS = re.compile(r"bonus", re.IGNORECASE)
_JS_NUMBER_CLASS = re.compile(r"^js-lottery-(?:number|bonus)")


@dataclass(frozen=True)
class _TableRow:
    """A table row: the ``<tr>``'s position in the page, and its cells' texts and column spans."""

    position: int
    texts: list[str]
    spans: list[int]

    def expanded(self) -> list[str]:
        """Texts by column: a cell spanning n columns fills n of them."""
        return [text for text, span in zip(self.texts, self.spans, strict=True) for _ in range(span)]


@dataclass(frozen=True)
class _Page:
    """What every table of one page shares: its name, the game asked for and the game the page names."""

    source_name: str
    wanted_game: Game | None
    named_game_code: str | None


# --------------------------------------------------------------------------- cells and rows


def _has_bonus_class(cell: Tag) -> bool:
    if any(_BONUS_CLASS.search(name) for name in cell.get("class") or []):
        return True
    return cell.find(class_=_BONUS_CLASS) is not None


def _cell_text(cell: Tag) -> str:
    """The cell's text; a bonus cell recognised by its class is put in parentheses, as pages print it."""
    text = cell.get_text(" ", strip=True)
    if text and _has_bonus_class(cell) and not text.startswith(("(", "（")):
        return f"({text})"
    return text


def _colspan(cell: Tag) -> int:
    try:
        return max(1, int(str(cell.get("colspan", "1"))))
    except ValueError:
        return 1


def _table_rows(table: Tag, row_positions: Mapping[int, int]) -> list[_TableRow]:
    rows = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells = row.find_all(["th", "td"], recursive=False)
        texts = [_cell_text(cell) for cell in cells]
        rows.append(_TableRow(row_positions[id(row)], texts, [_colspan(cell) for cell in cells]))
    return rows


def _row_cells(keys: list[str], texts: list[str]) -> dict[str, str]:
    """Texts by header key; cells under one header (a colspan header such as 本数字) are joined by spaces."""
    cells: dict[str, str] = {}
    for position, text in enumerate(texts):
        key = keys[position] if position < len(keys) else f"col{position + 1}"
        cells[key] = f"{cells[key]} {text}".strip() if key in cells else text
    return cells


def _header_keys(texts: list[str]) -> list[str]:
    return [text or f"col{position}" for position, text in enumerate(texts, start=1)]


# --------------------------------------------------------------------------- table layouts


def _horizontal_table(rows: list[_TableRow]) -> tuple[Layout, list[tuple[int, dict[str, str]]]] | None:
    """A header row naming draw number/date and numbers, then one row per draw."""
    for header_index, header in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        keys = _header_keys(header.expanded())
        layout = layout_from_header(list(dict.fromkeys(keys)))
        if not (layout.has_numbers and layout.has_draw_identity):
            continue
        draws = [
            (row.position, _row_cells(keys, row.expanded()))
            for row in rows[header_index + 1 :]
            if len(row.texts) > 1 and row.texts != header.texts
        ]
        return layout, draws
    return None


def _vertical_table(rows: list[_TableRow]) -> tuple[Layout, list[tuple[int, dict[str, str]]]] | None:
    """Rows headed by a label (回別, 抽せん日, 本数字 …) whose other cells hold one draw's values."""
    labelled: dict[str, str] = {}
    for row in rows:
        label = row.texts[0] if row.texts else ""
        if classify_column(label) is not None and label not in labelled:
            labelled[label] = " ".join(text for text in row.texts[1:] if text)
    layout = layout_from_header(list(labelled))
    if not (layout.has_numbers and layout.has_draw_identity):
        return None
    return layout, [(rows[0].position, labelled)]


def _page_game(layout: Layout, draws: list[tuple[int, dict[str, str]]], page: _Page) -> Game:
    """The game of a table whose number columns name no game."""
    if page.wanted_game is not None:
        return page.wanted_game
    if page.named_game_code is not None:
        return get_game(page.named_game_code)
    guessed = guess_game("", list(layout.roles), numbers_for_guessing((cells for _, cells in draws), layout))
    if guessed is None:
        raise IngestError(
            f"{page.source_name}: cannot tell which game this page shows (no game name in the file name or "
            "the page title, and the count of numbers matches no single game). Give it with --game."
        )
    return get_game(guessed)


def _has_untagged_numbers(layout: Layout) -> bool:
    return any(role.kind in (NUMBER, NUMBERS) and role.game_code is None for role in layout.roles.values())


def _table_records(table: Tag, row_positions: Mapping[int, int], page: _Page) -> list[DrawRecord]:
    rows = _table_rows(table, row_positions)
    found = _horizontal_table(rows) or _vertical_table(rows)
    if found is None:
        return []
    layout, draws = found
    draws = [(position, cells) for position, cells in draws if _holds_a_draw(cells, layout)]
    if not draws:
        return []
    games = [get_game(code) for code in layout.tagged_games()]
    if _has_untagged_numbers(layout):
        games.append(_page_game(layout, draws, page))
    if page.wanted_game is not None:
        games = [game for game in games if game.code == page.wanted_game.code]
    records = []
    for game in games:
        rows_of_game = ((position, cells, dict(cells)) for position, cells in draws)
        records.extend(build_records(rows_of_game, layout.for_game(game.code), game, page.source_name))
    return records


def _holds_a_draw(cells: Mapping[str, str], layout: Layout) -> bool:
    """True when any draw-number, date or number cell has text (an all-empty row is a template)."""
    keys = [key for key, role in layout.roles.items() if role.kind in (DRAW_NO, DATE, NUMBER, NUMBERS)]
    return any(cells.get(key, "").strip() for key in keys)


def _without_repeats(records: list[DrawRecord]) -> list[DrawRecord]:
    """Records in page order, each identical draw once (pages show every draw in a PC and a phone table)."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for record in records:
        key = (
            record.game_code,
            record.draw_no,
            record.draw_date,
            tuple(record.numbers or ()),
            tuple(record.bonus),
        )
        if key not in seen:
            seen.add(key)
            kept.append(record)
    return kept


# --------------------------------------------------------------------------- errors


def _empty_script_cells(soup: BeautifulSoup) -> str | None:
    """The class of number cells left empty for JavaScript to fill in, if the page has such cells."""
    placeholders = soup.find_all(class_=_JS_NUMBER_CLASS)
    if not placeholders or any(cell.get_text(strip=True) for cell in placeholders):
        return None
    for cell in placeholders:
        for name in cell.get("class") or []:
            if _JS_NUMBER_CLASS.match(name):
                return str(name)
    return None


def _no_draws_error(soup: BeautifulSoup, page: _Page) -> IngestError:
    script_class = _empty_script_cells(soup)
    if script_class is not None:
        return IngestError(
            f"{page.source_name}: the draw numbers on this page are filled in by JavaScript "
            f"(empty cells with class {script_class}); this page holds no data. Save the page from a browser "
            "after it has rendered, or download the CSV instead."
        )
    wanted = f" of {page.wanted_game.name}" if page.wanted_game is not None else ""
    return IngestError(
        f"{page.source_name}: no draw results{wanted} found on this page: expected a table headed "
        "回別 / 抽せん日 / 本数字 (or a numbers column per game). Check that this is a results page, "
        "or download the CSV instead."
    )


# --------------------------------------------------------------------------- entry point


def _title_of(soup: BeautifulSoup) -> str:
    return soup.title.get_text(" ", strip=True) if soup.title else ""


def read_html(
    path: Path, game_code: str | None = None, source_name: str | None = None, data: bytes | None = None
) -> ReadResult:
    """Draw records of an official results page.

    ``data`` given: parse these bytes (from an HTTP fetch, say), with ``path`` used only for its name.
    ``game_code`` given: keep only that game's draws. Records carry their own game, since one page may hold
    two games; ``ReadResult.game_code`` is set only when all records are of one game.
    """
    name = source_name or path.name
    page_bytes = data if data is not None else path.read_bytes()
    if not page_bytes.strip():
        raise IngestError(f"{name}: the page is empty. Check that the download finished.")
    soup = BeautifulSoup(page_bytes, "lxml")
    wanted_game = resolve_game_code(game_code, name) if game_code else None
    named_game_code = game_from_text(Path(name).stem) or game_from_text(_title_of(soup))
    page = _Page(name, wanted_game, named_game_code)
    row_positions = {id(row): position for position, row in enumerate(soup.find_all("tr"), start=1)}
    records = []
    for table in soup.find_all("table"):
        records.extend(_table_records(table, row_positions, page))
    records = _without_repeats(records)
    if not records:
        raise _no_draws_error(soup, page)
    game_codes = {record.game_code for record in records}
    return ReadResult(
        source_name=name,
        source_kind="html",
        file_hash=hashlib.sha256(page_bytes).hexdigest(),
        records=records,
        game_code=game_codes.pop() if len(game_codes) == 1 else None,
    )
