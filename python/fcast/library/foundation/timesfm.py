"""TimesFM 2.5 (Google) through `transformers`' TimesFm2_5ModelForPrediction, from a local checkpoint."""

from __future__ import annotations

from typing import Any

import numpy as np

from fcast.library.foundation.base import BaseTSFMAdapter, Capabilities, Forecast, interpolate_quantiles, pick_device


class TimesFM(BaseTSFMAdapter):
    """TimesFM 2.5: decoder-only, a mean forecast and 9 quantiles from 0.1 to 0.9 for up to `horizon_length` steps."""

    LIBRARY = "transformers"
    CAPABILITIES = Capabilities(quantile_min=0.1, quantile_max=0.9, max_context=16384, max_horizon=128)
    DEFAULT_CHECKPOINT = "timesfm-2.5-200m"
    HOW_TO_GET = (
        "on a machine with internet, `hf download google/timesfm-2.5-200m-transformers --local-dir "
        "timesfm-2.5-200m` and copy that folder"
    )

    def load_model(self) -> Any:
        import torch
        from transformers import TimesFm2_5ModelForPrediction

        torch.manual_seed(self.random_seed)
        model = TimesFm2_5ModelForPrediction.from_pretrained(str(self.checkpoint_path()))
        return model.to(pick_device(self.device)).eval()

    def _outputs(self, contexts: list[np.ndarray], context_len: int | None = None) -> Any:
        """The model's outputs; `context_len` (a multiple of the patch length) is what each window is front-padded to
        (default: the checkpoint's context_length, 16384 for the released weights)."""
        import torch

        device = next(self.model.parameters()).device
        padded = {"forecast_context_len": context_len} if context_len else {}
        with torch.no_grad():
            return self.model(past_values=[torch.tensor(values, device=device) for values in contexts], **padded)

    def forecast_contexts(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> Forecast:
        horizon = int(self.model.config.horizon_length)
        if h > horizon:
            raise ValueError(f"TimesFM checkpoint {self.checkpoint_path()} forecasts {horizon} steps; h={h} is longer")
        outputs = self._outputs(contexts, self._patch_multiple(contexts))
        full = outputs.full_predictions[:, :h, :].float().cpu().numpy().astype(float)  # mean, then the quantiles
        grid = [float(q) for q in self.model.config.quantiles]
        quantiles = interpolate_quantiles(full[:, :, 1 : 1 + len(grid)], grid, levels)
        point = outputs.mean_predictions[:, :h].float().cpu().numpy().astype(float)
        return Forecast(point, quantiles, levels)

    def _patch_multiple(self, contexts: list[np.ndarray]) -> int:
        """The windows' length rounded up to whole patches: what they are front-padded to, rather than the
        checkpoint's context (a 64-draw window would otherwise run as 16384 steps). Windows are batched by length
        (`predict_windows`, `embed`), so the padding is each window's own."""
        patch = int(self.model.config.patch_length)
        return -(-max(len(values) for values in contexts) // patch) * patch

    def embed_contexts(self, contexts: list[np.ndarray]) -> np.ndarray:
        """The last patch's hidden state: in a decoder it has attended to the whole window."""
        return self._outputs(contexts, self._patch_multiple(contexts)).last_hidden_state[:, -1, :].float().cpu().numpy()
