"""What the scan records of fcast's foundation-model adapters, shared by their libraries' plug-ins.

Each adapter library (chronos-forecasting, transformers, fcast's own TimeGPT client) has its own plug-in,
so its facts are keyed by that library's version. The generic introspection records the adapter
module's symbols; this adds every adapter's constructor (inherited arguments included), its capability
flags in the neuralforecast vocabulary (so the validator's feature rules apply unchanged), and the
foundation-model capabilities: zero-shot, covariates, the quantile grid, maximum context and horizon.
"""

from __future__ import annotations

import importlib
import inspect

from fcast.registry.introspect import LibraryChecks, ScanRows, clip, scan_parameters


def scan_adapters(rows: ScanRows, module_name: str) -> None:
    from fcast.library.foundation import ADAPTERS, adapter_class

    module = importlib.import_module(module_name)
    checks = LibraryChecks()
    for name, target in ADAPTERS.items():
        if not target.startswith(f"{module_name}:"):
            continue
        adapter = adapter_class(name)
        symbol = f"{module.__name__}.{name}.__init__"

        scan_parameters(
            symbol,
            adapter.__init__,
            rows,
            checks,
            docstring=(inspect.getdoc(adapter.__init__) or "") + "\n\n" + (inspect.getdoc(adapter) or ""),
        )
        capabilities = adapter.CAPABILITIES
        try:
            adapter(h=1)  # constructing reads no weights: the checkpoint is checked when the model loads
            can_build, error = True, ""
        except BaseException as failure:
            can_build, error = False, clip(f"{type(failure).__name__}: {failure}", 500)
        rows.model_capabilities.append(
            {
                "model_class": name,
                "scope": "class",
                "argument": "",
                "argument_value": "",
                "exogenous_futr": capabilities.future_covariates,
                "exogenous_hist": capabilities.past_covariates,
                "exogenous_stat": False,
                "exogenous_cat": False,
                "multivariate": False,
                "recurrent": False,
                "auto_class": "",
                "can_build": can_build,
                "build_error": error,
            }
        )
        rows.foundation_capabilities.append(
            {
                "model_class": name,
                **capabilities.as_dict(),
                "default_checkpoint": adapter.DEFAULT_CHECKPOINT,
                "how_to_get": adapter.HOW_TO_GET,
            }
        )
