"""Scoring reads every loss family's output columns, and the run-level RMSE pools every window's errors."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from fcast.train import scoring

pytestmark = pytest.mark.fast


def frame(**columns) -> pd.DataFrame:
    base = {"unique_id": ["a", "a", "a", "a"], "ds": [1, 2, 3, 4], "cutoff": [0, 1, 2, 3], "y": [1.0, 2.0, 3.0, 4.0]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("columns", "point", "levels", "quantiles"),
    [
        ({"M": [1.0] * 4}, "M", [], []),
        ({"M-median": [1.0] * 4, "M-lo-80": [0.0] * 4, "M-hi-80": [2.0] * 4}, "M-median", [80.0], [0.1, 0.5, 0.9]),
        ({"M-lo-80.0": [0.0] * 4, "M-median": [1.0] * 4, "M-hi-80.0": [2.0] * 4}, "M-median", [80.0], [0.1, 0.5, 0.9]),
        (
            {"M": [1.0] * 4, "M-median": [1.0] * 4, "M-lo-90": [0.0] * 4, "M-hi-90": [2.0] * 4},
            "M",
            [90.0],
            [0.05, 0.5, 0.95],
        ),
        ({"M_ql0.5": [1.0] * 4}, "M_ql0.5", [], [0.5]),
        ({"M": [1.0] * 4, "M_ql0.1": [0.0] * 4, "M_ql0.9": [2.0] * 4}, "M", [], [0.1, 0.9]),
    ],
    ids=["point", "mqloss_level", "mqloss_quantiles", "distribution", "iqloss", "predict_quantiles"],
)
def test_every_loss_family_is_recognised(columns, point, levels, quantiles):
    found = scoring.output_columns(frame(**columns), "M")
    assert found.point == point
    assert sorted(found.intervals) == levels
    assert [round(q, 6) for q in found.quantile_columns()] == quantiles
    rows = scoring.metric_rows("r", frame(**columns), "M")
    metrics = {row["metric"] for row in rows}
    assert {"mae", "rmse"} <= metrics
    assert ("quantile_loss" in metrics) == (len(quantiles) > 1)


def test_quantiles_without_a_median_name_what_is_missing():
    with pytest.raises(scoring.MissingForecastColumn, match="include the median"):
        scoring.output_columns(frame(**{"M_ql0.1": [0.0] * 4, "M_ql0.9": [2.0] * 4}), "M")


def test_run_rmse_pools_squared_errors_and_is_not_the_mae_at_h1():
    cv = frame(M=[1.0, 2.0, 3.0, 8.0])  # absolute errors 0, 0, 0, 4 over four one-step windows
    summary = scoring.summarize(scoring.metric_rows("r", cv, "M"))
    assert summary["mae"] == pytest.approx(1.0)
    assert summary["rmse"] == pytest.approx(math.sqrt(16 / 4))
    assert summary["n_windows"] == 4
