"""One small plug-in per scanned library: its distribution name, import name and optional extra facts.

A plug-in module defines LIBRARY, PACKAGE and optionally `scan_extras(rows)`, which adds
library-specific facts (capabilities, losses, search spaces) to the generic introspection.
"""

from __future__ import annotations

import importlib
from types import ModuleType

PLUGIN_MODULES = {
    "neuralforecast": "fcast.registry.plugins.neuralforecast",
    "statsforecast": "fcast.registry.plugins.statsforecast",
    "mlforecast": "fcast.registry.plugins.mlforecast",
    "utilsforecast": "fcast.registry.plugins.utilsforecast",
    "hierarchicalforecast": "fcast.registry.plugins.hierarchicalforecast",
    "coreforecast": "fcast.registry.plugins.coreforecast",
    # The foundation-model adapters, keyed by the library each one runs on.
    "chronos-forecasting": "fcast.registry.plugins.chronos_forecasting",
    "transformers": "fcast.registry.plugins.transformers",
    "fcast": "fcast.registry.plugins.fcast_timegpt",
}
FOUNDATION_LIBRARIES = ("chronos-forecasting", "transformers", "fcast")


def load_plugin(library: str) -> ModuleType:
    if library not in PLUGIN_MODULES:
        raise KeyError(f"no registry plug-in for {library!r}; known: {', '.join(PLUGIN_MODULES)}")
    return importlib.import_module(PLUGIN_MODULES[library])
