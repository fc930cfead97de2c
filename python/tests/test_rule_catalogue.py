"""The rule catalogue, one fast test per static rule, on hand-built registry facts (no warehouse, no training)."""

from __future__ import annotations

import pytest

from fcast.plans.rules import RULES, describe_rules, markdown_table
from fcast.plans.spec import rows_from_document
from fcast.plans.validate import PlanValidator, Violation
from fcast.registry.facts import ProbeFact, empty_facts

from .conftest import PROJECT_DIR

STRICT = "library_check:test"


def param(kind: str = "POSITIONAL_OR_KEYWORD", type_: str = "int", default: str = "None") -> dict:
    return {"type": type_, "required": False, "kind": kind, "default_repr": default}


def model(**flags) -> dict:
    base = {
        "can_build": True,
        "build_error": "",
        "multivariate": False,
        "recurrent": False,
        "exogenous_futr": True,
        "exogenous_hist": True,
        "exogenous_stat": True,
        "auto_class": "",
    }
    return {**base, **flags}


def loss(cls: str, family: str, variant: str = "", trainable: bool = True) -> dict:
    return {
        "class": cls,
        "variant": variant,
        "family": family,
        "trainable": trainable,
        "training_error": "",
        "can_build": True,
    }


NHITS_PARAMETERS = {
    "h": param(default=""),
    "input_size": param(default=""),
    "max_steps": param(default="1000"),
    "val_check_steps": param(default="100"),
    "early_stop_patience_steps": param(default="-1"),
    "dropout_prob_theta": param(type_="float", default="0.0"),
    "scaler_type": param(type_="str", default="'identity'"),
    "pooling_mode": param(type_="str", default="'MaxPool1d'"),
    "trainer_kwargs": param(kind="VAR_KEYWORD", type_="unknown", default=""),
}

FACTS = empty_facts(
    models={
        "NHITS": model(auto_class="AutoNHITS"),
        "TSMixerx": model(multivariate=True, auto_class="AutoTSMixerx"),
        "TimeLLM": model(can_build=False, build_error="needs transformers"),
        "MLP": model(exogenous_hist=False),
    },
    parameters={
        "NHITS": NHITS_PARAMETERS,
        "TSMixerx": {**NHITS_PARAMETERS, "n_series": param(default="")},
        "MLP": {"h": param(default=""), "input_size": param(default=""), "max_steps": param(default="1000")},
        "trainer": {
            "accelerator": param(type_="union[str, class:Accelerator]", default="'auto'"),
            "devices": param(type_="union[list[int], str, int]", default="'auto'"),
            "precision": param(type_="optional[literal]"),
            "deterministic": param(type_="optional[union[bool, literal]]"),
        },
        "loss:MQLoss": {"level": param(type_="list[int]"), "quantiles": param(type_="optional[list[float]]")},
        "loss:DistributionLoss": {"distribution": param(type_="str", default=""), "level": param(type_="unknown")},
        "NeuralForecast.__init__": {
            "models": param(type_="list"),
            "freq": param(type_="union[str, int]"),
            "local_scaler_type": param(type_="optional[str]"),
        },
        "NeuralForecast.fit": {
            "df": param(type_="DataFrame"),
            "static_df": param(type_="DataFrame"),
            "val_size": param(),
            "prediction_intervals": param(type_="optional[class:PI]"),
        },
        "NeuralForecast.cross_validation": {
            "df": param(type_="DataFrame"),
            "n_windows": param(),
            "val_size": param(),
            "test_size": param(),
            "step_size": param(),
        },
        "NeuralForecast.predict": {
            "futr_df": param(type_="DataFrame"),
            "level": param(type_="optional[list]"),
            "quantiles": param(type_="optional[list]"),
            "h": param(),
        },
        "PredictionIntervals": {"n_windows": param(), "method": param(type_="str")},
    },
    allowed={
        ("NHITS", "scaler_type"): {STRICT: ["identity", "standard", "robust"]},
        ("NHITS", "pooling_mode"): {"docstring": ["MaxPool1d", "AvgPool1d"]},
        ("trainer", "accelerator"): {STRICT: ["auto", "cpu", "gpu", "cuda"]},
        ("trainer", "precision"): {"literal_annotation": ["32", "16", "bf16-mixed", "16-mixed"]},
        ("trainer", "deterministic"): {"literal_annotation": ["warn"]},
        ("loss:DistributionLoss", "distribution"): {STRICT: ["Normal", "StudentT"]},
        ("NeuralForecast.__init__", "local_scaler_type"): {STRICT: ["standard", "robust"]},
        ("PredictionIntervals", "method"): {STRICT: ["conformal_distribution", "conformal_error"]},
    },
    losses={
        "MAE": loss("MAE", "point"),
        "relMSE": loss("relMSE", "point", trainable=False),
        "MQLoss": loss("MQLoss", "probabilistic_nonparametric"),
        "IQLoss": loss("IQLoss", "probabilistic_nonparametric"),
        "DistributionLoss(distribution=Normal)": loss(
            "DistributionLoss", "probabilistic_parametric", "distribution=Normal"
        ),
        "DistributionLoss(distribution=StudentT)": loss(
            "DistributionLoss", "probabilistic_parametric", "distribution=StudentT"
        ),
    },
    declared_losses={
        ("NHITS", "IQLoss", "valid_loss"): (False, "Please set loss=IQLoss() when validating with IQLoss"),
        ("MLP", "MQLoss", "loss"): (False, "MLP does not take MQLoss"),
    },
    probes={
        ("NHITS", "model_init", "dropout_prob_theta", "0.5"): ProbeFact(
            "raised",
            "p" * 32,
            "ValueError: bad dropout",
            {"method": "model_init", "model_kwargs": {"h": 2, "input_size": 4}},
        ),
        ("NHITS", "predict", "level", "[80]"): ProbeFact("raised", "q" * 32, "AttributeError: point loss", {}),
        ("NHITS", "predict", "h", "3"): ProbeFact("raised", "r" * 32, "ValueError: h", {"method": "predict"}),
    },
    selectors={**{("loto6", f"N{slot}"): 1 for slot in range(1, 7)}, ("loto6", "all"): 6},
    futr_horizon={"loto6": 30},
    train_columns={"unique_id", "ds", "y", "fut_weekday", "hist_lag_1"},
    static_columns={"unique_id", "stat_slot_index"},
)

BASE = {
    "name": "r",
    "dataset": "loto6",
    "series": "N1",
    "horizon": 2,
    "model": "NHITS",
    "model_args": {"input_size": 4},
}


def validate(**changes):
    (row,) = rows_from_document({"plan": "p", "runs": [{**BASE, **changes}]}, "test")
    return PlanValidator(FACTS).validate(row)


def args(**extra) -> dict:
    return {"model_args": {"input_size": 4, **extra}}


# (rule, the run's changes to BASE)
TRIGGERS = [
    ("unknown_dataset", {"dataset": "loto9"}),
    ("unknown_series_selector", {"series": "N9"}),
    ("unknown_model", {"model": "NHITZ"}),
    ("unknown_auto_model", {"model": "AutoNoSuch"}),
    ("model_cannot_build", {"model": "TimeLLM"}),
    ("unknown_argument", args(input_sise=3)),
    ("wrong_type", args(max_steps="10")),
    ("value_not_allowed", args(scaler_type="robus")),
    ("value_not_allowed", args(accelerator="quantum")),
    ("value_not_allowed", {"neuralforecast": {"local_scaler_type": "identity"}}),
    ("value_not_allowed", {"loss": {"class": "DistributionLoss", "kwargs": {"distribution": "Foo"}}}),
    ("value_not_allowed", {"fit": {"prediction_intervals": {"method": "bootstrap"}}}),
    ("value_not_documented", args(pooling_mode="LpPool1d")),
    ("probe_failed", {"horizon": 2, "model_args": {"input_size": 4, "dropout_prob_theta": 0.5}}),
    ("probe_failed_elsewhere", args(dropout_prob_theta=0.5, max_steps=5, scaler_type="robust")),
    ("unknown_loss", {"loss": {"class": "NoLoss"}}),
    ("unknown_loss_argument", {"loss": {"class": "MQLoss", "kwargs": {"levels": [80]}}}),
    ("loss_not_trainable", {"loss": {"class": "relMSE"}}),
    ("loss_refused", {"loss": {"class": "MAE"}, "valid_loss": {"class": "IQLoss"}}),
    ("loss_refused", {"model": "MLP", "loss": {"class": "MQLoss"}}),
    ("loss_refused_elsewhere", {"loss": {"class": "IQLoss"}, "valid_loss": {"class": "IQLoss"}}),
    ("loss_level_and_quantiles", {"loss": {"class": "MQLoss", "kwargs": {"level": [80], "quantiles": [0.1, 0.9]}}}),
    ("unsupported_exogenous", {"model": "MLP", "features": {"hist": ["hist_lag_1"]}}),
    ("missing_feature_columns", {"features": {"hist": ["hist_lag_99"]}}),
    ("bad_horizon", {"horizon": 0}),
    ("horizon_beyond_futr_df", {"horizon": 31, "features": {"futr": ["fut_weekday"]}}),
    ("horizon_mismatch", {"predict": {"h": 3}}),
    ("multivariate_n_series", {"series": "all", "model": "TSMixerx"}),
    ("level_and_quantiles", {"loss": {"class": "MQLoss"}, "predict": {"level": [80], "quantiles": [0.1]}}),
    ("intervals_need_probabilistic_loss", {"predict": {"level": [80]}}),
    ("early_stopping_without_validation", args(early_stop_patience_steps=2)),
    ("bad_training_steps", args(max_steps=0)),
    (
        "insample_on_multivariate",
        {
            "series": "all",
            "model": "TSMixerx",
            "model_args": {"input_size": 4, "n_series": 6},
            "predict_insample": {"step_size": 1},
        },
    ),
    ("unknown_call_argument", {"fit": {"df": "mine"}}),
    ("unknown_call_argument", {"cross_validation": {"bogus": 1}}),
    ("unknown_call_argument", {"fit": {"prediction_intervals": {"windows": 2}}}),
    ("unknown_backend", {"search": {"backend": "hyperopt"}}),
    ("no_auto_model", {"model": "MLP", "search": {"backend": "optuna"}}),
    ("optuna_refuses_choices", {"search": {"backend": "optuna", "config": {"x": {"choices": [[1, 2]]}}}}),
    ("bad_search_space", {"search": {"backend": "optuna", "config": {"lr": {"low": 0.1, "high": 0.01}}}}),
    ("bad_search_space", {"search": {"backend": "optuna", "config": {"lr": {"low": 0, "high": 1, "log": True}}}}),
]
COVERED = {rule_id for rule_id, _ in TRIGGERS}
SEVERITY = {rule.id: rule.severity for rule in RULES}


@pytest.mark.parametrize(("rule_id", "changes"), TRIGGERS, ids=[f"{r}-{i}" for i, (r, _) in enumerate(TRIGGERS)])
def test_each_static_rule_fires_with_its_severity_and_advice(rule_id, changes):
    result = validate(**changes)
    found = [violation for violation in result.violations if violation.rule == rule_id]
    assert found, [str(violation) for violation in result.violations]
    assert all(v.severity == SEVERITY[rule_id] and v.message and v.suggestion for v in found)
    assert result.valid == (SEVERITY[rule_id] == "warning" and not result.errors)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        args(accelerator="cpu", devices=1, precision=32, deterministic=True),
        args(precision="bf16-mixed", deterministic="warn"),
        {
            "loss": {"class": "DistributionLoss", "kwargs": {"distribution": "Normal", "level": [80]}},
            "predict": {"level": [80]},
        },
        {"model": "AutoNHITS", "model_args": {"num_samples": 4}},
        {"fit": {"val_size": 4, "prediction_intervals": {"n_windows": 2}}, "predict": {"level": [80]}},
        {"fit": {"val_size": 4}, "model_args": {"input_size": 4, "early_stop_patience_steps": 2}},
        {"cross_validation": {"n_windows": 2, "step_size": 1}, "neuralforecast": {"local_scaler_type": "robust"}},
    ],
    ids=[
        "plain",
        "lightning_devices",
        "lightning_literals",
        "loss_kwargs",
        "auto_model",
        "conformal",
        "early_stop",
        "calls",
    ],
)
def test_valid_plans_are_accepted(changes):
    result = validate(**changes)
    assert result.valid, [str(violation) for violation in result.violations]


def test_auto_model_name_becomes_a_search_over_its_default_space():
    (row,) = rows_from_document(
        {"plan": "p", "runs": [{**BASE, "model": "AutoNHITS", "model_args": {"num_samples": 4, "input_size": 8}}]}, "t"
    )
    assert row.model == "NHITS" and row.model_args == {"input_size": 8}
    assert row.search == {"backend": "optuna", "config": {}, "num_samples": 4, "auto": "AutoNHITS"}


def test_probe_context_differences_are_named():
    result = validate(**args(dropout_prob_theta=0.5, max_steps=5, scaler_type="robust"))
    (warning,) = [v for v in result.violations if v.rule == "probe_failed_elsewhere"]
    assert "scaler_type" in warning.message and warning.evidence == "p" * 32


def test_every_static_rule_of_the_catalogue_has_a_test_here():
    static = {rule.id for rule in RULES if rule.layer == "static"}
    assert static == COVERED


def test_violations_must_name_a_catalogued_rule():
    with pytest.raises(KeyError, match="not a rule of the catalogue"):
        Violation("made_up_rule", "field", "message", "suggestion")


def test_the_catalogue_is_listed_and_in_the_readme():
    listing = describe_rules()
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme
    for rule in RULES:
        assert rule.id in listing and f"`{rule.id}`" in readme
        assert rule.severity in ("error", "warning") and rule.doc and rule.fields
