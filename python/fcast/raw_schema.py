"""The DDL of every table Python writes. dbt reads them as sources from the `raw` schema.

Column types are the portable subset that DuckDB and PostgreSQL both accept. Later issues add
their tables to RAW_TABLES; every command creates them all, empty and idempotently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...] = ()
    description: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def row(self, values: dict[str, Any]) -> tuple:
        """A row in column order from values by column name; a column left out takes its declared default."""
        unknown = set(values) - set(self.column_names)
        if unknown:
            raise KeyError(f"{self.qualified_name} has no column {', '.join(sorted(unknown))}")
        row = []
        for name, sql_type in self.columns:
            if name in values:
                row.append(values[name])
                continue
            default = re.search(r"\bdefault\s+('(?:[^']|'')*'|[-\w.]+)", sql_type)
            if default:
                text = default.group(1)
                row.append(text[1:-1].replace("''", "'") if text.startswith("'") else _number(text))
            elif "not null" in sql_type:
                raise KeyError(f"{self.qualified_name}.{name} is not null and has no default: give a value")
            else:
                row.append(None)
        return tuple(row)

    def frame(self, frame: Any) -> Any:
        """A DataFrame of rows by column name in column order (many rows at once, for `insert_rows`); absent
        columns take their declared default, as in `row`."""
        unknown = set(frame.columns) - set(self.column_names)
        if unknown:
            raise KeyError(f"{self.qualified_name} has no column {', '.join(sorted(unknown))}")
        fill = self.row({name: None for name in frame.columns})  # the defaults of the absent columns
        absent = {name: fill[i] for i, name in enumerate(self.column_names) if name not in frame.columns}
        return frame.assign(**absent)[self.column_names].reset_index(drop=True)

    def create_sql(self) -> str:
        lines = [f"{name} {sql_type}" for name, sql_type in self.columns]
        if self.primary_key:
            lines.append(f"primary key ({', '.join(self.primary_key)})")
        body = ",\n    ".join(lines)
        return f"create table if not exists {self.qualified_name} (\n    {body}\n)"


def _number(text: str) -> Any:
    return None if text.lower() == "null" else float(text) if "." in text else int(text)


LOTTERY_DRAWS = RawTable(
    name="lottery_draws",
    description="Append-only: the first accepted statement of each draw, with its provenance.",
    columns=(
        ("game_code", "varchar(32) not null"),
        ("draw_no", "bigint not null"),
        ("draw_date", "date not null"),
        ("numbers_json", "text not null"),
        ("bonus_json", "text not null"),
        ("draw_hash", "varchar(64) not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("original_record", "text not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("game_code", "draw_no"),
)

LOTTERY_DRAW_CONFLICTS = RawTable(
    name="lottery_draw_conflicts",
    description="Re-statements of a known draw that disagree with the stored one: kept aside, never applied.",
    columns=(
        ("game_code", "varchar(32) not null"),
        ("draw_no", "bigint not null"),
        ("draw_date", "date not null"),
        ("numbers_json", "text not null"),
        ("bonus_json", "text not null"),
        ("draw_hash", "varchar(64) not null"),
        ("stored_draw_hash", "varchar(64) not null"),
        ("difference", "text not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("original_record", "text not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("game_code", "draw_no", "draw_hash"),
)

INGEST_REJECTS = RawTable(
    name="ingest_rejects",
    description="Rows that broke a rule (draws or panel rows), with file, row and rule; never dropped silently.",
    columns=(
        ("subject", "varchar(64) not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),
        ("rule", "varchar(64) not null"),
        ("message", "text not null"),
        ("original_record", "text not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("file_hash", "subject", "source_row", "rule"),
)

INGEST_FILES = RawTable(
    name="ingest_files",
    description="One row per distinct file (by content hash) and subject, with what its first load did.",
    columns=(
        ("file_hash", "varchar(64) not null"),
        ("subject", "varchar(64) not null"),
        ("source_name", "text not null"),
        ("source_kind", "varchar(16) not null"),
        ("records_read", "bigint not null"),
        ("rows_added", "bigint not null"),
        ("rows_already_known", "bigint not null"),
        ("rows_rejected", "bigint not null"),
        ("rows_conflicting", "bigint not null"),
        ("loaded_at", "timestamp not null"),
    ),
    primary_key=("file_hash", "subject"),
)

# Added by migration 0004: the timestamp of a date panel's ds (its grid index) and how a gap row was filled.
PANEL_OBSERVATION_TIME_COLUMNS = (
    ("ds_time", "timestamp"),
    ("filled_by", "varchar(32) default ''"),  # '' for a row of the file, else the fill method (interpolate, ...)
)

PANEL_DATASETS = RawTable(
    name="panel_datasets",
    description="One row per panel dataset: its time axis (integer steps, or dates at a pandas frequency with the "
    "grid origin), the season length of its seasonal naive baseline, and where each came from.",
    columns=(
        ("dataset_name", "varchar(64) not null"),
        ("time_kind", "varchar(16) not null"),
        ("freq", "varchar(32) not null"),
        ("freq_source", "varchar(16) not null"),
        ("origin_time", "timestamp"),
        ("season_length", "integer not null"),
        ("season_length_source", "varchar(16) not null"),
        ("gap_policy", "varchar(32) not null"),
        ("source_name", "text not null"),
        ("file_hash", "varchar(64) not null"),
        ("updated_at", "timestamp not null"),
    ),
    primary_key=("dataset_name",),
)

PANEL_OBSERVATIONS = RawTable(
    name="panel_observations",
    description="Generic unique_id/ds/y panels uploaded as datasets of their own.",
    columns=(
        ("dataset_name", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("ds", "bigint not null"),
        ("ds_date", "date"),
        ("y", "float8 not null"),
        ("source_name", "text not null"),
        ("file_hash", "varchar(64) not null"),
        ("source_row", "bigint not null"),  # 0 for a row fcast filled into a gap
        ("loaded_at", "timestamp not null"),
        *PANEL_OBSERVATION_TIME_COLUMNS,
    ),
    primary_key=("dataset_name", "unique_id", "ds"),
)

PANEL_EXOGENOUS_TIME_COLUMNS = (("ds_time", "timestamp"),)  # migration 0004: the date of a date panel's ds

PANEL_EXOGENOUS = RawTable(
    name="panel_exogenous",
    description="Exogenous columns of a panel (hist_/stat_/fut_ prefixed), one row per value.",
    columns=(
        ("dataset_name", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("ds", "bigint not null"),
        ("feature_name", "varchar(128) not null"),
        ("feature_value", "float8 not null"),
        ("file_hash", "varchar(64) not null"),
        ("loaded_at", "timestamp not null"),
        *PANEL_EXOGENOUS_TIME_COLUMNS,
    ),
    primary_key=("dataset_name", "unique_id", "ds", "feature_name"),
)

RAW_TABLES: tuple[RawTable, ...] = (
    LOTTERY_DRAWS,
    LOTTERY_DRAW_CONFLICTS,
    INGEST_REJECTS,
    INGEST_FILES,
    PANEL_DATASETS,
    PANEL_OBSERVATIONS,
    PANEL_EXOGENOUS,
)


# --- Spec registry (fcast registry scan). Every fact is keyed by the environment key. ---

REGISTRY_ENVIRONMENTS = RawTable(
    name="registry_environments",
    description="One row per scanned environment: a library version with the Python, torch and accelerator.",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("library_version", "varchar(64) not null"),
        ("version_sort_key", "varchar(64) not null"),
        ("python_version", "varchar(32) not null"),
        ("torch_version", "varchar(64) not null"),
        ("accelerator", "varchar(128) not null"),
        ("interpreter", "text not null"),
        ("scanner_version", "varchar(32) not null"),
        ("status", "varchar(16) not null"),
        ("error", "text not null"),
        ("duration_seconds", "float8 not null"),
        ("scanned_at", "timestamp not null"),
    ),
    primary_key=("env_key",),
)

REGISTRY_SYMBOLS = RawTable(
    name="registry_symbols",
    description="Modules, classes, functions, methods of a scanned library.",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("symbol", "varchar(400) not null"),
        ("module", "varchar(300) not null"),
        ("qualname", "varchar(300) not null"),
        ("kind", "varchar(16) not null"),
        ("parent_symbol", "varchar(400) not null"),
        ("is_public", "boolean not null"),
        ("summary", "text not null"),
        ("import_error", "text not null"),
    ),
    primary_key=("env_key", "symbol"),
)

REGISTRY_PARAMETERS = RawTable(
    name="registry_parameters",
    description="Every parameter of every scanned callable: position, kind, default, types and description.",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("symbol", "varchar(400) not null"),
        ("parameter", "varchar(200) not null"),
        ("position", "integer not null"),
        ("kind", "varchar(32) not null"),
        ("required", "boolean not null"),
        ("has_default", "boolean not null"),
        ("default_repr", "text not null"),
        ("annotation", "text not null"),
        ("normalized_type", "varchar(300) not null"),
        ("type_source", "varchar(32) not null"),
        ("description", "text not null"),
    ),
    primary_key=("env_key", "symbol", "parameter"),
)

REGISTRY_ALLOWED_VALUES = RawTable(
    name="registry_allowed_values",
    description="Allowed values of a parameter and where each came from (Literal, docstring, library check).",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("symbol", "varchar(400) not null"),
        ("parameter", "varchar(200) not null"),
        ("allowed_value", "varchar(300) not null"),
        ("value_source", "varchar(300) not null"),
    ),
    primary_key=("env_key", "symbol", "parameter", "allowed_value", "value_source"),
)

REGISTRY_MODEL_CAPABILITIES = RawTable(
    name="registry_model_capabilities",
    description="Capability flags per model class (scope class) and where an argument changes them (scope instance).",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("model_class", "varchar(128) not null"),
        ("scope", "varchar(16) not null"),
        ("argument", "varchar(128) not null"),
        ("argument_value", "varchar(128) not null"),
        ("exogenous_futr", "boolean not null"),
        ("exogenous_hist", "boolean not null"),
        ("exogenous_stat", "boolean not null"),
        ("exogenous_cat", "boolean not null"),
        ("multivariate", "boolean not null"),
        ("recurrent", "boolean not null"),
        ("auto_class", "varchar(128) not null"),
        ("can_build", "boolean not null"),
        ("build_error", "text not null"),
    ),
    primary_key=("env_key", "model_class", "scope", "argument", "argument_value"),
)

REGISTRY_LOSSES = RawTable(
    name="registry_losses",
    description="Every loss class (and distribution variant): family, outputs, whether it can train or validate.",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("loss_class", "varchar(128) not null"),
        ("loss_variant", "varchar(128) not null"),
        ("family", "varchar(48) not null"),
        ("outputs", "varchar(32) not null"),
        ("output_names", "text not null"),
        ("is_distribution_output", "boolean not null"),
        ("can_build", "boolean not null"),
        ("build_error", "text not null"),
        ("trainable", "boolean not null"),
        ("training_error", "text not null"),
    ),
    primary_key=("env_key", "loss_class", "loss_variant"),
)

REGISTRY_MODEL_LOSSES = RawTable(
    name="registry_model_losses",
    description="Declared model x loss compatibility: whether the model's constructor accepts the loss.",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("model_class", "varchar(128) not null"),
        ("loss_class", "varchar(128) not null"),
        ("loss_variant", "varchar(128) not null"),
        ("role", "varchar(16) not null"),
        ("accepted", "boolean not null"),
        ("error", "text not null"),
    ),
    primary_key=("env_key", "model_class", "loss_class", "loss_variant", "role"),
)

REGISTRY_SEARCH_SPACES = RawTable(
    name="registry_search_spaces",
    description="Default search space of every Auto model, per backend (optuna read with a recording trial).",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("library", "varchar(64) not null"),
        ("auto_class", "varchar(128) not null"),
        ("model_class", "varchar(128) not null"),
        ("backend", "varchar(16) not null"),
        ("parameter", "varchar(128) not null"),
        ("sampler", "varchar(48) not null"),
        ("spec_json", "text not null"),
    ),
    primary_key=("env_key", "auto_class", "backend", "parameter"),
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
)
RAW_TABLES = RAW_TABLES + REGISTRY_TABLES


# --- Probes (fcast registry probe) and run plans (fcast validate). ---

# What a probe asked and saw beyond its outcome (added by migration 0003).
PROBE_OBSERVATION_COLUMNS = (
    ("question", "varchar(16) default 'effect'"),  # effect (against its baseline) or runs (does the call run)
    ("outcome_reason", "text default ''"),  # why the outcome says what it says (the rule behind ignored & co)
    ("observed_differences", "varchar(200) default ''"),  # what differed from the baseline: forecast, train_loss, ...
    ("library_warnings", "text default ''"),  # the library's warnings during the call, one per line
    ("probe_version", "varchar(8) default '1'"),  # fcast.probe.definitions.PROBE_VERSION of the definition
)
# The context that decides a probe's outcome (added by migration 0003): data shape, horizon, steps, losses.
PROBE_CONTEXT_COLUMNS = (
    ("series_count", "integer"),
    ("series_length", "integer"),
    ("horizon", "integer"),
    ("input_size", "integer"),
    ("max_steps", "integer"),
    ("windows_batch_size", "integer"),
    ("loss_label", "varchar(200) default ''"),
    ("valid_loss_label", "varchar(200) default ''"),
    ("val_size", "integer"),
    ("exogenous_kinds", "varchar(32) default ''"),
    ("context_label", "text default ''"),
)

REGISTRY_PROBES = RawTable(
    name="registry_probes",
    description="One row per probe run: a real call of the library with exact arguments, and its outcome.",
    columns=(
        ("env_key", "varchar(200) not null"),
        ("probe_id", "varchar(64) not null"),
        ("library", "varchar(64) not null"),
        ("model_class", "varchar(128) not null"),
        ("method", "varchar(64) not null"),
        ("argument", "varchar(200) not null"),
        ("value_label", "varchar(300) not null"),
        ("baseline_probe_id", "varchar(64) not null"),
        ("spec_json", "text not null"),
        ("outcome", "varchar(16) not null"),
        ("error_type", "varchar(128) not null"),
        ("error_message", "text not null"),
        ("duration_seconds", "float8 not null"),
        ("output_rows", "bigint not null"),
        ("output_columns", "text not null"),
        ("max_abs_diff_from_baseline", "float8"),
        ("tolerance", "float8 not null"),
        ("probed_at", "timestamp not null"),
        ("probe_kind", "varchar(16) default 'library'"),  # library (the probe matrix) or plan (a rehearsal)
        ("failed_stage", "varchar(32) default ''"),  # the trainer stage a plan rehearsal failed in
        *PROBE_OBSERVATION_COLUMNS,
        *PROBE_CONTEXT_COLUMNS,
    ),
    primary_key=("env_key", "probe_id"),
)


RUN_PLANS = RawTable(
    name="run_plans",
    description="Run plans: one row per model run with its exact arguments (the YAML plan format, as rows).",
    columns=(
        ("plan_id", "varchar(64) not null"),
        ("plan_name", "varchar(200) not null"),
        ("plan_source", "text not null"),
        ("row_index", "integer not null"),
        ("run_name", "varchar(200) not null"),
        ("dataset", "varchar(64) not null"),
        ("series_selector", "varchar(64) not null"),
        ("model_class", "varchar(128) not null"),
        ("loss_class", "varchar(128) not null"),
        ("valid_loss_class", "varchar(128) not null"),
        ("horizon", "integer not null"),
        ("backend", "varchar(16) not null"),
        ("spec_json", "text not null"),
        ("created_at", "timestamp not null"),
    ),
    primary_key=("plan_id",),
)

PLAN_VALIDATIONS = RawTable(
    name="plan_validations",
    description="Each validation of a plan row against one environment key: valid or rejected.",
    columns=(
        ("plan_id", "varchar(64) not null"),
        ("env_key", "varchar(200) not null"),
        ("status", "varchar(16) not null"),
        ("violations", "integer not null"),
        ("warnings", "integer not null"),
        ("validated_at", "timestamp not null"),
    ),
    primary_key=("plan_id", "env_key"),
)

PLAN_VIOLATIONS = RawTable(
    name="plan_violations",
    description="Every violation found in a plan row, with what to change and the evidence.",
    columns=(
        ("plan_id", "varchar(64) not null"),
        ("env_key", "varchar(200) not null"),
        ("rule", "varchar(64) not null"),
        ("field", "varchar(200) not null"),
        ("severity", "varchar(16) not null"),
        ("message", "text not null"),
        ("suggestion", "text not null"),
        ("evidence_kind", "varchar(32) not null"),
        ("evidence", "text not null"),
    ),
    primary_key=("plan_id", "env_key", "rule", "field"),
)

PROBE_AND_PLAN_TABLES: tuple[RawTable, ...] = (REGISTRY_PROBES, RUN_PLANS, PLAN_VALIDATIONS, PLAN_VIOLATIONS)
RAW_TABLES = RAW_TABLES + PROBE_AND_PLAN_TABLES


# --- Training (fcast train / retrain / predict): runs, metrics, forecasts, resources, the model store. ---

RUN_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED")

NF_MODEL_RUNS = RawTable(
    name="nf_model_runs",
    description="One row per training, retraining or prediction run: its exact inputs, status, heartbeat and results.",
    columns=(
        ("run_id", "varchar(64) not null"),
        ("created_at", "timestamp not null"),
        ("updated_at", "timestamp not null"),
        ("run_kind", "varchar(16) not null"),
        ("parent_run_id", "varchar(64) not null"),
        ("plan_id", "varchar(64) not null"),
        ("plan_name", "varchar(200) not null"),
        ("run_name", "varchar(200) not null"),
        ("table_name", "varchar(200) not null"),
        ("loto", "varchar(64) not null"),
        ("series_selector", "varchar(64) not null"),
        ("unique_ids", "text not null"),
        ("model_name", "varchar(128) not null"),
        ("backend", "varchar(16) not null"),
        ("horizon", "integer not null"),
        ("loss", "varchar(128) not null"),
        ("optimization_config", "text not null"),
        ("search_space", "text not null"),
        ("status", "varchar(16) not null"),
        ("start_time", "timestamp"),
        ("end_time", "timestamp"),
        ("duration_seconds", "float8"),
        ("metrics", "text not null"),
        ("best_params", "text not null"),
        ("resource_summary", "text not null"),
        ("logs", "text not null"),
        ("error_type", "varchar(128) not null"),
        ("error_message", "text not null"),
        ("mlflow_run_id", "varchar(64) not null"),
        ("env_key", "varchar(200) not null"),
        ("data_version", "varchar(64) not null"),
        ("train_rows", "bigint not null"),
        ("last_ds", "bigint"),
        ("random_seed", "bigint not null"),
        ("accelerator", "varchar(128) not null"),
        ("host", "varchar(200) not null"),
        ("pid", "bigint not null"),
        ("heartbeat_at", "timestamp not null"),
    ),
    primary_key=("run_id",),
)

RUN_METRICS = RawTable(
    name="run_metrics",
    description="Accuracy of a run per series and cross-validation window: mae, rmse; coverage_<level> and "
    "quantile_loss for probabilistic runs.",
    columns=(
        ("run_id", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("window_index", "integer not null"),
        ("cutoff", "bigint not null"),
        ("metric", "varchar(32) not null"),
        ("value", "float8"),
        ("n_points", "integer not null"),
    ),
    primary_key=("run_id", "unique_id", "window_index", "metric"),
)

# Added by migration 0004: the timestamps of ds and cutoff for datasets on a date axis (null otherwise).
RUN_FORECAST_TIME_COLUMNS = (("ds_time", "timestamp"), ("cutoff_time", "timestamp"))

RUN_FORECASTS = RawTable(
    name="run_forecasts",
    description="Point forecasts of a run: cross-validation windows (with the actual y) and the next h draws.",
    columns=(
        ("run_id", "varchar(64) not null"),
        ("forecast_kind", "varchar(16) not null"),
        ("unique_id", "varchar(128) not null"),
        ("cutoff", "bigint not null"),
        ("ds", "bigint not null"),
        ("horizon_step", "integer not null"),
        ("y_hat", "float8"),
        ("y", "float8"),
        *RUN_FORECAST_TIME_COLUMNS,
    ),
    primary_key=("run_id", "forecast_kind", "unique_id", "cutoff", "ds"),
)

RUN_FORECAST_INTERVALS = RawTable(
    name="run_forecast_intervals",
    description="Prediction intervals of probabilistic runs: one row per forecast and level.",
    columns=(
        ("run_id", "varchar(64) not null"),
        ("forecast_kind", "varchar(16) not null"),
        ("unique_id", "varchar(128) not null"),
        ("cutoff", "bigint not null"),
        ("ds", "bigint not null"),
        ("level", "float8 not null"),
        ("lo", "float8"),
        ("hi", "float8"),
    ),
    primary_key=("run_id", "forecast_kind", "unique_id", "cutoff", "ds", "level"),
)

RUN_RESOURCES = RawTable(
    name="run_resources",
    description="Resource samples taken by the trainer's background monitor while a run works (flushed live).",
    columns=(
        ("run_id", "varchar(64) not null"),
        ("sample_index", "integer not null"),
        ("sampled_at", "timestamp not null"),
        ("elapsed_seconds", "float8 not null"),
        ("process_cpu_percent", "float8 not null"),
        ("system_cpu_percent", "float8 not null"),
        ("process_rss_bytes", "bigint not null"),
        ("system_memory_used_bytes", "bigint not null"),
        ("system_memory_percent", "float8 not null"),
        ("disk_read_bytes", "bigint"),
        ("disk_write_bytes", "bigint"),
        ("net_sent_bytes", "bigint"),
        ("net_recv_bytes", "bigint"),
        ("gpu_utilization_percent", "float8"),
        ("gpu_memory_used_bytes", "bigint"),
        ("gpu_memory_total_bytes", "bigint"),
    ),
    primary_key=("run_id", "sample_index"),
)

RUN_RESOURCE_SUMMARIES = RawTable(
    name="run_resource_summaries",
    description="Per-run resource summary: peaks, means, CPU seconds, IO totals, GPU use when present.",
    columns=(
        ("run_id", "varchar(64) not null"),
        ("samples", "integer not null"),
        ("monitor_interval_seconds", "float8 not null"),
        ("duration_seconds", "float8 not null"),
        ("cpu_seconds", "float8 not null"),
        ("mean_process_cpu_percent", "float8 not null"),
        ("peak_process_cpu_percent", "float8 not null"),
        ("mean_rss_bytes", "bigint not null"),
        ("peak_rss_bytes", "bigint not null"),
        ("disk_read_bytes", "bigint"),
        ("disk_write_bytes", "bigint"),
        ("net_sent_bytes", "bigint"),
        ("net_recv_bytes", "bigint"),
        ("gpu_name", "varchar(200) not null"),
        ("mean_gpu_utilization_percent", "float8"),
        ("peak_gpu_memory_used_bytes", "bigint"),
    ),
    primary_key=("run_id",),
)

MODEL_ARTIFACTS = RawTable(
    name="model_artifacts",
    description="The model store: where each trained model was saved (NeuralForecast.save), the hash of its "
    "files, and the exact series, exogenous lists and feature set it was trained with.",
    columns=(
        ("artifact_id", "varchar(64) not null"),
        ("run_id", "varchar(64) not null"),
        ("plan_id", "varchar(64) not null"),
        ("model_name", "varchar(128) not null"),
        ("loto", "varchar(64) not null"),
        ("table_name", "varchar(200) not null"),
        ("artifact_path", "text not null"),
        ("files_hash", "varchar(64) not null"),
        ("file_count", "integer not null"),
        ("size_bytes", "bigint not null"),
        ("unique_ids", "text not null"),
        ("futr_exog_list", "text not null"),
        ("hist_exog_list", "text not null"),
        ("stat_exog_list", "text not null"),
        ("feature_set", "text not null"),
        ("env_key", "varchar(200) not null"),
        ("data_version", "varchar(64) not null"),
        ("status", "varchar(16) not null"),
        ("created_at", "timestamp not null"),
        ("updated_at", "timestamp not null"),
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
RAW_TABLES = RAW_TABLES + TRAINING_TABLES

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

SLOT_CHANCE_BOUNDS = RawTable(
    name="slot_chance_bounds",
    description="Per game slot, from the game geometry: its exact i.i.d. distribution's median, mean, the exact "
    "best achievable expected MAE, the expected MAE of a uniform random guess, and entropies.",
    columns=(
        ("game_code", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("slot_index", "integer not null"),
        ("family", "varchar(32) not null"),
        ("n_values", "integer not null"),
        ("value_min", "integer not null"),
        ("value_max", "integer not null"),
        ("median", "integer not null"),
        ("mean", "float8 not null"),
        ("exact_best_mae", "float8 not null"),
        ("uniform_guess_mae", "float8 not null"),
        ("entropy_bits", "float8 not null"),
        ("max_entropy_bits", "float8 not null"),
        ("computed_at", "timestamp not null"),
    ),
    primary_key=("game_code", "unique_id"),
)

LEADERBOARD_ENTRIES = RawTable(
    name="leaderboard_entries",
    description="Per game, model run and series: the run's cross-validation MAE beside chance on the same draws "
    "(uniform guess, best constant, seasonal naive, exact bound) and a one-sided paired test against the best "
    "constant, Holm-corrected across every model of the game.",
    columns=(
        ("game_code", "varchar(64) not null"),
        ("run_id", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("run_name", "varchar(200) not null"),
        ("model_name", "varchar(128) not null"),
        ("plan_id", "varchar(64) not null"),
        ("n_points", "integer not null"),
        ("model_mae", "float8 not null"),
        ("best_constant_mae", "float8 not null"),
        ("seasonal_naive_mae", "float8 not null"),
        ("uniform_guess_mae", "float8 not null"),
        ("exact_best_mae", "float8 not null"),
        ("mean_error_difference", "float8 not null"),
        ("p_value", "float8 not null"),
        ("p_holm", "float8 not null"),
        ("n_tests", "integer not null"),
        ("alpha", "float8 not null"),
        ("beats_chance", "boolean not null"),
        ("evaluated_at", "timestamp not null"),
    ),
    primary_key=("game_code", "run_id", "unique_id"),
)

PREDICTABILITY_TESTS = RawTable(
    name="predictability_tests",
    description="Per series and per game: tests of the draws against their exact i.i.d. distribution (slot "
    "goodness of fit, pooled ball frequency with the without-replacement correction, runs, Ljung-Box, entropy).",
    columns=(
        ("game_code", "varchar(64) not null"),
        ("unique_id", "varchar(128) not null"),
        ("scope", "varchar(16) not null"),
        ("test_name", "varchar(64) not null"),
        ("n_draws", "integer not null"),
        ("statistic", "float8"),
        ("dof", "integer"),
        ("p_value", "float8"),
        ("p_holm", "float8"),
        ("detail", "text not null"),
        ("verdict", "text not null"),
        ("evaluated_at", "timestamp not null"),
    ),
    primary_key=("game_code", "unique_id", "test_name"),
)

CHANCE_TABLES: tuple[RawTable, ...] = (SLOT_CHANCE_BOUNDS, LEADERBOARD_ENTRIES, PREDICTABILITY_TESTS)
RAW_TABLES = RAW_TABLES + CHANCE_TABLES


# --- Migrations: ordered, idempotent schema changes of tables that already exist in a warehouse. ---
# `create table if not exists` gives new warehouses the declared columns; these bring older ones level.

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_registry_probes_probe_kind",
        f"alter table {REGISTRY_PROBES.qualified_name} add column if not exists probe_kind varchar(16) "
        "default 'library'",
    ),
    (
        "0002_registry_probes_failed_stage",
        f"alter table {REGISTRY_PROBES.qualified_name} add column if not exists failed_stage varchar(32) default ''",
    ),
    *(
        (
            f"0003_registry_probes_{name}",
            f"alter table {REGISTRY_PROBES.qualified_name} add column if not exists {name} {sql_type}",
        )
        for name, sql_type in (*PROBE_OBSERVATION_COLUMNS, *PROBE_CONTEXT_COLUMNS)
    ),
    *(
        (f"0004_{table.name}_{name}", f"alter table {table.qualified_name} add column if not exists {name} {sql_type}")
        for table, columns in (
            (PANEL_OBSERVATIONS, PANEL_OBSERVATION_TIME_COLUMNS),
            (PANEL_EXOGENOUS, PANEL_EXOGENOUS_TIME_COLUMNS),
            (RUN_FORECASTS, RUN_FORECAST_TIME_COLUMNS),
        )
        for name, sql_type in columns
    ),
    (
        "0004_panel_observations_ds_time_from_ds_date",
        f"update {PANEL_OBSERVATIONS.qualified_name} set ds_time = cast(ds_date as timestamp) "
        "where ds_time is null and ds_date is not null",
    ),
)
