"""Pick the sampler and pruner of a search, and say why.

- fewer than 10 trials: random sampling (a model-based sampler has nothing to learn from);
- large data (more than 100,000 training rows or more than 100 series) with a complex model
  (recurrent, transformer or more than a million parameters): multivariate TPE with Hyperband pruning;
- otherwise TPE, or CMA-ES when every searched parameter is numeric.
Every choice prunes with a median or Hyperband pruner fed the validation loss at each check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FEW_TRIALS = 10
LARGE_ROWS = 100_000
LARGE_SERIES = 100
COMPLEX_PARAMETERS = 1_000_000
TRANSFORMER_MODELS = frozenset(
    {"Informer", "Autoformer", "FEDformer", "PatchTST", "VanillaTransformer", "iTransformer", "TFT", "TimeXer"}
)


@dataclass(frozen=True)
class SearchProblem:
    n_trials: int
    train_rows: int
    n_series: int
    model: str
    recurrent: bool
    n_parameters: int
    all_numeric: bool


@dataclass(frozen=True)
class SearchAlgorithm:
    sampler: str  # random, tpe, multivariate_tpe, cmaes
    pruner: str  # median, hyperband
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def build(self, seed: int, n_trials: int = 10, max_steps: int = 100) -> tuple[Any, Any]:
        """The optuna sampler and pruner objects.

        The median pruner waits for a few finished trials and for the first fifth of a trial's steps
        (early validation losses are noisy), then stops a trial that is worse than the median of the
        earlier trials at the same step; Hyperband's budget is the trial's training steps.
        """
        import optuna

        samplers = {
            "random": lambda: optuna.samplers.RandomSampler(seed=seed),
            "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
            "multivariate_tpe": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=True),
            "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        }
        pruners = {
            "median": lambda: optuna.pruners.MedianPruner(
                n_startup_trials=min(5, max(1, n_trials // 4)), n_warmup_steps=max_steps // 5
            ),
            "hyperband": lambda: optuna.pruners.HyperbandPruner(
                min_resource=max(1, max_steps // 10), max_resource=max_steps
            ),
            "none": lambda: optuna.pruners.NopPruner(),
        }
        return samplers[self.sampler](), pruners[self.pruner]()


def is_complex(problem: SearchProblem) -> tuple[bool, str]:
    if problem.recurrent:
        return True, f"{problem.model} is recurrent"
    if problem.model in TRANSFORMER_MODELS:
        return True, f"{problem.model} is a transformer"
    if problem.n_parameters > COMPLEX_PARAMETERS:
        return True, f"{problem.model} has {problem.n_parameters:,} parameters (> {COMPLEX_PARAMETERS:,})"
    return False, f"{problem.model} is neither recurrent nor a transformer and has {problem.n_parameters:,} parameters"


def choose(problem: SearchProblem) -> SearchAlgorithm:
    if problem.n_trials < FEW_TRIALS:
        return SearchAlgorithm(
            "random", "median", f"{problem.n_trials} trials (< {FEW_TRIALS}): too few for a model-based sampler"
        )
    large = problem.train_rows > LARGE_ROWS or problem.n_series > LARGE_SERIES
    size = f"{problem.train_rows:,} training rows over {problem.n_series} series"
    complex_model, why = is_complex(problem)
    if large and complex_model:
        return SearchAlgorithm("multivariate_tpe", "hyperband", f"large data ({size}) and a complex model ({why})")
    if problem.all_numeric:
        return SearchAlgorithm("cmaes", "median", f"every searched parameter is numeric; {size}; {why}")
    return SearchAlgorithm("tpe", "median", f"categorical parameters in the space; {size}; {why}")
