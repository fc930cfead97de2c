"""Known neuralforecast failure messages -> what to change in the plan row.

The rehearsal rejects every failing row with the stage, the exception type and its message; when the
message is one of these, the violation also says what to write instead. An unknown message still
rejects the row (with a generic suggestion): this table only makes the advice better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownFailure:
    pattern: str  # a regular expression searched in "<ExceptionType>: <message>"
    suggestion: str

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, flags=re.IGNORECASE | re.DOTALL) is not None


KNOWN_FAILURES: tuple[KnownFailure, ...] = (
    KnownFailure(r"moving_avg_window should be uneven", "give model_args.moving_avg_window an odd value (e.g. 25)"),
    KnownFailure(
        r"Horizon `h=\d+` incompatible with `seasonality` or `trend`",
        "use horizon >= 2, or model_args.stack_types: [identity, identity, identity] for NBEATS at h=1",
    ),
    KnownFailure(
        r"Time series is too short for training",
        "lower model_args.input_size (the series is shorter than input_size plus the held-out windows), use "
        "fewer cross_validation.n_windows, or set model_args.start_padding_enabled: true",
    ),
    KnownFailure(r"define `n_windows` or `test_size` but not both", "give cross_validation n_windows or test_size"),
    KnownFailure(
        r"scaler_type must be one of",
        "neuralforecast.local_scaler_type takes NeuralForecast's own scalers (standard, robust, robust-iqr, minmax, "
        "boxcox); model_args.scaler_type is the model's window scaler, a different list",
    ),
    KnownFailure(
        r"set valid_loss to MQLoss\(\) or HuberMQLoss\(\) when training with MQLoss",
        "set valid_loss to the same MQLoss (or HuberMQLoss), or use a loss the model's output takes "
        "(DeepAR trains with DistributionLoss)",
    ),
    KnownFailure(r"only supports point loss functions", "use a point loss (MAE, MSE, HuberLoss) with this model"),
    KnownFailure(
        r"quantiles .* do not match `valid_loss`",
        "give loss and valid_loss the same level or quantiles (or drop valid_loss)",
    ),
    KnownFailure(r"IQLoss", "train IQLoss with valid_loss: {class: IQLoss} and predict with quantiles"),
    KnownFailure(
        r"issubclass\(\) arg 1 must be a class|optimizer.*(class|subclass)",
        "a plan cannot name an optimizer as a string: drop model_args.optimizer (Adam is the default) or "
        "build the model in Python",
    ),
    KnownFailure(r"StemGNN currently only supports n_stacks=2", "set model_args.n_stacks: 2"),
    KnownFailure(
        r"training_data_availability_threshold cannot be an integer",
        "give training_data_availability_threshold as a float (e.g. 0.0) or a list of two floats",
    ),
    KnownFailure(
        r"val_size must be either 0 or greater than or equal to the horizon",
        "set fit.val_size to 0 or to at least the horizon",
    ),
    KnownFailure(
        r"Early stopping conditioned on metric `ptl/val_loss` which is not available",
        "early stopping needs validation at some step: set fit.val_size >= horizon and "
        "model_args.val_check_steps <= max_steps",
    ),
    KnownFailure(
        r"You have trained .* with loss=.*\(\)",
        "level/quantiles need a probabilistic loss (MQLoss, DistributionLoss) or fit.prediction_intervals",
    ),
    KnownFailure(r"no point forecast for", "include the median: quantile 0.5 in quantiles, or use level"),
    KnownFailure(r"futr_df", "check features.futr: every future column must be in nf_futr_df for the next h draws"),
    KnownFailure(
        r"(No supported gpu backend found|CUDA|MPSAccelerator|accelerator)",
        "this machine has no such accelerator: use accelerator: auto (fcast's default) or leave accelerator out",
    ),
    KnownFailure(r"out of memory", "lower batch_size, windows_batch_size or input_size"),
    KnownFailure(r"must be (positive|greater)|should be (positive|greater)", "use a positive value"),
)

GENERIC_SUGGESTION = (
    "change the plan row: neuralforecast raised this on its real data in a one-step run of the trainer's "
    "path, so training would fail the same way"
)


def suggestion_for(error_type: str, message: str) -> str:
    text = f"{error_type}: {message}"
    for known in KNOWN_FAILURES:
        if known.matches(text):
            return known.suggestion
    return GENERIC_SUGGESTION
