"""What every reader produces: draw records with their provenance, and problems found while reading."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from fcast.errors import FcastError


def utc_now() -> dt.datetime:
    """Load times are stored as naive UTC timestamps (portable across DuckDB and PostgreSQL)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class IngestError(FcastError, ValueError):
    """A file that cannot be read at all (wrong format, no usable columns, a JavaScript-only page)."""


@dataclass
class DrawRecord:
    """One draw as a source states it. Fields a reader could not parse stay None."""

    game_code: str | None
    draw_no: int | None
    draw_date: dt.date | None
    numbers: list[int] | None
    bonus: list[int]
    source_row: int
    original: dict[str, Any]
    problems: list[tuple[str, str]] = field(default_factory=list)

    def add_problem(self, rule: str, message: str) -> None:
        self.problems.append((rule, message))

    def original_json(self) -> str:
        return json.dumps(self.original, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class ReadResult:
    """The records read from one source, and the source's identity."""

    source_name: str
    source_kind: str
    file_hash: str
    records: list[DrawRecord]
    game_code: str | None = None
