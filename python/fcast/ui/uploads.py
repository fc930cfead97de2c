"""Uploads from the Data page: checked exactly as `fcast ingest` checks a file, first without storing.

`check_upload` runs the ingest readers and rules in dry-run mode and lists every problem by row and
rule; `store_upload` loads the same bytes into the raw tables (rejects and conflicts kept with their
reason, re-uploading adds nothing) and rebuilds the models that read them. Three kinds of file: draw
results, a `unique_id, ds, y` panel (read with `PanelOptions`: its frequency, what to do with missing
timestamps, its season length, as `fcast ingest --panel`), and a panel's futr file (future values of
its fut_ columns, as `fcast ingest --panel DATASET --futr`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from fcast import settings
from fcast.ingest.records import IngestError

if TYPE_CHECKING:
    from fcast.ingest.panel import PanelOptions

DRAW_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".html", ".htm")
PANEL_SUFFIXES = (".csv", ".parquet")
DRAWS, PANEL, PANEL_FUTR = "draws", "panel", "panel_futr"


@dataclass
class UploadCheck:
    """What an upload holds and what storing it would do; `error` is set when it cannot be read at all."""

    file_name: str
    kind: str
    summary: str = ""
    error: str = ""
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "rule", "message"]))
    would_add: int = 0
    already_known: int = 0
    time_axis: str = ""  # panels: the dataset's time axis as read (or recorded), e.g. "dates at frequency ME from ..."
    time_axis_source: str = ""  # panels: "inferred from the file", "declared" or "recorded for the dataset"
    gap_lines: list[str] = field(default_factory=list)  # panels: one line per series with missing timestamps
    filled: int = 0  # panels: missing timestamps the gap policy fills
    fill_method: str = ""  # panels: the gap policy that filled them ("" when gaps reject their series)

    @property
    def storable(self) -> bool:
        """Something to store: new rows, or rejects and conflicts to keep with their reason."""
        return not self.error and (self.would_add > 0 or not self.problems.empty)


def max_upload_mb() -> float:
    return settings.number("FCAST_UI_MAX_UPLOAD_MB")


def _problem_frame(report) -> pd.DataFrame:
    rows = [{"row": reject.source_row, "rule": reject.rule, "message": reject.message} for reject in report.rejects] + [
        {"row": conflict.source_row, "rule": "conflicting_restatement", "message": str(conflict)}
        for conflict in getattr(report, "conflicts", [])
    ]
    return pd.DataFrame(rows, columns=["row", "rule", "message"]).sort_values(["row", "rule"], ignore_index=True)


def _size_error(file_name: str, data: bytes) -> str:
    size_mb = len(data) / 1_000_000
    if not data:
        return f"{file_name} is empty."
    if size_mb > max_upload_mb():
        return (
            f"{file_name} is {size_mb:.1f} MB; the UI takes files up to {max_upload_mb():.0f} MB "
            f"(FCAST_UI_MAX_UPLOAD_MB). Load bigger files with `fcast ingest {file_name}`."
        )
    return ""


def _suffix_error(file_name: str, kind: str) -> str:
    allowed = DRAW_SUFFIXES if kind == DRAWS else PANEL_SUFFIXES
    suffix = Path(file_name).suffix.lower()
    if suffix in allowed:
        return ""
    what = {DRAWS: "a draw file", PANEL: "a unique_id, ds, y panel", PANEL_FUTR: "a futr file (unique_id, ds, fut_...)"}
    return f"{file_name}: {what[kind]} must be {', '.join(allowed)}, not {suffix or 'a file without an extension'}."


def panel_options(freq: str = "", fill_gaps: str = "reject", season_length: int | None = None) -> PanelOptions:
    """The PanelOptions of the Data page's fields (an empty frequency is inferred); a bad gap policy is an
    IngestError that names the choices."""
    from fcast.ingest.panel import PanelOptions, parse_gap_policy

    return PanelOptions(freq.strip() or None, parse_gap_policy(fill_gaps), season_length or None)


def _run(
    file_name: str,
    data: bytes,
    kind: str,
    game_code: str | None,
    dataset_name: str,
    dry_run: bool,
    options: PanelOptions | None = None,
):
    if kind == DRAWS:
        from fcast.ingest.loader import load_draws
        from fcast.ingest.sources import read_upload

        return load_draws(read_upload(file_name, data, game_code or None), dry_run=dry_run)
    from fcast.ingest.panel import load_panel, load_panel_futr

    with tempfile.TemporaryDirectory(prefix="fcast-upload-") as folder:
        path = Path(folder) / Path(file_name).name
        path.write_bytes(data)
        if kind == PANEL_FUTR:
            return load_panel_futr(path, dataset_name, dry_run=dry_run)
        return load_panel(path, dataset_name, dry_run=dry_run, options=options)


def _axis_source(dataset_name: str, options: PanelOptions | None) -> str:
    """Where a panel's time axis comes from: the dataset's recorded one, else the declared or inferred freq."""
    from fcast import db
    from fcast.ingest.panel import stored_axis

    with db.connect(read_only=True) as warehouse:
        if warehouse.table_exists("raw", "panel_datasets") and stored_axis(dataset_name, warehouse) is not None:
            return "recorded for the dataset"
    return "declared" if options is not None and options.freq else "inferred from the file"


def check_upload(
    file_name: str,
    data: bytes,
    kind: str,
    game_code: str | None = None,
    dataset_name: str = "",
    options: PanelOptions | None = None,
) -> UploadCheck:
    """What storing the file would do, with nothing stored. `options` (panels): a PanelOptions, e.g. from
    `panel_options`; None reads the panel as `fcast ingest --panel` does by default."""
    check = UploadCheck(file_name, kind)
    check.error = _size_error(file_name, data) or _suffix_error(file_name, kind)
    if check.error:
        return check
    try:
        report = _run(file_name, data, kind, game_code, dataset_name, dry_run=True, options=options)
    except IngestError as error:
        check.error = str(error)
        return check
    except ValueError as error:  # a panel frequency pandas does not know (TimeAxisError) or of the wrong kind
        if kind == DRAWS:
            raise
        check.error = f"{file_name}: {error}"
        return check
    check.summary = report.summary()
    check.problems = _problem_frame(report)
    check.would_add = report.added
    check.already_known = report.already_known
    if kind != DRAWS:
        check.time_axis = report.time_axis
        check.time_axis_source = _axis_source(dataset_name, options)
        check.gap_lines = report.gap_lines()
        check.filled = report.filled
        check.fill_method = report.fill_method
    return check


@dataclass
class StoredUpload:
    summary: str
    problems: pd.DataFrame
    added: int
    rebuild_ok: bool
    rebuild_output: str


def written_tables(kind: str) -> tuple[str, ...]:
    """The raw tables an upload of `kind` lands in (the marts downstream of them are rebuilt)."""
    from fcast.ingest import loader, panel

    return loader.WRITTEN_TABLES if kind == DRAWS else panel.WRITTEN_TABLES


def store_upload(
    file_name: str,
    data: bytes,
    kind: str,
    game_code: str | None = None,
    dataset_name: str = "",
    options: PanelOptions | None = None,
) -> StoredUpload:
    from fcast import app

    error = _size_error(file_name, data) or _suffix_error(file_name, kind)
    if error:
        raise IngestError(error)
    report = _run(file_name, data, kind, game_code, dataset_name, dry_run=False, options=options)
    refresh = app.refresh(written_tables(kind))
    return StoredUpload(report.summary(), _problem_frame(report), report.added, refresh.ok, refresh.output[-6000:])
