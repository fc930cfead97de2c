"""The prober: real neuralforecast calls, outcomes that state no more than was observed, baselines,
shared fits, resumable runs, timeouts and crashes."""

from __future__ import annotations

import csv
import os
import sys
import time

import pytest

from fcast import db, settings
from fcast.probe.definitions import RUNS, Probe, RegistryView, build_matrix, probe_context, spec_id
from fcast.probe.observations import EXPLANATIONS, additivity, compare_with_baseline
from fcast.probe.runner import ProbePool, fit_groups, run_probes

from .conftest import environment, run_fcast


def hang_or_crash(spec: dict) -> dict:
    """Executor for the pool tests: a spec can hang or kill its worker."""
    if spec.get("hang"):
        time.sleep(60)
    if spec.get("crash"):
        print("dying on purpose", file=sys.stderr, flush=True)
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


@pytest.mark.fast
def test_a_hanging_probe_times_out_and_a_dying_worker_is_a_crash_while_the_rest_runs():
    probes = [
        Probe("M", "fit", "a", str(i), {"i": i, **extra}, None)
        for i, extra in enumerate([{"hang": True}, {"crash": True}, {}, {}, {}])
    ]
    results = {}
    pool = ProbePool(2, timeout_s=3.0, executor="tests.test_probes:hang_or_crash")
    try:
        pool.run(probes, lambda probe, result: results.__setitem__(probe.value_label, result))
    finally:
        pool.close()
    outcomes = {label: result["outcome"] for label, result in results.items()}
    assert outcomes == {"0": "timeout", "1": "crashed", "2": "ok", "3": "ok", "4": "ok"}
    assert "dying on purpose" in results["1"]["error_message"]  # the worker's last words are kept


def _result(values, columns=("unique_id", "ds", "NHITS"), **observed) -> dict:
    return {
        "outcome": "ok",
        "values": list(values),
        "output_columns": list(columns),
        "observed": {"forecast": list(values), **observed},
        "warnings": [],
    }


BASE_SPEC = {"method": "fit", "model": "NHITS", "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2}}


def _probe(argument: str, value, method: str = "fit", where: str = "model_kwargs", **spec) -> Probe:
    changed = {**BASE_SPEC, "method": method, **spec}
    changed[where] = {**changed.get(where, {}), argument: value}
    return Probe("NHITS", method, argument, repr(value), changed, BASE_SPEC)


@pytest.mark.fast
def test_an_effect_shows_where_it_was_observed():
    base = _result([1.0, 2.0], train_loss=[0.5, 0.4], valid_loss=[0.9])
    moved = compare_with_baseline(_result([1.0, 2.0], train_loss=[0.5, 0.4], valid_loss=[0.7]), base)
    assert (moved.outcome, moved.differs_in) == ("ok", ("valid_loss",)) and moved.difference == pytest.approx(0.2)
    columns = compare_with_baseline(_result([1.0], columns=("unique_id", "ds", "NHITS-lo-80")), base)
    assert (columns.outcome, columns.differs_in) == ("ok", ("output columns",))
    assert compare_with_baseline({**base, "outcome": "raised"}, base).outcome == "raised"


@pytest.mark.fast
def test_an_equal_output_states_no_more_than_was_observed():
    base = _result([1.0, 2.0], train_loss=[0.5, 0.4])
    same = _result([1.0, 2.0 + 1e-9], train_loss=[0.5, 0.4])
    default = compare_with_baseline(
        same, base, Probe(**{**_probe("scaler_type", "identity").__dict__, "is_default": True})
    )
    assert default.outcome == "baseline"
    unexplained = compare_with_baseline(same, base, _probe("dropout_prob_theta", 0.5))
    assert unexplained.outcome == "unchanged" and "forecast, train_loss" in unexplained.reason
    runs = Probe(**{**_probe("freq", "D", "neuralforecast_init", "nf_kwargs").__dict__, "question": RUNS})
    assert compare_with_baseline(same, base, runs).outcome == "ok"
    assert compare_with_baseline(same, base).outcome == "unchanged"  # no probe, no rule: nothing claimed


@pytest.mark.fast
@pytest.mark.parametrize(
    ("probe", "result_change", "outcome", "rule"),
    [
        (_probe("num_lr_decays", 0), {}, "baseline", "lr_decay_off"),
        (
            _probe("optimizer_kwargs", {"eps": 1e-3}),
            {"warnings": ["UserWarning: ignoring optimizer_kwargs as the optimizer is not specified"]},
            "ignored",
            "warned_ignoring",
        ),
        (
            Probe("NHITS", "fit", "static_df", "given", {**BASE_SPEC, "with_static_df": True}, BASE_SPEC),
            {},
            "ignored",
            "static_df_unlisted",
        ),
        (
            _probe("level", [80], "predict", "call_kwargs", loss={"class": "MQLoss", "kwargs": {}}),
            {},
            "ignored",
            "intervals_dropped",
        ),
        (_probe("batch_size", 1, model_kwargs={"h": 2, "n_series": 2}), {}, "ignored", "multivariate_batch"),
        (_probe("valid_loss", "MSE", loss={"class": "MAE"}), {}, "not_observable", "validation_not_run"),
        (_probe("inference_windows_batch_size", 1), {}, "not_observable", "inference_batching"),
        (_probe("batch_size", 32), {}, "not_observable", "batch_holds_all"),
        (_probe("windows_batch_size", 4096), {}, "not_observable", "batch_holds_all"),
        (_probe("num_lr_decays", 1), {}, "not_observable", "lr_decay_beyond_steps"),
        (_probe("use_init_models", True, where="fit_kwargs"), {}, "not_observable", "refit_only"),
        (_probe("step_size", 2, "cross_validation", "call_kwargs"), {}, "not_observable", "one_window"),
        (_probe("verbose", True, "predict", "call_kwargs"), {}, "not_observable", "logging_only"),
        (_probe("num_samples", 2, "auto_fit"), {}, "not_observable", "fixed_search"),
    ],
    ids=lambda item: item if isinstance(item, str) else None,
)
def test_each_explanation_of_an_equal_output(probe, result_change, outcome, rule):
    base = _result([1.0, 2.0], train_loss=[0.5, 0.4])
    comparison = compare_with_baseline({**base, **result_change}, base, probe)
    assert (comparison.outcome, comparison.rule) == (outcome, rule)
    assert comparison.reason


@pytest.mark.fast
def test_explanations_do_not_fire_outside_their_case():
    base = _result([1.0, 2.0])
    listed = Probe(
        "NHITS",
        "fit",
        "static_df",
        "given",
        {**BASE_SPEC, "with_static_df": True, "model_kwargs": {**BASE_SPEC["model_kwargs"], "stat_exog_list": ["s"]}},
        BASE_SPEC,
    )
    assert compare_with_baseline(base, base, listed).outcome == "unchanged"  # listed static columns do reach it
    validated = _probe("valid_loss", "MSE", fit_kwargs={"val_size": 4})
    assert compare_with_baseline(base, base, validated).outcome == "unchanged"  # validation ran, nothing moved
    assert compare_with_baseline(base, base, _probe("batch_size", 1)).outcome == "unchanged"  # 1 < 2 series


@pytest.mark.fast
def test_every_outcome_is_in_the_outcome_seed():
    with open(settings.seeds_dir() / "probe_outcomes.csv", newline="") as handle:
        seeded = {row["outcome"] for row in csv.DictReader(handle)}
    produced = {explanation.outcome for explanation in EXPLANATIONS}
    produced |= {"ok", "unchanged", "baseline", "raised", "nan_output", "timeout", "crashed"}
    produced |= {additivity(None).outcome, additivity(1.0).outcome}
    assert produced <= seeded


VIEW = RegistryView(
    models={"NHITS": {"can_build": True, "multivariate": False, "auto": False}},
    parameters={
        "NHITS": {
            "h": {"default_repr": "", "normalized_type": "int"},
            "input_size": {"default_repr": "", "normalized_type": "int"},
            "max_steps": {"default_repr": "1000", "normalized_type": "int"},
            "random_seed": {"default_repr": "1", "normalized_type": "int"},
            "loss": {"default_repr": "MAE()", "normalized_type": "object"},
            "valid_loss": {"default_repr": "None", "normalized_type": "object"},
            "scaler_type": {"default_repr": "'identity'", "normalized_type": "str"},
            "batch_size": {"default_repr": "32", "normalized_type": "int"},
        }
    },
    allowed={"NHITS": {"scaler_type": ['"identity"', '"robust"']}},
    losses=[("MAE", {"class": "MAE", "kwargs": {}}), ("MSE", {"class": "MSE", "kwargs": {}})],
    local_scalers=["standard"],
    call_defaults={
        "NeuralForecast.predict": {"h": "None", "verbose": "False"},
        "NeuralForecast.fit": {"val_size": "0"},
    },
)


@pytest.mark.fast
def test_defaults_are_marked_as_the_baseline_and_probes_share_fits():
    probes = build_matrix(VIEW)
    defaults = {(p.method, p.argument, p.value_label) for p in probes if p.is_default}
    assert ("fit", "loss", "MAE") in defaults and ("fit", "scaler_type", '"identity"') in defaults
    assert ("fit", "valid_loss", "MAE") in defaults  # valid_loss=None validates with the training loss, MAE
    assert ("predict", "h", "2") in defaults  # h=None predicts the model's horizon
    assert ("fit", "loss", "MSE") not in defaults and ("fit", "scaler_type", '"robust"') not in defaults
    assert ("predict", "h", "3") not in defaults
    groups = fit_groups(probes)
    shared = [group for group in groups if len(group) > 1]
    assert shared and len(groups) < len(probes)
    for group in shared:  # one fit serves calls that differ only in what is called after it
        assert len({probe.fit_group for probe in group}) == 1
        methods = {probe.method for probe in group}
        shared_fit = {"fit", "neuralforecast_init", "predict", "predict_insample", "explain"}
        assert methods <= shared_fit or methods == {"save_load"}


@pytest.mark.fast
def test_the_context_of_a_probe():
    context = probe_context(
        {
            **BASE_SPEC,
            "loss": {"class": "MQLoss", "kwargs": {"level": [80]}},
            "fit_kwargs": {"val_size": 4},
            "model_kwargs": {**BASE_SPEC["model_kwargs"], "hist_exog_list": ["h"], "input_size": "x"},
        }
    )
    assert context == {
        "series_count": 2,
        "series_length": 24,
        "horizon": 2,
        "input_size": None,
        "max_steps": 2,
        "windows_batch_size": None,
        "loss": "MQLoss(level=[80])",
        "valid_loss": "default",
        "val_size": 4,
        "exogenous": "hist",
    }


@pytest.mark.fast
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
    valid_default = by_key[("fit", "valid_loss", "MAE")]  # MAE is already the default valid loss
    assert valid_default.outcome == "baseline" and "default" in valid_default.outcome_reason
    valid_mq = by_key[("fit", "valid_loss", "MQLoss")]  # seen in the validation-loss curve, not the forecast
    assert valid_mq.outcome == "ok" and "valid_loss" in valid_mq.observed_differences
    assert by_key[("fit", "loss", "MQLoss")].outcome == "ok"
    assert by_key[("predict", "futr_df", '"missing_rows"')].outcome == "raised"
    # the proven no-ops, really observed
    static_df = by_key[("fit", "static_df", '"given without stat_exog_list"')]
    assert static_df.outcome == "ignored" and "stat_exog_list is empty" in static_df.outcome_reason
    dropped = by_key[("predict", "level with MQLoss", "[80]")]
    assert dropped.outcome == "ignored" and "dropped" in dropped.outcome_reason
    # every row carries its context
    assert (probes.series_count == 2).all() and (probes.series_length == 24).all()
    assert (probes.context_label.str.contains("2 series x 24 points")).all()
    assert set(probes.probe_version) == {"2"}
    with open(settings.seeds_dir() / "probe_outcomes.csv", newline="") as handle:
        assert set(probes.outcome) <= {row["outcome"] for row in csv.DictReader(handle)}
    again = run_fcast("registry", "probe", "--quick", "--models", "NHITS", "--no-ray", env=duckdb_env)
    assert f"{len(probes)} already recorded, 0 run" in again.stdout


@pytest.mark.fast
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
    assert outcomes == {"baseline": "ok", "same": "unchanged", "different": "ok"}


@pytest.mark.fast
def test_a_hanging_member_of_a_shared_fit_times_out_and_the_rest_run_again_alone():
    group = [
        Probe("M", "fit", "a", str(i), {"i": i, **extra}, None) for i, extra in enumerate([{}, {"hang": True}, {}, {}])
    ]
    outcomes = {}
    pool = ProbePool(1, timeout_s=3.0, executor="tests.test_probes:hang_or_crash")
    try:
        pool.run_groups([group], lambda probe, result: outcomes.__setitem__(probe.value_label, result["outcome"]))
    finally:
        pool.close()
    assert outcomes == {"0": "ok", "1": "timeout", "2": "ok", "3": "ok"}


def test_a_shared_fit_torch_cannot_copy_gives_each_member_the_outcome_it_has_alone():
    """A DistributionLoss fit holds non-leaf tensors that deepcopy refuses; its members fit on their own instead
    of recording the copy's error as the library's answer."""
    from fcast.probe.scenarios import execute, execute_group

    spec = {
        "method": "explain",
        "model": "NHITS",
        "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2, "random_seed": 1, "windows_batch_size": 16},
        "loss": {"class": "DistributionLoss", "kwargs": {"distribution": "Normal"}},
        "call_kwargs": {"explainer": "IntegratedGradients"},
    }
    alone = execute(spec)
    grouped = dict(execute_group([("first", spec), ("second", spec)], lambda probe_id: None))
    assert alone["outcome"] == "raised" and "No models support explanations" in alone["error_message"]
    for result in grouped.values():
        assert (result["outcome"], result["error_type"], result["error_message"]) == (
            alone["outcome"],
            alone["error_type"],
            alone["error_message"],
        )
