"""Results page: forecasts against the actuals, the leaderboards, predictability, resources.

A game is shown over its draw numbers beside chance (the exact bounds, the leaderboard against chance, the
predictability profile); an uploaded panel over its dates beside the naive and seasonal naive baselines
(marts.panel_leaderboard_runs and marts.panel_leaderboard).
"""

from __future__ import annotations

import streamlit as st

from fcast.ui import charts, reads
from fcast.ui.widgets import require_marts

MIB = 1024 * 1024


def _forecasts(dataset: str, panel: bool, dates: str | bool, season_length: int) -> None:
    """`dates`: a date panel's freq (its forecasts are drawn over their dates), else False."""
    st.subheader("Forecasts against the actual values" if panel else "Forecasts against the actual draws")
    runs = reads.frame(
        "select distinct run_id, run_name, model_name, created_at from marts.run_forecasts_vs_actuals f "
        "join marts.run_history using (run_id, run_name, model_name) where f.dataset = ? order by created_at desc",
        (dataset,),
    )
    if runs.empty:
        st.write(f"No forecasts for {dataset} yet: train a plan on the Runs page.")
        return
    labels = {f"{row.run_name} ({row.model_name}) · {row.run_id}": row.run_id for row in runs.itertuples()}
    columns = st.columns(2)
    run_id = labels[columns[0].selectbox("Run", list(labels), key=f"results_run_{dataset}")]
    points = reads.frame(
        "select unique_id, forecast_kind, cutoff, ds, y_hat, y_actual, abs_error, ds_time, cutoff_time "
        "from marts.run_forecasts_vs_actuals where run_id = ? order by ds",
        (run_id,),
    )
    series = columns[1].selectbox("Series", sorted(points["unique_id"].unique()), key=f"results_series_{dataset}")
    chosen = points[points["unique_id"] == series]
    intervals = reads.frame(
        "select ds, interval_level, lo, hi from marts.run_forecast_intervals_vs_actuals "
        "where run_id = ? and unique_id = ? order by ds",
        (run_id, series),
    )
    lookback = max(30, 3 * season_length) if panel else 30
    history = reads.frame(
        "select ds, ds_time, y as y_actual from marts.fct_series_long where unique_id = ? and ds >= ? order by ds",
        (series, int(chosen["ds"].min()) - lookback),
    )
    if dates:  # the interval mart carries the grid index only: its dates are the forecasts' own
        when = chosen.drop_duplicates("ds").set_index("ds")["ds_time"]
        intervals = intervals.assign(ds_time=intervals["ds"].map(when))
    st.altair_chart(charts.forecast_chart(history, chosen, intervals, dates=dates), width="stretch")
    known = chosen.dropna(subset=["y_actual"])
    if not known.empty:
        st.caption(f"{len(known)} scored forecast(s), MAE {known['abs_error'].mean():.3f}")


def _panel_leaderboard(dataset: str) -> None:
    st.subheader("Panel leaderboard against seasonal naive and naive")
    runs = reads.frame(
        "select run_name, model_name, n_series, n_points, model_mae, seasonal_naive_mae, naive_mae, "
        "geometric_mean_relative_mae, beats_seasonal_naive, verdict, run_id from marts.panel_leaderboard_runs "
        "where dataset = ? order by geometric_mean_relative_mae nulls last, model_mae",
        (dataset,),
    )
    if runs.empty:
        st.write(f"No scored runs for {dataset} yet: train a plan, then `fcast build --select marts.runs`.")
        return
    best = runs.iloc[0]
    st.info(f"Best run on {dataset}: **{best['run_name']}** ({best['model_name']}), {best['verdict']}")
    st.caption(
        "Each run's cross-validation MAE (bars) beside seasonal naive (black tick) and naive (grey tick) on the same "
        "points; a run beats seasonal naive when the geometric mean over series of its MAE relative to seasonal "
        "naive is below 1."
    )
    st.altair_chart(charts.panel_leaderboard_chart(runs), width="stretch")
    st.dataframe(runs, hide_index=True)
    per_series = reads.frame(
        "select run_name, unique_id, season_length, n_points, model_mae, seasonal_naive_mae, naive_mae, "
        "mae_relative_to_seasonal_naive, mae_relative_to_naive, beats_seasonal_naive, beats_naive "
        "from marts.panel_leaderboard where dataset = ? order by run_name, unique_id",
        (dataset,),
    )
    with st.expander("Per series"):
        st.dataframe(per_series, hide_index=True)


def _leaderboard(game: str) -> None:
    st.subheader("Leaderboard against chance")
    verdict = reads.frame("select * from marts.game_chance_verdicts where game_code = ?", (game,))
    if not verdict.empty:
        st.info(f"Verdict for {game}: **{verdict.iloc[0]['verdict']}**")
    board = reads.frame(
        "select run_name, model_name, unique_id, model_mae, exact_best_mae, best_constant_mae, uniform_guess_mae, "
        "mae_above_exact_bound, mae_relative_to_seasonal_naive, p_holm, beats_chance, verdict, mae_rank "
        "from marts.chance_leaderboard "
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


def _prospective(game: str) -> None:
    st.subheader("Prospective: locked forecasts against the draws that came later")
    verdict = reads.frame("select verdict from marts.prospective_game_verdicts where game_code = ?", (game,))
    sequences = reads.frame(
        "select run_name, model_name, unique_id, horizon_step, n_scored, cumulative_mae, exact_best_mae, "
        "cumulative_seasonal_naive_mae, mae_relative_to_seasonal_naive, cs_lower, cs_upper, e_value_max, "
        "e_value_threshold, verdict from marts.prospective_sequences where game_code = ? "
        "order by run_name, unique_id, horizon_step",
        (game,),
    )
    if sequences.empty:
        st.write(f"No locked forecast of {game} has met its draw yet: `fcast cycle` locks them and scores them.")
        return
    st.info(f"Verdict for {game}: **{verdict.iloc[0]['verdict']}**")
    labels = {f"{row.run_name} · {row.unique_id} · {row.horizon_step} ahead": row for row in sequences.itertuples()}
    chosen = labels[st.selectbox("Sequence", list(labels), key=f"prospective_{game}")]
    scores = reads.frame(
        "select target_ds, n_scored, cumulative_mae, cumulative_best_constant_mae, cumulative_seasonal_naive_mae, "
        "exact_best_mae, cs_lower, cs_upper, e_value_max from marts.prospective_scores "
        "where game_code = ? and run_name = ? and unique_id = ? and horizon_step = ? order by target_ds",
        (game, chosen.run_name, chosen.unique_id, int(chosen.horizon_step)),
    )
    st.caption(
        "Band: the 95% anytime-valid confidence sequence of the model's MAE (valid however often it is read). "
        "A sequence beats chance only when its e-value reaches the threshold (Bonferroni over the game's sequences)."
    )
    st.altair_chart(charts.prospective_chart(scores), width="stretch")
    st.dataframe(sequences, hide_index=True)


def _predictability(game: str) -> None:
    st.subheader("Predictability profile")
    summary = reads.frame("select * from marts.game_predictability where game_code = ?", (game,))
    if not summary.empty:
        st.info(f"{game}: **{summary.iloc[0]['verdict']}**")
    profile = reads.frame(
        "select unique_id, test_name, n_draws, statistic, dof, p_value, p_holm, verdict from "
        "marts.chance_predictability_profile where game_code = ? order by slot_index, test_name",
        (game,),
    )
    if profile.empty:
        st.write("No profile yet: `fcast evaluate`.")
        return
    st.altair_chart(charts.predictability_chart(profile), width="stretch")
    st.dataframe(profile, hide_index=True)


def _feature_importance(dataset: str) -> None:
    st.subheader("Feature importance (fcast explain)")
    if reads.missing_marts(["marts.run_feature_importance", "marts.run_feature_group_importance"]):
        st.write("No explanations yet: `fcast explain RUN_ID` attributes a stored model's forecasts to its inputs.")
        return
    runs = reads.frame(
        "select distinct run_id, run_name, model_name from marts.run_feature_importance where dataset = ? "
        "order by run_name",
        (dataset,),
    )
    if runs.empty:
        st.write(f"No explained runs of {dataset} yet: `fcast explain RUN_ID [--explainer ShapleyValueSampling]`.")
        return
    labels = {f"{row.run_name} ({row.model_name}) · {row.run_id}": row.run_id for row in runs.itertuples()}
    run_id = labels[st.selectbox("Explained run", list(labels), key=f"explained_run_{dataset}")]
    importance = reads.frame(
        "select explainer, feature_group, feature, importance_share, mean_abs_attribution, mean_attribution, "
        "importance_rank, is_additive, max_additivity_error from marts.run_feature_importance "
        "where run_id = ? and importance_source = 'attribution' order by explainer, importance_rank",
        (run_id,),
    )
    st.caption(
        "Each feature's share of the mean absolute attribution of the point forecast (summed over its lags), per "
        "explainer; additive explainers reproduce the forecast as baseline + attributions."
    )
    st.altair_chart(charts.feature_importance_chart(importance), width="content")
    groups = reads.frame(
        "select explainer, importance_source, feature_group, n_features, importance_share, importance_rank "
        "from marts.run_feature_group_importance where run_id = ? order by explainer, importance_source, "
        "importance_rank",
        (run_id,),
    )
    st.dataframe(groups, hide_index=True)


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


def _datasets() -> dict[str, tuple[str, str | bool, int]]:
    """Every dataset: its kind, its freq when its ds are dates (else False) and its season length."""
    rows = reads.frame("select dataset, dataset_kind, time_kind, freq, season_length from marts.mart_datasets")
    return {
        row.dataset: (row.dataset_kind, row.freq if row.time_kind == "date" else False, int(row.season_length))
        for row in rows.itertuples()
    }


def render_results() -> None:
    st.title("Results")
    if not require_marts(
        "marts.run_forecasts_vs_actuals",
        "marts.chance_leaderboard",
        "marts.chance_predictability_profile",
        "marts.model_resource_usage",
        "marts.mart_datasets",
        "marts.panel_leaderboard_runs",
        "marts.prospective_sequences",
    ):
        return
    datasets = _datasets()
    names = sorted(datasets)
    dataset = st.selectbox(
        "Dataset (game or panel)",
        names,
        index=names.index("loto6") if "loto6" in names else 0,
        key="results_game",
        format_func=lambda name: f"{name} (panel)" if datasets[name][0] == "panel" else name,
    )
    if dataset is None:
        st.info("No dataset yet: run `python3 bootstrap.py main` or upload a panel on the Data page.")
        return
    kind, dates, season_length = datasets[dataset]
    panel = kind == "panel"
    _forecasts(dataset, panel, dates, season_length)
    if panel:
        _panel_leaderboard(dataset)
    else:
        _leaderboard(dataset)
        _prospective(dataset)
        _predictability(dataset)
    _feature_importance(dataset)
    _resources()
