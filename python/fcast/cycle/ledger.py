"""The forecast ledger: locked forecasts in a sha256 chain per game, so any later edit or deletion shows.

`lock_forecasts` appends one entry per forecast of a run (one series, one target draw), all of a run in
one transaction. It refuses a forecast whose target draw is already in the warehouse: a lock is a claim
made before the draw. Each entry's hash covers its content and the previous entry's hash of the same game;
`raw.ledger_heads` keeps each chain's last entry, so deleting entries from the end shows too.
`verify` recomputes every chain and names the first broken entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fcast import db
from fcast.errors import FcastError
from fcast.ingest.records import utc_now
from fcast.raw_schema import FORECAST_LEDGER, LEDGER_HEADS, LOTTERY_DRAWS

GENESIS_HASH = "0" * 64
HASHED_COLUMNS = tuple(column.name for column in FORECAST_LEDGER.columns if column.name != "entry_hash")


class LedgerError(FcastError, ValueError):
    """A forecast that cannot be locked, or a ledger that does not verify."""


def _canonical(value: Any) -> Any:
    """The value as hashed: the same whether it comes from Python or back from either database."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy and pandas scalars
        value = value.item()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return value
    return str(value)


def entry_hash(entry: Mapping[str, Any]) -> str:
    """sha256 of the entry's content (every column but entry_hash, previous_hash included) as canonical JSON."""
    content = {name: _canonical(entry[name]) for name in HASHED_COLUMNS}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def intervals_json(intervals: Mapping[Any, Sequence[float]]) -> str:
    return json.dumps(
        {str(_level_name(level)): [float(lo), float(hi)] for level, (lo, hi) in intervals.items()}, sort_keys=True
    )


def _level_name(level: Any) -> Any:
    number = float(level)
    return int(number) if number.is_integer() else number


@dataclass(frozen=True)
class Forecast:
    """One forecast to lock: a series' point forecast (and intervals) for one future draw."""

    unique_id: str
    target_ds: int
    target_date: dt.date | None
    horizon_step: int
    y_hat: float
    intervals: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LockSource:
    """Who made the forecasts: the run, the model that made them and the plan row it belongs to."""

    game_code: str
    run_id: str
    artifact_id: str
    files_hash: str
    plan_id: str
    run_name: str
    model_name: str
    last_known_ds: int


def _latest_draw(warehouse: db.Warehouse, game_code: str) -> int | None:
    rows = warehouse.fetchall(
        f"select max(draw_no) from {LOTTERY_DRAWS.qualified_name} where game_code = ?", (game_code,)
    )
    return None if rows[0][0] is None else int(rows[0][0])


def _chain_end(warehouse: db.Warehouse, game_code: str) -> tuple[int, str]:
    """The game's last entry (sequence, hash), checked against the recorded head before anything is appended."""
    last = warehouse.fetchall(
        f"select sequence, entry_hash from {FORECAST_LEDGER.qualified_name} where game_code = ? "
        "order by sequence desc limit 1",
        (game_code,),
    )
    end = (int(last[0][0]), str(last[0][1])) if last else (0, GENESIS_HASH)
    recorded = _recorded_head(warehouse, game_code)
    if end != recorded:
        raise LedgerError(
            f"the {game_code} ledger ends at entry #{end[0]} but its head says #{recorded[0]}: it was changed "
            "outside fcast. Nothing was locked; run `fcast ledger verify` to see where."
        )
    return end


def _already_locked(warehouse: db.Warehouse, source: LockSource) -> set[tuple[str, int]]:
    rows = warehouse.fetchall(
        f"select unique_id, target_ds from {FORECAST_LEDGER.qualified_name} "
        "where game_code = ? and plan_id = ? and last_known_ds = ?",
        (source.game_code, source.plan_id, source.last_known_ds),
    )
    return {(str(unique_id), int(target_ds)) for unique_id, target_ds in rows}


def lock_forecasts(source: LockSource, forecasts: Iterable[Forecast]) -> list[dict]:
    """Append the forecasts to the game's chain in one transaction; returns the new entries (none when the
    plan row's forecasts from this draw are locked already). Refused whole when a target draw is known."""
    forecasts = sorted(forecasts, key=lambda forecast: (forecast.target_ds, forecast.unique_id))
    with db.connect() as warehouse:
        if warehouse.target == "postgres":  # one appender per game at a time: the chain has one end
            warehouse.execute(
                "select pg_advisory_xact_lock(hashtext(?))", (f"fcast.forecast_ledger.{source.game_code}",)
            )
        latest = _latest_draw(warehouse, source.game_code)
        known = [forecast for forecast in forecasts if latest is not None and forecast.target_ds <= latest]
        if known:
            first = known[0]
            raise LedgerError(
                f"cannot lock run {source.run_id}'s forecast of {first.unique_id} for draw #{first.target_ds}: "
                f"{source.game_code} draw #{latest} is already in the warehouse, so the outcome is known. "
                "A forecast is locked before its draw or not at all."
            )
        locked = _already_locked(warehouse, source)
        fresh = [forecast for forecast in forecasts if (forecast.unique_id, forecast.target_ds) not in locked]
        if not fresh:
            return []
        sequence, previous = _chain_end(warehouse, source.game_code)
        locked_at = utc_now()
        entries = []
        for forecast in fresh:
            sequence += 1
            entry = {
                "game_code": source.game_code,
                "sequence": sequence,
                "run_id": source.run_id,
                "artifact_id": source.artifact_id,
                "files_hash": source.files_hash,
                "plan_id": source.plan_id,
                "run_name": source.run_name,
                "model_name": source.model_name,
                "unique_id": forecast.unique_id,
                "last_known_ds": int(source.last_known_ds),
                "target_ds": int(forecast.target_ds),
                "target_date": forecast.target_date,
                "horizon_step": int(forecast.horizon_step),
                "y_hat": float(forecast.y_hat),
                "intervals_json": intervals_json(forecast.intervals),
                "locked_at": locked_at,
                "previous_hash": previous,
            }
            entry["entry_hash"] = previous = entry_hash(entry)
            entries.append(entry)
        warehouse.insert_rows(FORECAST_LEDGER, entries)
        warehouse.execute(f"delete from {LEDGER_HEADS.qualified_name} where game_code = ?", (source.game_code,))
        warehouse.insert_rows(
            LEDGER_HEADS,
            [{"game_code": source.game_code, "sequence": sequence, "entry_hash": previous, "updated_at": locked_at}],
        )
    return entries


# --- verify ---


@dataclass
class ChainReport:
    game_code: str
    entries: int
    head_sequence: int
    head_hash: str
    problem: str = ""  # the first broken entry, in words; '' when the chain verifies

    @property
    def ok(self) -> bool:
        return not self.problem

    def summary(self) -> str:
        if self.ok:
            return f"{self.game_code}: {self.entries} entries verify; head #{self.head_sequence} {self.head_hash[:16]}"
        return f"{self.game_code}: BROKEN: {self.problem}"


def _describe(entry: Mapping[str, Any]) -> str:
    return (
        f"entry #{entry['sequence']} (run {str(entry['run_id'])[:12]}, {entry['unique_id']}, "
        f"draw #{entry['target_ds']})"
    )


def check_chain(game_code: str, entries: list[dict], head: tuple[int, str] | None, arrived: dict[int, Any]) -> str:
    """The first problem of one game's chain ('' when none). `arrived`: draw number -> when it was ingested."""
    previous, expected_sequence = GENESIS_HASH, 1
    for entry in entries:
        if int(entry["sequence"]) != expected_sequence:
            return (
                f"entry #{expected_sequence} is missing (the chain goes from #{expected_sequence - 1} to "
                f"#{entry['sequence']}): it was deleted"
            )
        if entry["previous_hash"] != previous:
            return f"{_describe(entry)} does not follow entry #{expected_sequence - 1}: its previous_hash differs"
        if entry_hash(entry) != entry["entry_hash"]:
            return f"{_describe(entry)} was edited after it was locked: its content no longer matches its hash"
        ingested = arrived.get(int(entry["target_ds"]))
        if ingested is not None and ingested <= entry["locked_at"]:
            return f"{_describe(entry)} was locked at {entry['locked_at']}, after its draw arrived at {ingested}"
        previous, expected_sequence = entry["entry_hash"], expected_sequence + 1
    last = (expected_sequence - 1, previous)
    if head is None:
        return "" if not entries else f"the ledger has {len(entries)} entries but no head: the head was deleted"
    if head != last:
        if head[0] > last[0]:
            return f"entries #{last[0] + 1} to #{head[0]} were deleted: the head is entry #{head[0]}"
        return f"the head says entry #{head[0]} but the chain ends at #{last[0]}: the head was changed"
    return ""


def verify(game_codes: Sequence[str] = ()) -> list[ChainReport]:
    """Recompute every game's chain (those given, or all in the ledger) and name the first broken entry."""
    columns = FORECAST_LEDGER.column_names
    with db.connect(read_only=True) as warehouse:
        entries = [
            dict(zip(columns, row, strict=True))
            for row in warehouse.fetchall(
                f"select {', '.join(columns)} from {FORECAST_LEDGER.qualified_name} order by game_code, sequence"
            )
        ]
        heads = {
            str(code): (int(sequence), str(hash_))
            for code, sequence, hash_ in warehouse.fetchall(
                f"select game_code, sequence, entry_hash from {LEDGER_HEADS.qualified_name}"
            )
        }
        draws = warehouse.fetchall(
            f"select game_code, draw_no, min(loaded_at) from {LOTTERY_DRAWS.qualified_name} group by game_code, draw_no"
        )
    arrived: dict[str, dict[int, Any]] = {}
    for code, draw_no, loaded_at in draws:
        arrived.setdefault(str(code), {})[int(draw_no)] = loaded_at
    codes = list(game_codes) or sorted({entry["game_code"] for entry in entries} | set(heads))
    reports = []
    for code in codes:
        chain = [entry for entry in entries if entry["game_code"] == code]
        head = heads.get(code)
        problem = check_chain(code, chain, head, arrived.get(code, {}))
        sequence, hash_ = head if head else (0, GENESIS_HASH)
        reports.append(ChainReport(code, len(chain), sequence, hash_, problem))
    return reports


def _recorded_head(warehouse: db.Warehouse, game_code: str) -> tuple[int, str]:
    rows = warehouse.fetchall(
        f"select sequence, entry_hash from {LEDGER_HEADS.qualified_name} where game_code = ?", (game_code,)
    )
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS_HASH)


def head_of(game_code: str) -> tuple[int, str]:
    """The game's recorded chain end (sequence, hash); (0, 64 zeros) for an empty ledger."""
    with db.connect(read_only=True) as warehouse:
        return _recorded_head(warehouse, game_code)
