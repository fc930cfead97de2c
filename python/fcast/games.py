"""Game geometry and draw calendars, read from the seeds: the one place they are defined."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fcast import settings
from fcast.errors import UnknownGameError


@dataclass(frozen=True)
class Slot:
    index: int
    name: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class CalendarEra:
    start: dt.date
    end: dt.date | None
    iso_weekdays: frozenset[int]
    every_n_weeks: int

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def draws_on(self, day: dt.date) -> bool:
        if not self.covers(day) or day.isoweekday() not in self.iso_weekdays:
            return False
        return ((day - self.start).days // 7) % self.every_n_weeks == 0


@dataclass(frozen=True)
class Game:
    code: str
    name: str
    family: str
    family_code: int
    main_count: int
    number_min: int
    number_max: int
    bonus_count: int
    number_order: str
    active_from: dt.date
    active_to: dt.date | None
    history_file: str
    aliases: tuple[str, ...]
    slots: tuple[Slot, ...]
    eras: tuple[CalendarEra, ...] = field(repr=False)
    closed_month_days: frozenset[str] = field(repr=False)
    skipped_dates: frozenset[dt.date] = field(repr=False)

    @property
    def allows_repeats(self) -> bool:
        return self.family == "digits"

    def series_id(self, slot_index: int) -> str:
        return f"{self.code}_N{slot_index}"

    def is_draw_day(self, day: dt.date) -> bool:
        if day in self.skipped_dates or day.strftime("%m-%d") in self.closed_month_days:
            return False
        if day < self.active_from or (self.active_to is not None and day > self.active_to):
            return False
        return any(era.draws_on(day) for era in self.eras)

    def draw_dates(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every scheduled draw date in [start, end] according to the calendar seeds."""
        days = (end - start).days
        candidates = (start + dt.timedelta(days=offset) for offset in range(days + 1))
        return [day for day in candidates if self.is_draw_day(day)]

    def draw_numbers_for(self, days: list[dt.date]) -> dict[dt.date, int]:
        """Draw numbers of scheduled draw dates, counted from draw #1 on active_from.

        Raises ValueError naming the first date that is not a draw day in the calendar seeds.
        """
        if not days:
            return {}
        schedule = self.draw_dates(self.active_from, max(days))
        numbers = {day: position for position, day in enumerate(schedule, start=1)}
        for day in days:
            if day not in numbers:
                raise ValueError(f"{day.isoformat()} is not a {self.name} draw day in the calendar seeds")
        return {day: numbers[day] for day in days}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@cache
def _load_games(seeds: Path) -> dict[str, Game]:
    families = {row["family"]: int(row["family_code"]) for row in _read_csv(seeds / "game_families.csv")}
    slots: dict[str, list[Slot]] = {}
    for row in _read_csv(seeds / "slots.csv"):
        slots.setdefault(row["game_code"], []).append(
            Slot(int(row["slot_index"]), row["slot_name"], int(row["slot_min"]), int(row["slot_max"]))
        )
    weekday_rows: dict[tuple[str, str, str, int], set[int]] = {}
    for row in _read_csv(seeds / "draw_calendar_weekdays.csv"):
        key = (row["game_code"], row["era_from"], row["era_to"], int(row["every_n_weeks"]))
        weekday_rows.setdefault(key, set()).add(int(row["iso_weekday"]))
    eras: dict[str, list[CalendarEra]] = {}
    for (game_code, start, end, every_n), weekdays in weekday_rows.items():
        eras.setdefault(game_code, []).append(
            CalendarEra(_date(start), _date(end), frozenset(weekdays), every_n)  # type: ignore[arg-type]
        )
    closures: dict[str, set[str]] = {}
    for row in _read_csv(seeds / "draw_calendar_closures.csv"):
        closures.setdefault(row["game_code"], set()).add(row["month_day"])
    skips: dict[str, set[dt.date]] = {}
    for row in _read_csv(seeds / "draw_calendar_skips.csv"):
        skips.setdefault(row["game_code"], set()).add(dt.date.fromisoformat(row["skip_date"]))

    games = {}
    for row in _read_csv(seeds / "games.csv"):
        code = row["game_code"]
        if row["family"] not in families:
            raise ValueError(f"seeds/games.csv: game {code} has unknown family {row['family']!r}")
        games[code] = Game(
            code=code,
            name=row["game_name"],
            family=row["family"],
            family_code=families[row["family"]],
            main_count=int(row["main_count"]),
            number_min=int(row["number_min"]),
            number_max=int(row["number_max"]),
            bonus_count=int(row["bonus_count"]),
            number_order=row["number_order"],
            active_from=dt.date.fromisoformat(row["active_from"]),
            active_to=_date(row["active_to"]),
            history_file=row["history_file"],
            aliases=tuple(alias.strip().lower() for alias in row["name_aliases"].split("|") if alias.strip()),
            slots=tuple(sorted(slots.get(code, []), key=lambda slot: slot.index)),
            eras=tuple(sorted(eras.get(code, []), key=lambda era: era.start)),
            closed_month_days=frozenset(closures.get(code, set())),
            skipped_dates=frozenset(skips.get(code, set())),
        )
        if len(games[code].slots) != games[code].main_count:
            raise ValueError(
                f"seeds/slots.csv: game {code} has {len(games[code].slots)} slots, "
                f"games.csv says main_count={games[code].main_count}"
            )
    return games


def load_games() -> dict[str, Game]:
    """All games of the seeds, keyed by game code."""
    return _load_games(settings.seeds_dir())


def get_game(code: str) -> Game:
    games = load_games()
    if code not in games:
        raise UnknownGameError(f"unknown game {code!r}; the seeds define: {', '.join(sorted(games))}")
    return games[code]
