"""Exact slot distributions checked against an independent computation: every k-of-n draw enumerated."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import pytest

from fcast.chance.distributions import all_slot_distributions, slot_distributions
from fcast.games import load_games

pytestmark = pytest.mark.fast

GAMES = load_games()


def _enumerated(game) -> list[Counter]:
    """Counts of each value per slot over every possible draw of the game (brute force)."""
    numbers = range(game.number_min, game.number_max + 1)
    counts = [Counter() for _ in range(game.main_count)]
    if game.family == "select":
        draws = itertools.combinations(numbers, game.main_count)  # ascending: slot s is the s-th smallest
    elif game.family == "digits":
        draws = itertools.product(numbers, repeat=game.main_count)
    else:  # one number per column
        draws = itertools.product(*[range(slot.minimum, slot.maximum + 1) for slot in game.slots])
    for draw in draws:
        for slot, value in enumerate(draw):
            counts[slot][value] += 1
    return counts


@pytest.mark.parametrize("code", ["miniloto", "numbers3", "bingo5"])
def test_distributions_equal_full_enumeration(code):
    game = GAMES[code]
    for distribution, counts in zip(slot_distributions(game), _enumerated(game), strict=True):
        total = sum(counts.values())
        assert {value: Fraction(count, total) for value, count in counts.items()} == {
            value: p for value, p in zip(distribution.values, distribution.probabilities, strict=True) if p
        }


def test_the_median_is_the_best_constant_and_its_mae_is_exact():
    for distributions in all_slot_distributions().values():
        for distribution in distributions:
            assert sum(distribution.probabilities) == 1
            best = min(distribution.expected_abs_error(guess) for guess in distribution.values)
            assert distribution.best_constant_mae == best
            assert distribution.uniform_guess_mae > distribution.best_constant_mae


def test_known_values():
    distributions = all_slot_distributions()
    loto7 = distributions["loto7"]
    assert round(float(sum(d.best_constant_mae for d in loto7)) / len(loto7), 4) == 3.8337
    assert [float(d.best_constant_mae) for d in distributions["numbers3"]] == [2.5, 2.5, 2.5]  # |X - 4| or |X - 5|
    assert [float(d.best_constant_mae) for d in distributions["bingo5"]] == [1.2] * 8  # 2*(1+2)/5
    loto6_n1 = distributions["loto6"][0]
    assert loto6_n1.values[0] == 1 and loto6_n1.values[-1] == 38
    assert loto6_n1.probability_of(1) == Fraction(6, 43)
