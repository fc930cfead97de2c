"""The game rules a draw must satisfy, from the geometry in the seeds. One function per rule."""

from __future__ import annotations

from collections.abc import Callable

from fcast.games import Game
from fcast.ingest.records import DrawRecord

Problem = tuple[str, str]


def normalise_order(record: DrawRecord, game: Game) -> None:
    """Games reported ascending have order-statistic slots: sort a source that lists them otherwise."""
    if record.numbers is not None and game.number_order == "ascending":
        record.numbers = sorted(record.numbers)


def _main_count(record: DrawRecord, game: Game) -> list[Problem]:
    if len(record.numbers) != game.main_count:
        return [("main_count", f"{len(record.numbers)} main numbers, {game.name} draws {game.main_count}")]
    return []


def _number_range(record: DrawRecord, game: Game) -> list[Problem]:
    outside = [n for n in record.numbers if not game.number_min <= n <= game.number_max]
    if outside:
        return [("number_range", f"{outside} outside {game.number_min}..{game.number_max}")]
    return []


def _repeats(record: DrawRecord, game: Game) -> list[Problem]:
    if game.allows_repeats or len(set(record.numbers)) == len(record.numbers):
        return []
    repeated = sorted({n for n in record.numbers if record.numbers.count(n) > 1})
    return [("repeat_in_select_game", f"{repeated} drawn twice; {game.name} draws without replacement")]


def _column_range(record: DrawRecord, game: Game) -> list[Problem]:
    if game.family != "column_select" or len(record.numbers) != len(game.slots):
        return []
    problems = []
    for slot, number in zip(game.slots, record.numbers, strict=True):
        if not slot.minimum <= number <= slot.maximum:
            problems.append(("column_range", f"{slot.name}={number} outside its column {slot.minimum}..{slot.maximum}"))
    return problems


def _bonus(record: DrawRecord, game: Game) -> list[Problem]:
    if not record.bonus:
        return []  # sources without a bonus column are allowed; the bonus stays unknown
    problems = []
    if len(record.bonus) != game.bonus_count:
        problems.append(("bonus_count", f"{len(record.bonus)} bonus numbers, {game.name} has {game.bonus_count}"))
    outside = [n for n in record.bonus if not game.number_min <= n <= game.number_max]
    if outside:
        problems.append(("bonus_range", f"bonus {outside} outside {game.number_min}..{game.number_max}"))
    if not game.allows_repeats and set(record.bonus) & set(record.numbers):
        problems.append(
            (
                "bonus_repeats_main",
                f"bonus {sorted(set(record.bonus) & set(record.numbers))} is also a main number",
            )
        )
    return problems


def _draw_identity(record: DrawRecord, game: Game) -> list[Problem]:
    problems = []
    if record.draw_no is not None and record.draw_no < 1:
        problems.append(("draw_no_range", f"draw number {record.draw_no} is not positive"))
    if record.draw_date is not None and record.draw_date < game.active_from:
        problems.append(
            ("date_before_game_start", f"{record.draw_date} is before {game.name} began ({game.active_from})")
        )
    return problems


_NUMBER_RULES: tuple[Callable[[DrawRecord, Game], list[Problem]], ...] = (
    _main_count,
    _number_range,
    _repeats,
    _column_range,
    _bonus,
)


def check_draw(record: DrawRecord, game: Game) -> list[Problem]:
    """Every rule the record breaks (reader problems first). An empty list means it is accepted."""
    problems = list(record.problems)
    if record.draw_no is None and not any(rule.startswith(("unparseable_draw", "date_not")) for rule, _ in problems):
        problems.append(("missing_draw_no", "no draw number, and none could be derived from the calendar"))
    if record.draw_date is None and not any(rule == "unparseable_date" for rule, _ in problems):
        problems.append(("missing_date", "no draw date"))
    if record.numbers is None:
        if not any(rule in ("unparseable_numbers", "missing_numbers") for rule, _ in problems):
            problems.append(("missing_numbers", "no main numbers"))
    else:
        normalise_order(record, game)
        for rule in _NUMBER_RULES:
            problems.extend(rule(record, game))
    problems.extend(_draw_identity(record, game))
    return problems
