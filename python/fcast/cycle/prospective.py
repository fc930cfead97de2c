"""Prospective scores: every locked forecast against the draw that came after it was locked.

A sequence is one plan row, series and horizon step, in draw order. Each scored forecast gets its error
beside chance on the same draw (the best constant: the median of the series up to the last known draw;
seasonal naive with season 1: the value at the last known draw; a uniform random guess; the slot's exact
best MAE), and the sequence's state so far: cumulative MAEs, the anytime-valid confidence sequence of the
model's MAE and the betting e-value against chance (fcast.chance.sequential). Forecasts are clipped to the
slot's range for the two sequential statistics (clipping never makes a forecast worse).

Scores are a function of the ledger and the draws alone: re-scoring gives the same rows, so a scored
forecast is written once and a run with no new draw writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcast import db
from fcast.chance.distributions import slot_distributions
from fcast.chance.sequential import DEFAULT_ALPHA, betting_e_process, confidence_sequence
from fcast.games import get_game
from fcast.ingest.records import utc_now
from fcast.raw_schema import FORECAST_LEDGER, PROSPECTIVE_SCORES

SEQUENCE_KEY = ["plan_id", "unique_id", "horizon_step"]


@dataclass
class ScoringReport:
    game_code: str
    scored: int  # forecasts scored by this call
    total: int  # forecasts scored so far in the game


def _series(warehouse: db.Warehouse, game_code: str) -> dict[str, pd.Series]:
    frame = warehouse.fetch_frame(
        "select unique_id, ds, y from marts.fct_series_long where game_code = ? order by unique_id, ds", (game_code,)
    )
    return {
        str(unique_id): group.set_index(group["ds"].astype("int64"))["y"].astype(float)
        for unique_id, group in frame.groupby("unique_id")
    }


def _sequence_rows(entries: pd.DataFrame, history: pd.Series, distribution) -> pd.DataFrame:
    """One sequence's scores, in draw order, with its running statistics."""
    values = np.array(distribution.values, dtype=float)
    low, high = values[0], values[-1]
    span = high - low
    frame = entries.sort_values("target_ds").copy()
    frame["y"] = frame["target_ds"].map(history).astype(float)
    frame["best_constant"] = [float(np.median(history.loc[:last].to_numpy())) for last in frame["last_known_ds"]]
    frame["seasonal_naive"] = frame["last_known_ds"].map(history).astype(float)
    frame["abs_error"] = (frame["y"] - frame["y_hat"]).abs()
    frame["best_constant_error"] = (frame["y"] - frame["best_constant"]).abs()
    frame["seasonal_naive_error"] = (frame["y"] - frame["seasonal_naive"]).abs()
    frame["uniform_guess_error"] = [float(np.mean(np.abs(values - y))) for y in frame["y"]]
    frame["exact_best_mae"] = float(distribution.best_constant_mae)
    count = np.arange(1, len(frame) + 1)
    frame["n_scored"] = count
    for column, source in (
        ("cumulative_mae", "abs_error"),
        ("cumulative_best_constant_mae", "best_constant_error"),
        ("cumulative_seasonal_naive_mae", "seasonal_naive_error"),
        ("cumulative_uniform_guess_mae", "uniform_guess_error"),
    ):
        frame[column] = frame[source].cumsum().to_numpy() / count
    clipped_error = (frame["y"] - frame["y_hat"].clip(low, high)).abs().to_numpy()
    lower, upper = confidence_sequence(clipped_error / span, DEFAULT_ALPHA)
    frame["cs_lower"], frame["cs_upper"], frame["cs_alpha"] = lower * span, upper * span, DEFAULT_ALPHA
    frame["e_value"] = betting_e_process((float(distribution.best_constant_mae) - clipped_error) / span)
    frame["e_value_max"] = np.maximum.accumulate(frame["e_value"].to_numpy())
    return frame


def score_game(game_code: str) -> ScoringReport:
    """Score the game's locked forecasts whose target draw has arrived; write those not scored before."""
    distributions = {distribution.unique_id: distribution for distribution in slot_distributions(get_game(game_code))}
    with db.connect(read_only=True) as warehouse:
        ledger = warehouse.fetch_frame(
            f"select sequence, plan_id, run_name, model_name, unique_id, horizon_step, last_known_ds, target_ds, "
            f"target_date, y_hat from {FORECAST_LEDGER.qualified_name} where game_code = ?",
            (game_code,),
        )
        scored = {
            int(sequence)
            for (sequence,) in warehouse.fetchall(
                f"select sequence from {PROSPECTIVE_SCORES.qualified_name} where game_code = ?", (game_code,)
            )
        }
        histories = _series(warehouse, game_code) if len(ledger) else {}
    arrived_mask = np.array(
        [
            unique_id in histories and int(target) in histories[unique_id].index
            for unique_id, target in zip(ledger["unique_id"], ledger["target_ds"], strict=True)
        ],
        dtype=bool,
    )
    ledger = ledger.loc[arrived_mask].copy()
    arrived = {int(sequence) for sequence in ledger["sequence"]}
    if not arrived - scored:
        return ScoringReport(game_code, 0, len(scored))
    for column in ("sequence", "horizon_step", "last_known_ds", "target_ds"):
        ledger[column] = ledger[column].astype("int64")
    ledger["y_hat"] = ledger["y_hat"].astype(float)
    frames = [
        _sequence_rows(entries, histories[unique_id], distributions[unique_id])
        for (_, unique_id, _), entries in ledger.groupby(SEQUENCE_KEY, sort=True)
        if unique_id in distributions
    ]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[~rows["sequence"].isin(scored)].assign(game_code=game_code, scored_at=utc_now())
    with db.connect() as warehouse:
        added = warehouse.insert_rows(PROSPECTIVE_SCORES, rows[list(PROSPECTIVE_SCORES.column_names)])
    return ScoringReport(game_code, added, len(scored) + added)
