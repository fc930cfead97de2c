"""Time-series foundation models beside neuralforecast: one adapter per model, one interface.

A plan row names an adapter as its `model` (`Chronos2`, `ChronosBolt`, `TimesFM`, `TimeGPT`);
`fcast.library.build` builds it into a `FoundationForecast`, which the trainer's path drives
exactly like a NeuralForecast object.
"""

from __future__ import annotations

import importlib

ADAPTERS = {
    "Chronos2": "fcast.library.foundation.chronos:Chronos2",
    "ChronosBolt": "fcast.library.foundation.chronos:ChronosBolt",
    "TimesFM": "fcast.library.foundation.timesfm:TimesFM",
    "TimeGPT": "fcast.library.foundation.timegpt:TimeGPT",
}


def is_foundation_model(name: str) -> bool:
    return name in ADAPTERS


def adapter_class(name: str) -> type:
    if name not in ADAPTERS:
        raise ValueError(f"{name} is not a foundation model of fcast; known: {', '.join(ADAPTERS)}")
    module, _, attribute = ADAPTERS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)
