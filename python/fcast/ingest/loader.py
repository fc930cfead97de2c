"""Load read draws into the raw tables: append new draws, keep rejects and conflicts aside.

Idempotent: a draw already stored identically adds nothing, a re-read file adds nothing, and a
re-statement that disagrees with the stored draw goes to lottery_draw_conflicts, never over it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from fcast import db
from fcast.games import Game, load_games
from fcast.ingest.records import DrawRecord, ReadResult, utc_now
from fcast.ingest.rules import check_draw
from fcast.raw_schema import INGEST_FILES, INGEST_REJECTS, LOTTERY_DRAW_CONFLICTS, LOTTERY_DRAWS

# The raw tables a draw load writes (the dbt models downstream of them are what to rebuild).
WRITTEN_TABLES = tuple(t.name for t in (LOTTERY_DRAWS, LOTTERY_DRAW_CONFLICTS, INGEST_REJECTS, INGEST_FILES))


@dataclass
class Reject:
    source_name: str
    source_row: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.source_name}, row {self.source_row}: {self.rule}: {self.message}"


@dataclass
class Conflict:
    source_name: str
    source_row: int
    game_code: str
    draw_no: int
    difference: str

    def __str__(self) -> str:
        return (
            f"{self.source_name}, row {self.source_row}: {self.game_code} draw #{self.draw_no} "
            f"conflicts with the stored draw ({self.difference}); kept aside, not applied"
        )


@dataclass
class LoadReport:
    source_name: str
    records_read: int = 0
    added: int = 0
    already_known: int = 0
    rejects: list[Reject] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    games: set[str] = field(default_factory=set)

    def summary(self) -> str:
        games = ", ".join(sorted(self.games)) or "no game"
        return (
            f"{self.source_name} ({games}): {self.records_read} read, {self.added} added, "
            f"{self.already_known} already known, {len(self.rejects)} rejected, "
            f"{len(self.conflicts)} conflicting"
        )


@dataclass(frozen=True)
class _CanonicalDraw:
    game_code: str
    draw_no: int
    draw_date: dt.date
    numbers: tuple[int, ...]
    bonus: tuple[int, ...]

    @property
    def draw_hash(self) -> str:
        payload = [
            self.game_code,
            self.draw_no,
            self.draw_date.isoformat(),
            list(self.numbers),
            sorted(self.bonus),
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()

    def difference_from(self, stored: _CanonicalDraw) -> str | None:
        """None when both state the same draw (bonus compared as a set; a missing bonus agrees)."""
        differences = []
        if self.draw_date != stored.draw_date:
            differences.append(f"date {self.draw_date} vs stored {stored.draw_date}")
        if self.numbers != stored.numbers:
            differences.append(f"numbers {list(self.numbers)} vs stored {list(stored.numbers)}")
        if self.bonus and stored.bonus and sorted(self.bonus) != sorted(stored.bonus):
            differences.append(f"bonus {sorted(self.bonus)} vs stored {sorted(stored.bonus)}")
        return "; ".join(differences) or None


def _resolve_game(record: DrawRecord, result: ReadResult, games: dict[str, Game]) -> Game | None:
    code = record.game_code or result.game_code
    return games.get(code) if code else None


def _stored_draws(warehouse: db.Warehouse, game_code: str, draw_nos: list[int]) -> dict[int, _CanonicalDraw]:
    rows = warehouse.fetchall(
        f"select draw_no, draw_date, numbers_json, bonus_json from {LOTTERY_DRAWS.qualified_name} "
        "where game_code = ? and draw_no between ? and ?",
        (game_code, min(draw_nos), max(draw_nos)),
    )
    return {
        int(draw_no): _CanonicalDraw(
            game_code, int(draw_no), draw_date, tuple(json.loads(numbers)), tuple(json.loads(bonus))
        )
        for draw_no, draw_date, numbers, bonus in rows
    }


def load_draws(result: ReadResult, dry_run: bool = False) -> LoadReport:
    """Check every record against its game's rules and load it. Returns what happened, row by row.

    `dry_run` reports the same (rejects, conflicts, what would be added) and writes nothing.
    """
    games = load_games()
    report = LoadReport(result.source_name, records_read=len(result.records))
    loaded_at = utc_now()
    accepted: dict[str, list[tuple[DrawRecord, _CanonicalDraw]]] = {}
    reject_rows = []
    provenance = {"source_name": result.source_name, "source_kind": result.source_kind, "file_hash": result.file_hash}

    for record in result.records:
        game = _resolve_game(record, result, games)
        problems = (
            check_draw(record, game)
            if game
            else [("unknown_game", f"game {record.game_code or result.game_code!r} is not in the seeds")]
        )
        subject = game.code if game else str(record.game_code or result.game_code or "unknown")
        if game:
            report.games.add(game.code)
        if problems:
            for rule, message in problems:
                report.rejects.append(Reject(result.source_name, record.source_row, rule, message))
                reject_rows.append(
                    {
                        "subject": subject,
                        **provenance,
                        "source_row": record.source_row,
                        "rule": rule,
                        "message": message,
                        "original_record": record.original_json(),
                        "loaded_at": loaded_at,
                    }
                )
            continue
        canonical = _CanonicalDraw(
            game.code, int(record.draw_no), record.draw_date, tuple(record.numbers), tuple(record.bonus)
        )
        accepted.setdefault(game.code, []).append((record, canonical))

    draw_rows, conflict_rows = [], []
    with db.connect(read_only=dry_run) as warehouse:
        for game_code, items in accepted.items():
            known = _stored_draws(warehouse, game_code, [draw.draw_no for _, draw in items])
            for record, draw in items:
                stored = known.get(draw.draw_no)
                if stored is None:
                    known[draw.draw_no] = draw
                    draw_rows.append(_draw_row(game_code, draw, record, provenance, loaded_at))
                    continue
                difference = draw.difference_from(stored)
                if difference is None:
                    report.already_known += 1
                    continue
                report.conflicts.append(
                    Conflict(result.source_name, record.source_row, game_code, draw.draw_no, difference)
                )
                conflict_rows.append(
                    {
                        **_draw_row(game_code, draw, record, provenance, loaded_at),
                        "stored_draw_hash": stored.draw_hash,
                        "difference": difference,
                    }
                )
        if dry_run:
            report.added = len(draw_rows)
            return report
        report.added = warehouse.insert_rows(LOTTERY_DRAWS, draw_rows)
        report.already_known += len(draw_rows) - report.added
        warehouse.insert_rows(LOTTERY_DRAW_CONFLICTS, conflict_rows)
        warehouse.insert_rows(INGEST_REJECTS, reject_rows)
        subjects = sorted(report.games) or [result.game_code or "unknown"]
        warehouse.insert_rows(
            INGEST_FILES,
            [
                {
                    **provenance,
                    "subject": subject,
                    "records_read": report.records_read,
                    "rows_added": report.added,
                    "rows_already_known": report.already_known,
                    "rows_rejected": len({r.source_row for r in report.rejects}),
                    "rows_conflicting": len(report.conflicts),
                    "loaded_at": loaded_at,
                }
                for subject in subjects
            ],
        )
    return report


def _draw_row(game_code: str, draw: _CanonicalDraw, record: DrawRecord, provenance: dict, loaded_at) -> dict:
    """A raw.lottery_draws row by column name (raw.lottery_draw_conflicts adds the stored hash and the difference)."""
    return {
        "game_code": game_code,
        "draw_no": draw.draw_no,
        "draw_date": draw.draw_date,
        "numbers_json": json.dumps(list(draw.numbers)),
        "bonus_json": json.dumps(list(draw.bonus)),
        "draw_hash": draw.draw_hash,
        **provenance,
        "source_row": record.source_row,
        "original_record": record.original_json(),
        "loaded_at": loaded_at,
    }
