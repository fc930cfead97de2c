"""neuralforecast's distributed fit on Spark (local[2], real PySpark and TorchDistributor, tiny training):
a distributed NHITS row is rehearsed and trained by `fcast train` on the same distributed path and writes its
run and forecast rows; the distributed probes record real outcomes, and the validator rejects a row they show
cannot train distributed, citing the probe."""

from __future__ import annotations

import json

import pytest

from fcast import db
from fcast.plans.spec import load_plan_file

from .conftest import run_fcast
from .training_helpers import count_rows, run_rows, write_plan

SPARK = {"engine": "spark", "num_nodes": 1, "devices": 1}
LOCAL_SPARK = {"FCAST_SPARK_MASTER": "local[2]"}


def distributed_plan(path, runs: list[dict]):
    """A plan without cross-validation defaults (neuralforecast cannot cross-validate a Spark DataFrame)."""
    document = {
        "plan": path.stem,
        "defaults": {"dataset": "loto6", "horizon": 1, "loss": {"class": "MAE"}, "distributed": SPARK},
        "runs": [
            {**run, "model_args": {"input_size": 12, "max_steps": 2, **run.get("model_args", {})}} for run in runs
        ],
    }
    return write_plan(path, document)


def probe_rows(where: str, params=()) -> list[dict]:
    with db.connect(read_only=True) as warehouse:
        frame = warehouse.fetch_frame(f"select * from raw.registry_probes where {where} order by probed_at", params)
    return frame.to_dict("records")


def test_a_distributed_nhits_row_is_rehearsed_and_trained_on_spark(trained_copy, tmp_path):
    env = {**trained_copy, **LOCAL_SPARK}
    plan = distributed_plan(
        tmp_path / "spark.yaml",
        [{"name": "spark_nhits", "series": "N1", "model": "NHITS", "features": {"hist": ["hist_lag_1"]}}],
    )
    (row,) = load_plan_file(plan)
    result = run_fcast("train", str(plan), env=env, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "1 plan row(s): 1 completed, 0 failed, 0 rejected" in result.stdout

    (rehearsal,) = probe_rows("probe_kind = 'plan' and argument = ?", (row.plan_id,))
    assert rehearsal["outcome"] == "ok", rehearsal["error_message"]
    stages = json.loads(rehearsal["spec_json"])["stage_seconds"]
    assert {"fit", "predict", "save", "load", "predict_loaded"} <= set(stages)
    assert "cross_validation" not in stages  # the rehearsal took the distributed path, as the trainer does

    (run,) = run_rows("where plan_id = ?", (row.plan_id,))
    assert run["status"] == "COMPLETED", run["logs"][-3000:]
    assert "distributed fit on Spark local[2] (1 node(s) x 1 device(s))" in run["logs"]
    assert "cross-validation skipped" in run["logs"]
    assert json.loads(run["optimization_config"])["plan_row"]["distributed"] == SPARK
    with db.connect(read_only=True) as warehouse:
        forecasts = warehouse.fetch_frame(
            "select forecast_kind, unique_id, ds, y_hat from raw.run_forecasts where run_id = ?", (run["run_id"],)
        )
    assert forecasts["forecast_kind"].tolist() == ["forecast"]
    assert forecasts["unique_id"].tolist() == ["loto6_N1"] and forecasts["y_hat"].notna().all()
    assert count_rows("raw.run_metrics", run["run_id"]) == 0  # no cross-validation windows, no metrics
    assert count_rows("raw.model_artifacts", run["run_id"]) == 1

    predicted = run_fcast("predict", run["run_id"], env=env, check=False)  # the stored model, on one machine
    assert predicted.returncode == 0, predicted.stdout[-3000:] + predicted.stderr[-3000:]


def test_rows_the_distributed_probes_saw_fail_are_rejected_citing_the_probes(trained_copy, tmp_path, monkeypatch):
    """Real probes (worker processes, Spark local[2]): TSMixer's distributed fit (multivariate models fail in
    neuralforecast 3.3.0's DDP trainer) and cross-validation on a Spark DataFrame; then the validator."""
    from fcast.probe.distributed import DISTRIBUTED_TIMEOUT_S, EXECUTOR, distributed_probes
    from fcast.probe.runner import run_probes, view_from_registry
    from fcast.registry.facts import RegistryFacts

    monkeypatch.setenv("FCAST_SPARK_MASTER", "local[2]")
    env_key = RegistryFacts.load().env_key
    probes = {
        (probe.model_class, probe.method, probe.argument): probe
        for probe in distributed_probes(view_from_registry(env_key), models=["NHITS", "TSMixer"])
    }
    chosen = [
        probes[("TSMixer", "fit", "")],  # the one-machine baseline: TSMixer trains on the tiny data
        probes[("TSMixer", "fit_distributed", "")],
        probes[("NHITS", "fit_distributed", "cross_validation")],
    ]
    report = run_probes(env_key, chosen, workers=2, timeout_s=DISTRIBUTED_TIMEOUT_S, executor=EXECUTOR)
    assert report.run == 3, report.summary()
    recorded = {row["probe_id"]: row for row in probe_rows("model_class in ('NHITS', 'TSMixer')")}
    local, tsmixer, windows = (recorded[probe.probe_id] for probe in chosen)
    assert local["outcome"] == "ok", local
    assert tsmixer["outcome"] == "raised" and "training process:" in tsmixer["error_message"], tsmixer
    assert windows["outcome"] == "raised" and windows["error_type"], windows

    plan = distributed_plan(
        tmp_path / "rejected.yaml",
        [
            {"name": "tsmixer", "series": "all", "model": "TSMixer", "model_args": {"n_series": 6}},
            {"name": "with_windows", "series": "N1", "model": "NHITS", "cross_validation": {"n_windows": 2}},
        ],
    )
    validated = run_fcast("validate", "--static-only", str(plan), env={**trained_copy, **LOCAL_SPARK}, check=False)
    assert validated.returncode == 1, validated.stdout
    assert "2 run(s), 2 rejected" in validated.stdout
    assert "[distributed_fit_unsupported] model: neuralforecast 3.3.0 cannot train TSMixer distributed" in (
        validated.stdout
    )
    assert f"[evidence: probe: {chosen[1].probe_id}]" in validated.stdout
    assert "[distributed_call_unsupported] cross_validation" in validated.stdout
    assert f"[evidence: probe: {chosen[2].probe_id}]" in validated.stdout


@pytest.mark.fast
def test_without_java_a_distributed_row_says_how_to_install_it(monkeypatch):
    from fcast.errors import FcastError
    from fcast.library.spark import SparkUnavailable, spark_session

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SparkUnavailable, match="openjdk-17-jre-headless") as raised:
        spark_session()
    assert isinstance(raised.value, FcastError) and "drop `distributed`" in str(raised.value)


@pytest.mark.fast
def test_the_distributed_family_probes_every_buildable_model_and_the_calls_on_nhits(monkeypatch, tmp_path):
    from fcast.library.spark import partitions_path
    from fcast.probe.definitions import RegistryView
    from fcast.probe.distributed import DISTRIBUTED_METHOD, VARIANTS, distributed_probe_key, distributed_probes

    parameters = {name: {"h": {}, "input_size": {}, "max_steps": {}, "n_series": {}} for name in ("NHITS", "TSMixer")}
    view = RegistryView(
        models={
            "NHITS": {"can_build": True, "multivariate": False},
            "TSMixer": {"can_build": True, "multivariate": True},
            "TimeLLM": {"can_build": False, "multivariate": False},
        },
        parameters=parameters,
        allowed={},
        losses=[],
        local_scalers=[],
    )
    probes = distributed_probes(view)
    assert len(probes) == 2 * 2 + len(VARIANTS) and len({probe.probe_id for probe in probes}) == len(probes)
    local = [probe for probe in probes if probe.method == "fit"]
    assert {(probe.model_class, probe.value_label) for probe in local} == {("NHITS", '""'), ("TSMixer", '""')}
    keys = {(probe.model_class, probe.method, probe.argument, probe.value_label) for probe in probes}
    assert distributed_probe_key("TSMixer") in keys and distributed_probe_key("TimeLLM") not in keys
    assert all(distributed_probe_key("NHITS", variant) in keys for variant in VARIANTS)
    (tsmixer,) = [probe for probe in probes if probe.model_class == "TSMixer" and probe.method != "fit"]
    assert tsmixer.spec["model_kwargs"]["n_series"] == 2 and tsmixer.method == DISTRIBUTED_METHOD
    assert partitions_path(tmp_path).startswith(str(tmp_path))
    monkeypatch.setenv("FCAST_SPARK_PARTITIONS", str(tmp_path / "shared"))
    assert partitions_path(tmp_path).startswith(str(tmp_path / "shared"))
