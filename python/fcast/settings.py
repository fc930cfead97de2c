"""Every setting fcast reads from the environment, with its default, and every folder fcast keeps.

Settings are read when used, never at import, so a test or a command that changes the environment
is seen at once. The README's environment-variable table is generated from `SETTINGS`.

Folders: the project (the dbt project root), and the folders kept beside the warehouse file
(`warehouse/` by default): the model store, plans the main job writes, caches, MLflow, reports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fcast.errors import ConfigurationError, ProjectNotFoundError

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    description: str
    group: str = "fcast"

    def raw(self) -> str:
        """The environment's value, or the default when unset or empty."""
        return os.environ.get(self.name) or self.default

    def number(self) -> float:
        text = self.raw()
        try:
            return float(text)
        except ValueError:
            raise ConfigurationError(f"{self.name}={text!r} is not a number (default {self.default})") from None


SETTINGS: tuple[Setting, ...] = (
    Setting("FCAST_TARGET", "duckdb", "Warehouse target: `duckdb` (embedded file) or `postgres`."),
    Setting(
        "FCAST_DUCKDB_PATH",
        "warehouse/fcast.duckdb",
        "The DuckDB warehouse file (relative paths start at the project root); the folders below sit beside it.",
    ),
    Setting("FCAST_PROJECT_DIR", "", "The dbt project root (default: the checkout fcast was installed from)."),
    Setting("FCAST_MODEL_STORE", "", "Where trained models are saved (default: `models/` beside the warehouse)."),
    Setting("FCAST_PLANS_DIR", "", "Where the UI saves run plans (default: the project's `plans/`)."),
    Setting("FCAST_REGISTRY_CACHE", "", "Cache of registry scans (default: `registry_cache/` beside the warehouse)."),
    Setting("FCAST_DB_LOCK_TIMEOUT", "60", "Seconds to wait while another process holds the DuckDB file."),
    Setting("FCAST_UI_LOCK_TIMEOUT", "3", "Seconds a UI read waits for the DuckDB file before it says it is busy."),
    Setting("FCAST_UI_MAX_UPLOAD_MB", "20", "Largest file the UI's Data page accepts, in MB."),
    Setting("FCAST_REHEARSAL_TIMEOUT_S", "300", "Seconds before a rehearsal (one training step of a row) is stopped."),
    Setting("FCAST_REHEARSAL_WORKERS", "", "Rehearsal worker processes (default: the cores, at most 4)."),
    Setting(
        "FCAST_RAY_ADDRESS",
        "",
        "A Ray cluster for plan rows, rehearsals and probes (`HOST:6379`, or `auto`); `--ray` sets it per command.",
        "cluster",
    ),
    Setting("FCAST_RAY_MAX_RETRIES", "3", "Times Ray runs a task again when its node or worker dies.", "cluster"),
    Setting(
        "FCAST_SPARK_MASTER",
        "local[2]",
        "Spark master of distributed rows (`distributed: {engine: spark}`): `local[N]`, `local[*]` or `spark://HOST:PORT`.",
        "cluster",
    ),
    Setting(
        "FCAST_SPARK_PARTITIONS",
        "",
        "Where a distributed fit writes its parquet partitions (default: the run's scratch folder); a cluster needs "
        "storage every node reads.",
        "cluster",
    ),
    Setting(
        "FCAST_CYCLE_CONFIG",
        "cycle.yml",
        "The operating cycle's configuration (`fcast cycle`): each game's draw source, plan and retrain policy.",
        "cycle",
    ),
    Setting("FCAST_STALE_RUN_S", "120", "Seconds without a heartbeat after which a RUNNING run is closed as FAILED."),
    Setting(
        "FCAST_TSFM_HOME",
        "",
        "Foundation-model weights, a folder per model (default: `tsfm/` beside the warehouse); nothing is downloaded.",
        "foundation",
    ),
    Setting("NIXTLA_API_KEY", "", "TimeGPT API key (Nixtla's hosted API); never committed.", "foundation"),
    Setting("NIXTLA_BASE_URL", "https://api.nixtla.io", "TimeGPT API address.", "foundation"),
    Setting("MLFLOW_TRACKING_URI", "", "MLflow store for `--mlflow` (default: a SQLite file in `mlruns/`).", "mlflow"),
    Setting("PGHOST", "127.0.0.1", "PostgreSQL host (target `postgres`).", "postgres"),
    Setting("PGPORT", "5432", "PostgreSQL port.", "postgres"),
    Setting("PGUSER", "postgres", "PostgreSQL user.", "postgres"),
    Setting("PGPASSWORD", "", "PostgreSQL password (never committed).", "postgres"),
    Setting("PGDATABASE", "fcast", "PostgreSQL database (created when absent).", "postgres"),
    Setting(
        "FCAST_REQUIRE_POSTGRES",
        "",
        "`1`: PostgreSQL tests fail instead of skipping (the test command sets it).",
        "tests",
    ),
    Setting("FCAST_CHROMIUM", "", "Chromium binary for the UI's browser tests (default: `chromium` on PATH).", "tests"),
    Setting("FCAST_VENV", ".venv", "The virtual environment bootstrap.py creates and uses.", "bootstrap"),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def setting(name: str) -> Setting:
    return _BY_NAME[name]


def value(name: str) -> str:
    return _BY_NAME[name].raw()


def number(name: str) -> float:
    return _BY_NAME[name].number()


def markdown_table() -> str:
    """The README's table of environment variables."""
    lines = ["| Variable | Default | What it sets |", "|---|---|---|"]
    for item in SETTINGS:
        default = f"`{item.default}`" if item.default else "-"
        lines.append(f"| `{item.name}` | {default} | {item.description} |")
    return "\n".join(lines)


# --- Folders ---


def project_dir() -> Path:
    """The dbt project root: FCAST_PROJECT_DIR, else the checkout this package was installed from."""
    configured = value("FCAST_PROJECT_DIR")
    candidate = Path(configured).resolve() if configured else _PACKAGE_ROOT
    if not (candidate / "dbt_project.yml").is_file():
        raise ProjectNotFoundError(
            f"{candidate} holds no dbt_project.yml. Set FCAST_PROJECT_DIR to the fcast checkout."
        )
    return candidate


def in_project(configured: str) -> Path:
    """A configured path: absolute, or relative to the project root."""
    path = Path(configured)
    return path if path.is_absolute() else project_dir() / path


def seeds_dir() -> Path:
    return project_dir() / "seeds"


def profiles_dir() -> Path:
    return project_dir() / "profiles"


def duckdb_path() -> Path:
    """The embedded warehouse file: FCAST_DUCKDB_PATH (relative paths are taken from the project root)."""
    return in_project(value("FCAST_DUCKDB_PATH"))


def beside_warehouse(name: str) -> Path:
    """A file or folder kept next to the warehouse file (caches, stores, reports): one warehouse, one place."""
    return duckdb_path().parent / name


def http_cache_dir() -> Path:
    return beside_warehouse("http_cache")


def model_store_dir() -> Path:
    """Where trained models are saved: FCAST_MODEL_STORE, else a `models` folder beside the DuckDB file."""
    configured = value("FCAST_MODEL_STORE")
    return in_project(configured) if configured else beside_warehouse("models")


def tsfm_home() -> Path:
    """Foundation-model weights: FCAST_TSFM_HOME, else a `tsfm` folder beside the DuckDB file."""
    configured = value("FCAST_TSFM_HOME")
    return in_project(configured) if configured else beside_warehouse("tsfm")


def registry_cache_dir() -> Path:
    configured = value("FCAST_REGISTRY_CACHE")
    return Path(configured) if configured else beside_warehouse("registry_cache")


def mlflow_tracking_dir() -> Path:
    """The offline MLflow store used by `fcast train --mlflow` unless MLFLOW_TRACKING_URI is set."""
    return beside_warehouse("mlruns")


def plans_dir() -> Path:
    """Where the UI saves run plans: FCAST_PLANS_DIR, else the project's `plans` folder."""
    configured = value("FCAST_PLANS_DIR")
    return in_project(configured) if configured else project_dir() / "plans"


def generated_plans_dir() -> Path:
    """Plans the main job writes for this warehouse."""
    return beside_warehouse("plans")


def cycle_config_path() -> Path:
    """The operating cycle's configuration file: FCAST_CYCLE_CONFIG (relative paths start at the project root)."""
    return in_project(value("FCAST_CYCLE_CONFIG"))


def plan_files() -> list[Path]:
    """Plan files the UI offers: the plans folder, and the plans the main job writes beside the warehouse."""
    folders = dict.fromkeys([plans_dir(), generated_plans_dir()])
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("*.yaml"))
