"""The leaderboard against chance: every model's cross-validation errors beside chance on the same draws.

For each game, the latest completed train or retrain run of every plan row is scored per series over
its own cross-validation windows, next to:
- a uniform random guess over the slot's possible values (its exact expected error per draw);
- the best constant: the median of the series up to each cutoff (the training window);
- seasonal naive with season 1: the value at the cutoff;
- the exact best achievable expected MAE of the slot under i.i.d. draws (fcast.chance.distributions).
A model beats chance only if a one-sided paired Wilcoxon test of its absolute errors against the
best constant's, Holm-corrected across every (run, series) of the game, says so at ALPHA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcast import db
from fcast.chance.distributions import SlotDistribution
from fcast.chance.statistics import ALPHA, holm, paired_one_sided


@dataclass
class LeaderboardEntry:
    game_code: str
    run_id: str
    unique_id: str
    run_name: str
    model_name: str
    plan_id: str
    n_points: int
    model_mae: float
    best_constant_mae: float
    seasonal_naive_mae: float
    uniform_guess_mae: float
    exact_best_mae: float
    mean_error_difference: float
    p_value: float
    p_holm: float = 1.0
    n_tests: int = 0
    alpha: float = ALPHA
    beats_chance: bool = False

    def as_row(self, evaluated_at) -> dict:
        """The raw.leaderboard_entries row, by column name."""
        return {**self.__dict__, "evaluated_at": evaluated_at}


def latest_runs(warehouse: db.Warehouse, game_code: str) -> pd.DataFrame:
    """The latest COMPLETED train/retrain run of every plan row of the game."""
    runs = warehouse.fetch_frame(
        "select run_id, plan_id, run_name, model_name, created_at from raw.nf_model_runs "
        "where loto = ? and status = 'COMPLETED' and run_kind in ('train', 'retrain') order by created_at",
        (game_code,),
    )
    return runs.drop_duplicates("plan_id", keep="last")


def cross_validation_points(warehouse: db.Warehouse, run_ids: list[str]) -> pd.DataFrame:
    if not run_ids:
        return pd.DataFrame(columns=["run_id", "unique_id", "cutoff", "ds", "y_hat", "y"])
    marks = ", ".join("?" for _ in run_ids)
    return warehouse.fetch_frame(
        f"select run_id, unique_id, cutoff, ds, y_hat, y from raw.run_forecasts "
        f"where forecast_kind = 'cross_validation' and y is not null and y_hat is not null and run_id in ({marks})",
        run_ids,
    )


def _references(points: pd.DataFrame, history: pd.Series, distribution: SlotDistribution) -> pd.DataFrame:
    """Per point: the best constant (median up to the cutoff), the value at the cutoff, the uniform guess."""
    values = np.array(distribution.values, dtype=float)
    medians = {cutoff: float(np.median(history.loc[:cutoff].to_numpy())) for cutoff in points["cutoff"].unique()}
    frame = points.copy()
    frame["constant"] = frame["cutoff"].map(medians)
    frame["naive"] = frame["cutoff"].map(history)
    frame["uniform_error"] = [float(np.mean(np.abs(values - y))) for y in frame["y"]]
    return frame


def score_game(
    game_code: str,
    distributions: list[SlotDistribution],
    runs: pd.DataFrame,
    points: pd.DataFrame,
    series: pd.DataFrame,
) -> list[LeaderboardEntry]:
    """Leaderboard entries of one game (Holm across all of them)."""
    by_id = {distribution.unique_id: distribution for distribution in distributions}
    histories = {uid: frame.set_index("ds")["y"].sort_index() for uid, frame in series.groupby("unique_id")}
    run_info = runs.set_index("run_id")
    entries = []
    for (run_id, unique_id), group in points.groupby(["run_id", "unique_id"], sort=True):
        if unique_id not in by_id or unique_id not in histories:
            continue
        frame = _references(group, histories[unique_id], by_id[unique_id])
        model_errors = np.abs(frame["y_hat"] - frame["y"]).to_numpy()
        constant_errors = np.abs(frame["constant"] - frame["y"]).to_numpy()
        info = run_info.loc[run_id]
        entries.append(
            LeaderboardEntry(
                game_code=game_code,
                run_id=run_id,
                unique_id=unique_id,
                run_name=str(info["run_name"]),
                model_name=str(info["model_name"]),
                plan_id=str(info["plan_id"]),
                n_points=len(frame),
                model_mae=float(model_errors.mean()),
                best_constant_mae=float(constant_errors.mean()),
                seasonal_naive_mae=float(np.abs(frame["naive"] - frame["y"]).mean()),
                uniform_guess_mae=float(frame["uniform_error"].mean()),
                exact_best_mae=float(by_id[unique_id].best_constant_mae),
                mean_error_difference=float((model_errors - constant_errors).mean()),
                p_value=paired_one_sided(model_errors, constant_errors),
            )
        )
    adjusted = holm([entry.p_value for entry in entries])
    for entry, p_holm in zip(entries, adjusted, strict=True):
        entry.p_holm = float(p_holm if p_holm is not None else 1.0)
        entry.n_tests = len(entries)
        entry.beats_chance = entry.p_holm < entry.alpha
    return entries
