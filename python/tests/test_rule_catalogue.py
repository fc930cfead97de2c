"""The rule catalogue, one fast test per static rule, on hand-built registry facts (no warehouse, no training).

FACTS is a small but realistic registry: NHITS (univariate, every exogenous kind, AutoNHITS, **trainer_kwargs),
TSMixerx (multivariate), TimeLLM (cannot build here), Informer (no Auto counterpart, no hist/stat exogenous,
no **trainer_kwargs), DeepAR (historical exogenous only in the newest of three scanned releases), the
Lightning Trainer's arguments, a loss catalogue, the NeuralForecast methods, four failing probes, the loto6
game's selectors and feature columns, and the capability history of three scanned releases.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest

from fcast.datasets import Dataset
from fcast.plans.rules import RULES, describe_rules, markdown_table
from fcast.plans.spec import rows_from_document
from fcast.plans.validate import PlanValidator, Violation
from fcast.registry.facts import HISTORY_FLAGS, ProbeFact, empty_facts, version_ranges

from .conftest import PROJECT_DIR

pytestmark = pytest.mark.fast

STRICT = "library_check:test"
SEVERITY = {item.id: item.severity for item in RULES}
STATIC_RULES = {item.id for item in RULES if item.layer == "static"}


def param(type_: str = "int", default: str = "None", kind: str = "POSITIONAL_OR_KEYWORD", required: bool = False):
    return {"type": type_, "required": required, "kind": kind, "default_repr": default}


def required(type_: str = "int") -> dict:
    return param(type_, default="", required=True)


TRAINER_KWARGS = param("unknown", default="", kind="VAR_KEYWORD")


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


def flags(**changed: bool) -> dict[str, bool]:
    """One scanned release's class-scope flags (futr, hist and stat exogenous, univariate, direct, builds)."""
    base = {flag: flag in ("exogenous_futr", "exogenous_hist", "exogenous_stat", "can_build") for flag in HISTORY_FLAGS}
    return {**base, **changed}


def loss(cls: str, family: str, variant: str = "", trainable: bool = True, error: str = "") -> dict:
    return {
        "class": cls,
        "variant": variant,
        "family": family,
        "trainable": trainable,
        "training_error": error,
        "can_build": True,
    }


NHITS_PARAMETERS = {
    "h": required(),
    "input_size": required(),
    "max_steps": param(default="1000"),
    "val_check_steps": param(default="100"),
    "early_stop_patience_steps": param(default="-1"),
    "learning_rate": param("float", default="0.001"),
    "dropout_prob_theta": param("float", default="0.0"),
    "scaler_type": param("str", default="'identity'"),
    "pooling_mode": param("str", default="'MaxPool1d'"),
    "random_seed": param(default="1"),
    "trainer_kwargs": TRAINER_KWARGS,
}
TSMIXERX_PARAMETERS = {
    "h": required(),
    "input_size": required(),
    "n_series": required(),
    "max_steps": param(default="1000"),
    "val_check_steps": param(default="100"),
    "scaler_type": param("str", default="'identity'"),
    "trainer_kwargs": TRAINER_KWARGS,
}
INFORMER_PARAMETERS = {"h": required(), "input_size": required(), "max_steps": param(default="5000")}
DEEPAR_PARAMETERS = {"h": required(), "input_size": required(), "trainer_kwargs": TRAINER_KWARGS}
RELEASES = ("3.2.0", "3.2.2", "3.3.0")

DROPOUT_PROBE = ProbeFact(
    "raised",
    "p" * 32,
    "ValueError: dropout_prob_theta=0.5 breaks the stacks",
    {"method": "model_init", "model": "NHITS", "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2}},
)
LEVEL_PROBE = ProbeFact(
    "raised",
    "q" * 32,
    "AttributeError: a point loss has no output for level",
    {"method": "predict", "model": "NHITS", "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2}},
)
HORIZON_PROBE = ProbeFact(
    "raised",
    "r" * 32,
    "ValueError: h=3 is beyond the model's horizon",
    {"method": "predict", "model": "NHITS", "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2}},
)
TINY_DISTRIBUTED = {"method": "fit_distributed", "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2}}
DISTRIBUTED_OK = ProbeFact("ok", "d" * 32, "", {**TINY_DISTRIBUTED, "model": "NHITS"})
DISTRIBUTED_FAILED = ProbeFact(
    "raised", "e" * 32, "RuntimeError: the DDP process failed", {**TINY_DISTRIBUTED, "model": "TSMixerx"}
)
DISTRIBUTED_CV_FAILED = ProbeFact(
    "raised", "f" * 32, "TypeError: 'Column' object is not callable", {**TINY_DISTRIBUTED, "model": "NHITS"}
)
STUDENT_T_PROBE = ProbeFact(
    "nan_output",
    "s" * 32,
    "NaN forecasts",
    {
        "method": "fit",
        "model": "NHITS",
        "model_kwargs": {"h": 2, "input_size": 4, "max_steps": 2},
        "loss": {"class": "DistributionLoss", "kwargs": {"distribution": "StudentT"}},
        "data": {"series": 2, "length": 48},
    },
)

# A foundation model's checkpoint folder (the rules only look for its config.json; nothing is loaded).
TINY_CHECKPOINT = tempfile.mkdtemp(prefix="fcast-rule-checkpoint-")
Path(TINY_CHECKPOINT, "config.json").write_text("{}")
FOUNDATION_PARAMETERS = {
    "h": required(),
    "checkpoint": param("optional[str]"),
    "context_length": param("optional[int]"),
    "alias": param("optional[str]"),
    "device": param("str", default="'auto'"),
    "batch_size": param(default="64"),
    "fine_tune_steps": param(default="0"),
    "random_seed": param(default="1"),
}


def foundation(**capabilities) -> dict:
    base = {
        "zero_shot": True,
        "past_covariates": False,
        "future_covariates": False,
        "quantile_output": True,
        "quantile_min": 0.1,
        "quantile_max": 0.9,
        "max_context": 2048,
        "max_horizon": 64,
        "fine_tuning": False,
        "embeddings": True,
        "needs_checkpoint": True,
        "default_checkpoint": "chronos-bolt-base",
        "how_to_get": "hf download amazon/chronos-bolt-base",
        "env_key": "chronos-forecasting==2.3.2|py|torch|cpu",
        "library": "chronos-forecasting",
    }
    return {**base, **capabilities}


FACTS = empty_facts(
    foundation={
        "ChronosBolt": foundation(),
        "Chronos2": foundation(quantile_min=0.01, quantile_max=0.99, fine_tuning=True, default_checkpoint="chronos-2"),
        "TimeGPT": foundation(
            needs_checkpoint=False,
            embeddings=False,
            fine_tuning=True,
            default_checkpoint="",
            env_key="fcast==0.1.0|py|torch|cpu",
        ),
    },
    models={
        "ChronosBolt": model(exogenous_futr=False, exogenous_hist=False, exogenous_stat=False),
        "Chronos2": model(exogenous_futr=False, exogenous_hist=False, exogenous_stat=False),
        "TimeGPT": model(exogenous_futr=False, exogenous_hist=False, exogenous_stat=False),
        "NHITS": model(auto_class="AutoNHITS"),
        "TSMixerx": model(multivariate=True, auto_class="AutoTSMixerx"),
        "TimeLLM": model(can_build=False, build_error="ImportError: TimeLLM needs transformers"),
        "Informer": model(exogenous_hist=False, exogenous_stat=False),
        "DeepAR": model(auto_class="AutoDeepAR"),
    },
    parameters={
        "ChronosBolt": FOUNDATION_PARAMETERS,
        "Chronos2": FOUNDATION_PARAMETERS,
        "TimeGPT": FOUNDATION_PARAMETERS,
        "NHITS": NHITS_PARAMETERS,
        "TSMixerx": TSMIXERX_PARAMETERS,
        "TimeLLM": {"h": required(), "input_size": required()},
        "Informer": INFORMER_PARAMETERS,
        "DeepAR": DEEPAR_PARAMETERS,
        "trainer": {
            "accelerator": param("union[str, class:Accelerator]", default="'auto'"),
            "devices": param("union[list[int], str, int]", default="'auto'"),
            "precision": param("optional[literal]"),
            "deterministic": param("union[bool, literal]"),
            "max_steps": param(default="-1"),
        },
        "loss:MAE": {"horizon_weight": param("unknown")},
        "loss:MQLoss": {
            "level": param("list[int]", default="[80, 90]"),
            "quantiles": param("optional[list[float]]"),
            "horizon_weight": param("unknown"),
        },
        "loss:DistributionLoss": {
            "distribution": required("str"),
            "level": param("list[int]", default="[80, 90]"),
            "quantiles": param("optional[list[float]]"),
            "return_params": param("bool", default="False"),
        },
        "loss:IQLoss": {"cos_embedding_dim": param(default="64"), "concentration0": param("float", default="1.0")},
        "NeuralForecast.__init__": {
            "models": required("list"),
            "freq": required("union[str, int]"),
            "local_scaler_type": param("optional[str]"),
        },
        "NeuralForecast.fit": {
            "df": param("optional[class:DataFrame]"),
            "static_df": param("optional[class:DataFrame]"),
            "val_size": param("optional[int]", default="0"),
            "prediction_intervals": param("optional[class:PredictionIntervals]"),
        },
        "NeuralForecast.cross_validation": {
            "df": param("optional[class:DataFrame]"),
            "static_df": param("optional[class:DataFrame]"),
            "n_windows": param(default="1"),
            "step_size": param(default="1"),
            "val_size": param("optional[int]", default="0"),
            "test_size": param("optional[int]"),
            "refit": param("union[bool, int]", default="False"),
            "level": param("optional[list[union[int, float]]]"),
            "quantiles": param("optional[list[float]]"),
        },
        "NeuralForecast.predict": {
            "df": param("optional[class:DataFrame]"),
            "static_df": param("optional[class:DataFrame]"),
            "futr_df": param("optional[class:DataFrame]"),
            "level": param("optional[list[union[int, float]]]"),
            "quantiles": param("optional[list[float]]"),
            "h": param("optional[int]"),
        },
        "NeuralForecast.predict_insample": {"step_size": param(default="1")},
        "PredictionIntervals": {
            "n_windows": param(default="2"),
            "method": param("str", default="'conformal_distribution'"),
        },
    },
    allowed={
        ("NHITS", "scaler_type"): {STRICT: ["identity", "standard", "robust", "minmax"]},
        ("NHITS", "pooling_mode"): {"docstring": ["MaxPool1d", "AvgPool1d"]},
        ("TSMixerx", "scaler_type"): {STRICT: ["identity", "standard", "robust", "minmax"]},
        ("trainer", "accelerator"): {STRICT: ["auto", "gpu", "cpu", "cuda", "mps", "tpu"]},
        ("trainer", "precision"): {"literal_annotation": ["64", "32", "16", "bf16", "16-mixed", "bf16-mixed"]},
        ("trainer", "deterministic"): {"literal_annotation": ["warn"]},
        ("loss:DistributionLoss", "distribution"): {STRICT: ["Normal", "StudentT", "Poisson", "NegativeBinomial"]},
        ("NeuralForecast.__init__", "local_scaler_type"): {
            STRICT: ["standard", "robust", "robust-iqr", "minmax", "boxcox"]
        },
        ("PredictionIntervals", "method"): {STRICT: ["conformal_distribution", "conformal_error"]},
    },
    losses={
        "MAE": loss("MAE", "point"),
        "MSE": loss("MSE", "point"),
        "relMSE": loss("relMSE", "point", trainable=False, error="relMSE needs y_benchmark"),
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
        ("Informer", "IQLoss", "loss"): (False, "Informer does not support IQLoss"),
    },
    probes={
        ("NHITS", "fit", "dropout_prob_theta", "0.5"): DROPOUT_PROBE,
        ("NHITS", "predict", "level", "[80]"): LEVEL_PROBE,
        ("NHITS", "predict", "h", "3"): HORIZON_PROBE,
        ("NHITS", "fit", "loss", "DistributionLoss(distribution=StudentT)"): STUDENT_T_PROBE,
        ("NHITS", "fit_distributed", "", ""): DISTRIBUTED_OK,
        ("TSMixerx", "fit_distributed", "", ""): DISTRIBUTED_FAILED,
        ("NHITS", "fit_distributed", "cross_validation", "n_windows=1"): DISTRIBUTED_CV_FAILED,
    },
    removed={("NHITS", "n_pool_kernel"): "1.6.4"},
    selectors={
        **{("loto6", f"N{slot}"): 1 for slot in range(1, 7)},
        ("loto6", "all"): 6,
        ("air", "all"): 2,
        ("air", "Airline1"): 1,
        ("air", "Airline2"): 1,
        ("steps", "all"): 1,
        ("legacy", "all"): 1,
    },
    futr_horizon={"loto6": 30},
    datasets={
        "loto6": Dataset("loto6", "game", "draw_number", "1", None, 1, 6),
        "air": Dataset("air", "panel", "date", "ME", "1949-01-31", 12, 2),
        "steps": Dataset("steps", "panel", "integer", "5", None, 1, 1),
        "legacy": Dataset("legacy", "panel", "date", None, None, 1, 1),  # loaded before freqs were recorded
    },
    unbuilt_datasets=("fresh",),
    panel_features={"air": {"fut_trend", "hist_y_lag12"}},
    futr_coverage={"air": {"fut_trend": {"air_Airline1": 14, "air_Airline2": 12}}},
    train_columns={
        "unique_id",
        "ds",
        "y",
        "fut_weekday",
        "hist_lag_1",
        "hist_emb_chronos2_1",
        "hist_anom_iforest_score",
        "hist_anom_regime",
    },
    feature_nulls={
        "loto6": {
            "hist_emb_chronos2_1": (100, 2064),
            "hist_anom_iforest_score": (2064, 2064),
            "hist_anom_regime": (2064, 2064),
        }
    },
    static_columns={"unique_id", "stat_slot_index"},
    capability_history={
        "NHITS": [(release, flags()) for release in RELEASES],
        "TSMixerx": [(release, flags(multivariate=True)) for release in RELEASES],
        "DeepAR": [
            ("3.2.0", flags(exogenous_hist=False)),
            ("3.2.2", flags(exogenous_hist=False, exogenous_cat=True)),
            ("3.3.0", flags(exogenous_cat=True)),
        ],
    },
)

DEFAULTS = {"dataset": "loto6", "series": "N1", "horizon": 2, "model": "NHITS", "model_args": {"input_size": 4}}


# A foundation-model row: no neuralforecast arguments to inherit, its checkpoint present.
FOUNDATION_DEFAULTS = {
    "dataset": "loto6",
    "series": "N1",
    "horizon": 2,
    "model": "ChronosBolt",
    "model_args": {"checkpoint": TINY_CHECKPOINT},
}


def row_of(run: dict):
    run = dict(run)
    defaults = FOUNDATION_DEFAULTS if run.pop("foundation", False) else DEFAULTS
    (row,) = rows_from_document({"plan": "p", "defaults": defaults, "runs": [{"name": "r", **run}]}, "test")
    return row


def bolt(**run) -> dict:
    """A run on the foundation-model defaults (ChronosBolt with its checkpoint)."""
    return {"foundation": True, **run}


def validate(**run):
    return PlanValidator(FACTS).validate(row_of(run))


def shown(result) -> list[str]:
    return [str(violation) for violation in result.violations]


def case(rule_id: str, field: str, run: dict, name: str) -> pytest.param:
    return pytest.param(rule_id, field, run, id=f"{rule_id}-{name}")


NORMAL = {"class": "DistributionLoss", "kwargs": {"distribution": "Normal"}}
TSMIXERX_ALL = {"series": "all", "model": "TSMixerx", "model_args": {"n_series": 6}}
AIR_ALL = {"dataset": "air", "series": "all"}  # a monthly panel (ME) with a futr file of 12 months
STEPS_ALL = {"dataset": "steps", "series": "all"}  # an integer panel in steps of 5

# (rule, the field it names, the run: merged into DEFAULTS as a plan's defaults are, dicts key by key)
TRIGGERS = [
    case("unknown_dataset", "dataset", {"dataset": "loto9"}, "no_such_game"),
    case("unknown_series_selector", "series", {"series": "N9"}, "slot_beyond_the_game"),
    case("unknown_series_selector", "series", {"dataset": "air", "series": "Airline3"}, "panel_series"),
    case("dataset_not_built", "dataset", {"dataset": "fresh", "series": "all"}, "loaded_not_built"),
    case("unknown_frequency", "dataset", {"dataset": "legacy", "series": "all"}, "date_panel_without_freq"),
    case("freq_mismatch", "neuralforecast.freq", {"neuralforecast": {"freq": "D"}}, "game_with_dates"),
    case("freq_mismatch", "neuralforecast.freq", {**AIR_ALL, "neuralforecast": {"freq": "MS"}}, "other_grid"),
    case("freq_mismatch", "neuralforecast.freq", {**AIR_ALL, "neuralforecast": {"freq": 1}}, "int_on_dates"),
    case("freq_mismatch", "neuralforecast.freq", {**STEPS_ALL, "neuralforecast": {"freq": 1}}, "wrong_step"),
    case("unknown_model", "model", {"model": "NHITZ"}, "typo"),
    case("unknown_auto_model", "model", {"model": "AutoNoSuch"}, "no_such_auto"),
    case("unknown_auto_model", "model", {"model": "AutoInformer"}, "model_without_auto"),
    case("model_cannot_build", "model", {"model": "TimeLLM"}, "missing_dependency"),
    case("unknown_argument", "model_args.input_sise", {"model_args": {"input_sise": 3}}, "typo"),
    case("unknown_argument", "model_args.n_pool_kernel", {"model_args": {"n_pool_kernel": [2]}}, "removed"),
    case("unknown_argument", "model_args.n_series", {"model_args": {"n_series": 1}}, "univariate_n_series"),
    case(
        "unknown_argument",
        "model_args.accelerator",
        {"model": "Informer", "model_args": {"accelerator": "cpu"}},
        "no_trainer_kwargs",
    ),
    case("wrong_type", "model_args.learning_rate", {"model_args": {"learning_rate": "1e-3"}}, "model_arg"),
    case("wrong_type", "model_args.devices", {"model_args": {"devices": 1.5}}, "trainer_kwarg"),
    case(
        "wrong_type",
        "loss.kwargs.level",
        {"loss": {"class": "MQLoss", "kwargs": {"level": 80}}},
        "loss_kwarg",
    ),
    case("wrong_type", "cross_validation.n_windows", {"cross_validation": {"n_windows": "3"}}, "call_argument"),
    case("value_not_allowed", "model_args.scaler_type", {"model_args": {"scaler_type": "robus"}}, "model_arg"),
    case("value_not_allowed", "model_args.accelerator", {"model_args": {"accelerator": "quantum"}}, "accelerator"),
    case("value_not_allowed", "model_args.precision", {"model_args": {"precision": 8}}, "literal_precision"),
    case("value_not_allowed", "model_args.deterministic", {"model_args": {"deterministic": "maybe"}}, "literal"),
    case(
        "value_not_allowed",
        "neuralforecast.local_scaler_type",
        {"neuralforecast": {"local_scaler_type": "identity"}},
        "local_scaler_type",
    ),
    case(
        "value_not_allowed",
        "loss.kwargs.distribution",
        {"loss": {"class": "DistributionLoss", "kwargs": {"distribution": "Gaussian"}}},
        "distribution",
    ),
    case(
        "value_not_allowed",
        "fit.prediction_intervals.method",
        {"fit": {"prediction_intervals": {"method": "bootstrap"}}},
        "prediction_intervals_method",
    ),
    case("value_not_documented", "model_args.pooling_mode", {"model_args": {"pooling_mode": "LpPool1d"}}, "docs"),
    case("probe_failed", "model_args.dropout_prob_theta", {"model_args": {"dropout_prob_theta": 0.5}}, "same_context"),
    case(
        "probe_failed",
        "model_args.dropout_prob_theta",
        {"series": "N3", "model_args": {"dropout_prob_theta": 0.5, "max_steps": 500, "random_seed": 7}},
        "context_free_differences",
    ),
    case(
        "probe_failed_elsewhere",
        "model_args.dropout_prob_theta",
        {"model_args": {"input_size": 8, "dropout_prob_theta": 0.5}},
        "other_input_size",
    ),
    case(
        "probe_failed_elsewhere",
        "model_args.dropout_prob_theta",
        {"horizon": 3, "model_args": {"dropout_prob_theta": 0.5}},
        "other_horizon",
    ),
    case(
        "probe_failed_elsewhere",
        "model_args.dropout_prob_theta",
        {"loss": "MSE", "model_args": {"dropout_prob_theta": 0.5}},
        "other_loss",
    ),
    case(
        "probe_failed_elsewhere",
        "loss",
        {"loss": {"class": "DistributionLoss", "kwargs": {"distribution": "StudentT"}}},
        "fit_probe_on_toy_data",
    ),
    case("unknown_loss", "loss", {"loss": {"class": "NoLoss"}}, "loss"),
    case("unknown_loss", "valid_loss", {"valid_loss": "MAPEE"}, "valid_loss"),
    case(
        "unknown_loss_argument",
        "loss.kwargs.levels",
        {"loss": {"class": "MQLoss", "kwargs": {"levels": [80]}}},
        "typo",
    ),
    case(
        "unknown_loss_argument",
        "valid_loss.kwargs.quantile",
        {"valid_loss": {"class": "IQLoss", "kwargs": {"quantile": 0.5}}},
        "valid_loss",
    ),
    case("loss_not_trainable", "loss", {"loss": {"class": "relMSE"}}, "metric"),
    case(
        "loss_refused",
        "valid_loss",
        {"loss": {"class": "MAE"}, "valid_loss": {"class": "IQLoss"}},
        "point_loss_with_iqloss_valid_loss",
    ),
    case("loss_refused", "valid_loss", {"valid_loss": {"class": "IQLoss"}}, "default_loss_with_iqloss_valid_loss"),
    case("loss_refused", "loss", {"model": "Informer", "loss": "IQLoss"}, "loss_role"),
    case(
        "loss_refused_elsewhere",
        "valid_loss",
        {"loss": {"class": "IQLoss"}, "valid_loss": {"class": "IQLoss"}},
        "iqloss_with_iqloss",
    ),
    case(
        "loss_level_and_quantiles",
        "loss.kwargs",
        {"loss": {"class": "MQLoss", "kwargs": {"level": [80], "quantiles": [0.1, 0.9]}}},
        "mqloss",
    ),
    case(
        "loss_level_and_quantiles",
        "loss.kwargs",
        {
            "loss": {
                "class": "DistributionLoss",
                "kwargs": {"distribution": "Normal", "level": [80], "quantiles": [0.5]},
            }
        },
        "distribution_loss",
    ),
    case(
        "unsupported_exogenous",
        "features.hist",
        {"model": "Informer", "features": {"hist": ["hist_lag_1"]}},
        "hist",
    ),
    case(
        "unsupported_exogenous",
        "features.stat",
        {"model": "Informer", "features": {"stat": ["stat_slot_index"]}},
        "stat",
    ),
    case(
        "capability_changed_across_versions",
        "features.hist",
        {"model": "DeepAR", "features": {"hist": ["hist_lag_1"]}},
        "hist_only_in_the_newest_release",
    ),
    case("missing_feature_columns", "features.hist", {"features": {"hist": ["hist_lag_99"]}}, "hist"),
    case("missing_feature_columns", "features.stat", {"features": {"stat": ["fut_weekday"]}}, "wrong_kind"),
    case("bad_horizon", "horizon", {"horizon": 0}, "zero"),
    case("bad_horizon", "horizon", {"horizon": "2"}, "text"),
    case(
        "horizon_beyond_futr_df",
        "horizon",
        {"horizon": 31, "features": {"futr": ["fut_weekday"]}},
        "futr",
    ),
    case(
        "horizon_beyond_futr_df",
        "horizon",
        {"dataset": "air", "series": "all", "horizon": 13, "features": {"futr": ["fut_trend"]}},
        "panel_futr_file",
    ),
    case(
        "missing_feature_columns",
        "features.futr",
        {"dataset": "air", "series": "all", "features": {"futr": ["fut_weekday"]}},
        "game_column_on_a_panel",
    ),
    case("horizon_mismatch", "predict.h", {"predict": {"h": 3}}, "probe"),
    case("multivariate_n_series", "model_args.n_series", {"series": "all", "model": "TSMixerx"}, "missing"),
    case("multivariate_n_series", "model_args.n_series", {**TSMIXERX_ALL, "model_args": {"n_series": 5}}, "wrong"),
    case(
        "level_and_quantiles",
        "predict",
        {"loss": {"class": "MQLoss"}, "predict": {"level": [80], "quantiles": [0.1]}},
        "predict",
    ),
    case(
        "level_and_quantiles",
        "cross_validation",
        {"loss": {"class": "MQLoss"}, "cross_validation": {"level": [80], "quantiles": [0.1]}},
        "cross_validation",
    ),
    case("intervals_need_probabilistic_loss", "predict.level", {"predict": {"level": [80]}}, "level"),
    case(
        "intervals_need_probabilistic_loss",
        "predict.quantiles",
        {"loss": "MSE", "predict": {"quantiles": [0.1, 0.9]}},
        "quantiles",
    ),
    case(
        "early_stopping_without_validation",
        "model_args.early_stop_patience_steps",
        {"model_args": {"early_stop_patience_steps": 2}},
        "no_val_size",
    ),
    case("bad_training_steps", "model_args.max_steps", {"model_args": {"max_steps": 0}}, "max_steps"),
    case("bad_training_steps", "model_args.val_check_steps", {"model_args": {"val_check_steps": -1}}, "val_check"),
    case(
        "insample_on_multivariate",
        "predict_insample",
        {**TSMIXERX_ALL, "predict_insample": {"step_size": 1}},
        "tsmixerx",
    ),
    case("unknown_call_argument", "fit.df", {"fit": {"df": "mine"}}, "set_by_fcast"),
    case("unknown_call_argument", "predict.futr_df", {"predict": {"futr_df": "mine"}}, "futr_df_set_by_fcast"),
    case("unknown_call_argument", "neuralforecast.models", {"neuralforecast": {"models": []}}, "models"),
    case("unknown_call_argument", "cross_validation.bogus", {"cross_validation": {"bogus": 1}}, "no_such_argument"),
    case(
        "unknown_call_argument",
        "fit.prediction_intervals.windows",
        {"fit": {"prediction_intervals": {"windows": 2}}},
        "prediction_intervals",
    ),
    case("unknown_backend", "search.backend", {"search": {"backend": "hyperopt"}}, "hyperopt"),
    case("no_auto_model", "model", {"model": "Informer", "search": {"backend": "optuna"}}, "informer"),
    case(
        "optuna_refuses_choices",
        "search.config.n_blocks",
        {"search": {"backend": "optuna", "config": {"n_blocks": {"choices": [[1, 1, 1], [2, 2, 2]]}}}},
        "lists",
    ),
    case(
        "bad_search_space",
        "search.config.learning_rate",
        {"search": {"backend": "optuna", "config": {"learning_rate": {"low": 0.1, "high": 0.01}}}},
        "low_above_high",
    ),
    case(
        "bad_search_space",
        "search.config.learning_rate",
        {"search": {"backend": "optuna", "config": {"learning_rate": {"low": 0, "high": 1, "log": True}}}},
        "log_from_zero",
    ),
    case(
        "bad_search_space",
        "search.config.input_size",
        {"search": {"backend": "optuna", "config": {"input_size": {"low": 2}}}},
        "no_high",
    ),
]

TRIGGERS += [
    case(
        "feature_not_computed",
        "features.hist",
        {"features": {"hist": ["hist_lag_1", "hist_emb_chronos2_1"]}},
        "embeddings_not_computed",
    ),
    case(
        "feature_not_computed",
        "features.hist",
        {"features": {"hist": ["hist_lag_1", "hist_anom_iforest_score", "hist_anom_regime"]}},
        "anomaly_scores_not_computed",
    ),
    case(
        "foundation_checkpoint_missing",
        "model_args.checkpoint",
        bolt(model_args={"checkpoint": "/nonexistent/chronos-bolt-base"}),
        "no_such_folder",
    ),
    case("foundation_api_key_missing", "model", bolt(model="TimeGPT", model_args={}), "no_key"),
    case("foundation_horizon_too_long", "horizon", bolt(horizon=65), "beyond_max_horizon"),
    case(
        "foundation_context_too_long",
        "model_args.context_length",
        bolt(model_args={"context_length": 4096}),
        "beyond_max_context",
    ),
    case("foundation_quantiles_outside_grid", "predict.level", bolt(predict={"level": [95]}), "level_95_on_bolt"),
    case(
        "foundation_quantiles_outside_grid",
        "cross_validation.quantiles",
        bolt(cross_validation={"quantiles": [0.05, 0.5]}),
        "quantile_below_grid",
    ),
    case(
        "foundation_cannot_fine_tune",
        "model_args.fine_tune_steps",
        bolt(model_args={"fine_tune_steps": 10}),
        "bolt_is_zero_shot",
    ),
    case("foundation_unsupported_call", "search", bolt(search={"backend": "optuna"}), "search"),
    case("foundation_unsupported_call", "predict_insample", bolt(predict_insample=True), "insample"),
    case(
        "foundation_unsupported_call",
        "fit.prediction_intervals",
        bolt(fit={"prediction_intervals": {"n_windows": 2}}),
        "conformal",
    ),
    case("foundation_loss_unused", "loss", bolt(loss="MAE"), "plan_default_loss"),
    case("unsupported_exogenous", "features.hist", bolt(features={"hist": ["hist_lag_1"]}), "foundation_no_covariates"),
    case("unknown_argument", "model_args.input_size", bolt(model_args={"input_size": 4}), "foundation_nf_argument"),
]

SPARK = {"engine": "spark", "num_nodes": 1, "devices": 1}
TRIGGERS += [
    case("bad_resources", "resources.gpus", {"resources": {"cpus": 1, "gpus": -1}}, "negative_gpus"),
    case("bad_resources", "resources.memory", {"resources": {"memory": "4G"}}, "unknown_resource"),
    case("distributed_unknown_engine", "distributed.engine", {"distributed": {"engine": "dask"}}, "dask"),
    case("distributed_unknown_engine", "distributed.engine", {"distributed": {"num_nodes": 1}}, "no_engine"),
    case("distributed_bad_size", "distributed.devices", {"distributed": {**SPARK, "devices": 0}}, "zero_devices"),
    case("distributed_bad_size", "distributed.num_nodes", {"distributed": {**SPARK, "num_nodes": "2"}}, "text"),
    case("distributed_unknown_key", "distributed.gpus", {"distributed": {**SPARK, "gpus": 1}}, "gpus"),
    case("distributed_fit_unsupported", "model", {**TSMIXERX_ALL, "distributed": SPARK}, "probe_raised"),
    case(
        "distributed_call_unsupported",
        "cross_validation",
        {"distributed": SPARK, "cross_validation": {"n_windows": 2}},
        "cross_validation_on_spark",
    ),
    case("distributed_fit_not_probed", "model", {"model": "Informer", "distributed": SPARK}, "informer"),
]

# Every rule id a case above triggers: compared with the catalogue's static rules below.
COVERED = {parameters.values[0] for parameters in TRIGGERS}


@pytest.mark.parametrize(("rule_id", "field", "run"), TRIGGERS)
def test_each_static_rule_fires_alone_with_its_severity_and_advice(rule_id, field, run):
    result = validate(**run)
    assert {violation.rule for violation in result.violations} == {rule_id}, shown(result)
    for violation in result.violations:
        assert violation.severity == SEVERITY[rule_id], str(violation)
        assert violation.field == field, str(violation)
        assert violation.message.strip() and violation.suggestion.strip(), str(violation)
    assert result.valid == (SEVERITY[rule_id] == "warning")


ACCEPTED = [
    pytest.param({}, id="plain"),
    pytest.param(
        {"model_args": {"accelerator": "cpu", "devices": 1, "precision": 32, "deterministic": True}},
        id="trainer_kwargs",
    ),
    pytest.param(
        {"model_args": {"accelerator": "gpu", "devices": [0], "precision": "bf16-mixed", "deterministic": "warn"}},
        id="trainer_literals",
    ),
    pytest.param({"model_args": {"scaler_type": "robust", "pooling_mode": "AvgPool1d"}}, id="allowed_values"),
    pytest.param(
        {"loss": {"class": "DistributionLoss", "kwargs": {"distribution": "Normal", "level": [80]}}},
        id="distribution_loss_kwargs",
    ),
    pytest.param({"loss": NORMAL, "predict": {"level": [80, 90]}}, id="distribution_loss_intervals"),
    pytest.param({"loss": {"class": "MQLoss", "kwargs": {"level": [80]}}, "predict": {"level": [80]}}, id="mqloss"),
    pytest.param({"loss": "IQLoss"}, id="iqloss_alone"),
    pytest.param({"loss": "MAE", "valid_loss": "MSE"}, id="point_valid_loss"),
    pytest.param({"model": "AutoNHITS"}, id="auto_model"),
    pytest.param({"model": "AutoNHITS", "model_args": {"num_samples": 4, "input_size": 8}}, id="auto_model_args"),
    pytest.param(
        {
            "search": {
                "backend": "optuna",
                "config": {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}, "input_size": {"choices": [4]}},
            }
        },
        id="search",
    ),
    pytest.param(
        {"fit": {"val_size": 4, "prediction_intervals": {"n_windows": 2}}, "predict": {"level": [80]}},
        id="conformal_intervals",
    ),
    pytest.param({"fit": {"prediction_intervals": True}, "predict": {"level": [80]}}, id="default_intervals"),
    pytest.param({"fit": {"val_size": 4}, "model_args": {"early_stop_patience_steps": 2}}, id="early_stop"),
    pytest.param(
        {
            "neuralforecast": {"freq": 1, "local_scaler_type": "robust"},
            "cross_validation": {"n_windows": 2, "step_size": 1, "val_size": 2, "test_size": 4, "refit": True},
        },
        id="call_arguments",
    ),
    pytest.param({"predict": {"h": 2}}, id="predict_same_h"),
    pytest.param(
        {"horizon": 30, "features": {"futr": ["fut_weekday"], "hist": ["hist_lag_1"], "stat": ["stat_slot_index"]}},
        id="features",
    ),
    pytest.param({**TSMIXERX_ALL, "model_args": {"n_series": 6, "accelerator": "cpu"}}, id="multivariate"),
    pytest.param({"predict_insample": {"step_size": 1}}, id="insample_univariate"),
    pytest.param(
        {"model": "DeepAR", "features": {"futr": ["fut_weekday"], "stat": ["stat_slot_index"]}},
        id="capabilities_unchanged_across_releases",
    ),
    pytest.param({"model_args": {"dropout_prob_theta": 0.25}}, id="unprobed_value"),
    pytest.param({"neuralforecast": {"freq": 1}}, id="game_freq_1"),
    pytest.param(
        {
            "dataset": "air",
            "series": "all",
            "horizon": 12,
            "features": {"futr": ["fut_trend"], "hist": ["hist_y_lag12"]},
        },
        id="panel_features_within_the_futr_file",
    ),
    pytest.param({"dataset": "air", "series": "Airline1", "neuralforecast": {"freq": "ME"}}, id="panel_own_freq"),
    pytest.param(
        {"dataset": "air", "series": "Airline1", "horizon": 14, "features": {"futr": ["fut_trend"]}},
        id="panel_series_covered_beyond_the_others",
    ),
    pytest.param({"dataset": "air", "series": "all", "neuralforecast": {"freq": "M"}}, id="panel_freq_alias_same_grid"),
    pytest.param({"dataset": "steps", "series": "all", "neuralforecast": {"freq": 5}}, id="integer_panel_step"),
    pytest.param({"distributed": SPARK}, id="distributed_nhits"),
    pytest.param({"distributed": {"engine": "spark"}, "features": {"hist": ["hist_lag_1"]}}, id="distributed_defaults"),
    pytest.param(bolt(), id="foundation_zero_shot"),
    pytest.param(
        bolt(
            model="Chronos2",
            model_args={"context_length": 512, "fine_tune_steps": 5, "batch_size": 16},
            predict={"level": [80, 95]},
            cross_validation={"n_windows": 20, "step_size": 1, "level": [80]},
        ),
        id="foundation_fine_tuned_with_intervals",
    ),
]


@pytest.mark.parametrize("run", ACCEPTED)
def test_valid_plans_are_accepted(run):
    result = validate(**run)
    assert result.violations == [], shown(result)
    assert result.valid


def test_a_model_that_cannot_train_distributed_is_rejected_citing_its_probe():
    result = validate(**TSMIXERX_ALL, distributed=SPARK)
    (violation,) = result.violations
    assert violation.evidence_kind == "probe" and violation.evidence == "e" * 32
    assert "TSMixerx" in violation.message and "DDP process failed" in violation.message
    assert "drop `distributed`" in violation.suggestion
    (violation,) = validate(distributed=SPARK, cross_validation={"n_windows": 2}).violations
    assert violation.evidence == "f" * 32 and "'Column' object is not callable" in violation.message


def test_a_distributed_failure_that_the_local_fit_shares_is_left_to_the_rehearsal():
    local_failure = ProbeFact("raised", "g" * 32, "RuntimeError: selected index k out of range")
    facts = dataclasses.replace(FACTS, probes={**FACTS.probes, ("TSMixerx", "fit", "", '""'): local_failure})
    assert PlanValidator(facts).validate(row_of({**TSMIXERX_ALL, "distributed": SPARK})).violations == []


def test_an_uncomputed_embedding_says_which_command_computes_it():
    (violation,) = validate(features={"hist": ["hist_emb_chronos2_1"]}).violations
    assert "hist_emb_chronos2_1 (100 of 2064 draws)" in violation.message
    assert "fcast features embed --model Chronos2 --game loto6" in violation.suggestion


def test_uncomputed_anomaly_scores_say_which_command_computes_them():
    (violation,) = validate(features={"hist": ["hist_anom_iforest_score", "hist_anom_regime"]}).violations
    assert "hist_anom_iforest_score (2064 of 2064 draws)" in violation.message
    assert "fcast features anomaly --game loto6" in violation.suggestion and "embed" not in violation.suggestion


def test_a_foundation_capability_rule_cites_the_probe_that_saw_it():
    clamped = ProbeFact("ignored", "b" * 32, "")
    facts = dataclasses.replace(FACTS, probes={**FACTS.probes, ("ChronosBolt", "predict", "level", "[90.0]"): clamped})
    result = PlanValidator(facts).validate(row_of(bolt(predict={"level": [95]})))
    (violation,) = result.violations
    assert violation.rule == "foundation_quantiles_outside_grid" and violation.evidence_kind == "probe"
    assert violation.evidence.startswith("b" * 32) and "level=[90.0]: ignored" in violation.evidence


def test_a_failing_probe_in_the_plans_context_is_an_error_citing_the_probe():
    result = validate(model_args={"dropout_prob_theta": 0.5})
    (violation,) = result.violations
    assert violation.rule == "probe_failed" and violation.severity == "error"
    assert violation.evidence_kind == "probe" and violation.evidence == DROPOUT_PROBE.probe_id
    assert "dropout_prob_theta=0.5 breaks the stacks" in violation.message
    assert not result.valid


@pytest.mark.parametrize(
    ("run", "difference"),
    [
        ({"model_args": {"input_size": 8, "dropout_prob_theta": 0.5}}, "input_size is 4 in the probe, 8 in the plan"),
        ({"horizon": 3, "model_args": {"dropout_prob_theta": 0.5}}, "h is 2 in the probe, 3 in the plan"),
        (
            {"model_args": {"dropout_prob_theta": 0.5, "scaler_type": "robust"}},
            "the plan sets scaler_type='robust', the probe does not",
        ),
        ({"loss": "MSE", "model_args": {"dropout_prob_theta": 0.5}}, "the probe's loss is the model's default"),
    ],
    ids=["input_size", "horizon", "extra_argument", "loss"],
)
def test_a_failing_probe_elsewhere_is_a_warning_saying_how_the_plan_differs(run, difference):
    result = validate(**run)
    (violation,) = result.violations
    assert violation.rule == "probe_failed_elsewhere" and violation.severity == "warning"
    assert difference in violation.message
    assert violation.evidence_kind == "probe" and violation.evidence == DROPOUT_PROBE.probe_id
    assert result.valid


def test_probe_context_differences():
    validator = PlanValidator(FACTS)
    plan = row_of({"model_args": {"dropout_prob_theta": 0.5}})
    assert validator.context_differences(DROPOUT_PROBE, plan, "dropout_prob_theta") == []
    # a probe that sets an argument to its default is in the plan's context; to another value it is not
    spec = DROPOUT_PROBE.spec
    at_default = ProbeFact(
        "raised", "d" * 32, "", {**spec, "model_kwargs": {"h": 2, "input_size": 4, "scaler_type": "identity"}}
    )
    assert validator.context_differences(at_default, plan, "dropout_prob_theta") == []
    elsewhere = ProbeFact(
        "raised", "e" * 32, "", {**spec, "model_kwargs": {"h": 2, "input_size": 4, "scaler_type": "robust"}}
    )
    assert validator.context_differences(elsewhere, plan, "dropout_prob_theta") == [
        "the probe sets scaler_type='robust', the plan keeps the default"
    ]
    # a probe that trained (method fit) ran on toy series: always another context than the plan's data,
    # and the message says the data shape the probe recorded
    on_data = ProbeFact("raised", "f" * 32, "", {**spec, "method": "fit"}, {"series_count": 2, "series_length": 24})
    (difference,) = validator.context_differences(on_data, plan, "dropout_prob_theta")
    assert "2 toy series of 24 points" in difference and "loto6" in difference


def test_a_refused_valid_loss_is_an_error_beside_a_point_loss_and_a_warning_beside_its_own_loss():
    refused = validate(loss="MAE", valid_loss="IQLoss")
    assert [(v.rule, v.severity) for v in refused.violations] == [("loss_refused", "error")]
    assert refused.violations[0].evidence == "Please set loss=IQLoss() when validating with IQLoss"
    assert not refused.valid
    elsewhere = validate(loss="IQLoss", valid_loss="IQLoss")
    assert [(v.rule, v.severity) for v in elsewhere.violations] == [("loss_refused_elsewhere", "warning")]
    assert "Please set loss=IQLoss()" in elsewhere.violations[0].message
    assert elsewhere.valid


def test_trainer_kwargs_reach_the_lightning_trainer_only_through_models_that_take_them():
    trainer_kwargs = {"accelerator": "cpu", "devices": 1, "precision": 32, "deterministic": True}
    assert validate(model_args=trainer_kwargs).violations == []
    result = validate(model="Informer", model_args=trainer_kwargs)
    assert sorted(v.field for v in result.violations if v.rule == "unknown_argument") == [
        f"model_args.{name}" for name in sorted(trainer_kwargs)
    ]
    bad = validate(model_args={"accelerator": "quantum"})
    (violation,) = bad.violations
    assert violation.rule == "value_not_allowed" and "cpu" in violation.suggestion and violation.evidence == STRICT


SCANNED = ["3.0.2", "3.1.3", "3.1.4", "3.2.2", "3.3.0"]


@pytest.mark.parametrize(
    ("versions", "scanned", "expected"),
    [
        (["3.1.3", "3.1.4"], SCANNED, "3.1.3–3.1.4"),
        (["3.3.0"], SCANNED, "3.3.0"),
        (["3.3.0", "3.2.2", "3.0.2"], SCANNED, "3.0.2 and 3.2.2–3.3.0"),
        (["3.0.2", "3.1.4", "3.3.0"], SCANNED, "3.0.2, 3.1.4 and 3.3.0"),
        (SCANNED, SCANNED, "3.0.2–3.3.0"),
        ([], SCANNED, "none"),
        (["3.9.1", "3.10.0"], ["3.10.0", "3.9.0", "3.9.1"], "3.9.1–3.10.0"),
        (["3.1.3", "3.2.0"], SCANNED, "3.1.3 and 3.2.0"),
    ],
    ids=["one_run", "one_version", "two_runs", "three_runs", "all", "none", "by_version_not_text", "unscanned"],
)
def test_version_ranges_are_contiguous_runs_among_the_scanned_releases(versions, scanned, expected):
    assert version_ranges(versions, scanned) == expected


def test_capability_history_questions():
    assert FACTS.scanned_versions() == list(RELEASES)
    assert FACTS.capability_versions("DeepAR", "exogenous_hist") == (["3.3.0"], ["3.2.0", "3.2.2"])
    assert FACTS.capability_versions("DeepAR", "exogenous_futr") == (list(RELEASES), [])
    assert FACTS.capability_versions("Informer", "exogenous_futr") == ([], [])
    assert FACTS.capability_changed("DeepAR", "exogenous_cat")
    assert not FACTS.capability_changed("NHITS", "exogenous_hist")
    assert empty_facts().capability_history == {}


TIMEXER_HISTORY = {
    "TimeXer": [
        ("3.0.2", flags(exogenous_futr=False, multivariate=True)),
        ("3.1.3", flags(multivariate=True)),
        ("3.1.4", flags(multivariate=True)),
        ("3.2.2", flags(exogenous_futr=False, multivariate=True)),
        ("3.3.0", flags(exogenous_futr=False, multivariate=True)),
    ],
    "SOFTS": [("3.2.2", flags()), ("3.3.0", flags(multivariate=True))],
}


def facts_at_3_3_0(**models: dict):
    return dataclasses.replace(
        FACTS,
        env_key="neuralforecast==3.3.0|py3.11.7|torch2.13.0+cpu|cpu",
        version="3.3.0",
        models={**FACTS.models, **models},
        parameters={**FACTS.parameters, **{name: TSMIXERX_PARAMETERS for name in models}},
        capability_history=TIMEXER_HISTORY,
    )


def test_a_capability_that_came_and_went_names_the_releases_where_it_holds():
    facts = facts_at_3_3_0(TimeXer=model(exogenous_futr=False, multivariate=True))
    row = row_of({**TSMIXERX_ALL, "model": "TimeXer", "features": {"futr": ["fut_weekday"]}})
    result = PlanValidator(facts).validate(row)
    assert [(v.rule, v.field) for v in result.violations] == [
        ("unsupported_exogenous", "features.futr"),
        ("capability_changed_across_versions", "features.futr"),
    ], shown(result)
    warning = result.violations[1]
    assert warning.severity == "warning"
    assert warning.message == (
        "TimeXer takes future exogenous only in 3.1.3–3.1.4 of the scanned releases "
        "(3.0.2, 3.1.3, 3.1.4, 3.2.2, 3.3.0); this environment is 3.3.0"
    )
    assert warning.suggestion == (
        "pin neuralforecast to 3.1.3–3.1.4, where TimeXer takes future exogenous "
        "(not in 3.0.2 and 3.2.2–3.3.0), or drop features.futr"
    )
    assert (warning.evidence_kind, warning.evidence) == ("registry", "marts.registry_capability_history")


def test_a_model_that_became_multivariate_warns_on_the_model_and_says_where_it_is_missing():
    facts = facts_at_3_3_0(SOFTS=model(multivariate=True))
    result = PlanValidator(facts).validate(row_of({**TSMIXERX_ALL, "model": "SOFTS"}))
    (warning,) = result.violations
    assert (warning.rule, warning.field, warning.severity) == ("capability_changed_across_versions", "model", "warning")
    assert warning.message == (
        "SOFTS is multivariate only in 3.3.0 of the scanned releases (3.2.2, 3.3.0); SOFTS is not in 3.0.2–3.1.4; "
        "this environment is 3.3.0"
    )
    assert warning.suggestion == "pin neuralforecast to 3.3.0, where SOFTS is multivariate (not in 3.2.2)"
    assert result.valid


def test_a_removed_argument_says_in_which_version_it_went():
    (violation,) = validate(model_args={"n_pool_kernel": [2]}).violations
    assert violation.rule == "unknown_argument" and "removed after neuralforecast 1.6.4" in violation.evidence


def test_intervals_with_a_point_loss_cite_the_failing_predict_probe():
    (violation,) = validate(predict={"level": [80]}).violations
    assert violation.rule == "intervals_need_probabilistic_loss"
    assert violation.evidence_kind == "probe" and violation.evidence == LEVEL_PROBE.probe_id


@pytest.mark.parametrize(
    ("rule_id", "run"),
    [
        ("wrong_type", {"predict": {"h": "3"}}),
        ("bad_search_space", {"search": {"backend": "optuna", "config": {"input_size": {"low": "a", "high": 8}}}}),
        ("bad_search_space", {"search": {"backend": "optuna", "config": {"input_size": {"choices": 4}}}}),
    ],
    ids=["predict_h_text", "search_low_text", "search_choices_not_a_list"],
)
def test_malformed_values_are_reported_not_raised(rule_id, run):
    result = validate(**run)
    assert rule_id in {violation.rule for violation in result.violations}, shown(result)
    assert not result.valid


def test_an_auto_model_name_becomes_a_search_over_its_default_space():
    row = row_of({"model": "AutoNHITS", "model_args": {"num_samples": 4, "input_size": 8}})
    assert row.model == "NHITS" and row.model_args == {"input_size": 8}
    assert row.search == {"backend": "optuna", "config": {}, "num_samples": 4, "auto": "AutoNHITS"}
    assert validate(model="AutoNHITS").valid
    (violation,) = validate(model="AutoNoSuch").violations
    assert violation.rule == "unknown_auto_model" and "AutoNoSuch" in violation.message


def test_every_static_rule_of_the_catalogue_is_exercised_here():
    assert sorted(STATIC_RULES - COVERED) == [], "static rules without a test case"
    assert sorted(COVERED - STATIC_RULES) == [], "test cases for rules that are not static rules of the catalogue"


def test_violations_must_name_a_catalogued_rule():
    with pytest.raises(KeyError, match="not a rule of the catalogue"):
        Violation("made_up_rule", "field", "message", "suggestion")
    assert Violation("bad_horizon", "horizon", "message", "suggestion").severity == "error"


def test_the_catalogue_is_well_formed():
    ids = [item.id for item in RULES]
    assert len(ids) == len(set(ids)), "duplicate rule ids"
    for item in RULES:
        assert item.severity in ("error", "warning") and item.layer in ("static", "rehearsal")
        assert item.doc and item.fields


def test_describe_rules_lists_every_rule():
    listing = describe_rules().splitlines()
    assert len(listing) == len(RULES) + 1
    for item, line in zip(RULES, listing[1:], strict=True):
        assert line.split()[:3] == [item.id, item.severity, item.layer]


def test_the_validation_page_lists_every_rule():
    page = (PROJECT_DIR / "docs" / "validation.md").read_text(encoding="utf-8")
    fix = "run `python -m fcast.reference --write`"
    missing = [item.id for item in RULES if f"`{item.id}`" not in page]
    assert missing == [], f"docs/validation.md lacks these rules: {fix}"
    assert markdown_table() in page, f"docs/validation.md's rule table differs from fcast.plans.rules: {fix}"
