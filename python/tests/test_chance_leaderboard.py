"""The leaderboard against chance and the predictability profile: the statistics against independent
computations, an honest verdict on the real draws, and a verdict that does see a model that is better."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fcast import db
from fcast.chance.distributions import all_slot_distributions, slot_distributions
from fcast.chance.leaderboard import score_game
from fcast.chance.profile import profile_game
from fcast.chance.statistics import holm, paired_one_sided, runs_test
from fcast.games import load_games

GAMES = load_games()


@pytest.mark.fast
def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p_values = [0.01, 0.04, 0.03, 0.2, 0.001, 0.5]
    assert holm(p_values) == pytest.approx(list(multipletests(p_values, method="holm")[1]))
    assert holm([0.01, None, 0.02]) == [0.02, None, 0.02]


@pytest.mark.fast
def test_the_paired_test_is_one_sided():
    rng = np.random.default_rng(0)
    reference = rng.uniform(2, 8, 40)
    assert paired_one_sided(reference * 0.5, reference) < 0.001  # clearly smaller errors
    assert paired_one_sided(reference * 1.5, reference) > 0.99  # larger errors are no evidence
    assert paired_one_sided(reference, reference) == 1.0


@pytest.mark.fast
def test_the_runs_test_sees_order_but_not_shuffles():
    alternating = np.array([1, 9] * 50)
    assert runs_test(alternating)[1] < 1e-6
    shuffled = np.random.default_rng(1).permutation(np.repeat(np.arange(10), 20))
    assert runs_test(shuffled)[1] > 0.01


def _synthetic_game(code: str, draws: int, seed: int):
    """i.i.d. draws of a real game's geometry, as the long series fcast builds."""
    game = GAMES[code]
    rng = np.random.default_rng(seed)
    numbers = np.arange(game.number_min, game.number_max + 1)
    rows = []
    for ds in range(1, draws + 1):
        draw = np.sort(rng.choice(numbers, game.main_count, replace=False))
        rows += [(f"{code}_N{slot + 1}", ds, float(value)) for slot, value in enumerate(draw)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _points(series: pd.DataFrame, run_id: str, forecast) -> pd.DataFrame:
    """Cross-validation points of a run over the last 40 draws of every series, forecast by `forecast(y)`."""
    rows = []
    for unique_id, frame in series.groupby("unique_id"):
        frame = frame.sort_values("ds")
        for ds, y in zip(frame["ds"].iloc[-40:], frame["y"].iloc[-40:], strict=True):
            rows.append((run_id, unique_id, ds - 1, ds, forecast(y, unique_id), y))
    return pd.DataFrame(rows, columns=["run_id", "unique_id", "cutoff", "ds", "y_hat", "y"])


@pytest.mark.fast
def test_a_model_that_knows_the_draw_beats_chance_and_one_that_guesses_does_not():
    series = _synthetic_game("loto6", 300, seed=2)
    distributions = slot_distributions(GAMES["loto6"])
    medians = {d.unique_id: d.median for d in distributions}
    rng = np.random.default_rng(3)
    points = pd.concat(
        [
            _points(series, "oracle", lambda y, uid: y + rng.normal(0, 0.5)),
            _points(series, "median", lambda y, uid: float(medians[uid])),
        ]
    )
    runs = pd.DataFrame(
        {"run_id": ["oracle", "median"], "plan_id": ["p1", "p2"], "run_name": ["oracle", "median"],
         "model_name": ["Oracle", "Median"]}
    )  # fmt: skip
    entries = score_game("loto6", distributions, runs, points, series)
    assert len(entries) == 12 and {entry.n_tests for entry in entries} == {12}
    oracle = [entry for entry in entries if entry.run_id == "oracle"]
    guesses = [entry for entry in entries if entry.run_id == "median"]
    assert all(entry.beats_chance and entry.p_holm < 1e-3 for entry in oracle)
    assert not any(entry.beats_chance for entry in guesses)
    for entry in oracle + guesses:  # the references are computed on the very same draws
        assert entry.n_points == 40 and entry.best_constant_mae > 0
        assert entry.uniform_guess_mae > entry.exact_best_mae
        assert entry.exact_best_mae == pytest.approx(
            float(distributions[int(entry.unique_id[-1]) - 1].best_constant_mae)
        )


@pytest.mark.fast
def test_the_profile_of_iid_draws_is_consistent_with_chance_and_a_biased_game_is_not():
    game = GAMES["loto6"]
    distributions = slot_distributions(game)
    fair = profile_game(game, distributions, _synthetic_game("loto6", 1500, seed=4))
    assert {test.test_name for test in fair} == {
        "exact_distribution",
        "runs",
        "ljung_box",
        "entropy",
        "pooled_ball_frequency",
    }
    assert all(test.verdict.startswith("consistent") for test in fair if test.p_value is not None)

    biased = _synthetic_game("loto6", 1500, seed=5)
    biased.loc[biased["unique_id"] == "loto6_N1", "y"] = 1.0  # ball 1 in every draw: N1 is no order statistic
    tests = {(test.unique_id, test.test_name): test for test in profile_game(game, distributions, biased)}
    assert tests[("loto6_N1", "exact_distribution")].verdict.startswith("departs from chance")
    assert tests[("", "pooled_ball_frequency")].verdict.startswith("departs from chance")


@pytest.mark.fast
def test_pooled_frequencies_use_the_without_replacement_correction():
    game = GAMES["miniloto"]
    series = _synthetic_game("miniloto", 400, seed=6)
    (pooled,) = [test for test in profile_game(game, slot_distributions(game), series) if test.scope == "game"]
    counts = series["y"].value_counts().reindex(range(1, 32), fill_value=0).to_numpy(float)
    expected = 400 * 5 / 31
    independent = ((counts - expected) ** 2 / expected).sum() * (31 - 5) / (31 - 1)
    assert pooled.statistic == pytest.approx(independent) and pooled.dof == 30


def test_chance_marts_on_every_target_and_the_verdict_is_honest(built_env):
    with db.connect(read_only=True) as warehouse:
        bounds = warehouse.fetch_frame(
            "select unique_id, exact_best_mae, uniform_guess_mae from marts.chance_slot_bounds"
        )
        loto7 = warehouse.fetchall("select avg(exact_best_mae) from marts.chance_slot_bounds where game_code = 'loto7'")
        board = warehouse.fetch_frame("select * from marts.chance_leaderboard where game_code = 'loto6'")
        verdicts = dict(warehouse.fetchall("select game_code, verdict from marts.game_chance_verdicts"))
        profile = warehouse.fetchall(
            "select count(*), count(distinct unique_id) from marts.chance_predictability_profile"
        )
        games = warehouse.fetchall("select count(*) from marts.game_predictability")[0][0]
    exact = {d.unique_id: float(d.best_constant_mae) for ds in all_slot_distributions().values() for d in ds}
    assert dict(zip(bounds["unique_id"], bounds["exact_best_mae"], strict=True)) == pytest.approx(exact)
    assert round(loto7[0][0], 4) == 3.8337
    assert len(board) == 12  # 6 single-slot runs + the multivariate run over 6 slots
    assert set(board["n_tests"]) == {12} and (board["n_points"] == 20).all()
    assert not board["beats_chance"].any()  # two training steps learn nothing: the verdict must say so
    assert verdicts["loto6"].startswith("no model beats chance")
    assert verdicts["numbers3"].startswith("no completed runs scored yet")
    assert profile == [(33 * 4, 33)] and games == 6
