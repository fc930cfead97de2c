"""Optional MLflow logging (`fcast train --mlflow`): offline, into a local store beside the warehouse.

MLFLOW_TRACKING_URI wins when set; otherwise a SQLite store `mlflow.db` beside the DuckDB file.
"""

from __future__ import annotations

import json
from typing import Any

from fcast import settings

EXPERIMENT = "fcast"


def tracking_uri() -> str:
    configured = settings.value("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    folder = settings.mlflow_tracking_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _flat_params(config: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flat_params(value, f"{name}."))
        else:
            flat[name] = json.dumps(value, default=str)[:500]
    return flat


def log_run(
    run_name: str, params: dict, metrics: dict[str, float], tags: dict[str, str], artifact_path: str | None
) -> str:
    """Log one finished run; returns the MLflow run id."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=run_name, tags=tags) as run:
        mlflow.log_params(_flat_params(params))
        numeric: dict[str, Any] = {
            key: float(value) for key, value in metrics.items() if isinstance(value, int | float)
        }
        if numeric:
            mlflow.log_metrics(numeric)
        if artifact_path:
            mlflow.log_artifacts(artifact_path, artifact_path="model")
        return run.info.run_id
