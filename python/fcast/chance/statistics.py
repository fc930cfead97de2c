"""The statistical tests behind the leaderboard and the predictability profile (SciPy, statsmodels)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ALPHA = 0.05


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment: adjusted p-values, monotone, capped at 1; None stays None."""
    indexed = [(p, i) for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(indexed)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(indexed)):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def paired_one_sided(model_errors: np.ndarray, reference_errors: np.ndarray) -> float:
    """p-value of 'the model's absolute errors are smaller' (Wilcoxon signed-rank, one-sided); 1 without evidence."""
    from scipy.stats import wilcoxon

    differences = np.asarray(model_errors, float) - np.asarray(reference_errors, float)
    if len(differences) == 0 or np.allclose(differences, 0):
        return 1.0
    return float(wilcoxon(differences, alternative="less", zero_method="wilcox").pvalue)


def merge_small_bins(observed: np.ndarray, expected: np.ndarray, minimum: float = 5.0):
    """Merge neighbouring bins until every expected count is at least `minimum` (chi-square validity)."""
    merged_observed, merged_expected = [], []
    observed_sum = expected_sum = 0.0
    for o, e in zip(observed, expected, strict=True):
        observed_sum += o
        expected_sum += e
        if expected_sum >= minimum:
            merged_observed.append(observed_sum)
            merged_expected.append(expected_sum)
            observed_sum = expected_sum = 0.0
    if expected_sum > 0:
        if merged_expected:
            merged_observed[-1] += observed_sum
            merged_expected[-1] += expected_sum
        else:
            merged_observed.append(observed_sum)
            merged_expected.append(expected_sum)
    return np.array(merged_observed), np.array(merged_expected)


def chi_square(observed: np.ndarray, expected: np.ndarray, correction: float = 1.0) -> tuple[float, int, float]:
    """(statistic x correction, degrees of freedom, p-value) of a goodness-of-fit test."""
    from scipy.stats import chi2

    statistic = float(np.sum((observed - expected) ** 2 / expected)) * correction
    dof = len(observed) - 1
    return statistic, dof, float(chi2.sf(statistic, dof)) if dof > 0 else 1.0


def runs_test(values: np.ndarray) -> tuple[float, float]:
    """Wald-Wolfowitz runs test above/below the median (ties dropped): (z, two-sided p)."""
    from scipy.stats import norm

    median = float(np.median(values))
    signs = np.asarray(values)[np.asarray(values) != median] > median
    n_above, n_below = int(signs.sum()), int((~signs).sum())
    n = n_above + n_below
    if n_above == 0 or n_below == 0:
        return 0.0, 1.0
    runs = 1 + int(np.count_nonzero(signs[1:] != signs[:-1]))
    mean = 2 * n_above * n_below / n + 1
    variance = 2 * n_above * n_below * (2 * n_above * n_below - n) / (n**2 * (n - 1))
    z = (runs - mean) / math.sqrt(variance)
    return float(z), float(2 * norm.sf(abs(z)))


def ljung_box(values: np.ndarray, lags: int = 10) -> tuple[float, int, float]:
    from statsmodels.stats.diagnostic import acorr_ljungbox

    lags = max(1, min(lags, len(values) // 5))
    frame = acorr_ljungbox(np.asarray(values, float), lags=[lags], return_df=True)
    return float(frame["lb_stat"].iloc[0]), lags, float(frame["lb_pvalue"].iloc[0])


def entropy_bits(counts: np.ndarray) -> float:
    total = counts.sum()
    probabilities = counts[counts > 0] / total
    return float(-(probabilities * np.log2(probabilities)).sum())
