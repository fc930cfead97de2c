"""`fcast evaluate`: the exact bounds, the leaderboard against chance and the predictability profile of
every game, written to raw tables (each evaluation replaces the game's previous one) for the marts."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from fcast import db
from fcast.chance.distributions import slot_distributions
from fcast.chance.leaderboard import LeaderboardEntry, cross_validation_points, latest_runs, score_game
from fcast.chance.profile import ProfileTest, profile_game
from fcast.chance.statistics import ALPHA
from fcast.errors import NotFoundError
from fcast.games import load_games
from fcast.ingest.records import utc_now
from fcast.raw_schema import LEADERBOARD_ENTRIES, PREDICTABILITY_TESTS, SLOT_CHANCE_BOUNDS


@dataclass
class GameEvaluation:
    game_code: str
    entries: list[LeaderboardEntry] = field(default_factory=list)
    tests: list[ProfileTest] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        beating = sum(entry.beats_chance for entry in self.entries)
        if not self.entries:
            board = "no completed runs to rank"
        elif beating:
            board = f"{beating} of {len(self.entries)} model x series beat the best constant (Holm)"
        else:
            board = f"no model beats chance ({len(self.entries)} model x series tested, Holm)"
        departures = sum(test.p_holm is not None and test.p_holm < ALPHA for test in self.tests)
        return f"{self.game_code}: {board}; {departures} of {len(self.tests)} profile tests depart from chance"


def bound_rows(game, computed_at) -> list[dict]:
    return [
        {
            "game_code": game.code,
            "unique_id": distribution.unique_id,
            "slot_index": distribution.slot_index,
            "family": game.family,
            "n_values": len(distribution.values),
            "value_min": distribution.values[0],
            "value_max": distribution.values[-1],
            "median": distribution.median,
            "mean": float(distribution.mean),
            "exact_best_mae": float(distribution.best_constant_mae),
            "uniform_guess_mae": float(distribution.uniform_guess_mae),
            "entropy_bits": distribution.entropy_bits,
            "max_entropy_bits": math.log2(len(distribution.values)),
            "computed_at": computed_at,
        }
        for distribution in slot_distributions(game)
    ]


def evaluate(game_codes: list[str] | None = None) -> list[GameEvaluation]:
    games = load_games()
    codes = game_codes or list(games)
    unknown = sorted(set(codes) - set(games))
    if unknown:
        raise NotFoundError(f"unknown game(s) {unknown}; the seeds have {sorted(games)}")
    evaluations = []
    now = utc_now()
    for code in codes:
        started = time.perf_counter()
        game = games[code]
        distributions = slot_distributions(game)
        with db.connect(read_only=True) as warehouse:
            series = warehouse.fetch_frame(
                "select unique_id, ds, y from marts.fct_series_long where game_code = ? order by unique_id, ds", (code,)
            )
            runs = latest_runs(warehouse, code)
            points = cross_validation_points(warehouse, runs["run_id"].tolist())
        series["ds"], series["y"] = series["ds"].astype("int64"), series["y"].astype(float)
        evaluation = GameEvaluation(
            code,
            entries=score_game(code, distributions, runs, points, series),
            tests=profile_game(game, distributions, series),
        )
        with db.connect() as warehouse:
            for table in (SLOT_CHANCE_BOUNDS, LEADERBOARD_ENTRIES, PREDICTABILITY_TESTS):
                warehouse.execute(f"delete from {table.qualified_name} where game_code = ?", (code,))
            warehouse.insert_rows(SLOT_CHANCE_BOUNDS, bound_rows(game, now))
            warehouse.insert_rows(LEADERBOARD_ENTRIES, [entry.as_row(now) for entry in evaluation.entries])
            warehouse.insert_rows(PREDICTABILITY_TESTS, [test.as_row(now) for test in evaluation.tests])
        evaluation.seconds = time.perf_counter() - started
        evaluations.append(evaluation)
    return evaluations
