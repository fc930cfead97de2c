"""Hyperparameter search of a plan row, before the run trains with the best parameters it found.

optuna: our own study loop over the row's model. Each trial samples the row's `search.config` (or
the Auto model's default optuna space when the config is empty), trains on the draws before the
cross-validation windows with `val_size` held out, and reports the validation loss at every
validation check to the trial; the selector's pruner stops a bad trial there (neuralforecast's own
Auto objective reports nothing until a trial ends, so it cannot prune). Studies live in durable
storage (`fcast.automl.storage`), named after the plan row, so running the row again resumes them.

ray: neuralforecast's Auto model with the ray backend, on the same data split.

The run then cross-validates, fits and forecasts with the best parameters like any other run.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcast.automl.selector import SearchAlgorithm, SearchProblem, choose
from fcast.library.build import build_model, build_neuralforecast, make_loss
from fcast.plans.spec import RunPlanRow
from fcast.train.inputs import RunInputs
from fcast.train.run_log import RunLog

DEFAULT_TRIALS = 10
VALIDATION_CHECKS_PER_TRIAL = 10
RECURRENT_MODELS = frozenset({"RNN", "LSTM", "GRU", "DilatedRNN", "TCN", "DeepAR", "xLSTM"})


@dataclass
class SearchOutcome:
    best_params: dict
    best_value: float
    backend: str
    study_name: str
    storage: str
    algorithm: dict
    trials: dict[str, int] = field(default_factory=dict)
    search_space: dict = field(default_factory=dict)
    val_size: int = 0

    def as_config(self) -> dict:
        return dataclasses.asdict(self)


def _pruning_callback(trial, log: RunLog):
    import optuna
    import pytorch_lightning as pl

    class ReportValidationLoss(pl.Callback):
        """Reports ptl/val_loss to the trial at every validation check; raises TrialPruned when told to."""

        def __init__(self) -> None:
            self.last_value: float | None = None

        def __deepcopy__(self, memo):  # neuralforecast copies its trainer arguments; the trial must stay one
            return self

        def on_validation_end(self, trainer, pl_module) -> None:
            if trainer.sanity_checking:
                return
            value = trainer.callback_metrics.get("ptl/val_loss")
            if value is None:
                return
            step = int(trainer.global_step)
            self.last_value = float(value)
            trial.report(self.last_value, step)
            if trial.should_prune():
                log.info(f"trial {trial.number} pruned at step {step} (valid loss {self.last_value:.5g})")
                raise optuna.TrialPruned(f"pruned at step {step}")

    return ReportValidationLoss()


def _suggest(trial, space: dict) -> dict:
    params = {}
    for name, spec in space.items():
        if not isinstance(spec, dict):
            params[name] = spec  # a fixed value inside the search config
        elif "choices" in spec:
            params[name] = trial.suggest_categorical(name, spec["choices"])
        elif isinstance(spec["low"], int) and isinstance(spec["high"], int) and not isinstance(spec.get("step"), float):
            params[name] = trial.suggest_int(
                name, spec["low"], spec["high"], step=spec.get("step", 1), log=bool(spec.get("log"))
            )
        else:
            params[name] = trial.suggest_float(
                name, spec["low"], spec["high"], step=spec.get("step"), log=bool(spec.get("log"))
            )
    return params


def _default_space(row: RunPlanRow):
    """The Auto model's own optuna space (a function of the trial), for a search block without config."""
    import neuralforecast.auto as auto

    auto_class = getattr(auto, f"Auto{row.model}")
    n_series = row.model_args.get("n_series")
    arguments = {"h": row.horizon, "backend": "optuna"}
    if n_series:
        arguments["n_series"] = n_series
    return auto_class.get_default_config(**arguments)


def search_frames(row: RunPlanRow, inputs: RunInputs):
    """The draws before the cross-validation windows: the search never sees what the run is scored on."""
    n_windows = int(row.cross_validation.get("n_windows", 3))
    step_size = int(row.cross_validation.get("step_size", 1))
    held_back = (n_windows - 1) * step_size + int(row.horizon)
    position = inputs.df.groupby("unique_id").cumcount(ascending=False)
    return inputs.df[position >= held_back].reset_index(drop=True), inputs.static_df


def _first_sample(default_space) -> dict:
    """The first configuration of an Auto model's default space (its first option of every choice)."""
    from fcast.registry.plugins.neuralforecast import RecordingTrial

    sample = default_space(RecordingTrial()) if callable(default_space) else dict(default_space or {})
    return {key: value for key, value in sample.items() if key not in ("h", "loss", "valid_loss")}


def _problem(row: RunPlanRow, inputs: RunInputs, n_trials: int, space: dict, default_space=None) -> SearchProblem:
    """What the selector weighs; the model is sized from the plan's arguments (or the default space's first
    configuration, which supplies arguments such as input_size that the plan leaves to the search)."""
    sample = _first_sample(default_space) if default_space is not None else {}
    model = build_model(
        row, **{**sample, **row.model_args, "max_steps": 1, "logger": False, "enable_checkpointing": False}
    )
    parameters = sum(parameter.numel() for parameter in model.parameters())
    all_numeric = bool(space) and all(isinstance(spec, dict) and "choices" not in spec for spec in space.values())
    return SearchProblem(
        n_trials=n_trials,
        train_rows=inputs.train_rows,
        n_series=len(inputs.unique_ids),
        model=row.model,
        recurrent=row.model in RECURRENT_MODELS or bool(row.model_args.get("recurrent")),
        n_parameters=int(parameters),
        all_numeric=all_numeric,
    )


def study_name(row: RunPlanRow) -> str:
    return f"fcast-{row.run_name}-{row.plan_id}"


def optuna_search(
    row: RunPlanRow,
    inputs: RunInputs,
    scratch: Path,
    log: RunLog,
    trainer_kwargs: dict,
    pruning: bool = True,
    trial_overrides: dict | None = None,
    durable: bool = True,
) -> SearchOutcome:
    """`trial_overrides` win over every sampled value (the rehearsal cuts trials to one step);
    `durable=False` keeps the study in memory (a rehearsal leaves no study behind)."""
    import optuna

    from fcast.automl import storage

    space = dict(row.search.get("config") or {})
    n_trials = int(row.search.get("num_samples", DEFAULT_TRIALS))
    val_size = int(row.search.get("val_size", max(20, 5 * int(row.horizon))))
    default_space = None if space else _default_space(row)
    algorithm: SearchAlgorithm = choose(_problem(row, inputs, n_trials, space, default_space))
    if not pruning:
        algorithm = dataclasses.replace(algorithm, pruner="none", reason=algorithm.reason + "; pruning switched off")
    log.info(f"search: {algorithm.sampler} sampler, {algorithm.pruner} pruner ({algorithm.reason})")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    max_steps = int(row.model_args.get("max_steps", 1000))
    sampler, pruner = algorithm.build(int(row.model_args.get("random_seed", 1)), n_trials, max_steps)
    name = study_name(row)
    study = optuna.create_study(
        study_name=name,
        storage=storage.open_storage() if durable else optuna.storages.InMemoryStorage(),
        sampler=sampler,
        pruner=pruner,
        direction="minimize",
        load_if_exists=True,
    )
    df, static_df = search_frames(row, inputs)

    def objective(trial) -> float:
        params = _suggest(trial, space) if space else default_space(trial)
        params = {key: value for key, value in params.items() if key not in ("h", "loss", "valid_loss")}
        steps = int(params.get("max_steps", max_steps))
        callback = _pruning_callback(trial, log)
        overrides = {
            "val_check_steps": max(1, steps // VALIDATION_CHECKS_PER_TRIAL),
            **trainer_kwargs,
            **params,
            **(trial_overrides or {}),
            "callbacks": [callback],
        }
        model = build_model(row, **overrides)
        build_neuralforecast(row, [model], inputs.freq).fit(df=df, static_df=static_df, val_size=val_size)
        if callback.last_value is None or math.isnan(callback.last_value):
            raise optuna.TrialPruned("no finite validation loss")
        return callback.last_value

    finished = [
        t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    ]
    remaining = max(0, n_trials - len(finished))
    where = storage.describe() if durable else "memory"
    log.info(f"study {name} in {where}: {len(finished)} trials done, {remaining} to run")
    if remaining:
        study.optimize(objective, n_trials=remaining, catch=(RuntimeError, ValueError))
    states = [trial.state.name.lower() for trial in study.trials]
    counts = {state: states.count(state) for state in sorted(set(states))}
    if not any(trial.state == optuna.trial.TrialState.COMPLETE for trial in study.trials):
        raise RuntimeError(f"search {name}: no trial completed ({counts}); widen the space or raise max_steps")
    best = study.best_trial
    log.info(f"best trial {best.number}: valid loss {best.value:.5g} with {best.params}; trials {counts}")
    return SearchOutcome(
        best_params=dict(best.params) if space else _fixed_keys(default_space, best),
        best_value=float(best.value),
        backend="optuna",
        study_name=name,
        storage=where,
        algorithm=algorithm.as_dict(),
        trials=counts,
        search_space=space or {"default": f"Auto{row.model}.get_default_config(backend='optuna')"},
        val_size=val_size,
    )


def _fixed_keys(default_space, trial) -> dict:
    """The full configuration the default space gave the best trial (its fixed keys included)."""
    import optuna

    replay = default_space(optuna.trial.FixedTrial(trial.params))
    return {key: value for key, value in replay.items() if key not in ("h", "loss", "valid_loss")}


def _ray_space(space: dict) -> dict:
    from ray import tune

    converted = {}
    for name, spec in space.items():
        if not isinstance(spec, dict):
            converted[name] = spec
        elif "choices" in spec:
            converted[name] = tune.choice(spec["choices"])
        elif isinstance(spec["low"], int) and isinstance(spec["high"], int):
            converted[name] = (tune.lograndint if spec.get("log") else tune.randint)(spec["low"], spec["high"] + 1)
        else:
            converted[name] = (tune.loguniform if spec.get("log") else tune.uniform)(spec["low"], spec["high"])
    return converted


def _default_ray_space(auto_class: type, row: RunPlanRow) -> dict:
    """The Auto model's own ray space (for a search block without config), minus what fcast sets."""
    arguments = {"h": row.horizon, "backend": "ray"}
    if row.model_args.get("n_series"):
        arguments["n_series"] = row.model_args["n_series"]
    space = dict(auto_class.get_default_config(**arguments))
    return {key: value for key, value in space.items() if key not in ("h", "loss", "valid_loss")}


def ray_search(
    row: RunPlanRow,
    inputs: RunInputs,
    scratch: Path,
    log: RunLog,
    trainer_kwargs: dict,
    trial_overrides: dict | None = None,
    durable: bool = True,
) -> SearchOutcome:
    """neuralforecast's Auto model on the ray backend; the plan's fixed arguments and features go in its config.

    `trial_overrides` win over the space; `durable=False` keeps the ray results in the run's scratch folder."""
    import neuralforecast.auto as auto

    space = dict(row.search.get("config") or {})
    n_trials = int(row.search.get("num_samples", DEFAULT_TRIALS))
    val_size = int(row.search.get("val_size", max(20, 5 * int(row.horizon))))
    fixed = {key: value for key, value in row.model_args.items() if key not in space}
    for kind in ("futr", "hist", "stat"):
        if row.feature_list(kind):
            fixed[f"{kind}_exog_list"] = row.feature_list(kind)
    auto_class = getattr(auto, f"Auto{row.model}")
    default_space = {} if space else _default_ray_space(auto_class, row)
    config = {**default_space, **fixed, **trainer_kwargs, **_ray_space(space), **(trial_overrides or {})}
    import torch
    from neuralforecast.common._base_auto import RayOptions
    from ray.tune import RunConfig
    from ray.tune.schedulers import ASHAScheduler

    from fcast import settings
    from fcast.cluster import keep_ray_local

    keep_ray_local()  # inside a cluster's task Ray is already connected; elsewhere it must not attach to another
    name = f"fcast-{row.run_name}-{row.plan_id}"
    results_dir = settings.beside_warehouse("ray_results") if durable else scratch / "ray_results"
    ray_options = RayOptions(  # each trial asks what the row declares (`resources`), on a cluster too
        cpus=float(row.resources.get("cpus", 1)),
        gpus=float(row.resources.get("gpus", 1 if torch.cuda.is_available() else 0)),
        run_config=RunConfig(name=name, storage_path=str(results_dir)),
        scheduler=ASHAScheduler(grace_period=1),  # stops bad trials at a validation check, like the optuna pruner
    )
    arguments: dict[str, Any] = {
        "h": row.horizon,
        "config": config,
        "backend": "ray",
        "num_samples": n_trials,
        "ray_options": ray_options,
    }
    if row.loss:
        arguments["loss"] = make_loss(row.loss)
    model = auto_class(**arguments)
    df, static_df = search_frames(row, inputs)
    log.info(f"ray search: {n_trials} trials of Auto{row.model} (random sampling, ASHA early stopping)")
    nf = build_neuralforecast(row, [model], inputs.freq)
    nf.fit(df=df, static_df=static_df, val_size=val_size)
    results = nf.models[0].results  # NeuralForecast trains copies of the models it is given
    best = results.get_best_result(metric="loss", mode="min")
    searched = {key: best.config[key] for key in (space or default_space) if key not in fixed and key in best.config}
    log.info(f"best ray trial: loss {best.metrics['loss']:.5g} with {searched}")
    return SearchOutcome(
        best_params=searched,
        best_value=float(best.metrics["loss"]),
        backend="ray",
        study_name=name,
        storage=str(results_dir / name),
        algorithm={
            "sampler": "random (ray BasicVariantGenerator)",
            "pruner": "asha",
            "reason": "ray backend: neuralforecast's Auto model reports the validation loss to ray at each check",
        },
        trials={"complete": len(results)},
        search_space=space or {"default": f"Auto{row.model}.get_default_config(backend='ray')"},
        val_size=val_size,
    )


def best_row(row: RunPlanRow, outcome: SearchOutcome) -> RunPlanRow:
    """The plan row with the best parameters as plain model arguments (and no search)."""
    model_args = {**copy.deepcopy(row.model_args), **outcome.best_params}
    return dataclasses.replace(row, model_args=model_args, search={})
