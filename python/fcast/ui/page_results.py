"""Results page: forecasts against the real draws, the leaderboard against chance, predictability, resources."""

from __future__ import annotations

import streamlit as st

from fcast.ui import charts, reads
from fcast.ui.widgets import require_marts

MIB = 1024 * 1024


def _forecasts(game: str) -> None:
    st.subheader("Forecasts against the actual draws")
    runs = reads.frame(
        "select distinct run_id, run_name, model_name, created_at from marts.run_forecasts_vs_actuals f "
        "join marts.run_history using (run_id, run_name, model_name) where f.game_code = ? order by created_at desc",
        (game,),
    )
    if runs.empty:
        st.write("No forecasts for this game yet: train a plan on the Runs page.")
        return
    labels = {f"{row.run_name} ({row.model_name}) · {row.run_id}": row.run_id for row in runs.itertuples()}
    columns = st.columns(2)
    run_id = labels[columns[0].selectbox("Run", list(labels), key="results_run")]
    points = reads.frame(
        "select unique_id, forecast_kind, cutoff, ds, y_hat, y_actual, abs_error from marts.run_forecasts_vs_actuals "
        "where run_id = ? order by ds",
        (run_id,),
    )
    series = columns[1].selectbox("Series", sorted(points["unique_id"].unique()), key="results_series")
    chosen = points[points["unique_id"] == series]
    intervals = reads.frame(
        "select ds, interval_level, lo, hi from marts.run_forecast_intervals_vs_actuals "
        "where run_id = ? and unique_id = ? order by ds",
        (run_id, series),
    )
    history = reads.frame(
        "select ds, y as y_actual from marts.fct_series_long where unique_id = ? and ds >= ? order by ds",
        (series, int(chosen["ds"].min()) - 30),
    )
    st.altair_chart(charts.forecast_chart(history, chosen, intervals), width="stretch")
    known = chosen.dropna(subset=["y_actual"])
    if not known.empty:
        st.caption(f"{len(known)} scored forecast(s), MAE {known['abs_error'].mean():.3f}")


def _leaderboard(game: str) -> None:
    st.subheader("Leaderboard against chance")
    verdict = reads.frame("select * from marts.game_chance_verdicts where game_code = ?", (game,))
    if not verdict.empty:
        st.info(f"Verdict for {game}: **{verdict.iloc[0]['verdict']}**")
    board = reads.frame(
        "select run_name, model_name, unique_id, model_mae, exact_best_mae, best_constant_mae, uniform_guess_mae, "
        "mae_above_exact_bound, p_holm, beats_chance, verdict, mae_rank from marts.leaderboard_vs_chance "
        "where game_code = ? order by unique_id, mae_rank",
        (game,),
    )
    if board.empty:
        st.write("No scored runs for this game yet (`fcast evaluate` runs after each UI job).")
        return
    st.caption("Bars: each run's CV MAE; black tick: the exact best MAE any constant guess can reach.")
    st.altair_chart(charts.leaderboard_chart(board), width="stretch")
    st.dataframe(board, hide_index=True)
    bounds = reads.frame(
        "select unique_id, n_values, value_min, value_max, slot_median, exact_best_mae, uniform_guess_mae, "
        "entropy_bits, max_entropy_bits from marts.chance_slot_bounds where game_code = ? order by slot_index",
        (game,),
    )
    with st.expander("Exact chance bounds per slot"):
        st.dataframe(bounds, hide_index=True)


def _predictability(game: str) -> None:
    st.subheader("Predictability profile")
    summary = reads.frame("select * from marts.game_predictability where game_code = ?", (game,))
    if not summary.empty:
        st.info(f"{game}: **{summary.iloc[0]['verdict']}**")
    profile = reads.frame(
        "select unique_id, test_name, n_draws, statistic, dof, p_value, p_holm, verdict from "
        "marts.predictability_profile where game_code = ? order by slot_index, test_name",
        (game,),
    )
    if profile.empty:
        st.write("No profile yet: `fcast evaluate`.")
        return
    st.altair_chart(charts.predictability_chart(profile), width="stretch")
    st.dataframe(profile, hide_index=True)


def _resources() -> None:
    st.subheader("Resource usage per model")
    usage = reads.frame("select * from marts.model_resource_usage order by model_name")
    if usage.empty:
        st.write("No finished runs yet.")
        return
    usage = usage.assign(mean_peak_rss_mib=usage["mean_peak_rss_bytes"] / MIB)
    left, right = st.columns(2)
    left.altair_chart(charts.usage_chart(usage, "mean_duration_seconds", "mean seconds per run"), width="stretch")
    right.altair_chart(charts.usage_chart(usage, "mean_peak_rss_mib", "mean peak RSS (MiB)"), width="stretch")
    st.dataframe(usage, hide_index=True)


def render_results() -> None:
    st.title("Results")
    if not require_marts(
        "marts.run_forecasts_vs_actuals",
        "marts.leaderboard_vs_chance",
        "marts.predictability_profile",
        "marts.model_resource_usage",
    ):
        return
    games = reads.options("select distinct game_code from marts.fct_series_long where game_code is not null")
    game = st.selectbox("Game", games, index=games.index("loto6") if "loto6" in games else 0, key="results_game")
    _forecasts(game)
    _leaderboard(game)
    _predictability(game)
    _resources()
