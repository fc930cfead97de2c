"""The datasets a plan can name (marts.mart_datasets): the seeded games and the uploaded panels, with their time axis.

A dataset loaded into raw but not yet in the marts is still known here (`loaded_but_not_built`), so
nothing calls a loaded dataset unknown; it only needs `fcast build`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fcast import db
from fcast.errors import FcastError
from fcast.time_axis import TimeAxis, TimeAxisError, from_row

GAME, PANEL = "game", "panel"


class UnknownDatasetError(FcastError, LookupError):
    pass


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str  # game or panel
    time_kind: str
    freq: str | None
    origin: object
    season_length: int
    series_count: int = 0

    @property
    def is_panel(self) -> bool:
        return self.kind == PANEL

    @property
    def axis(self) -> TimeAxis:
        """The time axis (TimeAxisError for a date panel whose frequency was never recorded)."""
        return from_row(self.time_kind, self.freq, self.origin, self.season_length)

    def axis_problem(self) -> str:
        try:
            self.axis  # noqa: B018
        except TimeAxisError as error:
            return f"{self.name}: {error}"
        return ""


def load_datasets(warehouse: db.Warehouse) -> dict[str, Dataset]:
    if not warehouse.table_exists("marts", "mart_datasets"):
        return {}
    rows = warehouse.fetchall(
        "select dataset, dataset_kind, time_kind, freq, origin_time, season_length, series_count "
        "from marts.mart_datasets"
    )
    return {row[0]: Dataset(row[0], row[1], row[2], row[3], row[4], int(row[5]), int(row[6] or 0)) for row in rows}


def loaded_but_not_built(warehouse: db.Warehouse, built: dict[str, Dataset]) -> list[str]:
    """Panel datasets in the raw tables that the marts do not have yet (the marts need a rebuild)."""
    if not warehouse.table_exists("raw", "panel_observations"):
        return []
    names = {name for (name,) in warehouse.fetchall("select distinct dataset_name from raw.panel_observations")}
    return sorted(names - set(built))


def rebuild_command() -> str:
    """The command that brings the marts level with the panels in raw."""
    from fcast import app
    from fcast.ingest.panel import WRITTEN_TABLES

    return app.refresh(WRITTEN_TABLES, rebuild=False).command


def dataset_of(name: str, warehouse: db.Warehouse) -> Dataset:
    datasets = load_datasets(warehouse)
    if name in datasets:
        return datasets[name]
    if name in loaded_but_not_built(warehouse, datasets):
        raise UnknownDatasetError(f"{name} is loaded but the marts were not rebuilt since: run `{rebuild_command()}`")
    raise UnknownDatasetError(f"{name!r} is neither a game nor a loaded panel (known: {sorted(datasets)})")
