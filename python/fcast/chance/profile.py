"""The predictability profile: are the draws what i.i.d. draws of this game's geometry look like?

Per series: the slot's values against its exact distribution (not against uniform: select-game slots
are order statistics), a runs test above/below the median, Ljung-Box autocorrelation, and the
entropy of the observed values against its maximum. Per game: the pooled ball frequencies against
uniform, with the chi-square statistic of select games multiplied by (n-k)/(n-1) because k balls
are drawn without replacement. p-values are Holm-corrected across every test of the game and each
row gets a plain-language verdict.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcast.chance.distributions import SlotDistribution
from fcast.chance.statistics import ALPHA, chi_square, entropy_bits, holm, ljung_box, merge_small_bins, runs_test
from fcast.games import Game


@dataclass
class ProfileTest:
    game_code: str
    unique_id: str  # '' for a game-level test
    scope: str
    test_name: str
    n_draws: int
    statistic: float | None
    dof: int | None
    p_value: float | None
    detail: dict
    p_holm: float | None = None
    verdict: str = ""

    def as_row(self, evaluated_at) -> dict:
        """The raw.predictability_tests row, by column name."""
        return {**self.__dict__, "detail": json.dumps(self.detail, sort_keys=True), "evaluated_at": evaluated_at}


WHAT = {
    "exact_distribution": "its values follow the exact i.i.d. distribution of the slot",
    "runs": "runs above and below the median are as frequent as in random order",
    "ljung_box": "no autocorrelation up to the lag tested",
    "pooled_ball_frequency": "every ball is drawn equally often",
}


def _series_tests(game: Game, distribution: SlotDistribution, values: np.ndarray) -> list[ProfileTest]:
    n = len(values)
    counts = np.array([np.count_nonzero(values == value) for value in distribution.values], dtype=float)
    expected = np.array([float(p) for p in distribution.probabilities]) * n
    observed, merged_expected = merge_small_bins(counts, expected)
    statistic, dof, p_value = chi_square(observed, merged_expected)
    z, runs_p = runs_test(values)
    lb_statistic, lags, lb_p = ljung_box(values)
    observed_entropy = entropy_bits(counts)
    maximum = math.log2(len(distribution.values))
    base = {"game_code": game.code, "unique_id": distribution.unique_id, "scope": "series", "n_draws": n}
    return [
        ProfileTest(**base, test_name="exact_distribution", statistic=statistic, dof=dof, p_value=p_value,
                    detail={"bins_after_merging": len(observed), "values": len(distribution.values)}),
        ProfileTest(**base, test_name="runs", statistic=z, dof=None, p_value=runs_p, detail={"z": z}),
        ProfileTest(**base, test_name="ljung_box", statistic=lb_statistic, dof=lags, p_value=lb_p,
                    detail={"lags": lags}),
        ProfileTest(**base, test_name="entropy", statistic=observed_entropy, dof=None, p_value=None,
                    detail={"observed_bits": observed_entropy, "maximum_bits": maximum,
                            "iid_expected_bits": distribution.entropy_bits,
                            "ratio_to_maximum": observed_entropy / maximum if maximum else 1.0}),
    ]  # fmt: skip


def _pooled_ball_test(game: Game, draws: pd.DataFrame) -> ProfileTest:
    """All balls of all draws: uniform over the game's range, corrected for drawing without replacement."""
    n_draws = int(draws["ds"].nunique())
    balls = draws["y"].to_numpy()
    numbers = np.arange(game.number_min, game.number_max + 1)
    counts = np.array([np.count_nonzero(balls == number) for number in numbers], dtype=float)
    n_numbers, k = len(numbers), game.main_count
    if game.family == "select":
        expected = np.full(n_numbers, n_draws * k / n_numbers)
        correction = (n_numbers - k) / (n_numbers - 1)
        statistic, dof, p_value = chi_square(counts, expected, correction)
        detail = {"correction": correction, "balls_per_draw": k}
    elif game.family == "column_select":  # one uniform number per column: a chi-square per column, summed
        statistic, dof = 0.0, 0
        for slot in game.slots:
            column = (numbers >= slot.minimum) & (numbers <= slot.maximum)
            part, part_dof, _ = chi_square(counts[column], np.full(column.sum(), n_draws / column.sum()))
            statistic, dof = statistic + part, dof + part_dof
        from scipy.stats import chi2

        p_value = float(chi2.sf(statistic, dof))
        detail = {"columns": len(game.slots)}
    else:  # digits: k independent uniform digits per draw
        statistic, dof, p_value = chi_square(counts, np.full(n_numbers, n_draws * k / n_numbers))
        detail = {"digits_per_draw": k}
    return ProfileTest(game.code, "", "game", "pooled_ball_frequency", n_draws, statistic, dof, p_value, detail)


def _verdict(test: ProfileTest) -> str:
    if test.test_name == "entropy":
        detail = test.detail
        return (
            f"entropy {detail['observed_bits']:.3f} bits of at most {detail['maximum_bits']:.3f} "
            f"(i.i.d. draws of this slot give {detail['iid_expected_bits']:.3f})"
        )
    if test.p_holm is None:
        return "not testable on these draws (the values do not vary)"
    if test.p_holm < ALPHA:
        return f"departs from chance: not consistent with '{WHAT[test.test_name]}' (Holm p = {test.p_holm:.3g})"
    return f"consistent with chance: {WHAT[test.test_name]} (Holm p = {test.p_holm:.3g})"


def profile_game(game: Game, distributions: list[SlotDistribution], series: pd.DataFrame) -> list[ProfileTest]:
    tests: list[ProfileTest] = []
    for distribution in distributions:
        values = series.loc[series["unique_id"] == distribution.unique_id].sort_values("ds")["y"].to_numpy()
        if len(values) >= 10:
            tests.extend(_series_tests(game, distribution, values))
    if not series.empty:
        tests.append(_pooled_ball_test(game, series))
    for test in tests:
        if test.p_value is not None and math.isnan(test.p_value):
            test.p_value = test.statistic = None
    for test, adjusted in zip(tests, holm([test.p_value for test in tests]), strict=True):
        test.p_holm = adjusted
        test.verdict = _verdict(test)
    return tests
