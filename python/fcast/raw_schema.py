"""The raw-table contract: every table Python writes, declared once, and the ordered migrations of the raw schema.

Each `RawTable` names its columns with their portable SQL type (the subset DuckDB and PostgreSQL both
accept) and a one-line description, the module that writes it, and its key. From these declarations:
the database module creates the tables (`fcast.db.ensure_raw_tables`), `RawTable.row` / `RawTable.frame`
shape rows by column name for `Warehouse.insert_rows`, and `sources_yaml()` generates dbt's one sources
file, `models/staging/_raw__sources.yml` (`python -m fcast.raw_schema --write-sources`; a test checks
that the committed file is what the declarations generate).

A column added to a table that earlier warehouses already hold names its migration (`added_in`); the
`MIGRATIONS` run in version order, once each, and `raw.schema_migrations` records them. The sections
below follow the domains that write the tables: ingest, registry scan, probes and plans, training, chance,
features.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RAW_SCHEMA = "raw"
SOURCES_FILE = Path("models") / "staging" / "_raw__sources.yml"
WRITE_SOURCES_COMMAND = "python -m fcast.raw_schema --write-sources"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str
    added_in: int = 0  # the migration that adds it to warehouses made before it (0: there from the start)

    @property
    def base_type(self) -> str:
        """The type without `not null` and `default ...` (what a cast needs)."""
        return re.split(r"\s+(?:not null|default)\b", self.sql_type)[0].strip()

    def default(self) -> tuple[bool, Any]:
        """(True, value) when the column declares a default, else (False, None)."""
        match = re.search(r"\bdefault\s+('(?:[^']|'')*'|[-\w.]+)", self.sql_type)
        if not match:
            return False, None
        text = match.group(1)
        return True, text[1:-1].replace("''", "'") if text.startswith("'") else _number(text)


def _number(text: str) -> Any:
    return None if text.lower() == "null" else float(text) if "." in text else int(text)


@dataclass(frozen=True)
class RawTable:
    """A raw table. `columns` are given as (name, sql_type, description[, added_in]) tuples or `Column`s."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    description: str = ""
    written_by: str = ""  # the module (or modules) whose code writes its rows

    def __post_init__(self) -> None:
        columns = tuple(column if isinstance(column, Column) else Column(*column) for column in self.columns)
        object.__setattr__(self, "columns", columns)
        missing = set(self.primary_key) - {column.name for column in columns}
        if missing:
            raise ValueError(f"{self.qualified_name}: primary key names unknown columns {sorted(missing)}")

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        """A whole row by column name, in column order; a column left out takes its declared default."""
        unknown = set(values) - set(self.column_names)
        if unknown:
            raise KeyError(f"{self.qualified_name} has no column {', '.join(sorted(unknown))}")
        row = {}
        for column in self.columns:
            if column.name in values:
                row[column.name] = values[column.name]
                continue
            has_default, default = column.default()
            if not has_default and "not null" in column.sql_type:
                raise KeyError(f"{self.qualified_name}.{column.name} is not null and has no default: give a value")
            row[column.name] = default
        return row

    def frame(self, frame: Any) -> Any:
        """A DataFrame of rows by column name in column order (many rows at once, for `insert_rows`); absent
        columns take their declared default, as in `row`."""
        unknown = set(frame.columns) - set(self.column_names)
        if unknown:
            raise KeyError(f"{self.qualified_name} has no column {', '.join(sorted(unknown))}")
        if list(frame.columns) == self.column_names:
            return frame.reset_index(drop=True)
        fill = self.row({name: None for name in frame.columns})  # the defaults of the absent columns
        absent = {name: value for name, value in fill.items() if name not in frame.columns}
        return frame.assign(**absent)[self.column_names].reset_index(drop=True)

    def create_sql(self) -> str:
        lines = [f"{column.name} {column.sql_type}" for column in self.columns]
        if self.primary_key:
            lines.append(f"primary key ({', '.join(self.primary_key)})")
        body = ",\n    ".join(lines)
        return f"create table if not exists {self.qualified_name} (\n    {body}\n)"


# --- Ingest (fcast ingest): lottery draws with their provenance, rejects, files, generic panels. ---

_PROVENANCE = (
    ("source_name", "text not null", "File name or URL the row came from."),
    ("source_kind", "varchar(16) not null", "csv, json, html or panel."),
    ("file_hash", "varchar(64) not null", "sha256 of the source file's bytes."),
    ("source_row", "bigint not null", "Row of the record in its source (CSV line, JSON element)."),
    ("original_record", "text not null", "The record exactly as read, as JSON text (extra columns included)."),
    ("loaded_at", "timestamp not null", "UTC time the row was loaded."),
)

_DRAW = (
    ("game_code", "varchar(32) not null", "Game code from the games seed (loto6, numbers3, ...)."),
    ("draw_no", "bigint not null", "The draw number (回号)."),
    ("draw_date", "date not null", "The draw date."),
    ("numbers_json", "text not null", "Main numbers as a JSON array of integers (ascending for select games)."),
    ("bonus_json", "text not null", "Bonus numbers as a JSON array (empty when the source had none)."),
    ("draw_hash", "varchar(64) not null", "sha256 of the canonical draw (game, number, date, numbers, sorted bonus)."),
)

LOTTERY_DRAWS = RawTable(
    name="lottery_draws",
    description="Append-only: the first accepted statement of each draw, with its provenance.",
    written_by="fcast.ingest.loader",
    columns=(*_DRAW, *_PROVENANCE),
    primary_key=("game_code", "draw_no"),
)

LOTTERY_DRAW_CONFLICTS = RawTable(
    name="lottery_draw_conflicts",
    description="Re-statements of a known draw that disagree with the stored one: kept aside, never applied.",
    written_by="fcast.ingest.loader",
    columns=(
        *_DRAW,
        ("stored_draw_hash", "varchar(64) not null", "draw_hash of the stored statement this one disagrees with."),
        ("difference", "text not null", "What differs from the stored draw (date, numbers, bonus), as text."),
        *_PROVENANCE,
    ),
    primary_key=("game_code", "draw_no", "draw_hash"),
)

INGEST_REJECTS = RawTable(
    name="ingest_rejects",
    description="Rows that broke a rule (draws or panel rows), with file, row and rule; never dropped silently.",
    written_by="fcast.ingest.loader, fcast.ingest.panel",
    columns=(
        ("subject", "varchar(64) not null", "What the file was loaded into: a game code or a panel dataset name."),
        ("source_name", "text not null", "File name or URL the row came from."),
        ("source_kind", "varchar(16) not null", "csv, json, html or panel."),
        ("file_hash", "varchar(64) not null", "sha256 of the source file's bytes."),
        ("source_row", "bigint not null", "Row of the rejected record in its source."),
        ("rule", "varchar(64) not null", "Id of the ingest rule the row broke."),
        ("message", "text not null", "What is wrong with the row and how to fix it."),
        ("original_record", "text not null", "The record exactly as read, as JSON text."),
        ("loaded_at", "timestamp not null", "UTC time the file was loaded."),
    ),
    primary_key=("file_hash", "subject", "source_row", "rule"),
)

INGEST_FILES = RawTable(
    name="ingest_files",
    description="One row per distinct file (by content hash) and subject, with what its first load did.",
    written_by="fcast.ingest.loader, fcast.ingest.panel",
    columns=(
        ("file_hash", "varchar(64) not null", "sha256 of the file's bytes."),
        ("subject", "varchar(64) not null", "What the file was loaded into: a game code or a panel dataset name."),
        ("source_name", "text not null", "File name or URL."),
        ("source_kind", "varchar(16) not null", "csv, json, html or panel."),
        ("records_read", "bigint not null", "Records read from the file."),
        ("rows_added", "bigint not null", "Rows the first load added."),
        ("rows_already_known", "bigint not null", "Rows identical to stored ones (skipped)."),
        ("rows_rejected", "bigint not null", "Rows that broke a rule (see ingest_rejects)."),
        ("rows_conflicting", "bigint not null", "Rows that disagreed with a stored draw (see lottery_draw_conflicts)."),
        ("loaded_at", "timestamp not null", "UTC time of the first load."),
    ),
    primary_key=("file_hash", "subject"),
)

PANEL_DATASETS = RawTable(
    name="panel_datasets",
    description="One row per panel dataset: its time axis (integer steps, or dates at a pandas frequency with the "
    "grid origin), the season length of its seasonal naive baseline, and where each came from.",
    written_by="fcast.ingest.panel",
    columns=(
        ("dataset_name", "varchar(64) not null", "The panel dataset (its upload name)."),
        ("time_kind", "varchar(16) not null", "integer (ds counts steps) or date (ds indexes a date grid)."),
        ("freq", "varchar(32) not null", "The pandas frequency of the axis (an integer step for integer panels)."),
        ("freq_source", "varchar(16) not null", "declared (given at ingest) or inferred (from the data)."),
        ("origin_time", "timestamp", "The date of ds = 0 on a date axis; null for integer panels."),
        ("season_length", "integer not null", "Season length of the seasonal naive baseline."),
        ("season_length_source", "varchar(16) not null", "declared (given at ingest) or from_freq (from the axis)."),
        ("gap_policy", "varchar(32) not null", "reject, ffill, bfill, interpolate or value:<number>."),
        ("source_name", "text not null", "File name of the latest upload."),
        ("file_hash", "varchar(64) not null", "sha256 of the latest upload's bytes."),
        ("updated_at", "timestamp not null", "UTC time of the latest upload."),
    ),
    primary_key=("dataset_name",),
)

PANEL_OBSERVATIONS = RawTable(
    name="panel_observations",
    description="Generic unique_id/ds/y panels, one dataset per upload name; ds is the position on the dataset's "
    "time axis, ds_time the timestamp of a date panel, filled_by the method that filled a gap row.",
    written_by="fcast.ingest.panel",
    columns=(
        ("dataset_name", "varchar(64) not null", "The panel dataset (its upload name)."),
        ("unique_id", "varchar(128) not null", "The series."),
        ("ds", "bigint not null", "Position on the dataset's time axis (an integer step)."),
        ("ds_date", "date", "The day of ds_time on a date axis; null for integer panels."),
        ("y", "float8 not null", "The observed (or filled) value."),
        ("source_name", "text not null", "File name the row came from."),
        ("file_hash", "varchar(64) not null", "sha256 of the file's bytes."),
        ("source_row", "bigint not null", "Row in the file; 0 for a row fcast filled into a gap."),
        ("loaded_at", "timestamp not null", "UTC time the row was loaded."),
        ("ds_time", "timestamp", "The timestamp of ds on a date axis; null for integer panels.", 4),
        (
            "filled_by",
            "varchar(32) default ''",
            "'' for a row of the file, else the fill method (interpolate, ...).",
            4,
        ),
    ),
    primary_key=("dataset_name", "unique_id", "ds"),
)

PANEL_EXOGENOUS = RawTable(
    name="panel_exogenous",
    description="Exogenous values of the panels (hist_/stat_/fut_ prefixed columns), one row per value.",
    written_by="fcast.ingest.panel",
    columns=(
        ("dataset_name", "varchar(64) not null", "The panel dataset."),
        ("unique_id", "varchar(128) not null", "The series."),
        ("ds", "bigint not null", "Position on the dataset's time axis."),
        ("feature_name", "varchar(128) not null", "The column name with its prefix (hist_, stat_, fut_)."),
        ("feature_value", "float8 not null", "The value."),
        ("file_hash", "varchar(64) not null", "sha256 of the file's bytes."),
        ("loaded_at", "timestamp not null", "UTC time the row was loaded."),
        ("ds_time", "timestamp", "The timestamp of ds on a date axis; null for integer panels.", 4),
    ),
    primary_key=("dataset_name", "unique_id", "ds", "feature_name"),
)

INGEST_TABLES: tuple[RawTable, ...] = (
    LOTTERY_DRAWS,
    LOTTERY_DRAW_CONFLICTS,
    INGEST_REJECTS,
    INGEST_FILES,
    PANEL_DATASETS,
    PANEL_OBSERVATIONS,
    PANEL_EXOGENOUS,
)


# --- Spec registry (fcast registry scan). Every fact is keyed by the environment key. ---

_ENV_KEY = (
    "env_key",
    "varchar(200) not null",
    "Environment key of the scan, e.g. neuralforecast==3.3.0|py3.11.7|torch2.13.0|cpu.",
)
_LIBRARY = ("library", "varchar(64) not null", "The scanned library (neuralforecast, ...).")
_BUILD = (
    ("can_build", "boolean not null", "Whether the class could be instantiated in the scan."),
    ("build_error", "text not null", "The error when it could not; '' otherwise."),
)

REGISTRY_ENVIRONMENTS = RawTable(
    name="registry_environments",
    description="One row per scanned environment: a library version with the Python, torch and accelerator.",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("library_version", "varchar(64) not null", "The library's installed version ('' when not installed)."),
        ("version_sort_key", "varchar(64) not null", "Zero-padded version that sorts correctly (00003.00003.00000)."),
        ("python_version", "varchar(32) not null", "The interpreter's Python version."),
        ("torch_version", "varchar(64) not null", "The installed torch version."),
        ("accelerator", "varchar(128) not null", "cpu, or the GPU the environment sees."),
        ("interpreter", "text not null", "Path of the Python interpreter that ran the scan."),
        ("scanner_version", "varchar(32) not null", "Version of fcast's scanner (a new one rescans)."),
        ("status", "varchar(16) not null", "scanned, not_installed or failed."),
        ("error", "text not null", "Why the scan failed; '' otherwise."),
        ("duration_seconds", "float8 not null", "How long the scan took."),
        ("scanned_at", "timestamp not null", "UTC time of the scan."),
    ),
    primary_key=("env_key",),
)

REGISTRY_SYMBOLS = RawTable(
    name="registry_symbols",
    description="Modules, classes, functions and methods of a scanned library.",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("symbol", "varchar(400) not null", "Dotted path of the symbol (module.qualname)."),
        ("module", "varchar(300) not null", "The module that defines it."),
        ("qualname", "varchar(300) not null", "Its qualified name inside the module."),
        ("kind", "varchar(16) not null", "module, class, function or method."),
        ("parent_symbol", "varchar(400) not null", "The enclosing module or class; '' for a top-level module."),
        ("is_public", "boolean not null", "Whether the name is public (no leading underscore)."),
        ("summary", "text not null", "First line of its docstring."),
        ("import_error", "text not null", "The error when the module could not be imported; '' otherwise."),
    ),
    primary_key=("env_key", "symbol"),
)

REGISTRY_PARAMETERS = RawTable(
    name="registry_parameters",
    description="Every parameter of every scanned callable: position, kind, default, types and description.",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("symbol", "varchar(400) not null", "The callable (a class means its constructor)."),
        ("parameter", "varchar(200) not null", "The parameter's name."),
        ("position", "integer not null", "Its position in the signature, from 0."),
        ("kind", "varchar(32) not null", "Python's parameter kind (POSITIONAL_OR_KEYWORD, KEYWORD_ONLY, ...)."),
        ("required", "boolean not null", "Whether a caller must give it."),
        ("has_default", "boolean not null", "Whether the signature gives it a default."),
        ("default_repr", "text not null", "repr() of the default; '' when there is none."),
        ("annotation", "text not null", "The annotation as written; '' when there is none."),
        ("normalized_type", "varchar(300) not null", "The type fcast reads from the annotation or the docstring."),
        ("type_source", "varchar(32) not null", "Where normalized_type came from (annotation, docstring, default)."),
        ("description", "text not null", "The parameter's description from the docstring."),
    ),
    primary_key=("env_key", "symbol", "parameter"),
)

REGISTRY_ALLOWED_VALUES = RawTable(
    name="registry_allowed_values",
    description="Allowed values of a parameter and where each came from (Literal, docstring, library check).",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("symbol", "varchar(400) not null", "The callable."),
        ("parameter", "varchar(200) not null", "The parameter."),
        ("allowed_value", "varchar(300) not null", "One allowed value, as text."),
        ("value_source", "varchar(300) not null", "Where it came from (literal, docstring, library_check:...)."),
    ),
    primary_key=("env_key", "symbol", "parameter", "allowed_value", "value_source"),
)

REGISTRY_MODEL_CAPABILITIES = RawTable(
    name="registry_model_capabilities",
    description="Capability flags per model class (scope class) and where an argument changes them (scope instance).",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("model_class", "varchar(128) not null", "The model class."),
        ("scope", "varchar(16) not null", "class (the class's flags) or instance (flags with one argument set)."),
        ("argument", "varchar(128) not null", "The constructor argument that changes the flags; '' for scope class."),
        ("argument_value", "varchar(128) not null", "Its value; '' for scope class."),
        ("exogenous_futr", "boolean not null", "Accepts future exogenous features (futr_exog_list)."),
        ("exogenous_hist", "boolean not null", "Accepts historic exogenous features (hist_exog_list)."),
        ("exogenous_stat", "boolean not null", "Accepts static exogenous features (stat_exog_list)."),
        ("exogenous_cat", "boolean not null", "Accepts categorical exogenous features."),
        ("multivariate", "boolean not null", "Models all series jointly (n_series)."),
        ("recurrent", "boolean not null", "A recurrent model."),
        ("auto_class", "varchar(128) not null", "Its Auto class (AutoNHITS, ...); '' when there is none."),
        *_BUILD,
    ),
    primary_key=("env_key", "model_class", "scope", "argument", "argument_value"),
)

REGISTRY_LOSSES = RawTable(
    name="registry_losses",
    description="Every loss class (and distribution variant): family, outputs, whether it can train or validate.",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("loss_class", "varchar(128) not null", "The loss class (MAE, DistributionLoss, ...)."),
        (
            "loss_variant",
            "varchar(128) not null",
            "The variant of the class, e.g. distribution=Normal; '' for a plain loss.",
        ),
        ("family", "varchar(48) not null", "The loss family (point, probabilistic_parametric, ...)."),
        ("outputs", "varchar(32) not null", "What the model outputs with it (point, distribution_parameters, ...)."),
        ("output_names", "text not null", "The names of those outputs, as JSON."),
        ("is_distribution_output", "boolean not null", "Whether the outputs are a distribution's parameters."),
        *_BUILD,
        ("trainable", "boolean not null", "Whether a model trained with it in the scan's check."),
        ("training_error", "text not null", "The error when it did not; '' otherwise."),
    ),
    primary_key=("env_key", "loss_class", "loss_variant"),
)

REGISTRY_MODEL_LOSSES = RawTable(
    name="registry_model_losses",
    description="Declared model x loss compatibility: whether the model's constructor accepts the loss.",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("model_class", "varchar(128) not null", "The model class."),
        ("loss_class", "varchar(128) not null", "The loss class."),
        (
            "loss_variant",
            "varchar(128) not null",
            "The variant of the class, e.g. distribution=Normal; '' for a plain loss.",
        ),
        ("role", "varchar(16) not null", "loss (training) or valid_loss (validation)."),
        ("accepted", "boolean not null", "Whether the constructor accepted it."),
        ("error", "text not null", "The error when it did not; '' otherwise."),
    ),
    primary_key=("env_key", "model_class", "loss_class", "loss_variant", "role"),
)

REGISTRY_SEARCH_SPACES = RawTable(
    name="registry_search_spaces",
    description="Default search space of every Auto model, per backend (optuna read with a recording trial).",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("auto_class", "varchar(128) not null", "The Auto class."),
        ("model_class", "varchar(128) not null", "The model class it searches."),
        ("backend", "varchar(16) not null", "optuna or ray."),
        ("parameter", "varchar(128) not null", "The searched parameter."),
        ("sampler", "varchar(48) not null", "How it is sampled (choice, uniform, ...); error when unreadable."),
        ("spec_json", "text not null", "The sampler's arguments as JSON."),
    ),
    primary_key=("env_key", "auto_class", "backend", "parameter"),
)

REGISTRY_FOUNDATION_CAPABILITIES = RawTable(
    name="registry_foundation_capabilities",
    description="What each time-series foundation model adapter can do, scanned under its library's version "
    "(chronos-forecasting, transformers, or fcast's own TimeGPT client).",
    written_by="fcast.registry.scan",
    columns=(
        _ENV_KEY,
        _LIBRARY,
        ("model_class", "varchar(128) not null", "The adapter a plan row names as its model (Chronos2, TimesFM, ...)."),
        ("zero_shot", "boolean not null", "Forecasts without training on the plan's data."),
        ("past_covariates", "boolean not null", "Takes historical exogenous features."),
        ("future_covariates", "boolean not null", "Takes future exogenous features."),
        ("quantile_output", "boolean not null", "Forecasts quantiles (intervals come from them)."),
        ("quantile_min", "double precision not null", "The lowest quantile of the model's own grid."),
        ("quantile_max", "double precision not null", "The highest quantile of the model's own grid."),
        ("max_context", "integer not null", "The longest context (draws) the model reads."),
        ("max_horizon", "integer not null", "The longest horizon answered in one call."),
        ("fine_tuning", "boolean not null", "Can be fine-tuned on the plan's data (model_args.fine_tune_steps)."),
        ("embeddings", "boolean not null", "Gives pooled embeddings of a context window (fcast features embed)."),
        ("needs_checkpoint", "boolean not null", "Loads local weights (model_args.checkpoint or FCAST_TSFM_HOME)."),
        ("default_checkpoint", "varchar(200) not null", "The checkpoint's folder name under FCAST_TSFM_HOME."),
        ("how_to_get", "text not null", "How a user puts the weights there (nothing is downloaded at run time)."),
    ),
    primary_key=("env_key", "model_class"),
)

REGISTRY_TABLES: tuple[RawTable, ...] = (
    REGISTRY_ENVIRONMENTS,
    REGISTRY_SYMBOLS,
    REGISTRY_PARAMETERS,
    REGISTRY_ALLOWED_VALUES,
    REGISTRY_MODEL_CAPABILITIES,
    REGISTRY_LOSSES,
    REGISTRY_MODEL_LOSSES,
    REGISTRY_SEARCH_SPACES,
    REGISTRY_FOUNDATION_CAPABILITIES,
)


# --- Probes (fcast registry probe, and plan rehearsals) and run plans (fcast validate). ---

REGISTRY_PROBES = RawTable(
    name="registry_probes",
    description="One row per probe run (env_key, probe_id): a real call of the library with exact arguments, its "
    "outcome, and how far its output moved from the baseline probe without that argument.",
    written_by="fcast.probe.runner, fcast.plans.rehearse",
    columns=(
        ("env_key", "varchar(200) not null", "Environment key of the registry scan the probe ran in."),
        ("probe_id", "varchar(64) not null", "Hash of the probe's spec."),
        ("library", "varchar(64) not null", "The probed library."),
        ("model_class", "varchar(128) not null", "The model class called."),
        ("method", "varchar(64) not null", "What was called (fit, cross_validation, ...; plan for a rehearsal)."),
        (
            "argument",
            "varchar(200) not null",
            "The argument under test ('' for a baseline; the plan id in a rehearsal).",
        ),
        ("value_label", "varchar(300) not null", "The value given to it, as text (the run name in a rehearsal)."),
        ("baseline_probe_id", "varchar(64) not null", "The probe without that argument; '' for a baseline."),
        ("spec_json", "text not null", "The probe's exact spec as JSON."),
        (
            "outcome",
            "varchar(16) not null",
            "ok, raised, ignored, unchanged, baseline, not_observable, not_additive, nan_output, timeout or crashed.",
        ),
        ("error_type", "varchar(128) not null", "The exception class when the call raised; '' otherwise."),
        ("error_message", "text not null", "The exception message when the call raised; '' otherwise."),
        ("duration_seconds", "float8 not null", "How long the call took."),
        ("output_rows", "bigint not null", "Rows of the call's output frame."),
        ("output_columns", "text not null", "Columns of the output frame, as JSON."),
        (
            "max_abs_diff_from_baseline",
            "float8",
            "Largest absolute difference from the baseline's output; null if none.",
        ),
        ("tolerance", "float8 not null", "Differences up to this count as unchanged."),
        ("probed_at", "timestamp not null", "UTC time of the probe."),
        ("probe_kind", "varchar(16) default 'library'", "library (the probe matrix) or plan (a rehearsal).", 1),
        ("failed_stage", "varchar(32) default ''", "The trainer stage a plan rehearsal failed in; '' otherwise.", 2),
        ("question", "varchar(16) default 'effect'", "effect (against its baseline) or runs (does the call run).", 3),
        ("outcome_reason", "text default ''", "Why the outcome says what it says (the rule behind ignored & co).", 3),
        ("observed_differences", "varchar(200) default ''", "What differed from the baseline: forecast, ...", 3),
        ("library_warnings", "text default ''", "The library's warnings during the call, one per line.", 3),
        ("probe_version", "varchar(8) default '1'", "fcast.probe.definitions.PROBE_VERSION of the definition.", 3),
        ("series_count", "integer", "Series in the probe's data.", 3),
        ("series_length", "integer", "Length of each series in the probe's data.", 3),
        ("horizon", "integer", "The forecast horizon h.", 3),
        ("input_size", "integer", "The model's input_size.", 3),
        ("max_steps", "integer", "Training steps.", 3),
        ("windows_batch_size", "integer", "The model's windows_batch_size.", 3),
        ("loss_label", "varchar(200) default ''", "The training loss, as a label.", 3),
        ("valid_loss_label", "varchar(200) default ''", "The validation loss, as a label.", 3),
        ("val_size", "integer", "Validation size of the fit.", 3),
        ("exogenous_kinds", "varchar(32) default ''", "Exogenous kinds the data carried (futr,hist,stat).", 3),
        ("context_label", "text default ''", "The whole context above as one readable label.", 3),
    ),
    primary_key=("env_key", "probe_id"),
)

_PLAN_ID = ("plan_id", "varchar(64) not null", "Hash of the plan row's spec.")
_VALIDATION_ENV_KEY = ("env_key", "varchar(200) not null", "The environment it was validated against.")

RUN_PLANS = RawTable(
    name="run_plans",
    description="Run plans, one row per plan row (plan_id is a hash of its spec), with its exact arguments "
    "(the YAML plan format, as rows).",
    written_by="fcast.plans.validate",
    columns=(
        _PLAN_ID,
        ("plan_name", "varchar(200) not null", "The plan the row belongs to."),
        ("plan_source", "text not null", "The plan file (or where the plan came from)."),
        ("row_index", "integer not null", "Position of the row in its plan, from 0."),
        ("run_name", "varchar(200) not null", "The row's run name."),
        ("dataset", "varchar(64) not null", "The dataset it trains on: a game code or a panel dataset name."),
        ("series_selector", "varchar(64) not null", "Which series of the dataset (all, one unique_id, ...)."),
        ("model_class", "varchar(128) not null", "The model class."),
        ("loss_class", "varchar(128) not null", "The training loss class; '' for the model's default."),
        ("valid_loss_class", "varchar(128) not null", "The validation loss class; '' for the default."),
        ("horizon", "integer not null", "The forecast horizon h."),
        ("backend", "varchar(16) not null", "How it trains: a plain fit, optuna or ray."),
        ("spec_json", "text not null", "The row's whole spec as JSON."),
        ("created_at", "timestamp not null", "UTC time the row was stored."),
    ),
    primary_key=("plan_id",),
)

PLAN_VALIDATIONS = RawTable(
    name="plan_validations",
    description="Each validation of a plan row against one environment key: valid or rejected.",
    written_by="fcast.plans.validate",
    columns=(
        _PLAN_ID,
        _VALIDATION_ENV_KEY,
        ("status", "varchar(16) not null", "valid or rejected."),
        ("violations", "integer not null", "Errors found (each in plan_violations)."),
        ("warnings", "integer not null", "Warnings found (each in plan_violations)."),
        ("validated_at", "timestamp not null", "UTC time of the validation."),
    ),
    primary_key=("plan_id", "env_key"),
)

PLAN_VIOLATIONS = RawTable(
    name="plan_violations",
    description="Every violation found in a plan row, with what to change and the evidence.",
    written_by="fcast.plans.validate",
    columns=(
        _PLAN_ID,
        _VALIDATION_ENV_KEY,
        ("rule", "varchar(64) not null", "Id of the validation rule."),
        ("field", "varchar(200) not null", "The plan field it is about."),
        ("severity", "varchar(16) not null", "error or warning."),
        ("message", "text not null", "What is wrong."),
        ("suggestion", "text not null", "What to change."),
        ("evidence_kind", "varchar(32) not null", "What backs it: rule, a registry fact or a probe."),
        ("evidence", "text not null", "The evidence itself (the fact, or the probe id)."),
    ),
    primary_key=("plan_id", "env_key", "rule", "field"),
)

PROBE_AND_PLAN_TABLES: tuple[RawTable, ...] = (REGISTRY_PROBES, RUN_PLANS, PLAN_VALIDATIONS, PLAN_VIOLATIONS)


# --- Training (fcast train / retrain / predict): runs, metrics, forecasts, resources, the model store. ---

RUN_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED")

_RUN_ID = ("run_id", "varchar(64) not null", "The run (nf_model_runs.run_id).")

NF_MODEL_RUNS = RawTable(
    name="nf_model_runs",
    description="One row per training, retraining or prediction run: the plan row it ran, its exact inputs "
    "(series, data version, seed, environment key), status, heartbeat and results.",
    written_by="fcast.train.runs",
    columns=(
        ("run_id", "varchar(64) not null", "The run's id (a uuid4 hex)."),
        ("created_at", "timestamp not null", "UTC time the run was recorded (PENDING)."),
        ("updated_at", "timestamp not null", "UTC time of the row's latest change."),
        ("run_kind", "varchar(16) not null", "train, retrain or predict."),
        ("parent_run_id", "varchar(64) not null", "The run a retrain or prediction started from; '' for train."),
        ("plan_id", "varchar(64) not null", "The plan row it ran (run_plans.plan_id)."),
        ("plan_name", "varchar(200) not null", "The plan the row belongs to."),
        ("run_name", "varchar(200) not null", "The plan row's run name."),
        ("table_name", "varchar(200) not null", "The mart the training frame was read from."),
        ("loto", "varchar(64) not null", "The dataset: a game code or a panel dataset name (seed 000's name)."),
        ("series_selector", "varchar(64) not null", "Which series of the dataset the plan row chose."),
        ("unique_ids", "text not null", "The series trained on, as a JSON array."),
        ("model_name", "varchar(128) not null", "The model class."),
        ("backend", "varchar(16) not null", "How it trained: a plain fit, optuna or ray."),
        ("horizon", "integer not null", "The forecast horizon h."),
        ("loss", "varchar(128) not null", "The training loss, as a label."),
        ("optimization_config", "text not null", "The model and fit arguments, as JSON."),
        ("search_space", "text not null", "The search space of an Auto run, as JSON ({} otherwise)."),
        ("status", "varchar(16) not null", "PENDING, RUNNING, COMPLETED or FAILED."),
        ("start_time", "timestamp", "UTC time the work started; null while PENDING."),
        ("end_time", "timestamp", "UTC time the work ended; null until then."),
        ("duration_seconds", "float8", "end_time - start_time in seconds; null until the end."),
        ("metrics", "text not null", "Summary metrics over every series and window, as JSON."),
        ("best_params", "text not null", "The best configuration of a search, as JSON ({} otherwise)."),
        ("resource_summary", "text not null", "The run's resource summary, as JSON."),
        ("logs", "text not null", "The run's log lines."),
        ("error_type", "varchar(128) not null", "The exception class of a FAILED run; '' otherwise."),
        ("error_message", "text not null", "Its message; '' otherwise."),
        ("mlflow_run_id", "varchar(64) not null", "The MLflow run, when MLflow tracking is on; '' otherwise."),
        ("env_key", "varchar(200) not null", "Environment key of the library it trained with."),
        ("data_version", "varchar(64) not null", "Hash of the training frames (df, static_df, futr_df)."),
        ("train_rows", "bigint not null", "Rows of the training frame."),
        ("last_ds", "bigint", "The last ds trained on."),
        ("random_seed", "bigint not null", "The seed the model was built with."),
        ("accelerator", "varchar(128) not null", "cpu, or the GPU it trained on."),
        ("host", "varchar(200) not null", "The machine that ran it."),
        ("pid", "bigint not null", "The process that ran it (to find stale runs)."),
        ("heartbeat_at", "timestamp not null", "UTC time of its latest heartbeat (a run that stops beating is stale)."),
        ("ray_node_id", "varchar(64) default ''", "The Ray node it ran on; '' outside a cluster.", 5),
        (
            "dispatch_id",
            "varchar(64) default ''",
            "The cluster task that ran it: the attempts of one plan row (a retry after its node died) share it; "
            "'' outside a cluster.",
            5,
        ),
    ),
    primary_key=("run_id",),
)

RUN_METRICS = RawTable(
    name="run_metrics",
    description="Accuracy of a run per series and cross-validation window: mae, rmse; coverage_<level> and "
    "quantile_loss for probabilistic runs.",
    written_by="fcast.train.trainer",
    columns=(
        _RUN_ID,
        ("unique_id", "varchar(128) not null", "The series."),
        ("window_index", "integer not null", "The cross-validation window, from 0 (oldest cutoff first)."),
        ("cutoff", "bigint not null", "The window's cutoff (last ds the model saw)."),
        ("metric", "varchar(32) not null", "mae, rmse, coverage_<level> or quantile_loss."),
        ("value", "float8", "The metric's value; null when it could not be computed."),
        ("n_points", "integer not null", "Forecast points in the window."),
    ),
    primary_key=("run_id", "unique_id", "window_index", "metric"),
)

_FORECAST_KEY = (
    _RUN_ID,
    ("forecast_kind", "varchar(16) not null", "cross_validation, forecast (the next h steps) or insample."),
    ("unique_id", "varchar(128) not null", "The series."),
    ("cutoff", "bigint not null", "Last ds the model saw before the forecast."),
    ("ds", "bigint not null", "The forecast ds (an index on the dataset's time axis)."),
)

RUN_FORECASTS = RawTable(
    name="run_forecasts",
    description="Point forecasts of a run: cross-validation windows (with the actual y) and the next h steps.",
    written_by="fcast.train.trainer",
    columns=(
        *_FORECAST_KEY,
        ("horizon_step", "integer not null", "Steps after the cutoff, from 1."),
        ("y_hat", "float8", "The point forecast."),
        ("y", "float8", "The actual value (cross-validation and insample); null for a forecast."),
        ("ds_time", "timestamp", "The timestamp of ds on a date axis; null for games and integer panels.", 4),
        ("cutoff_time", "timestamp", "The timestamp of the cutoff on a date axis; null otherwise.", 4),
    ),
    primary_key=("run_id", "forecast_kind", "unique_id", "cutoff", "ds"),
)

RUN_FORECAST_INTERVALS = RawTable(
    name="run_forecast_intervals",
    description="Prediction intervals of probabilistic runs: one row per forecast and level.",
    written_by="fcast.train.trainer",
    columns=(
        *_FORECAST_KEY,
        ("level", "float8 not null", "The interval's level in percent (80, 95, ...)."),
        ("lo", "float8", "The lower bound."),
        ("hi", "float8", "The upper bound."),
    ),
    primary_key=("run_id", "forecast_kind", "unique_id", "cutoff", "ds", "level"),
)

_IO_TOTALS = (
    ("disk_read_bytes", "bigint", "Bytes the system read from disk since the run started; null if unknown."),
    ("disk_write_bytes", "bigint", "Bytes the system wrote to disk since the run started; null if unknown."),
    ("net_sent_bytes", "bigint", "Bytes the system sent since the run started; null if unknown."),
    ("net_recv_bytes", "bigint", "Bytes the system received since the run started; null if unknown."),
)

RUN_RESOURCES = RawTable(
    name="run_resources",
    description="Resource samples taken by the trainer's background monitor while a run works (flushed live).",
    written_by="fcast.train.trainer",
    columns=(
        _RUN_ID,
        ("sample_index", "integer not null", "The sample's number in the run, from 0."),
        ("sampled_at", "timestamp not null", "UTC time of the sample."),
        ("elapsed_seconds", "float8 not null", "Seconds since the monitor started."),
        ("process_cpu_percent", "float8 not null", "CPU use of the training process (100 = one core)."),
        ("system_cpu_percent", "float8 not null", "CPU use of the whole machine."),
        ("process_rss_bytes", "bigint not null", "Resident memory of the training process."),
        ("system_memory_used_bytes", "bigint not null", "Memory used on the machine."),
        ("system_memory_percent", "float8 not null", "Memory used on the machine, in percent."),
        *_IO_TOTALS,
        ("gpu_utilization_percent", "float8", "GPU utilisation; null without a GPU."),
        ("gpu_memory_used_bytes", "bigint", "GPU memory used; null without a GPU."),
        ("gpu_memory_total_bytes", "bigint", "GPU memory in all; null without a GPU."),
    ),
    primary_key=("run_id", "sample_index"),
)

RUN_RESOURCE_SUMMARIES = RawTable(
    name="run_resource_summaries",
    description="Per-run resource summary: peaks, means, CPU seconds, IO totals, GPU use when present.",
    written_by="fcast.train.trainer",
    columns=(
        _RUN_ID,
        ("samples", "integer not null", "Samples taken."),
        ("monitor_interval_seconds", "float8 not null", "Seconds between samples."),
        ("duration_seconds", "float8 not null", "Seconds the monitor ran."),
        ("cpu_seconds", "float8 not null", "CPU seconds the training process used."),
        ("mean_process_cpu_percent", "float8 not null", "Mean CPU use of the process."),
        ("peak_process_cpu_percent", "float8 not null", "Peak CPU use of the process."),
        ("mean_rss_bytes", "bigint not null", "Mean resident memory of the process."),
        ("peak_rss_bytes", "bigint not null", "Peak resident memory of the process."),
        *_IO_TOTALS,
        ("gpu_name", "varchar(200) not null", "The GPU's name; '' without a GPU."),
        ("mean_gpu_utilization_percent", "float8", "Mean GPU utilisation; null without a GPU."),
        ("peak_gpu_memory_used_bytes", "bigint", "Peak GPU memory used; null without a GPU."),
    ),
    primary_key=("run_id",),
)

MODEL_ARTIFACTS = RawTable(
    name="model_artifacts",
    description="The model store: where each trained model was saved (NeuralForecast.save), the sha256 of its "
    "files, and the exact series, exogenous lists and feature set it was trained with.",
    written_by="fcast.train.trainer (status: fcast.train.stored)",
    columns=(
        ("artifact_id", "varchar(64) not null", "The artifact's id (a uuid4 hex)."),
        ("run_id", "varchar(64) not null", "The run that saved it."),
        ("plan_id", "varchar(64) not null", "The plan row the run ran."),
        ("model_name", "varchar(128) not null", "The model class."),
        ("loto", "varchar(64) not null", "The dataset: a game code or a panel dataset name."),
        ("table_name", "varchar(200) not null", "The mart the training frame was read from."),
        ("artifact_path", "text not null", "The folder NeuralForecast.save wrote."),
        ("files_hash", "varchar(64) not null", "sha256 over the saved files (checked before a model is loaded)."),
        ("file_count", "integer not null", "Files in the folder."),
        ("size_bytes", "bigint not null", "Their size in all."),
        ("unique_ids", "text not null", "The series it was trained on, as a JSON array."),
        ("futr_exog_list", "text not null", "Its future exogenous features, as a JSON array."),
        ("hist_exog_list", "text not null", "Its historic exogenous features, as a JSON array."),
        ("stat_exog_list", "text not null", "Its static exogenous features, as a JSON array."),
        ("feature_set", "text not null", "The three lists by kind, as a JSON object."),
        ("env_key", "varchar(200) not null", "Environment key of the library that saved it."),
        ("data_version", "varchar(64) not null", "Hash of the training frames."),
        (
            "status",
            "varchar(16) not null",
            "stored, or missing / tampered once a load found its files gone or changed.",
        ),
        ("created_at", "timestamp not null", "UTC time it was saved."),
        ("updated_at", "timestamp not null", "UTC time of the row's latest change."),
    ),
    primary_key=("artifact_id",),
)

TRAINING_TABLES: tuple[RawTable, ...] = (
    NF_MODEL_RUNS,
    RUN_METRICS,
    RUN_FORECASTS,
    RUN_FORECAST_INTERVALS,
    RUN_RESOURCES,
    RUN_RESOURCE_SUMMARIES,
    MODEL_ARTIFACTS,
)

# PostgreSQL keeps updated_at current on every update (a trigger); on DuckDB the writer sets it.
TABLES_WITH_UPDATED_AT_TRIGGER: tuple[RawTable, ...] = (NF_MODEL_RUNS, MODEL_ARTIFACTS)
POSTGRES_TOUCH_FUNCTION = f"""
create or replace function {RAW_SCHEMA}.touch_updated_at() returns trigger language plpgsql as $$
begin
    new.updated_at := now() at time zone 'utc';
    return new;
end $$
"""


def postgres_updated_at_trigger(table: RawTable) -> str:
    return (
        f"create trigger {table.name}_touch_updated_at before update on {table.qualified_name} "
        f"for each row execute function {RAW_SCHEMA}.touch_updated_at()"
    )


# --- Chance (fcast evaluate): exact slot bounds, the leaderboard against chance, the predictability profile. ---
# Each evaluation replaces the game's previous rows.

_GAME_CODE = ("game_code", "varchar(64) not null", "The game (games seed).")

SLOT_CHANCE_BOUNDS = RawTable(
    name="slot_chance_bounds",
    description="Per game slot, from the game geometry: its exact i.i.d. distribution's median, mean, the exact "
    "best achievable expected MAE, the expected MAE of a uniform random guess, and entropies.",
    written_by="fcast.chance.evaluate",
    columns=(
        _GAME_CODE,
        ("unique_id", "varchar(128) not null", "The slot's series (<game>_N<k>)."),
        ("slot_index", "integer not null", "The slot k."),
        ("family", "varchar(32) not null", "The game family (select or digits)."),
        ("n_values", "integer not null", "How many values the slot can take."),
        ("value_min", "integer not null", "The smallest value."),
        ("value_max", "integer not null", "The largest value."),
        ("median", "integer not null", "Median of the exact distribution (the best constant guess)."),
        ("mean", "float8 not null", "Mean of the exact distribution."),
        (
            "exact_best_mae",
            "float8 not null",
            "Expected MAE of the best constant guess: no model can beat it on average.",
        ),
        ("uniform_guess_mae", "float8 not null", "Expected MAE of a uniform random guess."),
        ("entropy_bits", "float8 not null", "Entropy of the exact distribution, in bits."),
        ("max_entropy_bits", "float8 not null", "log2(n_values): the entropy of a uniform slot."),
        ("computed_at", "timestamp not null", "UTC time of the evaluation."),
    ),
    primary_key=("game_code", "unique_id"),
)

LEADERBOARD_ENTRIES = RawTable(
    name="leaderboard_entries",
    description="Per game, model run and series: the run's cross-validation MAE beside chance on the same draws "
    "(uniform guess, best constant, seasonal naive, exact bound) and a one-sided paired test against the best "
    "constant, Holm-corrected across every model of the game.",
    written_by="fcast.chance.evaluate",
    columns=(
        _GAME_CODE,
        ("run_id", "varchar(64) not null", "The scored run (the latest completed run of its plan row)."),
        ("unique_id", "varchar(128) not null", "The series."),
        ("run_name", "varchar(200) not null", "The run's name."),
        ("model_name", "varchar(128) not null", "The model class."),
        ("plan_id", "varchar(64) not null", "The plan row the run ran."),
        ("n_points", "integer not null", "Cross-validation points compared."),
        ("model_mae", "float8 not null", "The run's MAE on those points."),
        ("best_constant_mae", "float8 not null", "MAE of the median of the draws up to each cutoff."),
        ("seasonal_naive_mae", "float8 not null", "MAE of the value at the cutoff."),
        ("uniform_guess_mae", "float8 not null", "Expected MAE of a uniform random guess on the same draws."),
        ("exact_best_mae", "float8 not null", "The slot's exact best expected MAE."),
        ("mean_error_difference", "float8 not null", "Mean of (best constant error - model error) per point."),
        ("p_value", "float8 not null", "One-sided paired test that the model beats the best constant."),
        ("p_holm", "float8 not null", "p_value Holm-corrected across every model of the game."),
        ("n_tests", "integer not null", "Tests in the Holm correction."),
        ("alpha", "float8 not null", "The significance level."),
        ("beats_chance", "boolean not null", "p_holm < alpha."),
        ("evaluated_at", "timestamp not null", "UTC time of the evaluation."),
    ),
    primary_key=("game_code", "run_id", "unique_id"),
)

PREDICTABILITY_TESTS = RawTable(
    name="predictability_tests",
    description="Per series and per game: tests of the draws against their exact i.i.d. distribution (slot "
    "goodness of fit, pooled ball frequency with the without-replacement correction, runs, Ljung-Box, entropy).",
    written_by="fcast.chance.evaluate",
    columns=(
        _GAME_CODE,
        ("unique_id", "varchar(128) not null", "The series; '' for a game-level test."),
        ("scope", "varchar(16) not null", "series or game."),
        ("test_name", "varchar(64) not null", "exact_distribution, runs, ljung_box, entropy or pooled_ball_frequency."),
        ("n_draws", "integer not null", "Draws tested."),
        ("statistic", "float8", "The test statistic; null when the test could not run."),
        ("dof", "integer", "Degrees of freedom, where the test has them."),
        ("p_value", "float8", "The test's p-value."),
        ("p_holm", "float8", "p_value Holm-corrected across the game's tests."),
        ("detail", "text not null", "The test's details, as JSON."),
        ("verdict", "text not null", "What the test says, in words."),
        ("evaluated_at", "timestamp not null", "UTC time of the evaluation."),
    ),
    primary_key=("game_code", "unique_id", "test_name"),
)

CHANCE_TABLES: tuple[RawTable, ...] = (SLOT_CHANCE_BOUNDS, LEADERBOARD_ENTRIES, PREDICTABILITY_TESTS)


# --- Features computed in Python (fcast features embed): dbt pivots them into hist_ columns of the feature marts. ---

FEATURE_EMBEDDINGS = RawTable(
    name="feature_embeddings",
    description="Per lottery series, draw and foundation model: the embedding of the context window ending at the "
    "draw (only draws up to and including it), pooled by the model and reduced by a fixed random projection, one "
    "row per component. One configuration (checkpoint, reduction, context length) per model and series: a new one "
    "replaces the rows of the old.",
    written_by="fcast.features.embeddings",
    columns=(
        ("game_code", "varchar(32) not null", "The game (games seed)."),
        ("unique_id", "varchar(128) not null", "The series (<game>_N<k>)."),
        ("ds", "bigint not null", "The draw number the context window ends at (included)."),
        ("embedding_model", "varchar(32) not null", "The model key (chronos2, chronosbolt, timesfm)."),
        ("component", "integer not null", "The projected dimension i (1..embedding_dims) of hist_emb_<model>_<i>."),
        ("embedding_value", "float8 not null", "The value of that dimension."),
        ("embedding_width", "integer not null", "Width of the model's pooled vector before the projection."),
        ("checkpoint_hash", "varchar(64) not null", "sha256 of the checkpoint's files (the weights' identity)."),
        ("reduction", "varchar(64) not null", "How the vector was reduced, e.g. random_projection(seed=17,dims=8)."),
        ("context_length", "integer not null", "The most draws a window holds (fewer at the start of a series)."),
        ("context_hash", "varchar(64) not null", "sha256 of the window's values: the cache key of the embedding."),
        ("created_at", "timestamp not null", "UTC time the embedding was computed."),
    ),
    primary_key=("embedding_model", "unique_id", "ds", "component"),
)

FEATURE_ANOMALIES = RawTable(
    name="feature_anomalies",
    description="Per lottery series, draw and detector: the anomaly score, flag or regime label of the window of "
    "draws ending at the draw, from a detector fitted only on windows that ended before the draw's block (scores "
    "computed online). Draws before the first fit are warm-up rows with neutral values. One configuration per "
    "detector and series: a new one replaces the rows of the old.",
    written_by="fcast.features.anomalies",
    columns=(
        ("game_code", "varchar(32) not null", "The game (games seed)."),
        ("unique_id", "varchar(128) not null", "The series (<game>_N<k>)."),
        ("ds", "bigint not null", "The draw number the scored window ends at (included)."),
        ("detector", "varchar(32) not null", "The detector key (iforest, ecod; regime for the clustering)."),
        ("detector_class", "varchar(64) not null", "The class that computed it, e.g. pyod.models.iforest.IForest."),
        ("detector_args", "text not null", "The detector's arguments and the online schedule, as sorted JSON."),
        ("library_version", "varchar(64) not null", "The library and its version, e.g. pyod==3.6.7."),
        ("window_draws", "integer not null", "How many draws a scored window holds (the draw and those before it)."),
        (
            "contamination",
            "float8",
            "The detector's contamination setting: the largest share of i.i.d. draws its "
            "calibrated threshold may flag; null for the regime.",
        ),
        ("warmup", "boolean not null", "True before the series has enough windows for a first fit: neutral values."),
        (
            "anomaly_score",
            "float8",
            "Share of the calibration windows less anomalous than this one (0..1; 0.5 "
            "in warm-up); null for the regime.",
        ),
        (
            "chance_flag_rate",
            "float8",
            "The probability that the flag is 1 for an i.i.d. draw (split-conformal "
            "threshold: at most the contamination); null in warm-up and for the regime.",
        ),
        ("raw_score", "float8", "The detector's own decision score (higher is more anomalous); null in warm-up."),
        (
            "flagged",
            "integer",
            "1 when the raw score exceeds the threshold calibrated at the contamination on "
            "windows the detector was not fitted on (0 in warm-up); null for the regime.",
        ),
        (
            "regime",
            "integer",
            "The regime label 1..k ordered by the cluster's mean (0 in warm-up); only for the regime detector.",
        ),
        ("fitted_through_ds", "bigint", "The last draw the detector's training windows end at (null in warm-up)."),
        (
            "train_windows",
            "integer not null",
            "How many windows ended before the block (fit plus calibration; 0 in warm-up).",
        ),
        (
            "history_hash",
            "varchar(64) not null",
            "sha256 chained over the series' values up to the draw: the cache "
            "key (a changed or new draw changes it from there on).",
        ),
        ("created_at", "timestamp not null", "UTC time the row was computed."),
    ),
    primary_key=("detector", "unique_id", "ds"),
)

FEATURE_TABLES: tuple[RawTable, ...] = (FEATURE_EMBEDDINGS, FEATURE_ANOMALIES)


# --- Explanations (fcast explain): attributions of a stored model's forecasts to its inputs. ---
# Explaining a run again with the same explainer replaces its rows (explain_id is a hash of the two).

_EXPLAIN_ID = ("explain_id", "varchar(64) not null", "The explanation: a hash of its run and explainer.")
_EXPLAINED_FORECAST = (
    _EXPLAIN_ID,
    _RUN_ID,
    ("unique_id", "varchar(128) not null", "The series whose forecast is explained."),
    ("cutoff", "bigint not null", "Last ds the model saw before the explained forecast."),
    ("ds", "bigint not null", "The ds of the explained forecast (the draw it forecasts)."),
    ("horizon_step", "integer not null", "Steps after the cutoff, from 1."),
    ("output_index", "integer not null", "The model's output: 0 the point forecast or median, then interval bounds."),
)

RUN_EXPLANATIONS = RawTable(
    name="run_explanations",
    description="One row per explanation of a stored model (run and explainer): its status, how far attributions "
    "plus baseline are from the forecast, whether it is additive, what to be careful of, and the versions.",
    written_by="fcast.explain.runner",
    columns=(
        _EXPLAIN_ID,
        _RUN_ID,
        ("model_name", "varchar(128) not null", "The model class."),
        ("explainer", "varchar(32) not null", "IntegratedGradients, ShapleyValueSampling or InputXGradient."),
        ("status", "varchar(16) not null", "completed or failed."),
        ("windows", "integer not null", "Forecast origins explained: the latest cutoff and the ones before it."),
        ("explained_forecasts", "integer not null", "Forecast values explained (series x step x output x window)."),
        ("attribution_rows", "bigint not null", "Rows written to raw.run_attributions."),
        (
            "max_additivity_error",
            "float8",
            "Largest |baseline + sum of attributions - forecast| / |forecast|; null when the explainer has no baseline "
            "(InputXGradient).",
        ),
        ("additivity_tolerance", "float8 not null", "The error up to which the explanation counts as additive."),
        ("is_additive", "boolean not null", "An additive explainer whose max_additivity_error is within tolerance."),
        ("warnings", "text not null", "What can make the attributions misleading (RevIN, scalers), one per line."),
        ("error", "text not null", "Why the explanation failed; '' otherwise."),
        ("library_versions", "text not null", "neuralforecast, captum and torch versions, as JSON."),
        ("duration_seconds", "float8 not null", "Seconds from loading the model to the last attribution."),
        ("created_at", "timestamp not null", "UTC time of the explanation."),
    ),
    primary_key=("explain_id",),
)

RUN_EXPLANATION_FORECASTS = RawTable(
    name="run_explanation_forecasts",
    description="Per explained forecast value: the forecast, the explainer's baseline prediction (all inputs zero), "
    "the sum of its attributions, and the relative additivity error.",
    written_by="fcast.explain.runner",
    columns=(
        *_EXPLAINED_FORECAST,
        ("output_name", "varchar(64) not null", "point, median, lo-<level> or hi-<level>."),
        ("forecast", "float8 not null", "The model's forecast."),
        ("baseline_prediction", "float8", "The forecast with every input at zero; null for InputXGradient."),
        ("attribution_sum", "float8 not null", "Sum of every attribution of the forecast."),
        ("additivity_error", "float8", "|baseline + attribution_sum - forecast| / |forecast|; null without baseline."),
    ),
    primary_key=("explain_id", "unique_id", "cutoff", "horizon_step", "output_index"),
)

RUN_ATTRIBUTIONS = RawTable(
    name="run_attributions",
    description="Attributions in long form: per explained forecast value, input kind (insample_y, insample_mask, "
    "futr, hist, stat; tft_importance for TFT's own weights), feature, input series and lag position.",
    written_by="fcast.explain.runner",
    columns=(
        *_EXPLAINED_FORECAST,
        ("input_kind", "varchar(16) not null", "insample_y, insample_mask, futr, hist, stat or tft_importance."),
        ("feature", "varchar(128) not null", "The input column: y, insample_mask, or a hist_/fut_/stat_ column."),
        ("input_unique_id", "varchar(128) not null", "The series whose input it is (others in multivariate models)."),
        (
            "lag_position",
            "integer not null",
            "Input ds relative to the cutoff: 0 the cutoff, -k before it, +k the k-th future step (futr); 0 for stat.",
        ),
        ("attribution_value", "float8 not null", "The attribution (for tft_importance, TFT's selection weight)."),
    ),
    primary_key=(
        "explain_id",
        "unique_id",
        "cutoff",
        "horizon_step",
        "output_index",
        "input_kind",
        "feature",
        "input_unique_id",
        "lag_position",
    ),
)

EXPLANATION_TABLES: tuple[RawTable, ...] = (RUN_EXPLANATIONS, RUN_EXPLANATION_FORECASTS, RUN_ATTRIBUTIONS)


# --- The operating cycle (fcast cycle): locked forecasts in a hash-chained ledger, scored as their draws arrive. ---

FORECAST_LEDGER = RawTable(
    name="forecast_ledger",
    description="One row per locked forecast: a run's forecast of one series for one draw not yet drawn when it "
    "was locked. Each entry's sha256 covers its content and the previous entry of the same game, so any later edit "
    "or deletion breaks the chain (`fcast ledger verify`). Append-only.",
    written_by="fcast.cycle.ledger",
    columns=(
        _GAME_CODE,
        ("sequence", "integer not null", "The entry's place in its game's chain, from 1."),
        ("run_id", "varchar(64) not null", "The run that made the forecast (train, retrain or predict)."),
        ("artifact_id", "varchar(64) not null", "The model-store record of the model that made it."),
        ("files_hash", "varchar(64) not null", "sha256 of that model's files: the model's identity."),
        ("plan_id", "varchar(64) not null", "The plan row: one forecasting model across its retrains."),
        ("run_name", "varchar(200) not null", "The plan row's name."),
        ("model_name", "varchar(128) not null", "The model class."),
        ("unique_id", "varchar(128) not null", "The series (<game>_N<k>)."),
        ("last_known_ds", "bigint not null", "The latest draw number known when the forecast was made."),
        ("target_ds", "bigint not null", "The draw number forecast (always after last_known_ds)."),
        ("target_date", "date", "The target draw's date from the game's calendar."),
        ("horizon_step", "integer not null", "target_ds - last_known_ds."),
        ("y_hat", "float8 not null", "The point forecast."),
        ("intervals_json", "text not null", 'Prediction intervals as JSON {"80": [lo, hi], ...}; {} without.'),
        ("locked_at", "timestamp not null", "UTC time the forecast was locked."),
        ("previous_hash", "varchar(64) not null", "entry_hash of the game's previous entry (64 zeros for the first)."),
        ("entry_hash", "varchar(64) not null", "sha256 over this entry's content and previous_hash."),
    ),
    primary_key=("game_code", "sequence"),
)

LEDGER_HEADS = RawTable(
    name="ledger_heads",
    description="The head of each game's forecast ledger (its last entry), written with every append: an entry "
    "deleted from the end of the chain leaves the head pointing past it.",
    written_by="fcast.cycle.ledger",
    columns=(
        _GAME_CODE,
        ("sequence", "integer not null", "The last entry's sequence."),
        ("entry_hash", "varchar(64) not null", "The last entry's hash."),
        ("updated_at", "timestamp not null", "UTC time of the append."),
    ),
    primary_key=("game_code",),
)

PROSPECTIVE_SCORES = RawTable(
    name="prospective_scores",
    description="One row per locked forecast whose target draw has arrived: its error beside chance (best "
    "constant, seasonal naive, uniform guess, exact bound), and its sequence's cumulative MAEs, anytime-valid "
    "confidence sequence and e-value so far. A sequence is one plan row, series and horizon step, in draw order.",
    written_by="fcast.cycle.prospective",
    columns=(
        _GAME_CODE,
        ("sequence", "integer not null", "The ledger entry scored (forecast_ledger.sequence)."),
        ("plan_id", "varchar(64) not null", "The plan row."),
        ("run_name", "varchar(200) not null", "The plan row's name."),
        ("model_name", "varchar(128) not null", "The model class."),
        ("unique_id", "varchar(128) not null", "The series."),
        ("horizon_step", "integer not null", "Draws ahead the forecast was made."),
        ("target_ds", "bigint not null", "The draw scored."),
        ("target_date", "date", "Its date."),
        ("y", "float8 not null", "The drawn value."),
        ("y_hat", "float8 not null", "The locked forecast."),
        ("abs_error", "float8 not null", "|y - y_hat|."),
        ("best_constant", "float8 not null", "The median of the series up to the last known draw."),
        ("best_constant_error", "float8 not null", "|y - best_constant|."),
        ("seasonal_naive", "float8 not null", "Seasonal naive with season 1: the value at the last known draw."),
        ("seasonal_naive_error", "float8 not null", "|y - seasonal_naive|."),
        ("uniform_guess_error", "float8 not null", "Expected |y - guess| of a uniform random guess."),
        ("exact_best_mae", "float8 not null", "The slot's exact best expected MAE under i.i.d. draws."),
        ("n_scored", "integer not null", "Draws scored in the sequence so far, this one included."),
        ("cumulative_mae", "float8 not null", "The model's MAE over those draws."),
        ("cumulative_best_constant_mae", "float8 not null", "The best constant's MAE over them."),
        ("cumulative_seasonal_naive_mae", "float8 not null", "Seasonal naive's MAE over them."),
        ("cumulative_uniform_guess_mae", "float8 not null", "The uniform guess's expected MAE over them."),
        ("cs_lower", "float8 not null", "Lower end of the anytime-valid confidence sequence of the model's MAE."),
        ("cs_upper", "float8 not null", "Upper end (forecasts clipped to the slot's range)."),
        ("cs_alpha", "float8 not null", "The confidence sequence's alpha (for this one sequence)."),
        ("e_value", "float8 not null", "The betting e-process against chance (no model beats the exact bound)."),
        ("e_value_max", "float8 not null", "Its largest value so far (Ville: reaching 1/alpha ever is rare)."),
        ("scored_at", "timestamp not null", "UTC time of the scoring."),
    ),
    primary_key=("game_code", "sequence"),
)

CYCLE_TABLES: tuple[RawTable, ...] = (FORECAST_LEDGER, LEDGER_HEADS, PROSPECTIVE_SCORES)


# --- The raw schema's own version (fcast.db.ensure_raw_tables). ---

SCHEMA_MIGRATIONS = RawTable(
    name="schema_migrations",
    description="Every migration applied to this warehouse's raw schema, once each, in version order.",
    written_by="fcast.db",
    columns=(
        ("version", "integer not null", "The migration's version (MIGRATIONS in fcast.raw_schema)."),
        ("description", "text not null", "What it changed."),
        ("applied_at", "timestamp not null", "UTC time it was applied."),
        ("fcast_version", "varchar(32) not null", "The fcast version that applied it."),
    ),
    primary_key=("version",),
)

RAW_TABLES: tuple[RawTable, ...] = (
    *INGEST_TABLES,
    *REGISTRY_TABLES,
    *PROBE_AND_PLAN_TABLES,
    *TRAINING_TABLES,
    *CHANCE_TABLES,
    *FEATURE_TABLES,
    *EXPLANATION_TABLES,
    *CYCLE_TABLES,
    SCHEMA_MIGRATIONS,
)


# --- Migrations: ordered changes of tables that warehouses made by an earlier fcast already hold. ---
# A new warehouse gets every declared column from `create table`; a migration brings an older one level:
# it adds the columns declared with its version (`added_in`), then runs its statements. Its statements
# must also be harmless on a warehouse created at the latest schema (it runs there too, once).


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...] = field(default_factory=tuple)

    def sql(self) -> list[str]:
        """Its `add column` statements (from the declarations) then its own statements, in order."""
        added = [
            f"alter table {table.qualified_name} add column if not exists {column.name} {column.sql_type}"
            for table in RAW_TABLES
            for column in table.columns
            if column.added_in == self.version
        ]
        return [*added, *self.statements]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "registry_probes.probe_kind: library probes and plan rehearsals in one table"),
    Migration(2, "registry_probes.failed_stage: the trainer stage a rehearsal failed in"),
    Migration(3, "registry_probes: what a probe observed and the context that decides its outcome"),
    Migration(
        4,
        "Panels keep their time axis: ds_time and filled_by on panel rows, ds_time and cutoff_time on forecasts "
        "(a date panel's ds_date becomes ds_time)",
        (
            f"update {PANEL_OBSERVATIONS.qualified_name} set ds_time = cast(ds_date as timestamp) "
            "where ds_time is null and ds_date is not null",
        ),
    ),
    Migration(5, "nf_model_runs.ray_node_id and dispatch_id: runs on a Ray cluster name their node and their task"),
)
SCHEMA_VERSION = MIGRATIONS[-1].version  # the version this fcast's declarations are at


# --- dbt's view of the contract: the one sources file, generated from the declarations above. ---

SOURCE_DESCRIPTION = (
    "Tables written by the Python side through its database module (fcast.db), declared in "
    "python/fcast/raw_schema.py. Every fcast command creates them empty and idempotently, so these sources "
    "always resolve."
)


def sources_yaml() -> str:
    """The text of `models/staging/_raw__sources.yml`: every raw table with every column described."""
    import yaml

    tables = [
        {
            "name": table.name,
            "description": table.description,
            "meta": {"written_by": table.written_by, "primary_key": list(table.primary_key)},
            "columns": [
                {"name": column.name, "data_type": column.base_type, "description": column.description}
                for column in table.columns
            ],
        }
        for table in RAW_TABLES
    ]
    document = {
        "version": 2,
        "sources": [{"name": RAW_SCHEMA, "schema": RAW_SCHEMA, "description": SOURCE_DESCRIPTION, "tables": tables}],
    }
    header = (
        f"# Generated from python/fcast/raw_schema.py by `{WRITE_SOURCES_COMMAND}`.\n"
        "# Edit the declarations there, then regenerate; a test fails when the two differ.\n"
    )
    return header + yaml.dump(document, Dumper=_indented_dumper(), sort_keys=False, allow_unicode=True, width=110)


def _indented_dumper():
    import yaml

    class IndentedDumper(yaml.SafeDumper):
        """Lists indented under their key, as dbt's own YAML is written."""

        def increase_indent(self, flow: bool = False, indentless: bool = False):
            return super().increase_indent(flow, False)

    return IndentedDumper


def write_sources(project_dir: Path | None = None) -> Path:
    """Write the generated sources file into the dbt project; returns its path."""
    from fcast import settings

    path = (project_dir or settings.project_dir()) / SOURCES_FILE
    path.write_text(sources_yaml(), encoding="utf-8")
    return path


def main(arguments: list[str]) -> int:
    if arguments == ["--write-sources"]:
        print(f"wrote {write_sources()}")
        return 0
    if arguments == ["--print-sources"]:
        print(sources_yaml(), end="")
        return 0
    print(f"usage: python -m fcast.raw_schema --write-sources | --print-sources (got {arguments})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
