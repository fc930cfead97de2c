"""Generic `unique_id, ds, y` panels (CSV or Parquet), validated and stored as a dataset of their own.

Exogenous columns must carry the hist_/stat_/fut_ prefixes. Row problems (types, missing values,
duplicate keys, a series whose spacing is irregular) are rejected with file, row and rule.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fcast import db
from fcast.ingest.loader import Reject
from fcast.ingest.records import IngestError, utc_now
from fcast.raw_schema import INGEST_FILES, INGEST_REJECTS, PANEL_EXOGENOUS, PANEL_OBSERVATIONS

REQUIRED_COLUMNS = ("unique_id", "ds", "y")
FEATURE_PREFIXES = ("hist_", "stat_", "fut_")
_DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


@dataclass
class PanelReport:
    source_name: str
    dataset_name: str
    rows_read: int = 0
    added: int = 0
    already_known: int = 0
    series: int = 0
    rejects: list[Reject] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source_name} (panel {self.dataset_name}): {self.rows_read} rows read, {self.series} series, "
            f"{self.added} added, {self.already_known} already known, {len(self.rejects)} rejected"
        )


def read_panel_frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise IngestError(f"{path.name}: a panel must be .csv or .parquet, not {suffix or 'no extension'}")
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as error:
        if isinstance(error, IngestError):
            raise
        raise IngestError(
            f"{path.name}: cannot be read as a panel ({error}). Save it as UTF-8 CSV or Parquet."
        ) from error
    frame.columns = [str(column).strip() for column in frame.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise IngestError(
            f"{path.name}: missing required column(s) {missing}; a panel needs unique_id, ds, y "
            f"(found {list(frame.columns)})"
        )
    unprefixed = [c for c in frame.columns if c not in REQUIRED_COLUMNS and not c.startswith(FEATURE_PREFIXES)]
    if unprefixed:
        raise IngestError(
            f"{path.name}: column(s) {unprefixed} are neither unique_id/ds/y nor exogenous features; "
            f"rename them with a prefix {', '.join(FEATURE_PREFIXES)} or drop them"
        )
    return frame


def _row_number(index: int) -> int:
    return index + 2  # the header is row 1 of the file


def _parse_ds(values: pd.Series) -> tuple[pd.Series, pd.Series, bool]:
    """ds as integers when every value is one, else as dates; returns (ds, parsed dates, is_date)."""
    text = values.astype(str).str.strip()
    as_int = pd.to_numeric(text, errors="coerce")
    if as_int.notna().all() and (as_int == as_int.round()).all():
        return as_int.astype("int64"), pd.Series(pd.NaT, index=values.index), False
    dates = pd.to_datetime(text, errors="coerce", format="mixed")
    return pd.Series(pd.NA, index=values.index, dtype="Int64"), dates, True


def validate_panel(frame: pd.DataFrame, source_name: str) -> tuple[pd.DataFrame, list[Reject]]:
    """Rows that pass every rule (with integer ds and optional ds_date), and the rejects."""
    rejects: list[Reject] = []
    bad = pd.Series(False, index=frame.index)

    def reject(mask: pd.Series, rule: str, message) -> None:
        nonlocal bad
        for index in frame.index[mask & ~bad]:
            rejects.append(Reject(source_name, _row_number(index), rule, message(index)))
        bad = bad | mask

    unique_id = frame["unique_id"].astype(str).str.strip()
    reject(unique_id.isin(["", "nan", "None"]), "missing_value", lambda i: "unique_id is empty")
    ds, dates, is_date = _parse_ds(frame["ds"])
    if is_date:
        reject(dates.isna(), "ds_type", lambda i: f"ds {frame.at[i, 'ds']!r} is neither an integer nor a date")
    y_text = frame["y"].astype(str).str.strip()
    y = pd.to_numeric(y_text, errors="coerce")
    reject(y_text.isin(["", "nan", "NaN", "None"]), "missing_value", lambda i: "y is empty")
    reject(y.isna(), "y_type", lambda i: f"y {frame.at[i, 'y']!r} is not a number")
    feature_columns = [c for c in frame.columns if c.startswith(FEATURE_PREFIXES)]
    features = {}
    for column in feature_columns:
        values = pd.to_numeric(frame[column].astype(str).str.strip(), errors="coerce")
        reject(values.isna(), "feature_type", lambda i, c=column: f"{c} {frame.at[i, c]!r} is not a number")
        features[column] = values

    clean = pd.DataFrame({"unique_id": unique_id, "y": y, "source_row": frame.index.map(_row_number)})
    clean["ds_date"] = dates.dt.date if is_date else None
    clean["ds_key"] = dates if is_date else ds
    for column, values in features.items():
        clean[column] = values
    duplicated = clean.duplicated(subset=["unique_id", "ds_key"], keep=False) & ~bad
    reject(duplicated, "duplicate_key", lambda i: f"({unique_id[i]}, {frame.at[i, 'ds']}) appears more than once")

    clean = clean[~bad].sort_values(["unique_id", "ds_key"])
    clean, frequency_rejects = _check_frequency(clean, is_date, source_name)
    rejects.extend(frequency_rejects)
    if is_date:
        clean["ds"] = clean.groupby("unique_id").cumcount().astype("int64") + 1
    else:
        clean["ds"] = clean["ds_key"].astype("int64")
    return clean.drop(columns=["ds_key"]), rejects


def _check_frequency(clean: pd.DataFrame, is_date: bool, source_name: str) -> tuple[pd.DataFrame, list[Reject]]:
    """Every series must be evenly spaced (integer step, or one pandas frequency for dates)."""
    rejects, keep = [], []
    for series_id, series in clean.groupby("unique_id", sort=False):
        keys = series["ds_key"]
        if len(keys) < 3:
            keep.append(series)
            continue
        if is_date:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas 3 announces a change of the return type only
                frequency = pd.infer_freq(pd.DatetimeIndex(keys))
            problem = None if frequency is not None else "dates are not evenly spaced (no single frequency)"
        else:
            steps = set(keys.diff().dropna().astype("int64"))
            problem = None if len(steps) == 1 else f"ds steps {sorted(steps)[:5]} are not one constant step"
        if problem:
            rejects.extend(
                Reject(source_name, int(row), "irregular_frequency", f"series {series_id}: {problem}")
                for row in series["source_row"]
            )
        else:
            keep.append(series)
    kept = pd.concat(keep) if keep else clean.iloc[0:0]
    return kept, rejects


def _compare_with_stored(
    warehouse: db.Warehouse, dataset_name: str, clean: pd.DataFrame, source_name: str
) -> tuple[list[Reject], set[int]]:
    """Rows whose (unique_id, ds) is stored with another y (reported and kept aside, never overwritten),
    and the source rows stored already with the same y."""
    stored = warehouse.fetch_frame(
        f"select unique_id, ds, y as stored_y from {PANEL_OBSERVATIONS.qualified_name} where dataset_name = ?",
        (dataset_name,),
    )
    if stored.empty or clean.empty:
        return [], set()
    merged = clean.merge(stored, on=["unique_id", "ds"], how="inner")
    differs = (merged["y"] - merged["stored_y"]).abs() > 1e-12
    rejects = [
        Reject(
            source_name,
            int(row.source_row),
            "conflicting_restatement",
            f"({row.unique_id}, {row.ds}) y={row.y} but the stored value is {row.stored_y}",
        )
        for row in merged[differs].itertuples()
    ]
    return rejects, set(merged.loc[~differs, "source_row"].astype(int))


def load_panel(path: Path, dataset_name: str, dry_run: bool = False) -> PanelReport:
    """Validate a panel file and store what passes; `dry_run` reports the same without writing anything."""
    if not _DATASET_NAME.match(dataset_name):
        raise IngestError(
            f"{path.name}: dataset name {dataset_name!r} must be lowercase letters, digits and _ "
            "(it prefixes every unique_id)"
        )
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = read_panel_frame(path)
    clean, rejects = validate_panel(frame, path.name)
    report = PanelReport(
        path.name, dataset_name, rows_read=len(frame), rejects=rejects, series=clean["unique_id"].nunique()
    )
    loaded_at = utc_now()
    observations = [
        (
            dataset_name,
            row.unique_id,
            int(row.ds),
            row.ds_date,
            float(row.y),
            path.name,
            file_hash,
            int(row.source_row),
            loaded_at,
        )
        for row in clean.itertuples(index=False)
    ]
    feature_columns = [c for c in clean.columns if c.startswith(FEATURE_PREFIXES)]
    exogenous = [
        (dataset_name, unique_id, int(ds), column, float(value), file_hash, loaded_at)
        for column in feature_columns
        for unique_id, ds, value in zip(clean["unique_id"], clean["ds"], clean[column], strict=True)
    ]
    original = frame.to_dict(orient="index")
    with db.connect(read_only=dry_run) as warehouse:
        restated, identical_rows = _compare_with_stored(warehouse, dataset_name, clean, path.name)
        report.rejects.extend(restated)
        restated_rows = {reject.source_row for reject in restated}
        observations = [row for row in observations if row[7] not in restated_rows]
        if dry_run:
            report.already_known = len(identical_rows)
            report.added = len(observations) - report.already_known
            return report
        reject_rows = [
            (
                dataset_name,
                path.name,
                "panel",
                file_hash,
                reject.source_row,
                reject.rule,
                reject.message,
                json.dumps(original[reject.source_row - 2], ensure_ascii=False, default=str),
                loaded_at,
            )
            for reject in report.rejects
        ]
        report.added = warehouse.insert_rows(PANEL_OBSERVATIONS, observations)
        report.already_known = len(observations) - report.added
        warehouse.insert_rows(PANEL_EXOGENOUS, exogenous)
        warehouse.insert_rows(INGEST_REJECTS, reject_rows)
        warehouse.insert_rows(
            INGEST_FILES,
            [
                (
                    file_hash,
                    dataset_name,
                    path.name,
                    "panel",
                    report.rows_read,
                    report.added,
                    report.already_known,
                    len({r.source_row for r in rejects}),
                    0,
                    loaded_at,
                )
            ],
        )
    return report
