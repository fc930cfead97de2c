"""Statistics that stay honest when read after every draw: a confidence sequence and an e-process.

A fixed-sample test read after each new draw rejects a true null far more often than its level says.
Both tools here are valid at every time at once (Ville's inequality):

- `confidence_sequence`: the predictable plug-in empirical-Bernstein confidence sequence for the mean of
  observations in [0, 1] (Waudby-Smith and Ramdas, "Estimating means of bounded random variables by
  betting", JRSS-B 2024, Theorem 2), intersected over time so it only narrows. With probability at least
  1 - alpha it holds the mean at every time at once.
- `betting_e_process`: a test by betting of "the conditional mean of z is at most 0" for z in [-1, 1].
  Under that null the wealth is a nonnegative supermartingale, so the chance it ever reaches 1/alpha is at
  most alpha: reject the first time it does, whenever one looks. Several e-processes read together are
  corrected by Bonferroni on the threshold (reject when an e-value reaches m/alpha).

For a lottery slot, no forecast fixed before a draw can have an expected absolute error below the slot's
exact best MAE when draws are i.i.d. (fcast.chance.distributions), so z = (exact_best_mae - error) / range
has conditional mean at most 0 under chance, whatever the model does.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_ALPHA = 0.05
MAX_BET = 0.5  # the largest fraction of wealth staked on one draw: wealth never falls below half a step


def _checked(values, low: float, high: float, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} takes a one-dimensional sequence, not shape {array.shape}")
    if array.size and (not np.isfinite(array).all() or array.min() < low or array.max() > high):
        raise ValueError(f"{name} takes values in [{low}, {high}]; got {array.min()} .. {array.max()}")
    return array


def confidence_sequence(x, alpha: float = DEFAULT_ALPHA, max_bet: float = MAX_BET) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) at every time t of a 1 - alpha confidence sequence for the mean of x (values in [0, 1])."""
    x = _checked(x, 0.0, 1.0, "confidence_sequence")
    n = x.size
    lower, upper = np.zeros(n), np.ones(n)
    log_term = math.log(2.0 / alpha)
    sum_x, sum_sq = 0.0, 0.0  # running sums for the predictable mean and variance estimates
    mean_before, variance_before = 0.5, 0.25  # the estimates from draws before t (priors at t = 1)
    weighted_sum, bet_sum, penalty = 0.0, 0.0, 0.0
    low, high = 0.0, 1.0
    for t in range(1, n + 1):
        value = x[t - 1]
        bet = min(math.sqrt(2.0 * log_term / (variance_before * t * math.log(1.0 + t))), max_bet)
        weighted_sum += bet * value
        bet_sum += bet
        penalty += (value - mean_before) ** 2 * (-math.log(1.0 - bet) - bet)  # v_t * psi_E(bet)
        centre = weighted_sum / bet_sum
        width = (log_term + penalty) / bet_sum
        low, high = max(low, centre - width), min(high, centre + width)
        lower[t - 1], upper[t - 1] = low, max(high, low)
        sum_x += value
        mean_t = (0.5 + sum_x) / (t + 1)
        sum_sq += (value - mean_t) ** 2
        mean_before, variance_before = mean_t, (0.25 + sum_sq) / (t + 1)
    return lower, upper


def betting_e_process(z, max_bet: float = MAX_BET) -> np.ndarray:
    """The wealth after every step of betting against "the conditional mean of z is at most 0" (z in [-1, 1]).

    Each bet is a fraction of the current wealth chosen from earlier steps only (the approximate growth-rate
    optimal mean / (variance + mean^2), between 0 and max_bet), so under the null wealth is a supermartingale.
    """
    z = _checked(z, -1.0, 1.0, "betting_e_process")
    wealth = np.ones(z.size)
    current, count, total, total_sq = 1.0, 0, 0.0, 0.0
    for t, value in enumerate(z):
        bet = 0.0
        if count:
            mean = total / count
            variance = max(total_sq / count - mean * mean, 0.0)
            bet = min(max(mean / (variance + mean * mean), 0.0), max_bet) if mean > 0 else 0.0
        current *= 1.0 + bet * value
        wealth[t] = current
        count, total, total_sq = count + 1, total + value, total_sq + value * value
    return wealth
