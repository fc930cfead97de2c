"""Features computed in Python and written to raw tables that dbt joins into the feature marts.

The column names of the feature marts are static SQL, generated from dbt vars: this module reads the same
vars from `dbt_project.yml`, so Python and dbt agree on which embedding columns exist
(`hist_emb_<model>_<i>` for each model key of `embedding_models` and i = 1..`embedding_dims`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fcast import settings
from fcast.errors import ConfigurationError

EMBEDDING_COLUMN_PREFIX = "hist_emb_"


@dataclass(frozen=True)
class EmbeddingColumns:
    """What the dbt vars declare: the model keys with columns in the feature marts, and the dimensions of each."""

    models: tuple[str, ...]
    dims: int

    def names(self, model: str | None = None) -> list[str]:
        """`hist_emb_<model>_<i>` of one model (or of every model, in the marts' order)."""
        keys = [model] if model else list(self.models)
        return [embedding_column(key, component) for key in keys for component in range(1, self.dims + 1)]


def embedding_column(model_key: str, component: int) -> str:
    return f"{EMBEDDING_COLUMN_PREFIX}{model_key}_{component}"


def is_embedding_column(name: str) -> bool:
    """An embedding feature: null until `fcast features embed` computed it, so never picked by default."""
    return name.startswith(EMBEDDING_COLUMN_PREFIX)


def embedding_columns() -> EmbeddingColumns:
    """The `embedding_models` and `embedding_dims` vars of the dbt project."""
    import yaml

    path = settings.project_dir() / "dbt_project.yml"
    variables = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}
    models, dims = variables.get("embedding_models"), variables.get("embedding_dims")
    if not isinstance(models, list) or not isinstance(dims, int) or dims < 1:
        raise ConfigurationError(
            f"{path} must declare vars.embedding_models (a list of model keys such as chronos2) and "
            f"vars.embedding_dims (a positive integer); found {models!r} and {dims!r}"
        )
    return EmbeddingColumns(tuple(str(model).lower() for model in models), dims)
