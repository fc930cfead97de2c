"""The sequential statistics of the prospective scores: honest when read after every draw."""

from __future__ import annotations

import numpy as np
import pytest

from fcast.chance.distributions import slot_distributions
from fcast.chance.sequential import betting_e_process, confidence_sequence
from fcast.games import get_game

pytestmark = pytest.mark.fast


def test_the_confidence_sequence_holds_the_mean_at_every_time_at_once():
    rng = np.random.default_rng(7)
    mean, misses, runs = 2 / 7, 0, 200
    for _ in range(runs):
        lower, upper = confidence_sequence(rng.beta(2, 5, size=400), alpha=0.05)
        misses += bool(np.any((lower > mean) | (upper < mean)))
        assert np.all(np.diff(lower) >= 0) and np.all(np.diff(upper) <= 0), "an intersected sequence only narrows"
    assert misses / runs <= 0.05
    assert upper[-1] - lower[-1] < 0.1, "400 draws pin the mean down"


def test_a_true_null_rarely_reaches_one_over_alpha_and_a_real_edge_does():
    """Under chance (draws i.i.d., the forecast fixed before each draw) the e-process against the exact bound is a
    supermartingale; a forecaster that really knows something crosses 1/alpha quickly."""
    rng = np.random.default_rng(11)
    distribution = slot_distributions(get_game("loto6"))[0]
    values = np.array(distribution.values, dtype=float)
    probabilities = np.array([float(p) for p in distribution.probabilities])
    bound, span = float(distribution.best_constant_mae), values[-1] - values[0]
    crossed = 0
    for _ in range(200):
        draws = rng.choice(values, size=300, p=probabilities)
        errors = np.abs(draws - distribution.median)  # the best a constant can do: on the boundary of the null
        crossed += betting_e_process((bound - errors) / span).max() >= 20
    assert crossed / 200 <= 0.05
    draws = rng.choice(values, size=300, p=probabilities)
    leaky = np.abs(draws - (draws + rng.integers(-2, 3, size=300)))  # knows the draw to within 2
    assert betting_e_process((bound - leaky) / span)[100] >= 20


def test_out_of_range_inputs_are_refused():
    with pytest.raises(ValueError, match=r"values in \[0.0, 1.0\]"):
        confidence_sequence([0.2, 1.5])
    with pytest.raises(ValueError, match=r"values in \[-1.0, 1.0\]"):
        betting_e_process([0.0, float("nan")])


def test_a_sequence_of_locked_forecasts_is_scored_beside_chance_on_the_same_draws():
    import pandas as pd

    from fcast.cycle.prospective import _sequence_rows

    distribution = slot_distributions(get_game("numbers3"))[0]  # digits 0..9, uniform
    history = pd.Series([3.0, 7.0, 5.0, 9.0, 0.0], index=[10, 11, 12, 13, 14])
    entries = pd.DataFrame(
        {"sequence": [1, 2, 3], "last_known_ds": [11, 12, 13], "target_ds": [12, 13, 14], "y_hat": [4.0, 12.0, 2.0]}
    )
    rows = _sequence_rows(entries, history, distribution)
    assert rows["abs_error"].tolist() == [1.0, 3.0, 2.0]
    assert rows["best_constant"].tolist() == [5.0, 5.0, 6.0]  # medians of draws 10..11, 10..12, 10..13
    assert rows["seasonal_naive"].tolist() == [7.0, 5.0, 9.0]  # the value at the last known draw
    assert rows["cumulative_mae"].tolist() == [1.0, 2.0, 2.0]
    assert rows["cumulative_seasonal_naive_mae"].tolist() == [2.0, 3.0, 5.0]
    assert rows["uniform_guess_error"].iloc[0] == pytest.approx(2.5)  # mean |0..9 - 5|
    assert rows["exact_best_mae"].iloc[0] == pytest.approx(2.5)
    # forecasts are clipped to the slot's range for the sequential statistics: 12 counts as 9 (error 0)
    assert (rows["cs_lower"] <= rows["cumulative_mae"] + 1e-9).all() and (rows["cs_upper"] <= 9).all()
    assert rows["e_value_max"].is_monotonic_increasing
