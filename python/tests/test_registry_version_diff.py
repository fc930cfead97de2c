"""Three neuralforecast releases side by side (3.2.0, 3.2.2 and the installed one), checked against an independent
reading of each installation: 'what changed' between consecutive releases, each release's capability flags in
the capability history, and the validator's warning about a capability that differs among them.
`fcast registry scan --version V` puts V into a throwaway environment that borrows every other package from
this one and scans it with that interpreter.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from fcast import db
from fcast.plans.spec import rows_from_document
from fcast.plans.validate import CAPABILITY_FOR_FEATURE, PlanValidator
from fcast.registry.facts import RegistryFacts, version_ranges
from fcast.registry.overlay_env import overlay_python

from .conftest import environment, run_fcast

OLD_VERSIONS = ("3.2.0", "3.2.2")  # oldest first; the installed release is newer than both
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


def test_versions_side_by_side_match_an_independent_reading(duckdb_env, tmp_path):
    run_fcast("registry", "scan", env=duckdb_env)
    pythons = []
    for version in OLD_VERSIONS:
        scanned = run_fcast("registry", "scan", "neuralforecast", "--version", version, env=duckdb_env)
        assert f"neuralforecast=={version}|" in scanned.stdout
        with environment(duckdb_env):
            pythons.append(str(overlay_python("neuralforecast", version)))
    run_fcast("build", "--select", "+marts.registry", "--indirect-selection", "cautious", env=duckdb_env)

    readings = [independent_reading(python, tmp_path) for python in [*pythons, sys.executable]]
    versions = [reading["version"] for reading in readings]
    assert versions[:-1] == list(OLD_VERSIONS) and versions[-1] not in OLD_VERSIONS
    installed = readings[-1]

    with environment(duckdb_env), db.connect(read_only=True) as warehouse:
        changes = warehouse.fetch_frame(
            "select change_kind, symbol, parameter, attribute, old_value, new_value, from_version, to_version "
            "from marts.registry_version_changes where library = 'neuralforecast'"
        )
        history = warehouse.fetch_frame(
            "select library_version, model_class, version_rank, is_latest_scanned, changed_from_previous, "
            f"{', '.join(flag.lower() for flag in FLAGS)} "
            "from marts.registry_capability_history where library = 'neuralforecast'"
        )
    pairs = list(itertools.pairwise(readings))
    assert set(zip(changes.from_version, changes.to_version, strict=True)) == {
        (old["version"], new["version"]) for old, new in pairs
    }
    all_capability_changes = set()
    all_parameter_changes = set()
    for old, new in pairs:
        assert_changes_match(changes, old, new)
        all_capability_changes |= expected_capability_changes(old, new)
        all_parameter_changes |= expected_parameter_changes(old, new)
    assert all_capability_changes, "the scanned releases differ in capability flags"
    assert ("parameter_added", "neuralforecast.core.NeuralForecast.load", "allow_pickle") in all_parameter_changes
    no_address_noise = changes[changes.change_kind == "default_changed"]
    assert not no_address_noise.new_value.str.contains(" at 0x").any()

    # The capability history: every model of every release with exactly the flags that release's classes carry.
    recorded = {
        (r.library_version, r.model_class): {flag.lower(): bool(getattr(r, flag.lower())) for flag in FLAGS}
        for r in history.itertuples()
    }
    assert recorded == {
        (reading["version"], model): flags for reading in readings for model, flags in reading["flags"].items()
    }
    ranks = {r.library_version: (int(r.version_rank), bool(r.is_latest_scanned)) for r in history.itertuples()}
    assert ranks == {version: (rank, rank == len(versions)) for rank, version in enumerate(versions, start=1)}
    for r in history.itertuples():
        rank = int(r.version_rank)
        previous = readings[rank - 2]["flags"].get(r.model_class) if rank > 1 else None
        if previous is not None and previous != readings[rank - 1]["flags"][r.model_class]:
            assert r.changed_from_previous, (r.library_version, r.model_class)
        if previous is None:
            assert not r.changed_from_previous, (r.library_version, r.model_class)

    # The validator: a row relying on a capability that differs among the releases is warned about, with the
    # releases where it holds; scanning older releases does not change the environment it validates against.
    with environment(duckdb_env):
        facts = RegistryFacts.load()
    assert facts.version == installed["version"]
    assert facts.scanned_versions() == versions
    kind, model, holds = changed_capability(readings)
    validator = PlanValidator(facts)
    result = validator.validate(plan_row(model, kind))
    (warning,) = [v for v in result.violations if v.rule == "capability_changed_across_versions"]
    assert (warning.field, warning.severity, warning.evidence) == (
        f"features.{kind}",
        "warning",
        "marts.registry_capability_history",
    )
    assert f"{model} takes " in warning.message
    assert f" only in {version_ranges(holds, versions)} of the scanned releases ({', '.join(versions)})" in (
        warning.message
    )
    assert warning.message.endswith(f"this environment is {installed['version']}")
    steady = next(
        name
        for name, flags in sorted(installed["flags"].items())
        if all(reading["flags"].get(name) == flags for reading in readings) and flags["exogenous_futr"]
    )
    unchanged = validator.validate(plan_row(steady, "futr"))
    assert "capability_changed_across_versions" not in {v.rule for v in unchanged.violations}


def expected_capability_changes(old: dict, new: dict) -> set[tuple]:
    return {
        (old["version"], model, flag, str(old["flags"][model][flag]).lower(), str(flags[flag]).lower())
        for model, flags in new["flags"].items()
        if model in old["flags"]
        for flag in flags
        if flags[flag] != old["flags"][model][flag]
    }


def expected_parameter_changes(old: dict, new: dict) -> set[tuple]:
    expected = set()
    for symbol in set(old["parameters"]) & set(new["parameters"]):
        before, after = old["parameters"][symbol], new["parameters"][symbol]
        expected |= {("parameter_added", symbol, name) for name in after.keys() - before.keys()}
        expected |= {("parameter_removed", symbol, name) for name in before.keys() - after.keys()}
        expected |= {
            ("default_changed", symbol, name) for name in before.keys() & after.keys() if before[name] != after[name]
        }
    return expected


def assert_changes_match(changes, old: dict, new: dict) -> None:
    pair = changes[(changes.from_version == old["version"]) & (changes.to_version == new["version"])]
    reported_capabilities = {
        (old["version"], r.symbol, r.attribute, r.old_value, r.new_value)
        for r in pair[pair.change_kind == "capability_changed"].itertuples()
        if r.attribute in {flag.lower() for flag in FLAGS}
    }
    assert reported_capabilities == expected_capability_changes(old, new), (old["version"], new["version"])
    checked = set(old["parameters"]) & set(new["parameters"])
    reported_parameters = {
        (r.change_kind, r.symbol, r.parameter)
        for r in pair.itertuples()
        if r.symbol in checked and r.change_kind in ("parameter_added", "parameter_removed", "default_changed")
    }
    assert reported_parameters == expected_parameter_changes(old, new), (old["version"], new["version"])


def changed_capability(readings: list[dict]) -> tuple[str, str, list[str]]:
    """(feature kind, model, releases where it holds) of an exogenous capability that differs among the
    releases, for a univariate model present in all of them that has it in the installed release."""
    installed = readings[-1]["flags"]
    for kind, flag in CAPABILITY_FOR_FEATURE.items():
        for model, flags in sorted(installed.items()):
            seen = [reading["flags"].get(model) for reading in readings]
            if None in seen or flags["multivariate"] or not flags[flag]:
                continue
            holds = [reading["version"] for reading in readings if reading["flags"][model][flag]]
            if len(holds) < len(readings):
                return kind, model, holds
    raise AssertionError("no univariate model gained an exogenous capability among the scanned releases")


def plan_row(model: str, kind: str):
    column = {"futr": "fut_weekday", "hist": "hist_lag_1", "stat": "stat_slot_index"}[kind]
    run = {"name": "r", "model": model, "features": {kind: [column]}}
    defaults = {"dataset": "loto6", "series": "N1", "horizon": 2, "model_args": {"input_size": 4}}
    (row,) = rows_from_document({"plan": "capabilities", "defaults": defaults, "runs": [run]}, "test")
    return row


def test_another_release_is_probed_under_its_own_interpreter(duckdb_env):
    """`fcast registry probe --version V` scans V and runs the probe workers under V's throwaway
    interpreter: the rows carry V's environment key, and every worker reports that it imported V
    (the runner refuses results from another release)."""
    version = OLD_VERSIONS[-1]
    result = run_fcast(
        "registry", "probe", "--version", version, "--quick", "--models", "NHITS", "--no-ray", env=duckdb_env
    )
    assert f"[neuralforecast=={version}|" in result.stdout
    with environment(duckdb_env), db.connect(read_only=True) as warehouse:
        probes = warehouse.fetch_frame(
            "select env_key, method, argument, outcome, context_label from raw.registry_probes "
            "where probe_kind = 'library'"
        )
    assert len(probes) > 10 and set(probes.env_key) == {next(k for k in probes.env_key if f"=={version}|" in k)}
    baseline = probes[(probes.method == "fit") & (probes.argument == "")]
    assert len(baseline) and set(baseline.outcome) == {"ok"}  # the baselines ran under that release
    assert probes.context_label.str.contains("2 series x 24 points").all()
