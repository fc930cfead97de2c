"""The exact distribution of every slot under i.i.d. draws, from the game geometry in the seeds.

- select (k distinct numbers of n, reported ascending): slot s is the s-th order statistic,
  P(X = x) = C(x-1, s-1) * C(n-x, k-s) / C(n, k) for x in s .. n-k+s (numbers shifted to start at 1);
- digits: every slot is uniform over its own range (0-9);
- column_select (Bingo5): slot i is uniform over its column (5(i-1)+1 .. 5i).

Everything is computed with exact fractions; the best constant guess of a slot is its median, and
E|X - median| is the best expected MAE any forecast can reach when draws are i.i.d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from fcast.games import Game, Slot, load_games


@dataclass(frozen=True)
class SlotDistribution:
    game_code: str
    slot_index: int
    values: tuple[int, ...]
    probabilities: tuple[Fraction, ...]

    @property
    def unique_id(self) -> str:
        return f"{self.game_code}_N{self.slot_index}"

    def probability_of(self, value: int) -> Fraction:
        index = value - self.values[0]
        return self.probabilities[index] if 0 <= index < len(self.values) else Fraction(0)

    @property
    def mean(self) -> Fraction:
        return sum((p * x for x, p in zip(self.values, self.probabilities, strict=True)), Fraction(0))

    @property
    def median(self) -> int:
        """The smallest value whose cumulative probability reaches 1/2 (a minimiser of E|X - c|)."""
        cumulative = Fraction(0)
        for value, probability in zip(self.values, self.probabilities, strict=True):
            cumulative += probability
            if cumulative >= Fraction(1, 2):
                return value
        return self.values[-1]

    def expected_abs_error(self, guess: float | Fraction) -> Fraction | float:
        """E|X - guess|, exact for a rational guess."""
        guess = Fraction(guess) if not isinstance(guess, Fraction) else guess
        return sum((p * abs(x - guess) for x, p in zip(self.values, self.probabilities, strict=True)), Fraction(0))

    @property
    def best_constant_mae(self) -> Fraction:
        """The exact best achievable expected MAE of any forecast of this slot under i.i.d. draws."""
        return self.expected_abs_error(self.median)

    @property
    def uniform_guess_mae(self) -> Fraction:
        """E|X - U| for a guess U drawn uniformly from the slot's possible values."""
        weight = Fraction(1, len(self.values))
        return sum((weight * self.expected_abs_error(guess) for guess in self.values), Fraction(0))

    @property
    def entropy_bits(self) -> float:
        return -sum(float(p) * math.log2(float(p)) for p in self.probabilities if p > 0)


def _select_slot(game: Game, slot: Slot) -> SlotDistribution:
    n = game.number_max - game.number_min + 1
    k, s = game.main_count, slot.index
    total = math.comb(n, k)
    values, probabilities = [], []
    for x in range(s, n - k + s + 1):  # x counted from 1
        values.append(x + game.number_min - 1)
        probabilities.append(Fraction(math.comb(x - 1, s - 1) * math.comb(n - x, k - s), total))
    return SlotDistribution(game.code, s, tuple(values), tuple(probabilities))


def _uniform_slot(game: Game, slot: Slot) -> SlotDistribution:
    values = tuple(range(slot.minimum, slot.maximum + 1))
    return SlotDistribution(game.code, slot.index, values, tuple(Fraction(1, len(values)) for _ in values))


SLOT_DISTRIBUTIONS = {"select": _select_slot, "digits": _uniform_slot, "column_select": _uniform_slot}


def slot_distributions(game: Game) -> list[SlotDistribution]:
    try:
        build = SLOT_DISTRIBUTIONS[game.family]
    except KeyError:
        raise ValueError(
            f"game {game.code}: no exact slot distribution for family {game.family!r} "
            f"(known: {sorted(SLOT_DISTRIBUTIONS)}); add one in fcast/chance/distributions.py"
        ) from None
    return [build(game, slot) for slot in game.slots]


def all_slot_distributions() -> dict[str, list[SlotDistribution]]:
    return {code: slot_distributions(game) for code, game in load_games().items()}
