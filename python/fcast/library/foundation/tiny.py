"""Tiny randomly initialised foundation models, saved as checkpoints a user's real weights would be.

Weights cannot be downloaded here: tests and benchmarks build these from each library's own config
class and load them through the same path as a real checkpoint. Their forecasts are noise; their
shapes, calls and files are the real ones.
"""

from __future__ import annotations

from pathlib import Path

CHRONOS2_QUANTILES = [0.01, 0.05, *[round(0.1 * i, 1) for i in range(1, 10)], 0.95, 0.99]
NINE_QUANTILES = [round(0.1 * i, 1) for i in range(1, 10)]
TINY_WIDTH = 32


def write_chronos2(folder: Path, seed: int = 0) -> Path:
    import torch
    from chronos.chronos2.config import Chronos2CoreConfig
    from chronos.chronos2.model import Chronos2Model

    torch.manual_seed(seed)
    config = Chronos2CoreConfig(
        d_model=TINY_WIDTH,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        chronos_config={
            "context_length": 512,
            "output_patch_size": 4,
            "input_patch_size": 4,
            "input_patch_stride": 4,
            "quantiles": CHRONOS2_QUANTILES,
            "use_reg_token": True,
            "use_arcsinh": True,
            "max_output_patches": 16,
        },
        chronos_pipeline_class="Chronos2Pipeline",
        architectures=["Chronos2Model"],
    )
    Chronos2Model(config).save_pretrained(str(folder))
    return folder


def write_chronos_bolt(folder: Path, seed: int = 0) -> Path:
    import torch
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers import T5Config

    torch.manual_seed(seed)
    config = T5Config(
        d_model=TINY_WIDTH,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        vocab_size=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        chronos_config={
            "context_length": 512,
            "prediction_length": 64,
            "input_patch_size": 4,
            "input_patch_stride": 4,
            "quantiles": NINE_QUANTILES,
            "use_reg_token": True,
        },
        chronos_pipeline_class="ChronosBoltPipeline",
        architectures=["ChronosBoltModelForForecasting"],
    )
    ChronosBoltModelForForecasting(config).save_pretrained(str(folder))
    return folder


def write_timesfm(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import TimesFm2_5Config, TimesFm2_5ModelForPrediction

    torch.manual_seed(seed)
    config = TimesFm2_5Config(
        patch_length=8,
        context_length=512,
        horizon_length=128,
        num_hidden_layers=2,
        hidden_size=TINY_WIDTH,
        intermediate_size=TINY_WIDTH,
        head_dim=8,
        num_attention_heads=4,
        num_key_value_heads=4,
        output_quantile_len=128,
        max_position_embeddings=512,
    )
    TimesFm2_5ModelForPrediction(config).save_pretrained(str(folder))
    return folder


WRITERS = {"Chronos2": write_chronos2, "ChronosBolt": write_chronos_bolt, "TimesFM": write_timesfm}


def write_tiny_checkpoints(home: Path, seed: int = 0) -> dict[str, Path]:
    """Every local-weights adapter's tiny checkpoint in its default folder under `home` (FCAST_TSFM_HOME)."""
    from fcast.library.foundation import adapter_class
    from fcast.library.foundation.base import quiet_hub_progress

    quiet_hub_progress()
    written = {}
    for name, writer in WRITERS.items():
        folder = home / adapter_class(name).DEFAULT_CHECKPOINT
        if not (folder / "config.json").exists():
            folder.mkdir(parents=True, exist_ok=True)
            writer(folder, seed)
        written[name] = folder
    return written
