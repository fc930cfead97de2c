"""What every time-series foundation model adapter does, whatever library runs it.

An adapter is built from a plan row's `model_args` (like a neuralforecast model), keeps the
context it is fitted on, and answers three questions about a list of context windows:
`forecast_contexts` (point forecast and quantiles for the next h steps), `embed_contexts` (one
pooled vector per window) and, where its library can, `fine_tune`. Everything that turns frames
into windows and windows back into neuralforecast-shaped frames lives here, once
(`fcast.library.foundation.forecaster` wraps an adapter in NeuralForecast's interface).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

ADAPTER_FILE = "fcast_foundation.json"  # beside a saved adapter: what to rebuild it with
DEFAULT_BATCH_SIZE = 64


@dataclass(frozen=True)
class Capabilities:
    """What the adapter (as fcast wires it) can do; the registry scan records these per adapter library."""

    zero_shot: bool = True
    past_covariates: bool = False
    future_covariates: bool = False
    quantile_output: bool = True
    quantile_min: float = 0.1  # the model's own quantile grid: levels beyond it are not forecast
    quantile_max: float = 0.9
    max_context: int = 2048
    max_horizon: int = 64  # steps answered in one call
    fine_tuning: bool = False
    embeddings: bool = True
    needs_checkpoint: bool = True  # local weights (a hosted API needs none)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Forecast:
    """Per window: `point` (n, h) and `quantiles` (n, h, len(levels)) at `levels`."""

    point: np.ndarray
    quantiles: np.ndarray
    levels: list[float]


def interpolate_quantiles(values: np.ndarray, grid: list[float], wanted: list[float]) -> np.ndarray:
    """(n, h, len(grid)) quantiles at `grid` -> (n, h, len(wanted)), linear between grid points, clipped at its ends."""
    grid_array = np.asarray(grid, dtype=float)
    order = np.argsort(grid_array)
    grid_array, values = grid_array[order], values[..., order]
    out = np.empty((*values.shape[:-1], len(wanted)), dtype=float)
    for index, level in enumerate(wanted):
        position = np.clip(np.searchsorted(grid_array, level), 1, len(grid_array) - 1)
        low, high = grid_array[position - 1], grid_array[position]
        weight = 0.0 if high == low else float(np.clip((level - low) / (high - low), 0.0, 1.0))
        out[..., index] = (1 - weight) * values[..., position - 1] + weight * values[..., position]
    return out


def files_hash(folder: Path) -> str:
    """sha256 over every file's relative path and bytes: the identity of a checkpoint or a saved model."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def quiet_hub_progress() -> None:
    """No progress bars from transformers and the hub in run logs (loading and writing weights)."""
    try:
        from huggingface_hub.utils import disable_progress_bars
        from transformers.utils import logging
    except ImportError:  # TimeGPT's client needs neither
        return
    disable_progress_bars()
    logging.disable_progress_bar()
    logging.set_verbosity_error()


def pick_device(device: str) -> str:
    """`auto`: the GPU when torch sees one, else the CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class BaseTSFMAdapter:
    """A foundation model behind one interface: `fit` keeps the context, `predict(h, level)` forecasts it."""

    LIBRARY: ClassVar[str] = ""  # the distribution whose version keys the adapter's registry facts
    CAPABILITIES: ClassVar[Capabilities] = Capabilities()
    DEFAULT_CHECKPOINT: ClassVar[str] = ""  # folder name under FCAST_TSFM_HOME
    HOW_TO_GET: ClassVar[str] = ""  # how a user puts real weights in that folder

    def __init__(
        self,
        h: int,
        checkpoint: str | None = None,
        context_length: int | None = None,
        alias: str | None = None,
        device: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        fine_tune_steps: int = 0,
        random_seed: int = 1,
    ) -> None:
        self.h = int(h)
        self.checkpoint = checkpoint
        self.context_length = context_length
        self.alias = alias or type(self).__name__
        self.device = device
        self.batch_size = int(batch_size)
        self.fine_tune_steps = int(fine_tune_steps)
        self.random_seed = int(random_seed)
        self.contexts: dict[Any, np.ndarray] = {}
        self._loaded: Any = None

    def __repr__(self) -> str:
        return self.alias

    # --- what a library adapter implements ------------------------------------------------------

    def load_model(self) -> Any:
        """The library's model or pipeline, from the checkpoint (called once, lazily)."""
        raise NotImplementedError

    def forecast_contexts(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> Forecast:
        raise NotImplementedError

    def embed_contexts(self, contexts: list[np.ndarray]) -> np.ndarray:
        """(n, width) pooled embeddings of the windows."""
        raise NotImplementedError(f"{type(self).__name__} has no embedding output")

    def fine_tune(self, contexts: list[np.ndarray], steps: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be fine-tuned through fcast")

    # --- shared ---------------------------------------------------------------------------------

    @property
    def model(self) -> Any:
        if self._loaded is None:
            quiet_hub_progress()
            self._loaded = self.load_model()
        return self._loaded

    def checkpoint_path(self) -> Path:
        from fcast.library.foundation.checkpoints import resolve_checkpoint

        return resolve_checkpoint(type(self), self.checkpoint)

    def effective_context_length(self) -> int:
        limit = self.CAPABILITIES.max_context
        return min(int(self.context_length), limit) if self.context_length else limit

    def window(self, values: np.ndarray) -> np.ndarray:
        """The last `context_length` values: what the model sees."""
        return np.asarray(values, dtype=np.float32)[-self.effective_context_length() :]

    def fit(self, df: Any, static_df: Any = None, val_size: int = 0, **_: Any) -> BaseTSFMAdapter:
        """Keep each series' values as its context; fine-tune on them when the row asks for steps."""
        self.contexts = series_values(df)
        if self.fine_tune_steps > 0:
            self.fine_tune([self.window(values) for values in self.contexts.values()], self.fine_tune_steps)
        return self

    def predict_windows(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> Forecast:
        """Forecast in batches of windows of equal length (no padding: a window's answer never depends on
        the others in its batch)."""
        windows = [self.window(values) for values in contexts]
        point = np.empty((len(windows), h))
        quantiles = np.empty((len(windows), h, len(levels)))
        for indices in _equal_length_batches(windows, self.batch_size):
            result = self.forecast_contexts([windows[i] for i in indices], h, levels)
            point[indices] = result.point
            quantiles[indices] = result.quantiles
        return Forecast(point, quantiles, levels)

    def embed(self, contexts: list[np.ndarray]) -> np.ndarray:
        windows = [self.window(values) for values in contexts]
        out: np.ndarray | None = None
        for indices in _equal_length_batches(windows, self.batch_size):
            vectors = np.asarray(self.embed_contexts([windows[i] for i in indices]), dtype=float)
            if out is None:
                out = np.empty((len(windows), vectors.shape[1]))
            out[indices] = vectors
        return out if out is not None else np.empty((0, 0))

    def arguments(self) -> dict[str, Any]:
        return {
            "h": self.h,
            "checkpoint": self.checkpoint,
            "context_length": self.context_length,
            "alias": self.alias,
            "device": self.device,
            "batch_size": self.batch_size,
            "fine_tune_steps": self.fine_tune_steps,
            "random_seed": self.random_seed,
        }

    def save(self, folder: Path) -> None:
        """The arguments, the fitted contexts and (after fine-tuning) the weights, so `load` answers alike."""
        folder.mkdir(parents=True, exist_ok=True)
        checkpoint = self.checkpoint_path() if self.CAPABILITIES.needs_checkpoint else None
        state = {
            "adapter": type(self).__name__,
            "arguments": self.arguments(),
            "checkpoint_path": str(checkpoint or ""),
            "checkpoint_hash": files_hash(checkpoint) if checkpoint else "",
            "contexts": {str(key): values.tolist() for key, values in self.contexts.items()},
        }
        (folder / ADAPTER_FILE).write_text(json.dumps(state), encoding="utf-8")
        if self.fine_tune_steps > 0:
            self.save_weights(folder / "weights")

    def save_weights(self, folder: Path) -> None:
        raise NotImplementedError

    @classmethod
    def load(cls, folder: Path) -> BaseTSFMAdapter:
        from fcast.library.foundation import adapter_class

        state = json.loads((folder / ADAPTER_FILE).read_text(encoding="utf-8"))
        arguments = dict(state["arguments"])
        if (folder / "weights").exists():
            arguments["checkpoint"] = str(folder / "weights")
            arguments["fine_tune_steps"] = 0
        adapter = adapter_class(state["adapter"])(**arguments)
        if (folder / "weights").exists():
            quiet_hub_progress()
            adapter._loaded = adapter.load_model()  # the folder may be a copy that is removed after loading
        elif state.get("checkpoint_hash"):
            found = files_hash(adapter.checkpoint_path())
            if found != state["checkpoint_hash"]:
                from fcast.library.foundation.checkpoints import CheckpointChangedError

                raise CheckpointChangedError(
                    f"{state['adapter']} was saved with the checkpoint {state['checkpoint_path']} (sha256 "
                    f"{state['checkpoint_hash'][:12]}…) and {adapter.checkpoint_path()} now holds other weights "
                    f"(sha256 {found[:12]}…): restore those weights or retrain the run"
                )
        adapter.contexts = {key: np.asarray(values, dtype=np.float32) for key, values in state["contexts"].items()}
        return adapter


def series_values(df: Any) -> dict[Any, np.ndarray]:
    """{unique_id: y in ds order} of a long frame."""
    ordered = df.sort_values(["unique_id", "ds"])
    return {
        unique_id: group["y"].to_numpy(dtype=np.float32)
        for unique_id, group in ordered.groupby("unique_id", sort=True, observed=True)
    }


def _equal_length_batches(windows: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
    by_length: dict[int, list[int]] = {}
    for index, window in enumerate(windows):
        by_length.setdefault(len(window), []).append(index)
    batches = []
    for indices in by_length.values():
        for start in range(0, len(indices), max(batch_size, 1)):
            batches.append(np.asarray(indices[start : start + batch_size]))
    return batches
