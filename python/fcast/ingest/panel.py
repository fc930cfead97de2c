"""Generic `unique_id, ds, y` panels (CSV or Parquet), validated and stored as a dataset of their own.

A panel keeps its time axis (`fcast.time_axis`): integer `ds` stays integer (the step is its freq);
dates keep their pandas frequency, inferred here (or declared with `freq`) and recorded with the
dataset in raw.panel_datasets, with the dates stored as `ds_time` beside their grid index `ds`.
Exogenous columns carry the hist_/stat_/fut_ prefixes. Row problems (types, missing values, a ds
that is not of the kind most of the file's ds values are, duplicate keys, a date off the dataset's
grid, a stat_ value that changes within a series) are rejected with file, row and rule. Missing
timestamps are named per series and, as the user chooses, either reject the series (the default,
with a message offering `--fill-gaps`) or are filled (utilsforecast's `fill_gaps`, then a stated
value or method) and flagged in `filled_by`. A futr file (`load_panel_futr`) adds the future values
of fut_ columns that forecasts need.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fcast import db
from fcast.ingest.loader import Reject
from fcast.ingest.records import IngestError, utc_now
from fcast.raw_schema import INGEST_FILES, INGEST_REJECTS, PANEL_DATASETS, PANEL_EXOGENOUS, PANEL_OBSERVATIONS
from fcast.time_axis import DATE, INTEGER, TimeAxis, TimeAxisError, from_row, infer_date_freq, is_integer_freq

REQUIRED_COLUMNS = ("unique_id", "ds", "y")
FEATURE_PREFIXES = ("hist_", "stat_", "fut_")
_DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
REJECT_GAPS = "reject"
FILL_METHODS = ("ffill", "bfill", "interpolate")  # or value:<number>
SHOWN_MISSING = 5
# The raw tables a panel load writes (the dbt models downstream of them are what to rebuild).
WRITTEN_TABLES = tuple(
    t.name for t in (PANEL_DATASETS, PANEL_OBSERVATIONS, PANEL_EXOGENOUS, INGEST_REJECTS, INGEST_FILES)
)


def parse_gap_policy(text: str | None) -> str:
    """`reject` (default), `ffill`, `bfill`, `interpolate` or `value:<number>`; anything else is an IngestError."""
    policy = (text or REJECT_GAPS).strip()
    if policy == REJECT_GAPS or policy in FILL_METHODS:
        return policy
    if policy.startswith("value:"):
        try:
            float(policy.removeprefix("value:"))
        except ValueError:
            pass
        else:
            return policy
    raise IngestError(
        f"gap policy {policy!r}: use reject, ffill, bfill, interpolate or value:<number> (for example value:0)"
    )


@dataclass
class PanelOptions:
    """How to read a panel: its frequency (else inferred), what to do with missing timestamps, its season length."""

    freq: str | None = None
    fill_gaps: str = REJECT_GAPS
    season_length: int | None = None


@dataclass
class PanelReport:
    source_name: str
    dataset_name: str
    rows_read: int = 0
    added: int = 0
    already_known: int = 0
    series: int = 0
    rejects: list[Reject] = field(default_factory=list)
    time_axis: str = ""
    missing: dict[str, list[str]] = field(default_factory=dict)  # series -> missing timestamps (named)
    filled: int = 0
    fill_method: str = ""

    def summary(self) -> str:
        text = (
            f"{self.source_name} (panel {self.dataset_name}): {self.rows_read} rows read, {self.series} series, "
            f"{self.added} added, {self.already_known} already known, {len(self.rejects)} rejected"
        )
        if self.time_axis:
            text += f"; ds: {self.time_axis}"
        if self.filled:
            text += f"; {self.filled} missing timestamp(s) filled by {self.fill_method}"
        return text

    def gap_lines(self) -> list[str]:
        """One line per series with missing timestamps, and what the user can do."""
        lines = []
        for series_id, missing in self.missing.items():
            shown = ", ".join(missing[:SHOWN_MISSING]) + (", ..." if len(missing) > SHOWN_MISSING else "")
            done = f"filled by {self.fill_method}" if self.fill_method else "the series was rejected"
            lines.append(f"series {series_id} misses {len(missing)} timestamp(s): {shown} ({done})")
        if self.missing and not self.fill_method:
            lines.append(
                "to keep these series, fill the gaps: --fill-gaps interpolate | ffill | bfill | value:<number> "
                "(filled rows are flagged in filled_by), or add the missing rows to the file"
            )
        return lines


def read_panel_frame(path: Path, required: tuple[str, ...] = REQUIRED_COLUMNS) -> pd.DataFrame:
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
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise IngestError(
            f"{path.name}: missing required column(s) {missing}; a panel needs {', '.join(required)} "
            f"(found {list(frame.columns)})"
        )
    unprefixed = [c for c in frame.columns if c not in REQUIRED_COLUMNS and not c.startswith(FEATURE_PREFIXES)]
    if unprefixed:
        raise IngestError(
            f"{path.name}: column(s) {unprefixed} are neither unique_id/ds/y nor exogenous features; "
            f"rename them with a prefix {', '.join(FEATURE_PREFIXES)} or drop them"
        )
    return frame.reset_index(drop=True)


def _row_number(index: int) -> int:
    return index + 2  # the header is row 1 of the file


@dataclass(frozen=True)
class ParsedDs:
    """The ds column read as one kind, integers or dates: the kind most of its non-empty values are.

    ``keys`` holds the integer or timestamp of each row (NaN/NaT where the row's ds is empty or of the
    other kind); ``misfit`` marks the non-empty values that are not of that kind, to be rejected by row.
    """

    keys: pd.Series
    is_date: bool
    empty: pd.Series
    misfit: pd.Series
    integers: int  # how many ds values are integers (integer-like text such as '1' included)
    dates: int  # how many other ds values are dates


_EMPTY_CELLS = ("", "nan", "NaN", "None", "NaT", "<NA>")


def _parse_ds(values: pd.Series) -> ParsedDs:
    """ds as integers when integers are at least as many as dates, else as timestamps.

    Without a single integer or date in the column, ds is taken as dates (and every row is a misfit).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        keys = values.dt.tz_localize(None) if values.dt.tz else pd.to_datetime(values)
        empty = keys.isna()
        return ParsedDs(keys, True, empty, pd.Series(False, index=values.index), 0, int((~empty).sum()))
    text = values.astype(str).str.strip()
    empty = text.isin(_EMPTY_CELLS)
    numeric = pd.to_numeric(text.where(~empty), errors="coerce")
    is_integer = pd.Series(np.isfinite(numeric) & (numeric == numeric.round()), index=values.index)
    others = ~empty & ~is_integer
    dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if others.any():
        dates = pd.to_datetime(text[others], errors="coerce", format="mixed").reindex(values.index)
    integer_count, date_count = int(is_integer.sum()), int(dates.notna().sum())
    if integer_count and integer_count >= date_count:
        keys = numeric.where(is_integer)
        keys = keys.astype("int64") if keys.notna().all() else keys
        return ParsedDs(keys, False, empty, others, integer_count, date_count)
    return ParsedDs(dates, True, empty, ~empty & dates.isna(), integer_count, date_count)


class _Rejecter:
    """Collects rejects by row and rule; a row is rejected once, for its first problem."""

    def __init__(self, frame: pd.DataFrame, source_name: str) -> None:
        self.frame, self.source_name = frame, source_name
        self.bad = pd.Series(False, index=frame.index)
        self.rejects: list[Reject] = []

    def __call__(self, mask: pd.Series, rule: str, message) -> None:
        mask = mask.reindex(self.frame.index, fill_value=False)
        for index in self.frame.index[mask & ~self.bad]:
            self.rejects.append(Reject(self.source_name, _row_number(index), rule, message(index)))
        self.bad = self.bad | mask


def _reject_bad_ds(reject: _Rejecter, frame: pd.DataFrame, parsed: ParsedDs) -> None:
    """Reject rows whose ds is empty, or not of the kind most of the file's ds values are."""
    reject(parsed.empty, "missing_value", lambda i: "ds is empty")
    total = int((~parsed.empty).sum())
    if parsed.integers == 0 and parsed.dates == 0:
        reject(parsed.misfit, "ds_type", lambda i: f"ds {frame.at[i, 'ds']!r} is neither an integer nor a date")
    elif parsed.is_date:
        reject(
            parsed.misfit,
            "ds_not_date",
            lambda i: (
                f"ds {frame.at[i, 'ds']!r} is not a date, while {parsed.dates} of the file's {total} ds "
                "values are dates"
            ),
        )
    else:
        reject(
            parsed.misfit,
            "ds_not_integer",
            lambda i: (
                f"ds {frame.at[i, 'ds']!r} is not an integer, while {parsed.integers} of the file's {total} "
                "ds values are integers"
            ),
        )


def stored_axis(dataset_name: str, warehouse: db.Warehouse) -> TimeAxis | None:
    """The time axis recorded for a panel dataset, or None when it is new."""
    rows = warehouse.fetchall(
        f"select time_kind, freq, origin_time, season_length from {PANEL_DATASETS.qualified_name} "
        "where dataset_name = ?",
        (dataset_name,),
    )
    return from_row(*rows[0]) if rows else None


def _integer_step(keys: pd.DataFrame) -> int:
    """The most common step between consecutive integer ds values of a series (1 when no series has two values).

    The most common step, not the smallest: a gap doubles one step and a stray value shortens one, and
    neither should change the panel's frequency (the gap is then named, the stray value rejected)."""
    steps = keys.sort_values("ds_key").groupby("unique_id")["ds_key"].diff().dropna().astype("int64")
    steps = steps[steps > 0]
    if steps.empty:
        return 1
    counts = steps.value_counts()
    return int(counts[counts == counts.max()].index.min())


def _resolve_axis(
    clean: pd.DataFrame, is_date: bool, options: PanelOptions, stored: TimeAxis | None, source_name: str
) -> tuple[TimeAxis, str]:
    """The dataset's axis: the stored one, else the declared or inferred frequency. Returns (axis, freq source)."""
    kind = DATE if is_date else INTEGER
    if stored is not None:
        if stored.kind != kind:
            raise IngestError(
                f"{source_name}: the dataset's ds holds {stored.describe()}, this file's ds holds "
                f"{'dates' if is_date else 'integers'}: use the same kind of ds, or load it as another dataset"
            )
        if options.freq and not stored.describes_same_grid(options.freq):
            raise IngestError(
                f"{source_name}: --freq {options.freq} differs from the dataset's recorded {stored.describe()}; "
                "load it as another dataset to use another frequency"
            )
        return stored, "stored"
    if not is_date:
        if options.freq and not is_integer_freq(options.freq):
            raise IngestError(
                f"{source_name}: ds holds integers, so --freq must be an integer step, not {options.freq}"
            )
        step = int(options.freq) if options.freq else _integer_step(clean)
        return TimeAxis.integers(step, options.season_length or 1), "declared" if options.freq else "inferred"
    if options.freq and is_integer_freq(options.freq):
        raise IngestError(f"{source_name}: ds holds dates, so --freq must be a pandas frequency, not {options.freq}")
    freq = options.freq or infer_date_freq(series["ds_key"] for _, series in clean.groupby("unique_id"))
    if freq is None:
        raise IngestError(
            f"{source_name}: cannot infer the frequency of ds (too few dates, or no regular spacing): "
            "declare it with --freq (for example D, W-SUN, MS, ME, QS, h)"
        )
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
        on_offset = [stamp for stamp in sorted(clean["ds_key"].unique()) if offset.is_on_offset(pd.Timestamp(stamp))]
        if not on_offset:
            raise TimeAxisError(f"no date of the file is on the {freq} grid")
        axis = TimeAxis.dates(freq, on_offset[0], options.season_length)
    except (TimeAxisError, ValueError) as error:
        raise IngestError(f"{source_name}: {error}; declare the frequency of ds with --freq") from error
    return axis, "declared" if options.freq else "inferred"


def _fill(series: pd.DataFrame, policy: str, value_columns: list[str]) -> pd.DataFrame:
    """Fill the rows fill_gaps inserted (y NaN where `filled`) by the policy; features follow y's method."""
    filled = series.copy()
    if policy.startswith("value:"):
        filled["y"] = filled["y"].fillna(float(policy.removeprefix("value:")))
        features = [c for c in value_columns if c != "y"]
        filled[features] = filled[features].ffill().bfill()  # a stated value is y's; features carry on
        return filled
    for column in value_columns:
        if policy == "interpolate":
            filled[column] = filled[column].interpolate(method="linear", limit_area="inside")
        elif policy == "ffill":
            filled[column] = filled[column].ffill()
        else:
            filled[column] = filled[column].bfill()
    return filled


def _missing_timestamps(clean: pd.DataFrame, axis: TimeAxis, stored_keys: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per series, the grid indexes between its first and last ds (stored rows included) that nothing holds."""
    present = pd.concat([clean[["unique_id", "ds"]], stored_keys[["unique_id", "ds"]]], ignore_index=True)
    step = 1 if axis.is_date else int(axis.freq)
    missing = {}
    for series_id, keys in present.groupby("unique_id", sort=True):
        values = np.unique(keys["ds"].to_numpy(dtype="int64"))
        expected = np.arange(values.min(), values.max() + 1, step, dtype="int64")
        gaps = np.setdiff1d(expected, values)
        if len(gaps):
            missing[str(series_id)] = gaps
    return missing


def _label_all(axis: TimeAxis, indexes: np.ndarray) -> list[str]:
    if not axis.is_date:
        return [str(int(index)) for index in indexes]
    return [f"{stamp:%Y-%m-%d %H:%M}".removesuffix(" 00:00") for stamp in axis.times_of(indexes)]


@dataclass
class ValidatedPanel:
    clean: pd.DataFrame  # unique_id, ds (index), ds_time, y, filled_by, source_row and the feature columns
    rejects: list[Reject]
    axis: TimeAxis
    freq_source: str
    missing: dict[str, list[str]]
    filled: int


def validate_panel(
    frame: pd.DataFrame,
    source_name: str,
    options: PanelOptions | None = None,
    stored: TimeAxis | None = None,
    stored_keys: pd.DataFrame | None = None,
) -> ValidatedPanel:
    """Rows that pass every rule on the dataset's time axis (gaps filled when the policy says so), and the rejects."""
    options = options or PanelOptions()
    policy = parse_gap_policy(options.fill_gaps)
    reject = _Rejecter(frame, source_name)
    unique_id = frame["unique_id"].astype(str).str.strip()
    reject(unique_id.isin(["", "nan", "None"]), "missing_value", lambda i: "unique_id is empty")
    parsed_ds = _parse_ds(frame["ds"])
    ds_key, is_date = parsed_ds.keys, parsed_ds.is_date
    _reject_bad_ds(reject, frame, parsed_ds)
    y_text = frame["y"].astype(str).str.strip()
    y = pd.to_numeric(y_text, errors="coerce")
    reject(y_text.isin(["", "nan", "NaN", "None"]), "missing_value", lambda i: "y is empty")
    reject(y.isna(), "y_type", lambda i: f"y {frame.at[i, 'y']!r} is not a number")
    feature_columns = [c for c in frame.columns if c.startswith(FEATURE_PREFIXES)]
    clean = pd.DataFrame({"unique_id": unique_id, "ds_key": ds_key, "y": y, "source_row": frame.index.map(_row_number)})
    for column in feature_columns:
        values = pd.to_numeric(frame[column].astype(str).str.strip(), errors="coerce")
        reject(values.isna(), "feature_type", lambda i, c=column: f"{c} {frame.at[i, c]!r} is not a number")
        clean[column] = values
    duplicated = clean.duplicated(subset=["unique_id", "ds_key"], keep=False) & ~reject.bad
    reject(duplicated, "duplicate_key", lambda i: f"({unique_id[i]}, {frame.at[i, 'ds']}) appears more than once")
    for column in (c for c in feature_columns if c.startswith("stat_")):
        usual = clean[~reject.bad].groupby("unique_id")[column].agg(lambda values: values.mode().iloc[0])
        changes = clean[column] != clean["unique_id"].map(usual)
        reject(
            changes & clean["unique_id"].isin(usual.index),
            "stat_not_constant",
            lambda i, c=column, usual=usual: (
                f"{c}={clean.at[i, c]:g} but series {unique_id[i]} has {usual[unique_id[i]]:g} on "
                "its other rows: a stat_ column holds one value per series"
            ),
        )
    candidates = clean[~reject.bad]
    if candidates.empty:
        axis = stored or (TimeAxis.integers() if not is_date else None)
        if axis is None:
            raise IngestError(f"{source_name}: no row of the file passed the checks, so its frequency is unknown")
        return ValidatedPanel(candidates.assign(ds=[], ds_time=[], filled_by=[]), reject.rejects, axis, "", {}, 0)
    axis, freq_source = _resolve_axis(candidates, is_date, options, stored, source_name)

    if axis.is_date:
        on_grid = pd.Series(False, index=clean.index)
        on_grid[candidates.index] = axis.on_grid(candidates["ds_key"])
        example = ", ".join(_label_all(axis, np.arange(1, 3)))
        reject(
            ~on_grid,
            "off_frequency",
            lambda i: f"ds {frame.at[i, 'ds']} is not on the dataset's grid ({axis.describe()}: {example}, ...)",
        )
    else:
        step, first = int(axis.freq), int(candidates["ds_key"].min())
        reject(
            (clean["ds_key"] - first) % step != 0,
            "off_frequency",
            lambda i: f"ds {frame.at[i, 'ds']} is not on the dataset's steps of {step}",
        )
    clean = clean[~reject.bad].copy()
    clean["ds"] = axis.index_of(clean["ds_key"])
    clean["ds_time"] = clean["ds_key"] if axis.is_date else pd.NaT
    clean["filled_by"] = ""
    clean = clean.drop(columns=["ds_key"]).sort_values(["unique_id", "ds"]).reset_index(drop=True)

    keys = stored_keys if stored_keys is not None else pd.DataFrame(columns=["unique_id", "ds"])
    gaps = _missing_timestamps(clean, axis, keys)
    missing = {series_id: _label_all(axis, indexes) for series_id, indexes in gaps.items()}
    filled = 0
    if gaps and policy == REJECT_GAPS:
        for series_id, labels in missing.items():
            rows = clean.loc[clean["unique_id"] == series_id, "source_row"]
            shown = ", ".join(labels[:SHOWN_MISSING]) + (", ..." if len(labels) > SHOWN_MISSING else "")
            message = (
                f"series {series_id} misses {len(labels)} timestamp(s) ({shown}); fill them with "
                "--fill-gaps interpolate|ffill|bfill|value:<number>, or add them to the file"
            )
            reject.rejects.extend(Reject(source_name, int(row), "missing_timestamps", message) for row in rows)
        clean = clean[~clean["unique_id"].isin(gaps)].reset_index(drop=True)
    elif gaps:
        clean, filled = _fill_gaps(clean, axis, policy, gaps, keys)
    return ValidatedPanel(clean, reject.rejects, axis, freq_source, missing, filled)


def _fill_gaps(
    clean: pd.DataFrame, axis: TimeAxis, policy: str, gaps: dict[str, np.ndarray], stored_keys: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """Insert the missing rows with utilsforecast's fill_gaps and fill their values; flag them in filled_by."""
    from utilsforecast.preprocessing import fill_gaps

    value_columns = ["y", *[c for c in clean.columns if c.startswith(("hist_", "fut_"))]]
    stat_columns = [c for c in clean.columns if c.startswith("stat_")]
    gappy = clean[clean["unique_id"].isin(gaps)]
    frame = gappy[["unique_id", "ds", *value_columns, *stat_columns, "source_row"]]
    # Within a series the stored rows close a gap too: only indexes inside the file's own span are filled here.
    grown = fill_gaps(frame, freq=int(axis.freq) if not axis.is_date else 1, start="per_serie", end="per_serie")
    inserted = grown["source_row"].isna()
    parts = []
    for _, series in grown.groupby("unique_id", sort=True):
        series = series.sort_values("ds")
        series = _fill(series, policy, value_columns)
        series[stat_columns] = series[stat_columns].ffill().bfill()
        parts.append(series)
    grown = pd.concat(parts).loc[grown.index] if parts else grown
    grown["filled_by"] = np.where(inserted, policy, "")
    grown["source_row"] = grown["source_row"].fillna(0).astype("int64")
    if axis.is_date:
        grown["ds_time"] = axis.times_of(grown["ds"].to_numpy())
    else:
        grown["ds_time"] = pd.NaT
    still_missing = grown[value_columns].isna().any(axis=1) & inserted
    grown = grown[~still_missing]  # bfill/ffill at an edge cannot fill; those stay missing and are named
    merged = pd.concat([clean[~clean["unique_id"].isin(gaps)], grown], ignore_index=True)
    return merged.sort_values(["unique_id", "ds"]).reset_index(drop=True), int((inserted & ~still_missing).sum())


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
        for row in merged[differs & (merged["source_row"] > 0)].itertuples()
    ]
    return rejects, set(merged.loc[~differs, "source_row"].astype(int))


def _check_dataset_name(path: Path, dataset_name: str) -> None:
    if not _DATASET_NAME.match(dataset_name):
        raise IngestError(
            f"{path.name}: dataset name {dataset_name!r} must be lowercase letters, digits and _ "
            "(it prefixes every unique_id)"
        )


def _reject_rows(dataset_name: str, source_name: str, file_hash: str, rejects, frame, loaded_at) -> list[dict]:
    def original(source_row: int) -> str:
        record = frame.iloc[source_row - 2].to_dict() if 2 <= source_row < len(frame) + 2 else {}
        return json.dumps(record, ensure_ascii=False, default=str)

    return [
        INGEST_REJECTS.row(
            {
                "subject": dataset_name,
                "source_name": source_name,
                "source_kind": "panel",
                "file_hash": file_hash,
                "source_row": reject.source_row,
                "rule": reject.rule,
                "message": reject.message,
                "original_record": original(reject.source_row),
                "loaded_at": loaded_at,
            }
        )
        for reject in rejects
    ]


def _record_file(warehouse: db.Warehouse, dataset_name, source_name, file_hash, report, frame, loaded_at) -> None:
    """Keep every rejected row with its reason, and what this file's first load did."""
    warehouse.insert_rows(
        INGEST_REJECTS, _reject_rows(dataset_name, source_name, file_hash, report.rejects, frame, loaded_at)
    )
    warehouse.insert_rows(
        INGEST_FILES,
        [
            INGEST_FILES.row(
                {
                    "file_hash": file_hash,
                    "subject": dataset_name,
                    "source_name": source_name,
                    "source_kind": "panel",
                    "records_read": report.rows_read,
                    "rows_added": report.added,
                    "rows_already_known": report.already_known,
                    "rows_rejected": len({reject.source_row for reject in report.rejects}),
                    "rows_conflicting": 0,
                    "loaded_at": loaded_at,
                }
            )
        ],
    )


def _exogenous_rows(dataset_name: str, clean: pd.DataFrame, file_hash: str, loaded_at) -> pd.DataFrame:
    features = [column for column in clean.columns if column.startswith(FEATURE_PREFIXES)]
    long = clean.melt(["unique_id", "ds", "ds_time"], features, "feature_name", "feature_value")
    long["ds_time"] = pd.to_datetime(long["ds_time"])
    return PANEL_EXOGENOUS.frame(
        long.assign(
            dataset_name=dataset_name,
            ds=long["ds"].astype("int64"),
            feature_value=long["feature_value"].astype(float),
            file_hash=file_hash,
            loaded_at=loaded_at,
        )
    )


def load_panel(
    path: Path, dataset_name: str, dry_run: bool = False, options: PanelOptions | None = None
) -> PanelReport:
    """Validate a panel file and store what passes; `dry_run` reports the same without writing anything."""
    _check_dataset_name(path, dataset_name)
    options = options or PanelOptions()
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = read_panel_frame(path)
    loaded_at = utc_now()
    with db.connect(read_only=dry_run) as warehouse:
        stored = stored_axis(dataset_name, warehouse) if warehouse.table_exists("raw", "panel_datasets") else None
        stored_keys = warehouse.fetch_frame(
            f"select unique_id, ds from {PANEL_OBSERVATIONS.qualified_name} where dataset_name = ?", (dataset_name,)
        )
        panel = validate_panel(frame, path.name, options, stored, stored_keys)
        clean = panel.clean
        report = PanelReport(
            path.name,
            dataset_name,
            rows_read=len(frame),
            rejects=panel.rejects,
            series=clean["unique_id"].nunique(),
            time_axis=panel.axis.describe(),
            missing=panel.missing,
            filled=panel.filled,
            fill_method=options.fill_gaps
            if panel.filled or (panel.missing and options.fill_gaps != REJECT_GAPS)
            else "",
        )
        restated, identical_rows = _compare_with_stored(warehouse, dataset_name, clean, path.name)
        report.rejects.extend(restated)
        clean = clean[~clean["source_row"].isin({reject.source_row for reject in restated})]
        observations = PANEL_OBSERVATIONS.frame(
            pd.DataFrame(
                {
                    "dataset_name": dataset_name,
                    "unique_id": clean["unique_id"].astype(str),
                    "ds": clean["ds"].astype("int64"),
                    "ds_date": clean["ds_time"].dt.normalize() if panel.axis.is_date else pd.NaT,
                    "ds_time": pd.to_datetime(clean["ds_time"]) if panel.axis.is_date else pd.NaT,
                    "y": clean["y"].astype(float),
                    "source_name": path.name,
                    "file_hash": file_hash,
                    "source_row": clean["source_row"].astype("int64"),
                    "loaded_at": loaded_at,
                    "filled_by": clean["filled_by"].astype(str),
                }
            )
        )
        if dry_run:
            report.already_known = len(identical_rows)
            report.added = len(observations) - report.already_known
            return report
        if stored is None and not clean.empty:
            warehouse.insert_rows(
                PANEL_DATASETS, [_dataset_row(dataset_name, panel, options, path.name, file_hash, loaded_at)]
            )
        report.added = warehouse.insert_rows(PANEL_OBSERVATIONS, observations)
        report.already_known = len(observations) - report.added
        warehouse.insert_rows(PANEL_EXOGENOUS, _exogenous_rows(dataset_name, clean, file_hash, loaded_at))
        _record_file(warehouse, dataset_name, path.name, file_hash, report, frame, loaded_at)
    return report


def _dataset_row(dataset_name: str, panel: ValidatedPanel, options: PanelOptions, source_name, file_hash, loaded_at):
    axis = panel.axis
    return PANEL_DATASETS.row(
        {
            "dataset_name": dataset_name,
            "time_kind": axis.kind,
            "freq": axis.freq,
            "freq_source": panel.freq_source,
            "origin_time": axis.origin.to_pydatetime() if axis.origin is not None else None,
            "season_length": axis.season_length,
            "season_length_source": "declared" if options.season_length else "from_freq",
            "gap_policy": parse_gap_policy(options.fill_gaps),
            "source_name": source_name,
            "file_hash": file_hash,
            "updated_at": loaded_at,
        }
    )


# --- futr files: future values of fut_ columns ---------------------------------------------------------------


def load_panel_futr(path: Path, dataset_name: str, dry_run: bool = False) -> PanelReport:
    """Future values of a panel's fut_ columns (unique_id, ds, fut_...), for the horizon of its forecasts.

    The dataset must be loaded first (its time axis places the dates); rows for unknown series, dates off
    the grid, non-numeric values and restatements that disagree with a stored value are rejected by row.
    """
    _check_dataset_name(path, dataset_name)
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = read_panel_frame(path, required=("unique_id", "ds"))
    not_future = [c for c in frame.columns if c == "y" or c.startswith(("hist_", "stat_"))]
    if not_future:
        raise IngestError(
            f"{path.name}: a futr file holds unique_id, ds and future fut_ values only, not {not_future}: drop "
            "them (observed rows are loaded with `fcast ingest --panel DATASET FILE`)"
        )
    features = [c for c in frame.columns if c.startswith("fut_")]
    if not features:
        raise IngestError(f"{path.name}: a futr file needs at least one fut_ column (found {list(frame.columns)})")
    loaded_at = utc_now()
    with db.connect(read_only=dry_run) as warehouse:
        axis = stored_axis(dataset_name, warehouse) if warehouse.table_exists("raw", "panel_datasets") else None
        if axis is None:
            raise IngestError(
                f"{path.name}: dataset {dataset_name!r} is not loaded; load its observations first with "
                f"`fcast ingest --panel {dataset_name} FILE`"
            )
        known_series = {
            series_id
            for (series_id,) in warehouse.fetchall(
                f"select distinct unique_id from {PANEL_OBSERVATIONS.qualified_name} where dataset_name = ?",
                (dataset_name,),
            )
        }
        stored_values = warehouse.fetch_frame(
            f"select unique_id, ds, feature_name, feature_value from {PANEL_EXOGENOUS.qualified_name} "
            "where dataset_name = ?",
            (dataset_name,),
        )
        reject = _Rejecter(frame, path.name)
        unique_id = frame["unique_id"].astype(str).str.strip()
        reject(
            ~unique_id.isin(known_series), "unknown_series", lambda i: f"{dataset_name} has no series {unique_id[i]!r}"
        )
        parsed_ds = _parse_ds(frame["ds"])
        ds_key, is_date = parsed_ds.keys, parsed_ds.is_date
        if is_date != axis.is_date:
            raise IngestError(f"{path.name}: ds must hold {axis.describe()} like the dataset's observations")
        _reject_bad_ds(reject, frame, parsed_ds)
        if is_date:
            on_grid = pd.Series(False, index=frame.index)
            readable = ds_key.notna()
            on_grid[readable] = axis.on_grid(ds_key[readable])
            reject(~on_grid, "off_frequency", lambda i: f"ds {frame.at[i, 'ds']} is not on {axis.describe()}")
        clean = pd.DataFrame({"unique_id": unique_id, "source_row": frame.index.map(_row_number)})
        for column in features:
            values = pd.to_numeric(frame[column].astype(str).str.strip(), errors="coerce")
            reject(values.isna(), "feature_type", lambda i, c=column: f"{c} {frame.at[i, c]!r} is not a number")
            clean[column] = values
        keep = ~reject.bad
        clean = clean[keep].copy()
        clean["ds"] = axis.index_of(ds_key[keep]) if len(clean) else np.array([], dtype="int64")
        clean["ds_time"] = ds_key[keep] if axis.is_date else pd.NaT
        long = clean.melt(["unique_id", "ds", "source_row", "ds_time"], features, "feature_name", "feature_value")
        compared = long.merge(
            stored_values, on=["unique_id", "ds", "feature_name"], how="left", suffixes=("", "_stored")
        )
        differs = compared["feature_value_stored"].notna() & (
            (compared["feature_value"] - compared["feature_value_stored"]).abs() > 1e-12
        )
        restated = [
            Reject(
                path.name,
                int(row.source_row),
                "conflicting_restatement",
                f"({row.unique_id}, {axis.label(int(row.ds))}) {row.feature_name}={row.feature_value:g} but the "
                f"stored value is {row.feature_value_stored:g}",
            )
            for row in compared[differs].itertuples()
        ]
        restated_rows = {r.source_row for r in restated}
        clean = clean[~clean["source_row"].isin(restated_rows)]
        report = PanelReport(
            path.name,
            dataset_name,
            rows_read=len(frame),
            rejects=[*reject.rejects, *restated],
            series=clean["unique_id"].nunique(),
            time_axis=axis.describe(),
        )
        rows = _exogenous_rows(dataset_name, clean.drop(columns=["source_row"]), file_hash, loaded_at)
        if dry_run:
            unchanged = compared["feature_value_stored"].notna() & ~differs
            report.already_known = int(unchanged[~compared["source_row"].isin(restated_rows)].sum())
            report.added = len(rows) - report.already_known
            return report
        report.added = warehouse.insert_rows(PANEL_EXOGENOUS, rows)
        report.already_known = len(rows) - report.added
        _record_file(warehouse, dataset_name, path.name, file_hash, report, frame, loaded_at)
    return report
