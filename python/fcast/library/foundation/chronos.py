"""Chronos-2 and Chronos-Bolt through the `chronos-forecasting` pipelines (Amazon), from a local checkpoint."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from fcast.library.foundation.base import BaseTSFMAdapter, Capabilities, Forecast, pick_device

CHRONOS_LIBRARY = "chronos-forecasting"


class _ChronosAdapter(BaseTSFMAdapter):
    LIBRARY = CHRONOS_LIBRARY

    def load_model(self) -> Any:
        import torch
        from chronos import BaseChronosPipeline

        torch.manual_seed(self.random_seed)
        return BaseChronosPipeline.from_pretrained(
            str(self.checkpoint_path()), device_map=pick_device(self.device), dtype=torch.float32
        )

    def _tensors(self, contexts: list[np.ndarray]) -> Any:
        import torch

        return torch.tensor(np.stack(contexts), dtype=torch.float32)

    def _quantiles(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> np.ndarray:
        """(n, h, len(levels))."""
        raise NotImplementedError

    def forecast_contexts(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> Forecast:
        quantiles = self._quantiles(contexts, h, levels)
        return Forecast(quantiles[:, :, levels.index(0.5)], quantiles, levels)


class Chronos2(_ChronosAdapter):
    """Chronos-2 (2025): zero-shot, 21 quantiles from 0.01 to 0.99, fine-tuning through its pipeline's `fit`."""

    CAPABILITIES = Capabilities(
        quantile_min=0.01, quantile_max=0.99, max_context=8192, max_horizon=1024, fine_tuning=True
    )
    DEFAULT_CHECKPOINT = "chronos-2"
    HOW_TO_GET = "on a machine with internet, `hf download amazon/chronos-2 --local-dir chronos-2` and copy that folder"

    def _quantiles(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> np.ndarray:
        import torch

        with torch.no_grad():
            quantiles, _ = self.model.predict_quantiles(
                [torch.tensor(values) for values in contexts], prediction_length=h, quantile_levels=levels
            )
        return np.stack([q[0].cpu().numpy() for q in quantiles]).astype(float)

    def embed_contexts(self, contexts: list[np.ndarray]) -> np.ndarray:
        import torch

        with torch.no_grad():
            embeddings, _ = self.model.embed([torch.tensor(values) for values in contexts], batch_size=len(contexts))
        return np.stack([item[0].float().mean(dim=0).cpu().numpy() for item in embeddings])

    def fine_tune(self, contexts: list[np.ndarray], steps: int) -> None:
        import torch

        torch.manual_seed(self.random_seed)
        with tempfile.TemporaryDirectory(prefix="fcast-chronos2-") as scratch:
            self._loaded = self.model.fit(
                [torch.tensor(values) for values in contexts],
                prediction_length=self.h,
                num_steps=steps,
                batch_size=min(self.batch_size, 32),
                output_dir=scratch,
                remove_printer_callback=True,
                report_to="none",
                disable_tqdm=True,
            )

    def save_weights(self, folder: Path) -> None:
        self.model.save_pretrained(str(folder))


class ChronosBolt(_ChronosAdapter):
    """Chronos-Bolt (2024): zero-shot, 9 quantiles from 0.1 to 0.9, direct multi-step patches."""

    CAPABILITIES = Capabilities(quantile_min=0.1, quantile_max=0.9, max_context=2048, max_horizon=64)
    DEFAULT_CHECKPOINT = "chronos-bolt-base"
    HOW_TO_GET = (
        "on a machine with internet, `hf download amazon/chronos-bolt-base --local-dir chronos-bolt-base` and "
        "copy that folder"
    )

    def _quantiles(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> np.ndarray:
        import torch

        with torch.no_grad():
            quantiles, _ = self.model.predict_quantiles(
                self._tensors(contexts), prediction_length=h, quantile_levels=levels
            )
        return quantiles.float().cpu().numpy().astype(float)

    def embed_contexts(self, contexts: list[np.ndarray]) -> np.ndarray:
        import torch

        with torch.no_grad():
            embeddings, _ = self.model.embed(self._tensors(contexts))
        return embeddings.float().mean(dim=1).cpu().numpy()
