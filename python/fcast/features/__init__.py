"""Features computed in Python and written to raw tables that dbt joins into the feature marts.

The column names of the feature marts are static SQL, generated from dbt vars: this module reads the same
vars from `dbt_project.yml`, so Python and dbt agree on which columns exist: embeddings
(`hist_emb_<model>_<i>` for each model key of `embedding_models` and i = 1..`embedding_dims`) and anomaly
features (`hist_anom_<detector>_score` / `_flag` for each key of `anomaly_detectors`, `hist_anom_regime`,
`hist_anom_warmup`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fcast import settings
from fcast.errors import ConfigurationError, FcastError

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
    variables, path = _dbt_vars()
    models, dims = variables.get("embedding_models"), variables.get("embedding_dims")
    if not isinstance(models, list) or not isinstance(dims, int) or dims < 1:
        raise ConfigurationError(
            f"{path} must declare vars.embedding_models (a list of model keys such as chronos2) and "
            f"vars.embedding_dims (a positive integer); found {models!r} and {dims!r}"
        )
    return EmbeddingColumns(tuple(str(model).lower() for model in models), dims)


ANOMALY_COLUMN_PREFIX = "hist_anom_"
ANOMALY_COMMON_COLUMNS = ("hist_anom_regime", "hist_anom_warmup")


@dataclass(frozen=True)
class AnomalyColumns:
    """What the dbt var anomaly_detectors declares: per outlier detector a score and a flag column, then the
    regime label and the warm-up indicator every detector run writes."""

    detectors: tuple[str, ...]

    def names(self) -> list[str]:
        per_detector = [
            f"{ANOMALY_COLUMN_PREFIX}{key}_{suffix}" for key in self.detectors for suffix in ("score", "flag")
        ]
        return per_detector + list(ANOMALY_COMMON_COLUMNS)


def is_computed_feature(name: str) -> bool:
    """A feature computed by an `fcast features` command (embeddings, anomaly scores): null until it runs, so never
    picked by the standard plan."""
    return name.startswith((EMBEDDING_COLUMN_PREFIX, ANOMALY_COLUMN_PREFIX))


def _dbt_vars() -> tuple[dict, object]:
    import yaml

    path = settings.project_dir() / "dbt_project.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}, path


def anomaly_columns() -> AnomalyColumns:
    """The `anomaly_detectors` var of the dbt project."""
    variables, path = _dbt_vars()
    detectors = variables.get("anomaly_detectors")
    if not isinstance(detectors, list) or not detectors:
        raise ConfigurationError(
            f"{path} must declare vars.anomaly_detectors (a list of detector keys such as iforest); found {detectors!r}"
        )
    return AnomalyColumns(tuple(str(key).lower() for key in detectors))


class AnomalyError(FcastError, ValueError):
    """The anomaly features cannot be computed as asked (an unknown detector, a bad schedule)."""


CALIBRATION_SHARE = 2  # an outlier detector is calibrated on disjoint windows of the newest half of its span
MIN_CALIBRATION_WINDOWS = 20  # the fewest that let a 0.05 contamination flag anything (k <= n)


@dataclass(frozen=True)
class Schedule:
    """How windows are cut and when the detectors are refitted (the same for every detector of a run)."""

    window: int = 5
    refit_every: int = 100
    min_train_windows: int = 200
    max_train_windows: int = 1000
    seed: int = 17

    @classmethod
    def for_window(cls, window: int | None = None, refit_every: int | None = None) -> Schedule:
        """The default schedule with another window or refit interval; the first fit waits for enough windows."""
        window = cls.window if window is None else window
        return cls(
            window=window,
            refit_every=cls.refit_every if refit_every is None else refit_every,
            min_train_windows=max(cls.min_train_windows, CALIBRATION_SHARE * MIN_CALIBRATION_WINDOWS * window),
        )

    def __post_init__(self) -> None:
        least = CALIBRATION_SHARE * MIN_CALIBRATION_WINDOWS * self.window
        if self.window < 2 or self.refit_every < 1 or self.min_train_windows < least:
            raise AnomalyError(
                f"window {self.window}, refit every {self.refit_every}, first fit after {self.min_train_windows} "
                f"windows: give a window of at least 2 draws, a refit of at least 1 draw and at least {least} windows "
                f"before the first fit (the newest 1/{CALIBRATION_SHARE} calibrates the threshold on "
                f"{MIN_CALIBRATION_WINDOWS} or more disjoint windows)"
            )
        if self.max_train_windows < self.min_train_windows:
            raise AnomalyError(
                f"max_train_windows {self.max_train_windows} is below min_train_windows {self.min_train_windows}"
            )

    @property
    def first_scored(self) -> int:
        """Index (0-based) of the first draw a detector scores: the first block's start."""
        return self.window - 1 + self.min_train_windows

    def blocks(self, length: int) -> list[tuple[int, int]]:
        """(start, end) draw indices of the scored blocks of a series of `length` draws."""
        starts = range(self.first_scored, length, self.refit_every)
        return [(start, min(start + self.refit_every, length)) for start in starts]

    def training_windows(self, block_start: int) -> tuple[int, int]:
        """(first, last + 1) indices of the windows, by their end draw, a block is fitted on."""
        return max(self.window - 1, block_start - self.max_train_windows), block_start
