"""The catalogue of validation rules: every rule a violation may name, with its severity and one-line doc.

`fcast validate --list-rules` prints it; the README's rule table is checked against it; every
Violation must name a rule declared here. Static rules answer from the registry, the probes and
the warehouse in milliseconds; rehearsal rules come from running the row one step on the
trainer's own path (fcast.plans.rehearse).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # error (the row is rejected) or warning (reported, the row may train)
    fields: str  # the plan fields it looks at
    doc: str
    layer: str = "static"  # static or rehearsal


RULES: tuple[Rule, ...] = (
    Rule("unknown_dataset", "error", "dataset", "the dataset is neither a seeded game nor a loaded panel"),
    Rule(
        "dataset_not_built",
        "error",
        "dataset",
        "the panel is loaded in raw but the marts were not rebuilt since (the message gives the command)",
    ),
    Rule("unknown_frequency", "error", "dataset", "a date panel whose frequency was never recorded (ingest it again)"),
    Rule(
        "freq_mismatch",
        "error",
        "neuralforecast.freq",
        "the freq does not describe the dataset's time axis (games: 1; panels: their integer step or pandas freq)",
    ),
    Rule("unknown_series_selector", "error", "series", "the game has no such series selector (N1..Nk, all)"),
    Rule("unknown_model", "error", "model", "the model is not a class of the installed neuralforecast"),
    Rule(
        "foundation_checkpoint_missing",
        "error",
        "model_args.checkpoint",
        "a foundation model's weights are not in the checkpoint folder (nothing is downloaded; the message says how)",
    ),
    Rule("foundation_api_key_missing", "error", "model", "TimeGPT needs NIXTLA_API_KEY (a paid hosted API)"),
    Rule("foundation_horizon_too_long", "error", "horizon", "longer than the foundation model answers in one call"),
    Rule(
        "foundation_context_too_long",
        "error",
        "model_args.context_length",
        "outside 1..the foundation model's maximum context",
    ),
    Rule(
        "foundation_quantiles_outside_grid",
        "error",
        "predict.level, predict.quantiles, cross_validation.level, cross_validation.quantiles",
        "a level or quantile beyond the foundation model's own quantile grid",
    ),
    Rule(
        "foundation_cannot_fine_tune",
        "error",
        "model_args.fine_tune_steps",
        "fine-tuning asked of a foundation model whose library cannot be fine-tuned through fcast",
    ),
    Rule(
        "foundation_unsupported_call",
        "error",
        "search, predict_insample, prediction_intervals, cross_validation.refit",
        "a neuralforecast-only part of a row (search, insample, conformal intervals, refit) on a foundation model",
    ),
    Rule("foundation_loss_unused", "warning", "loss, valid_loss", "a foundation model trains no loss of the plan"),
    Rule(
        "feature_not_computed",
        "error",
        "features.hist, features.futr",
        "a selected feature column is null for some draws of the dataset (embeddings or anomaly scores not computed)",
    ),
    Rule("unknown_auto_model", "error", "model", "an Auto* name whose model has no Auto counterpart here"),
    Rule("model_cannot_build", "error", "model", "the registry scan could not build the model here"),
    Rule(
        "unknown_argument",
        "error",
        "model_args.*",
        "not an argument of the model, nor of the Lightning Trainer its **trainer_kwargs reach",
    ),
    Rule("wrong_type", "error", "model_args.*, loss.kwargs.*, call arguments", "the value is not of the scanned type"),
    Rule(
        "value_not_allowed",
        "error",
        "model_args.*, loss.kwargs.*, neuralforecast.*, call arguments",
        "the value is outside the list the library checks or its Literal annotation allows",
    ),
    Rule("value_not_documented", "warning", "model_args.*", "the value is not among the options its docstring lists"),
    Rule(
        "probe_failed",
        "error",
        "model_args.*, loss, valid_loss",
        "a probe with this value failed in the same context as the plan (same arguments, horizon and loss)",
    ),
    Rule(
        "probe_failed_elsewhere",
        "warning",
        "model_args.*, loss, valid_loss",
        "a probe with this value failed in another context; the message says how it differs, the rehearsal decides",
    ),
    Rule("unknown_loss", "error", "loss, valid_loss", "not a loss class of the installed neuralforecast"),
    Rule("unknown_loss_argument", "error", "loss.kwargs.*", "the loss class takes no such argument"),
    Rule("loss_not_trainable", "error", "loss", "the loss cannot be used for training (an evaluation metric)"),
    Rule("loss_refused", "error", "loss, valid_loss", "the model's constructor refuses the loss in the plan's context"),
    Rule(
        "loss_refused_elsewhere",
        "warning",
        "valid_loss",
        "the registry saw the model refuse this valid_loss beside another loss; the rehearsal decides",
    ),
    Rule(
        "loss_level_and_quantiles",
        "error",
        "loss.kwargs",
        "level and quantiles given to one loss: neuralforecast keeps the quantiles and drops level silently",
    ),
    Rule("unsupported_exogenous", "error", "features.*", "the model has no capability for that kind of exogenous"),
    Rule(
        "capability_changed_across_versions",
        "warning",
        "features.*, model",
        "a capability the row relies on (futr/hist/stat exogenous, multivariate) differs among the scanned releases",
    ),
    Rule("missing_feature_columns", "error", "features.*", "the feature marts have no such column for the dataset"),
    Rule("bad_horizon", "error", "horizon", "the horizon is not a positive integer"),
    Rule(
        "horizon_beyond_futr_df",
        "error",
        "horizon",
        "futr_df holds fewer future steps than the horizon (games: the calendar; panels: the futr file)",
    ),
    Rule("horizon_mismatch", "error", "predict.h", "predict h differs from the model's h and a probe saw it fail"),
    Rule("multivariate_n_series", "error", "model_args.n_series", "a multivariate model needs n_series = the series"),
    Rule("level_and_quantiles", "error", "predict, cross_validation", "level and quantiles asked together"),
    Rule(
        "intervals_need_probabilistic_loss",
        "error",
        "predict.level, predict.quantiles",
        "intervals or quantiles with a point loss and no fit.prediction_intervals",
    ),
    Rule(
        "early_stopping_without_validation",
        "error",
        "model_args.early_stop_patience_steps, fit.val_size",
        "early stopping with no validation data",
    ),
    Rule("bad_training_steps", "error", "model_args.max_steps, val_check_steps", "step counts must be positive ints"),
    Rule("insample_on_multivariate", "error", "predict_insample", "multivariate models have no insample predictions"),
    Rule(
        "unknown_call_argument",
        "error",
        "neuralforecast, fit, cross_validation, predict, predict_insample",
        "not an argument of that NeuralForecast method (or set by fcast itself)",
    ),
    Rule("unknown_backend", "error", "search.backend", "the search backend is not optuna or ray"),
    Rule("no_auto_model", "error", "model, search", "a search needs the model's Auto counterpart (its default space)"),
    Rule("optuna_refuses_choices", "error", "search.config.*", "optuna categorical choices must be plain values"),
    Rule("bad_search_space", "error", "search.config.*", "a range needs low <= high (and low > 0 on a log scale)"),
    Rule(
        "bad_resources",
        "error",
        "resources.*",
        "resources (what a run asks of a Ray node) are cpus and gpus, 0 or more",
    ),
    Rule(
        "distributed_unknown_engine", "error", "distributed.engine", "the engine is not one neuralforecast has (spark)"
    ),
    Rule(
        "distributed_bad_size",
        "error",
        "distributed.num_nodes, distributed.devices",
        "num_nodes and devices must be positive integers",
    ),
    Rule("distributed_unknown_key", "error", "distributed.*", "a distributed block takes engine, num_nodes, devices"),
    Rule(
        "distributed_fit_unsupported",
        "error",
        "model, distributed",
        "the model's distributed-fit probe (a Spark fit and predict) failed in this environment",
    ),
    Rule(
        "distributed_call_unsupported",
        "error",
        "cross_validation, predict_insample, fit.prediction_intervals, neuralforecast.*, features.*, predict.level",
        "a call the row adds to a distributed fit failed (or came back without its output) in its distributed probe",
    ),
    Rule(
        "distributed_fit_not_probed",
        "warning",
        "model, distributed",
        "no distributed-fit probe of the model here (`fcast registry probe --distributed`); the rehearsal decides",
    ),
    Rule(
        "rehearsal_inputs",
        "error",
        "dataset, series, features",
        "the row's frames cannot be read from the marts as the trainer reads them",
        "rehearsal",
    ),
    Rule(
        "rehearsal_failed",
        "error",
        "the whole row",
        "one training step on the trainer's path raised: the stage, the exception and a suggestion",
        "rehearsal",
    ),
    Rule(
        "rehearsal_ignored_output",
        "error",
        "predict, cross_validation, predict_insample",
        "it trains, but a requested output (level, quantiles, insample) did not come back",
        "rehearsal",
    ),
    Rule("rehearsal_timeout", "error", "the whole row", "the one-step rehearsal did not finish in time", "rehearsal"),
    Rule("rehearsal_crashed", "error", "the whole row", "the process rehearsing the row died", "rehearsal"),
    Rule("rehearsal_nan_output", "warning", "the whole row", "one training step gave NaN forecasts", "rehearsal"),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"{rule_id!r} is not a rule of the catalogue (fcast.plans.rules.RULES)") from None


def describe_rules() -> str:
    """The catalogue as the table `fcast validate --list-rules` prints."""
    width = max(len(item.id) for item in RULES)
    lines = [f"{'rule':{width}}  severity  layer      fields / what it checks"]
    for item in RULES:
        lines.append(f"{item.id:{width}}  {item.severity:8}  {item.layer:9}  {item.fields}: {item.doc}")
    return "\n".join(lines)


def markdown_table() -> str:
    """The catalogue as the README's table."""
    lines = ["| rule | severity | layer | fields | what it checks |", "|---|---|---|---|---|"]
    lines += [f"| `{r.id}` | {r.severity} | {r.layer} | {r.fields} | {r.doc} |" for r in RULES]
    return "\n".join(lines)
