"""What the pages read: one short-lived read-only connection per query, never held between reruns.

On DuckDB a writer (dbt, a trainer, an upload) locks the file; a read waits a few seconds, then
raises WarehouseBusyError, which the page shows as "busy, retrying" and reruns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fcast import db, settings


def frame(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return db.read_frame(sql, params, lock_timeout_s=settings.number("FCAST_UI_LOCK_TIMEOUT"))


def missing_marts(names: Sequence[str]) -> list[str]:
    """The marts (schema.name) that do not exist yet: the warehouse needs `fcast main` or `fcast build`."""
    with db.connect(read_only=True, lock_timeout_s=settings.number("FCAST_UI_LOCK_TIMEOUT")) as warehouse:
        return [name for name in names if not warehouse.table_exists(*name.split("."))]


def options(sql: str, params: Sequence[Any] = ()) -> list[str]:
    """The first column of a query as sorted distinct strings, for select boxes."""
    values = frame(sql, params)
    if values.empty:
        return []
    return sorted({str(value) for value in values.iloc[:, 0].dropna()})
