"""Read draw files users hold: CSV/TSV text in any of the circulating layouts, and JSON.

A reader only parses. Every cell stays text exactly as written until it is parsed here; a row that
cannot be parsed still becomes a DrawRecord, with the unparsable fields None and a problem saying
why. Geometry (counts, ranges, repeats) is checked later by the rules module.

The column vocabulary (``classify_column``) and the row parser (``build_records``) are shared with
the HTML reader, so a header means the same thing in every source kind. The vocabulary itself is
data: seeds/draw_file_headers.csv says which header means which field (``n{n}`` for numbered
columns), so a user teaches fcast a new header by adding a row there; this module holds none.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import charset_normalizer

from fcast import settings
from fcast.games import Game, get_game, load_games
from fcast.ingest.records import DrawRecord, IngestError, ReadResult

UNPARSEABLE_DRAW_NO = "unparseable_draw_no"
UNPARSEABLE_DATE = "unparseable_date"
UNPARSEABLE_NUMBERS = "unparseable_numbers"
DATE_NOT_IN_CALENDAR = "date_not_in_calendar"
MISSING_NUMBERS = "missing_numbers"

DRAW_NO = "draw_no"
DATE = "date"
NUMBER = "number"  # one main number per cell, ordered by ColumnRole.index
NUMBERS = "numbers"  # every main number in one cell ("02 07 24", "0097", or a JSON list)
BONUS = "bonus"  # one or more bonus numbers per cell, ordered by ColumnRole.index
FIELDS = (DRAW_NO, DATE, NUMBERS, NUMBER, BONUS)

HEADER_VOCABULARY_SEED = "draw_file_headers.csv"
POSITION_PLACEHOLDER = "{n}"  # a header holding it names numbered columns: "n{n}" matches n1, n2, ...

_HEADER_PUNCTUATION = re.compile(r"[\s_\-.・:：]+")
_HEADER_NOTE = re.compile(r"\(.*$")
_WORD_SEPARATORS = re.compile(r"[\s_\-.・:：()\[\]|/,]+")

_DATE_PATTERNS = (
    re.compile(r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_DATE_SUFFIX = re.compile(r"(?:\s*\([^)]*\)|[T ]\d{1,2}:\d{2}(?::\d{2})?)$")
_DRAW_NO_PATTERN = re.compile(r"(?:第|#|no)?(\d+)回?")
_QUOTES = "\"'「」『』“”‘’` \t"
_NUMBER_SEPARATORS = re.compile(r"[\s,、/]+")
_PARENTHESISED = re.compile(r"\(([^)]*)\)")

_TEACH_A_HEADER = (
    f"The headers fcast knows are listed in seeds/{HEADER_VOCABULARY_SEED}; "
    "add a row there (header, field) to teach it another one."
)
_JSON_ARRAY_KEYS = ("draws", "data", "results", "items", "records", "rows")
_HEADER_SEARCH_ROWS = 5
_GUESS_SAMPLE_ROWS = 20
_EOF_MARK = "EOF"


# --------------------------------------------------------------------------- text and cell parsing


def decode_text(data: bytes, source_name: str) -> str:
    """The text of a file: UTF-8 (with or without BOM), else Shift-JIS/CP932, else charset-normalizer's guess.

    Line ends are normalised to ``\\n``. Raises IngestError naming the file when nothing decodes cleanly.
    """
    text = _decode_strictly(data)
    if text is None:
        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise IngestError(
                f"{source_name}: the bytes are not UTF-8, Shift-JIS/CP932 or any encoding charset-normalizer "
                "recognises. Save the file as UTF-8 (or Shift-JIS) text and read it again."
            )
        text = str(best)
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _decode_strictly(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _clean_cell(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip(_QUOTES)


def parse_date(text: str) -> dt.date:
    """A draw date written as ``2000/10/5``, ``2000-10-05`` or ``2024年6月19日`` (full-width digits too).

    A trailing weekday in parentheses or a time of day is ignored. Raises ValueError otherwise.
    """
    cleaned = _DATE_SUFFIX.sub("", _clean_cell(text)).strip(_QUOTES)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    raise ValueError(f"{text!r} is not a date like 2000/10/5, 2000-10-05 or 2024年6月19日")


def parse_draw_no(text: str) -> int:
    """A draw number written as ``123``, ``第123回`` or ``123回`` (full-width digits too).

    Raises ValueError otherwise.
    """
    match = _DRAW_NO_PATTERN.fullmatch(_clean_cell(text).lower().replace(" ", ""))
    if match is None:
        raise ValueError(f"{text!r} is not a draw number like 123 or 第123回")
    return int(match.group(1))


def _parses(parser: Any, text: str) -> bool:
    try:
        parser(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- column vocabulary


@dataclass(frozen=True)
class ColumnRole:
    """What a column holds. ``game_code`` is set when the header names a game ("ナンバーズ3 抽せん数字")."""

    kind: str
    index: int = 0
    game_code: str | None = None


def normalise_label(text: str) -> str:
    """A header or alias reduced for comparison: NFKC, lowercase, no spaces, underscores or dots."""
    return _HEADER_PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).lower()).strip(_QUOTES)


def classify_column(header: str) -> ColumnRole | None:
    """The role of a column from its header, or None for a column that is kept only in ``original``."""
    label = normalise_label(header)
    role = _role_of_label(label)
    if role is None and "(" in label:
        role = _role_of_label(_HEADER_NOTE.sub("", label))
    if role is None:
        role = _role_of_game_column(label)
    return role


@dataclass(frozen=True)
class HeaderVocabulary:
    """The headers of seeds/draw_file_headers.csv: which normalised header means which field.

    ``exact`` maps a normalised header to its field; ``numbered`` holds one pattern per header with
    ``{n}``, whose group is the column's position. Exact headers win over numbered ones; among
    numbered ones the first row of the seed that matches wins.
    """

    exact: Mapping[str, str]
    numbered: tuple[tuple[re.Pattern[str], str], ...]
    headers_by_field: Mapping[str, tuple[tuple[str, str], ...]]  # field -> (header as written, language)

    def role_of(self, label: str) -> ColumnRole | None:
        if not label:
            return None
        if label in self.exact:
            return ColumnRole(self.exact[label])
        for pattern, field in self.numbered:
            match = pattern.fullmatch(label)
            if match:
                return ColumnRole(field, int(match.group(1)))
        return None

    def examples(self, *fields: str, per_language: int = 2) -> str:
        """A few headers of the fields, as written in the seed ("第1数字…" for a numbered one), for messages."""
        shown = []
        for field in fields:
            taken: Counter[str] = Counter()
            for header, language in self.headers_by_field.get(field, ()):
                if taken[language] < per_language:
                    taken[language] += 1
                    numbered = POSITION_PLACEHOLDER in header
                    shown.append(header.replace(POSITION_PLACEHOLDER, "1") + ("…" if numbered else ""))
        return ", ".join(shown)


def header_vocabulary() -> HeaderVocabulary:
    """The header vocabulary of the project's seeds, read again when the seed file changes."""
    path = settings.seeds_dir() / HEADER_VOCABULARY_SEED
    try:
        version = path.stat()
    except FileNotFoundError:
        raise IngestError(
            f"{path}: the draw-file header vocabulary is missing; restore seeds/{HEADER_VOCABULARY_SEED}"
        ) from None
    return _read_header_vocabulary(path, version.st_mtime_ns, version.st_size)


@cache
def _read_header_vocabulary(path: Path, modified_ns: int, size: int) -> HeaderVocabulary:
    """The vocabulary of one version of the seed (its time and size); IngestError naming the row of a bad entry."""
    exact: dict[str, str] = {}
    numbered: dict[str, str] = {}
    first_row: dict[str, int] = {}
    headers_by_field: dict[str, list[tuple[str, str]]] = {field: [] for field in FIELDS}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            header, field = (row.get("header") or "").strip(), (row.get("field") or "").strip()
            where = f"{path} row {row_number} ({header!r})"
            if not header or field not in FIELDS:
                raise IngestError(f"{where}: give a header and a field, one of {', '.join(FIELDS)} (found {field!r})")
            label = normalise_label(header)
            positions = label.count(POSITION_PLACEHOLDER)
            misplaced = positions > 1 or (field != BONUS and (field == NUMBER) != (positions == 1))
            if misplaced or label == POSITION_PLACEHOLDER:
                raise IngestError(
                    f"{where}: a header of field {NUMBER} holds {POSITION_PLACEHOLDER} once, next to some text "
                    f"(n{{n}} for n1, n2, ...); {DRAW_NO}, {DATE} and {NUMBERS} headers hold none"
                )
            entries = numbered if positions else exact
            if entries.get(label, field) != field:
                raise IngestError(
                    f"{where}: means {entries[label]} in row {first_row[label]} already (headers are compared "
                    "ignoring case, spaces, _ - . ・ :); keep one of the two rows"
                )
            entries[label] = field
            first_row.setdefault(label, row_number)
            headers_by_field[field].append((header, (row.get("language") or "").strip()))
    patterns = tuple(
        (re.compile(r"(\d+)".join(re.escape(part) for part in label.split(POSITION_PLACEHOLDER))), field)
        for label, field in numbered.items()
    )
    frozen_headers = {field: tuple(headers) for field, headers in headers_by_field.items()}
    return HeaderVocabulary(exact, patterns, frozen_headers)


def _role_of_label(label: str) -> ColumnRole | None:
    return header_vocabulary().role_of(label)


def _role_of_game_column(label: str) -> ColumnRole | None:
    """A header made of a game alias and a numbers/bonus header, e.g. "ナンバーズ3抽せん数字"."""
    for alias, game_code in _aliases_longest_first():
        position = label.find(alias)
        if position < 0:
            continue
        rest = (label[:position] + label[position + len(alias) :]).strip()
        role = _role_of_label(rest)
        if role is not None and role.kind in (NUMBERS, NUMBER, BONUS):
            return ColumnRole(role.kind, role.index, game_code)
    return None


# --------------------------------------------------------------------------- game guessing


def _aliases_longest_first(spaced: bool = False) -> list[tuple[str, str]]:
    """(alias, game code) pairs of the seeds, longest alias first.

    ``spaced`` keeps word breaks as single spaces ("numbers 3"), for matching free text such as file
    names; otherwise aliases are compact like header labels ("numbers3").
    """
    normalise = _spaced_text if spaced else normalise_label
    names = {(normalise(name), game.code) for game in load_games().values() for name in (*game.aliases, game.code)}
    if spaced:
        names |= {(normalise_label(name), game.code) for game in load_games().values() for name in game.aliases}
    return sorted(names, key=lambda pair: len(pair[0]), reverse=True)


def _spaced_text(text: str) -> str:
    """NFKC, lowercase, with separators (spaces, _, -, ., brackets) reduced to single spaces."""
    return " ".join(_WORD_SEPARATORS.split(unicodedata.normalize("NFKC", text).lower())).strip()


def _alias_at_boundary(text: str, alias: str, position: int) -> bool:
    """True when ``alias`` at ``position`` is not glued to ASCII letters/digits that make it another word."""
    before = text[position - 1] if position > 0 else ""
    after_index = position + len(alias)
    after = text[after_index] if after_index < len(text) else ""
    if before.isascii() and before.isalpha():
        return False
    return not (after.isascii() and after.isalnum() and after.isdigit() == alias[-1].isdigit())


def game_from_text(text: str) -> str | None:
    """The game whose longest alias appears in ``text`` (a file name, a page title), None if none or tied."""
    label = _spaced_text(text)
    best_length = 0
    found: set[str] = set()
    for alias, game_code in _aliases_longest_first(spaced=True):
        if len(alias) < best_length:
            break
        start = label.find(alias)
        while start >= 0:
            if _alias_at_boundary(label, alias, start):
                best_length = len(alias)
                found.add(game_code)
                break
            start = label.find(alias, start + 1)
    return found.pop() if len(found) == 1 else None


def guess_game(source_name: str, header: list[str] | None, sample_numbers: list[list[int]]) -> str | None:
    """The game of a file: by a game alias in its name, else in its header, else by how many main numbers
    its rows hold when exactly one seeded game has that many. None when nothing decides it."""
    by_name = game_from_text(Path(source_name).stem if source_name else "")
    if by_name is not None:
        return by_name
    header_games = {role.game_code for role in map(classify_column, header or []) if role and role.game_code}
    if len(header_games) == 1:
        return header_games.pop()
    counts = Counter(len(numbers) for numbers in sample_numbers if numbers)
    if not counts:
        return None
    typical_count = counts.most_common(1)[0][0]
    matching = [game.code for game in load_games().values() if game.main_count == typical_count]
    return matching[0] if len(matching) == 1 else None


def resolve_game_code(game_code: str, source_name: str) -> Game:
    """The seeded game for a code or alias the caller gave; IngestError listing the known games otherwise."""
    games = load_games()
    if game_code in games:
        return games[game_code]
    wanted = normalise_label(game_code)
    for alias, code in _aliases_longest_first():
        if alias == wanted:
            return games[code]
    raise IngestError(f"{source_name}: unknown game {game_code!r}; give --game one of: {', '.join(sorted(games))}")


# --------------------------------------------------------------------------- row parsing (shared)


@dataclass(frozen=True)
class Layout:
    """Which key of a row holds what. Keys are header texts (or col1, col2, ... for headerless files)."""

    roles: Mapping[str, ColumnRole]

    def key_of(self, kind: str) -> str | None:
        return next((key for key, role in self.roles.items() if role.kind == kind), None)

    def keys_of(self, kind: str) -> list[str]:
        keys = [key for key, role in self.roles.items() if role.kind == kind]
        return sorted(keys, key=lambda key: self.roles[key].index)

    @property
    def has_numbers(self) -> bool:
        return any(role.kind in (NUMBER, NUMBERS) for role in self.roles.values())

    @property
    def has_draw_identity(self) -> bool:
        return any(role.kind in (DRAW_NO, DATE) for role in self.roles.values())

    def tagged_games(self) -> list[str]:
        """Games named in number headers, in column order (a page may hold two games)."""
        codes = [role.game_code for role in self.roles.values() if role.game_code and role.kind != BONUS]
        return list(dict.fromkeys(codes))

    def for_game(self, game_code: str | None) -> Layout:
        """The columns of one game: shared columns plus the number columns tagged with that game."""
        return Layout({key: role for key, role in self.roles.items() if role.game_code in (None, game_code)})


def layout_from_header(header: Sequence[str]) -> Layout:
    roles: dict[str, ColumnRole] = {}
    for key in header:
        role = classify_column(key)
        if role is None:
            continue
        single_kind = role.kind in (DRAW_NO, DATE) or (role.kind == NUMBERS and role.game_code is None)
        if single_kind and any(existing.kind == role.kind for existing in roles.values()):
            continue
        roles[key] = role
    return Layout(roles)


def _value_tokens(value: Any, game: Game | None, digit_string: bool) -> tuple[list[str], list[str]]:
    """(main tokens, bonus tokens) of one cell: a JSON list, a number, or text such as ``02 07 (12)``.

    ``digit_string`` lets one run of digits such as ``0097`` stand for one digit per number.
    """
    if value is None:
        return [], []
    if isinstance(value, list):
        return [_clean_cell(str(item)) for item in value if str(item).strip()], []
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        if digit_string and game is not None and game.number_max <= 9:
            text = text.zfill(game.main_count)
    else:
        text = _clean_cell(str(value))
    bonus_tokens = [token for inner in _PARENTHESISED.findall(text) for token in _split_tokens(inner)]
    main_tokens = _split_tokens(_PARENTHESISED.sub(" ", text))
    if digit_string and len(main_tokens) == 1 and len(main_tokens[0]) > 1 and main_tokens[0].isdigit():
        main_tokens = list(main_tokens[0])
    return main_tokens, bonus_tokens


def _split_tokens(text: str) -> list[str]:
    return [token for token in _NUMBER_SEPARATORS.split(text.strip("[]{} ")) if token]


def _to_ints(tokens: Iterable[str]) -> list[int]:
    """Integers of the tokens; ValueError naming the first token that is not a whole number."""
    numbers = []
    for token in tokens:
        if not token.isdigit():
            raise ValueError(f"{token!r} is not a whole number")
        numbers.append(int(token))
    return numbers


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


class _RowParser:
    """Parses the rows of one layout for one game into DrawRecords."""

    def __init__(self, layout: Layout, game: Game) -> None:
        self.game = game
        self.draw_no_key = layout.key_of(DRAW_NO)
        self.date_key = layout.key_of(DATE)
        self.number_keys = layout.keys_of(NUMBER)
        self.numbers_key = layout.key_of(NUMBERS)
        self.bonus_keys = layout.keys_of(BONUS)
        self.digit_strings = game.number_max <= 9

    def parse(self, source_row: int, cells: Mapping[str, Any], original: dict[str, Any]) -> DrawRecord:
        record = DrawRecord(self.game.code, None, None, None, [], source_row, original)
        if self.draw_no_key is not None:
            record.draw_no = self._draw_no(record, cells.get(self.draw_no_key))
        if self.date_key is not None:
            record.draw_date = self._date(record, cells.get(self.date_key))
        record.numbers, bonus_in_number_cells = self._numbers(record, cells)
        record.bonus = self._bonus(record, cells, bonus_in_number_cells)
        return record

    def _draw_no(self, record: DrawRecord, value: Any) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = _cell_text(value)
        try:
            return parse_draw_no(text)
        except ValueError:
            shown = "empty" if not text.strip() else repr(text)
            record.add_problem(
                UNPARSEABLE_DRAW_NO,
                f"row {record.source_row}: draw number ({self.draw_no_key}) is {shown}, "
                "not a number like 123 or 第123回",
            )
            return None

    def _date(self, record: DrawRecord, value: Any) -> dt.date | None:
        text = _cell_text(value)
        try:
            return parse_date(text)
        except ValueError:
            shown = "empty" if not text.strip() else repr(text)
            record.add_problem(
                UNPARSEABLE_DATE,
                f"row {record.source_row}: date ({self.date_key}) is {shown}, "
                "not a date like 2000/10/5, 2000-10-05 or 2024年6月19日",
            )
            return None

    def _numbers(self, record: DrawRecord, cells: Mapping[str, Any]) -> tuple[list[int] | None, list[str]]:
        if self.number_keys:
            return self._numbers_from_columns(record, cells)
        if self.numbers_key is None:
            return None, []
        main_tokens, bonus_tokens = _value_tokens(cells.get(self.numbers_key), self.game, self.digit_strings)
        if not main_tokens:
            record.add_problem(MISSING_NUMBERS, f"row {record.source_row}: {self.numbers_key} is empty")
            return None, bonus_tokens
        return self._ints_or_problem(record, main_tokens, self.numbers_key), bonus_tokens

    def _numbers_from_columns(self, record: DrawRecord, cells: Mapping[str, Any]) -> tuple[list[int] | None, list[str]]:
        main_tokens: list[str] = []
        bonus_tokens: list[str] = []
        empty_keys = []
        for key in self.number_keys:
            cell_main, cell_bonus = _value_tokens(cells.get(key), self.game, digit_string=False)
            bonus_tokens.extend(cell_bonus)
            if not cell_main:
                empty_keys.append(key)
            main_tokens.extend(cell_main)
        if empty_keys:
            record.add_problem(
                MISSING_NUMBERS, f"row {record.source_row}: number cells {', '.join(empty_keys)} are empty"
            )
            return None, bonus_tokens
        return self._ints_or_problem(record, main_tokens, ", ".join(self.number_keys)), bonus_tokens

    def _ints_or_problem(self, record: DrawRecord, tokens: list[str], where: str) -> list[int] | None:
        try:
            return _to_ints(tokens)
        except ValueError as error:
            record.add_problem(UNPARSEABLE_NUMBERS, f"row {record.source_row}: numbers ({where}): {error}")
            return None

    def _bonus(self, record: DrawRecord, cells: Mapping[str, Any], tokens_so_far: list[str]) -> list[int]:
        tokens = list(tokens_so_far)
        for key in self.bonus_keys:
            cell_main, cell_bonus = _value_tokens(cells.get(key), self.game, digit_string=False)
            tokens.extend(cell_main + cell_bonus)
        try:
            return _to_ints(tokens)
        except ValueError as error:
            record.add_problem(UNPARSEABLE_NUMBERS, f"row {record.source_row}: bonus numbers: {error}")
            return []


def fill_draw_numbers_from_calendar(records: list[DrawRecord], game: Game) -> None:
    """Draw numbers of records read from a source with dates but no draw-number column.

    A date that is not a draw day of the game gets the problem ``date_not_in_calendar``.
    """
    draw_days = []
    for record in records:
        if record.draw_date is None:
            continue
        if game.is_draw_day(record.draw_date):
            draw_days.append(record.draw_date)
        else:
            record.add_problem(
                DATE_NOT_IN_CALENDAR,
                f"row {record.source_row}: {record.draw_date.isoformat()} is not a {game.name} draw day "
                "in the calendar seeds, so its draw number cannot be derived",
            )
    numbers_by_day = game.draw_numbers_for(sorted(set(draw_days)))
    for record in records:
        if record.draw_date in numbers_by_day:
            record.draw_no = numbers_by_day[record.draw_date]


def build_records(
    rows: Iterable[tuple[int, Mapping[str, Any], dict[str, Any]]],
    layout: Layout,
    game: Game,
    source_name: str,
) -> list[DrawRecord]:
    """DrawRecords of ``(source_row, cells, original)`` rows laid out by ``layout``, all for ``game``.

    Raises IngestError when the layout has no column of this game's numbers.
    """
    if not layout.has_numbers:
        raise IngestError(
            f"{source_name}: no column holds the numbers of {game.name}. Check the game (--game) and the header."
        )
    parser = _RowParser(layout, game)
    records = [parser.parse(source_row, cells, original) for source_row, cells, original in rows]
    if parser.draw_no_key is None and parser.date_key is not None:
        fill_draw_numbers_from_calendar(records, game)
    return records


def numbers_for_guessing(rows: Iterable[Mapping[str, Any]], layout: Layout) -> list[list[int]]:
    """Main numbers of the first rows, parsed without knowing the game, to guess the game by their count."""
    samples = []
    number_keys = layout.keys_of(NUMBER)
    numbers_key = layout.key_of(NUMBERS)
    for cells in rows:
        if number_keys:
            tokens = [token for key in number_keys for token in _value_tokens(cells.get(key), None, False)[0]]
        elif numbers_key is not None:
            tokens = _value_tokens(cells.get(numbers_key), None, digit_string=True)[0]
        else:
            tokens = []
        if tokens:
            samples.append([int(token) if token.isdigit() else -1 for token in tokens])
        if len(samples) >= _GUESS_SAMPLE_ROWS:
            break
    return samples


# --------------------------------------------------------------------------- CSV / TSV


def _split_rows(text: str, delimiter: str) -> list[list[str]]:
    rows = list(csv.reader(text.split("\n"), delimiter=delimiter))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if rows and [cell.strip() for cell in rows[-1] if cell.strip()] == [_EOF_MARK]:
        rows.pop()
    elif rows and rows[-1] and rows[-1][-1].strip() == _EOF_MARK:
        rows[-1] = rows[-1][:-1]
    return rows


def _delimiter_of(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def _looks_like_data(row: Sequence[str]) -> bool:
    first = row[0] if row else ""
    return _parses(parse_draw_no, first) or _parses(parse_date, first)


def _unique_keys(header: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for position, name in enumerate(header, start=1):
        key = name.strip() or f"col{position}"
        if key in keys:
            key = f"{key}_{position}"
        keys.append(key)
    return keys


def _row_dict(keys: Sequence[str], row: Sequence[str]) -> dict[str, str]:
    cells = {key: (row[position] if position < len(row) else "") for position, key in enumerate(keys)}
    for position in range(len(keys), len(row)):
        cells[f"col{position + 1}"] = row[position]
    return cells


def _headerless_layout(first_row: Sequence[str], game: Game) -> tuple[list[str], Layout]:
    """Layout of a file without a header: [draw_no,] date, the game's main numbers, its bonus numbers."""
    roles: dict[str, ColumnRole] = {}
    position = 1
    if _parses(parse_draw_no, first_row[0]):
        roles["col1"] = ColumnRole(DRAW_NO)
        position = 2
    roles[f"col{position}"] = ColumnRole(DATE)
    position += 1
    first_number = _clean_cell(first_row[position - 1]) if len(first_row) >= position else ""
    if game.number_max <= 9 and first_number.isdigit() and len(first_number) == game.main_count > 1:
        roles[f"col{position}"] = ColumnRole(NUMBERS)
        position += 1
    else:
        for index in range(1, game.main_count + 1):
            roles[f"col{position}"] = ColumnRole(NUMBER, index)
            position += 1
    for index in range(1, game.bonus_count + 1):
        roles[f"col{position}"] = ColumnRole(BONUS, index)
        position += 1
    width = max(position - 1, len(first_row))
    return [f"col{number}" for number in range(1, width + 1)], Layout(roles)


def _find_header(rows: list[list[str]]) -> tuple[int, Layout] | None:
    for position, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        layout = layout_from_header(_unique_keys(row))
        if layout.has_numbers and layout.has_draw_identity:
            return position, layout
    return None


def _game_for(
    game_code: str | None, source_name: str, header: list[str] | None, samples: list[list[int]]
) -> Game | None:
    if game_code is not None:
        return resolve_game_code(game_code, source_name)
    guessed = guess_game(source_name, header, samples)
    return get_game(guessed) if guessed else None


def _read_csv_records(text: str, source_name: str, suffix: str, game_code: str | None) -> tuple[Game, list[DrawRecord]]:
    rows = _split_rows(text, _delimiter_of(text, suffix))
    first_index = next((index for index, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if first_index is None:
        raise IngestError(f"{source_name}: the file holds no rows. Check that it is the right file.")
    if _looks_like_data(rows[first_index]):
        return _read_headerless(rows, first_index, source_name, game_code)
    found = _find_header(rows)
    if found is None:
        vocabulary = header_vocabulary()
        raise IngestError(
            f"{source_name}: no recognisable columns. Expected a header with a draw number "
            f"({vocabulary.examples(DRAW_NO)}) or a date ({vocabulary.examples(DATE)}) and the numbers "
            f"({vocabulary.examples(NUMBER, NUMBERS, per_language=1)}), "
            f"or rows starting with a draw number or date; the first row is {rows[first_index]!r}. "
            f"{_TEACH_A_HEADER}"
        )
    header_index, header_layout = found
    keys = _unique_keys(rows[header_index])
    data = [
        (row_number, _row_dict(keys, row))
        for row_number, row in enumerate(rows[header_index + 1 :], start=header_index + 2)
        if any(cell.strip() for cell in row)
    ]
    game = _game_for(game_code, source_name, keys, numbers_for_guessing((cells for _, cells in data), header_layout))
    if game is None:
        raise IngestError(
            f"{source_name}: cannot tell which game this file holds (no game name in the file name, and the "
            "count of numbers per row matches no single game). Give it with --game."
        )
    layout = header_layout.for_game(game.code)
    return game, build_records(((number, cells, cells) for number, cells in data), layout, game, source_name)


def _read_headerless(
    rows: list[list[str]], first_index: int, source_name: str, game_code: str | None
) -> tuple[Game, list[DrawRecord]]:
    if game_code is not None:
        game = resolve_game_code(game_code, source_name)
    else:
        guessed = game_from_text(Path(source_name).stem)
        if guessed is None:
            raise IngestError(
                f"{source_name}: the file has no header row and its name names no game, "
                "so its columns cannot be told apart. Give the game with --game (for example --game loto6)."
            )
        game = get_game(guessed)
    keys, layout = _headerless_layout(rows[first_index], game)
    data = [
        (row_number, _row_dict(keys, row))
        for row_number, row in enumerate(rows[first_index:], start=first_index + 1)
        if any(cell.strip() for cell in row)
    ]
    return game, build_records(((number, cells, cells) for number, cells in data), layout, game, source_name)


# --------------------------------------------------------------------------- JSON


def _json_draw_list(document: Any, source_name: str) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in _JSON_ARRAY_KEYS:
            if isinstance(document.get(key), list):
                return document[key]
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    raise IngestError(
        f"{source_name}: the JSON holds no array of draws. Expected an array of objects such as "
        '{"round": 2064, "date": "2025-12-29", "numbers": [2, 7, 24, 37, 39, 41], "bonus": [3]}, '
        'or an object with such an array under "draws", "data", "results" or "items".'
    )


def _json_layout(draws: list[Any], source_name: str) -> Layout:
    keys: dict[str, None] = {}
    for draw in draws[:_GUESS_SAMPLE_ROWS]:
        if isinstance(draw, dict):
            keys.update(dict.fromkeys(draw))
    layout = layout_from_header(list(keys))
    if not (layout.has_numbers and layout.has_draw_identity):
        vocabulary = header_vocabulary()
        raise IngestError(
            f"{source_name}: the JSON objects have no recognisable keys (found {list(keys)!r}). "
            f"Expected a draw number ({vocabulary.examples(DRAW_NO)}), a date ({vocabulary.examples(DATE)}) "
            f"and numbers ({vocabulary.examples(NUMBERS, NUMBER, per_language=1)}). {_TEACH_A_HEADER}"
        )
    return layout


def _read_json_records(text: str, source_name: str, game_code: str | None) -> tuple[Game, list[DrawRecord]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise IngestError(f"{source_name}: not valid JSON ({error}). Check that the file is complete.") from error
    draws = _json_draw_list(document, source_name)
    if not draws:
        raise IngestError(f"{source_name}: the JSON array of draws is empty.")
    header_layout = _json_layout(draws, source_name)
    objects = [draw if isinstance(draw, dict) else {"value": draw} for draw in draws]
    game = _game_for(game_code, source_name, list(header_layout.roles), numbers_for_guessing(objects, header_layout))
    if game is None:
        raise IngestError(
            f"{source_name}: cannot tell which game this file holds (no game name in the file name, and the "
            "count of numbers per draw matches no single game). Give it with --game."
        )
    rows = ((position, draw, draw) for position, draw in enumerate(objects, start=1))
    return game, build_records(rows, header_layout.for_game(game.code), game, source_name)


# --------------------------------------------------------------------------- entry point


def read_tabular(path: Path, game_code: str | None = None, source_name: str | None = None) -> ReadResult:
    """Draw records of a CSV/TSV/TXT or JSON file.

    ``game_code`` (a seeded code or alias) overrides guessing the game from the file name or the rows.
    Raises IngestError for a file that cannot be read at all.
    """
    name = source_name or path.name
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{name}: the file is empty. Check that the download finished.")
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        raise IngestError(f"{name}: this is an HTML page; read it with the HTML reader (fcast.ingest.html_pages).")
    text = decode_text(data, name)
    is_json = suffix == ".json" or text.lstrip()[:1] in ("[", "{")
    if is_json:
        game, records = _read_json_records(text, name, game_code)
    else:
        game, records = _read_csv_records(text, name, suffix, game_code)
    return ReadResult(
        source_name=name,
        source_kind="json" if is_json else "csv",
        file_hash=hashlib.sha256(data).hexdigest(),
        records=records,
        game_code=game.code,
    )
