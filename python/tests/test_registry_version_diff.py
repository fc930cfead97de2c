"""'What changed' between neuralforecast 3.2.0 and the installed release, checked against an independent
comparison of the two installations. `fcast registry scan --version 3.2.0` puts 3.2.0 into a throwaway
environment that borrows every other package from this one and scans it with that interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from fcast import db
from fcast.registry.overlay_env import overlay_python

from .conftest import environment, run_fcast

OLD_VERSION = "3.2.0"
FLAGS = ("EXOGENOUS_FUTR", "EXOGENOUS_HIST", "EXOGENOUS_STAT", "EXOGENOUS_CAT", "MULTIVARIATE", "RECURRENT")

# Reads the installed neuralforecast with nothing but inspect: capability flags per model, and the
# parameters with their defaults of the NeuralForecast methods and every model's __init__.
INDEPENDENT_READER = textwrap.dedent("""
    import inspect, json, re, sys
    import neuralforecast, neuralforecast.core as core, neuralforecast.models as models
    FLAGS = %r
    def parameters(function):
        out = {}
        for name, p in inspect.signature(function).parameters.items():
            if name in ("self", "cls"):
                continue
            default = "" if p.default is inspect.Parameter.empty else re.sub(r" at 0x[0-9a-fA-F]+", "", repr(p.default))
            out[name] = default
        return out
    result = {"version": neuralforecast.__version__, "flags": {}, "parameters": {}}
    for name, cls in inspect.getmembers(models, inspect.isclass):
        if all(hasattr(cls, f) for f in FLAGS):
            result["flags"][name] = {f.lower(): bool(getattr(cls, f)) for f in FLAGS}
            result["parameters"][f"{cls.__module__}.{cls.__qualname__}.__init__"] = parameters(cls.__init__)
    for method in ("__init__", "fit", "predict", "cross_validation", "predict_insample", "save", "load"):
        result["parameters"][f"neuralforecast.core.NeuralForecast.{method}"] = parameters(
            getattr(core.NeuralForecast, method))
    json.dump(result, open(sys.argv[1], "w"))
""") % (FLAGS,)


def independent_reading(python: str, folder: Path) -> dict:
    output = folder / f"reading_{abs(hash(python))}.json"
    subprocess.run([python, "-c", INDEPENDENT_READER, str(output)], check=True, capture_output=True)
    return json.loads(output.read_text())


def test_version_changes_match_an_independent_comparison(duckdb_env, tmp_path):
    run_fcast("registry", "scan", env=duckdb_env)
    scanned = run_fcast("registry", "scan", "neuralforecast", "--version", OLD_VERSION, env=duckdb_env)
    assert f"neuralforecast=={OLD_VERSION}|" in scanned.stdout
    with environment(duckdb_env):
        old_neuralforecast_python = str(overlay_python("neuralforecast", OLD_VERSION))
    run_fcast("build", "--select", "+marts.registry", "--indirect-selection", "cautious", env=duckdb_env)

    old = independent_reading(old_neuralforecast_python, tmp_path)
    new = independent_reading(sys.executable, tmp_path)
    assert old["version"] == OLD_VERSION and new["version"] != OLD_VERSION

    with environment(duckdb_env), db.connect(read_only=True) as warehouse:
        changes = warehouse.fetch_frame(
            "select change_kind, symbol, parameter, attribute, old_value, new_value, from_version, to_version "
            "from marts.registry_version_changes where library = 'neuralforecast'"
        )
    assert set(zip(changes.from_version, changes.to_version, strict=True)) == {(OLD_VERSION, new["version"])}

    expected_capabilities = {
        (model, flag, str(old["flags"][model][flag]).lower(), str(flags[flag]).lower())
        for model, flags in new["flags"].items()
        if model in old["flags"]
        for flag in flags
        if flags[flag] != old["flags"][model][flag]
    }
    reported_capabilities = {
        (r.symbol, r.attribute, r.old_value, r.new_value)
        for r in changes[changes.change_kind == "capability_changed"].itertuples()
        if r.attribute in {flag.lower() for flag in FLAGS}
    }
    assert reported_capabilities == expected_capabilities
    assert expected_capabilities, "3.2.0 and the installed release differ in capability flags"

    checked = set(old["parameters"]) & set(new["parameters"])
    expected_parameters = set()
    for symbol in checked:
        before, after = old["parameters"][symbol], new["parameters"][symbol]
        expected_parameters |= {("parameter_added", symbol, name) for name in after.keys() - before.keys()}
        expected_parameters |= {("parameter_removed", symbol, name) for name in before.keys() - after.keys()}
        expected_parameters |= {
            ("default_changed", symbol, name) for name in before.keys() & after.keys() if before[name] != after[name]
        }
    reported_parameters = {
        (r.change_kind, r.symbol, r.parameter)
        for r in changes.itertuples()
        if r.symbol in checked and r.change_kind in ("parameter_added", "parameter_removed", "default_changed")
    }
    assert reported_parameters == expected_parameters
    assert ("parameter_added", "neuralforecast.core.NeuralForecast.load", "allow_pickle") in reported_parameters
    no_address_noise = changes[changes.change_kind == "default_changed"]
    assert not no_address_noise.new_value.str.contains(" at 0x").any()
