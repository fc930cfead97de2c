"""Where the project, its seeds, shipped data and the embedded warehouse live."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class ProjectNotFoundError(RuntimeError):
    pass


def project_dir() -> Path:
    """The dbt project root: FCAST_PROJECT_DIR, else the checkout this package was installed from."""
    configured = os.environ.get("FCAST_PROJECT_DIR")
    candidate = Path(configured).resolve() if configured else _PACKAGE_ROOT
    if not (candidate / "dbt_project.yml").is_file():
        raise ProjectNotFoundError(
            f"{candidate} holds no dbt_project.yml. Set FCAST_PROJECT_DIR to the fcast checkout."
        )
    return candidate


def seeds_dir() -> Path:
    return project_dir() / "seeds"


def profiles_dir() -> Path:
    return project_dir() / "profiles"


def duckdb_path() -> Path:
    """The embedded warehouse file: FCAST_DUCKDB_PATH (relative paths are taken from the project root)."""
    configured = Path(os.environ.get("FCAST_DUCKDB_PATH", "warehouse/fcast.duckdb"))
    return configured if configured.is_absolute() else project_dir() / configured


def http_cache_dir() -> Path:
    return duckdb_path().parent / "http_cache"


def model_store_dir() -> Path:
    """Where trained models are saved: FCAST_MODEL_STORE, else a `models` folder beside the DuckDB file."""
    configured = os.environ.get("FCAST_MODEL_STORE")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else project_dir() / path
    return duckdb_path().parent / "models"


def mlflow_tracking_dir() -> Path:
    """The offline MLflow store used by `fcast train --mlflow` unless MLFLOW_TRACKING_URI is set."""
    return duckdb_path().parent / "mlruns"


def plans_dir() -> Path:
    """Where the UI saves run plans: FCAST_PLANS_DIR, else the project's `plans` folder."""
    configured = os.environ.get("FCAST_PLANS_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else project_dir() / path
    return project_dir() / "plans"


def plan_files() -> list[Path]:
    """Plan files the UI offers: the plans folder, and the plans the main job writes beside the warehouse."""
    folders = dict.fromkeys([plans_dir(), duckdb_path().parent / "plans"])
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("*.yaml"))
