"""The prober: real neuralforecast calls, outcomes, baselines, resumable runs, timeouts and crashes."""

from __future__ import annotations

import os
import time

import pytest

from fcast import db
from fcast.probe.definitions import Probe, spec_id
from fcast.probe.runner import ProbePool, compare_with_baseline, run_probes

from .conftest import environment, run_fcast


def hang_or_crash(spec: dict) -> dict:
    """Executor for the pool tests: a spec can hang or kill its worker."""
    if spec.get("hang"):
        time.sleep(60)
    if spec.get("crash"):
        os._exit(3)
    return {
        "outcome": "ok",
        "error_type": "",
        "error_message": "",
        "duration_seconds": 0.0,
        "output_rows": 1,
        "output_columns": ["y"],
        "values": [float(spec.get("value", 1.0))],
    }


def test_a_hanging_probe_times_out_and_a_dying_worker_is_a_crash_while_the_rest_runs():
    probes = [
        Probe("M", "fit", "a", str(i), {"i": i, **extra}, None)
        for i, extra in enumerate([{"hang": True}, {"crash": True}, {}, {}, {}])
    ]
    outcomes = {}
    pool = ProbePool(2, timeout_s=3.0, executor="tests.test_probes:hang_or_crash")
    try:
        pool.run(probes, lambda probe, result: outcomes.__setitem__(probe.value_label, result["outcome"]))
    finally:
        pool.close()
    assert outcomes == {"0": "timeout", "1": "crashed", "2": "ok", "3": "ok", "4": "ok"}


def test_ignored_means_same_output_as_the_baseline_within_tolerance():
    base = {"outcome": "ok", "values": [1.0, 2.0], "output_columns": ["y"]}
    assert compare_with_baseline({**base, "values": [1.0, 2.0 + 1e-9]}, base) == ("ignored", pytest.approx(1e-9))
    assert compare_with_baseline({**base, "values": [1.0, 2.5]}, base) == ("ok", 0.5)
    assert compare_with_baseline({**base, "outcome": "raised"}, base) == ("raised", None)


def test_probe_ids_hash_the_definition():
    spec = {"method": "fit", "model": "NHITS", "model_kwargs": {"h": 2}}
    assert spec_id(spec) == spec_id(dict(reversed(list(spec.items()))))
    assert spec_id(spec) != spec_id({**spec, "model_kwargs": {"h": 3}})


def test_real_probes_record_outcomes_and_rerun_only_what_changed(duckdb_env):
    result = run_fcast("registry", "probe", "--quick", "--models", "NHITS", "--no-ray", env=duckdb_env)
    assert "already recorded, " in result.stdout
    with environment(duckdb_env), db.connect(read_only=True) as warehouse:
        probes = warehouse.fetch_frame("select * from raw.registry_probes")
    by_key = {(r.method, r.argument, r.value_label): r for r in probes.itertuples()}
    level = by_key[("predict", "level", "[80]")]
    assert level.outcome == "raised" and "prediction_intervals" in level.error_message
    early = by_key[("fit", "early_stop_patience_steps", '"1 with val_size=0"')]
    assert early.outcome == "raised" and "val_size" in early.error_message
    assert by_key[("fit", "valid_loss", "MAE")].outcome == "ignored"  # MAE is already the default valid loss
    assert by_key[("fit", "loss", "MQLoss")].outcome == "ok"
    assert by_key[("predict", "futr_df", '"missing_rows"')].outcome == "raised"
    assert set(probes.outcome) <= {"ok", "raised", "ignored", "nan_output", "timeout", "crashed"}
    again = run_fcast("registry", "probe", "--quick", "--models", "NHITS", "--no-ray", env=duckdb_env)
    assert f"{len(probes)} already recorded, 0 run" in again.stdout


def test_run_probes_writes_through_one_writer(duckdb_env):
    probes = [Probe("M", "fit", "", "baseline", {"value": 1.0}, None)]
    probes.append(Probe("M", "fit", "a", "same", {"value": 1.0, "tag": 1}, probes[0].spec))
    probes.append(Probe("M", "fit", "a", "different", {"value": 2.0, "tag": 2}, probes[0].spec))
    with environment(duckdb_env):
        report = run_probes(
            "toy==1|py|torch|cpu",
            probes,
            workers=2,
            timeout_s=30,
            executor="tests.test_probes:hang_or_crash",
            progress=lambda line: None,
        )
        with db.connect(read_only=True) as warehouse:
            outcomes = dict(warehouse.fetchall("select value_label, outcome from raw.registry_probes"))
    assert report.run == 3
    assert outcomes == {"baseline": "ok", "same": "ignored", "different": "ok"}
