"""Bring your own series, end to end, on real public panels that packages ship offline.

- neuralforecast's AirPassengersPanel (2 monthly series, a trend known in advance, a lag-12 column):
  ingest, build, validate with rehearsal, train with exogenous features at freq ME, forecasts with
  dates, the panel leaderboard against seasonal naive, retrain and predict; on DuckDB and PostgreSQL.
- statsmodels' weekly Mauna Loa CO2 (W-SAT, 59 weeks missing): the gaps are named, then filled.
- statsmodels' Grunfeld investment panel (11 firms, integer years, value and capital columns): an
  integer panel keeps freq 1 and trains with its hist_ columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fcast import db

from .conftest import environment, run_fcast
from .training_helpers import write_plan

HORIZON = 12


def air_files(folder: Path) -> tuple[Path, Path, pd.DataFrame]:
    """AirPassengersPanel as a user exports it: features renamed with fcast's prefixes, the last year held back
    as a futr file (its known trend only)."""
    from neuralforecast.utils import AirPassengersPanel

    panel = AirPassengersPanel.rename(columns={"trend": "fut_trend", "y_[lag12]": "hist_y_lag12"})
    last_year = panel["ds"] > panel["ds"].max() - pd.DateOffset(months=HORIZON)
    observed, futr = folder / "air.csv", folder / "air_futr.csv"
    panel[~last_year].to_csv(observed, index=False)
    panel.loc[last_year, ["unique_id", "ds", "fut_trend"]].to_csv(futr, index=False)
    return observed, futr, panel


def air_plan(folder: Path, max_steps: int = 5) -> Path:
    row = {"model": "NHITS", "model_args": {"input_size": 24, "max_steps": max_steps, "scaler_type": "robust"}}
    return write_plan(
        folder / "air_plan.yaml",
        {
            "plan": "air_panel",
            "defaults": {
                "dataset": "air",
                "horizon": HORIZON,
                "loss": "MAE",
                "cross_validation": {"n_windows": 2, "step_size": HORIZON},
            },
            "runs": [
                {
                    "name": "air_nhits",
                    "series": "all",
                    **row,
                    "features": {"futr": ["fut_trend"], "hist": ["hist_y_lag12"]},
                },
                {"name": "air_nhits_me", "series": "Airline1", **row, "neuralforecast": {"freq": "ME"}},
                {"name": "air_month_starts", "series": "all", **row, "neuralforecast": {"freq": "MS"}},
                {"name": "air_13_months", "series": "all", **row, "horizon": 13, "features": {"futr": ["fut_trend"]}},
            ],
        },
    )


def fetch(sql: str, params=()) -> pd.DataFrame:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(sql, params)


def test_a_monthly_panel_with_exogenous_columns_trains_with_dates_and_retrains(trained_copy, tmp_path):
    env = trained_copy
    observed, futr, panel = air_files(tmp_path)
    plan = air_plan(tmp_path)

    loaded = run_fcast("ingest", "--panel", "air", str(observed), "--no-build", env=env)
    assert "ds: dates at frequency ME from 1949-01-31" in loaded.stdout
    not_built = run_fcast("validate", str(plan), "--static-only", env=env, check=False)
    assert (
        "[dataset_not_built]" in not_built.stdout
        and "fcast build --select source:raw.panel_datasets+" in not_built.stdout
    )
    assert "neither a game nor a loaded panel" not in not_built.stdout

    refreshed = run_fcast("ingest", "--panel", "air", "--futr", str(futr), env=env)
    assert "24 added" in refreshed.stdout and "marts refreshed" in refreshed.stdout
    datasets = fetch("select * from marts.mart_datasets where dataset = 'air'").iloc[0]
    assert (datasets.time_kind, datasets.freq, datasets.season_length, datasets.series_count) == ("date", "ME", 12, 2)

    validated = run_fcast("validate", str(plan), env=env, check=False)
    assert validated.returncode == 1
    assert "air_nhits (NHITS, air/all): valid (rehearsed)" in validated.stdout
    assert "air_nhits_me (NHITS, air/Airline1): valid (rehearsed)" in validated.stdout
    assert "[freq_mismatch] neuralforecast.freq: freq 'MS' puts timestamps elsewhere" in validated.stdout
    assert "[horizon_beyond_futr_df] horizon: fut_trend has future values for 12 of the 13 steps" in validated.stdout

    trained = run_fcast("train", str(plan), "--runs", "air_nhits", "air_nhits_me", env=env)
    assert trained.stdout.count("COMPLETED") >= 2
    with environment(env):
        runs = fetch("select run_id, run_name, last_ds, status from raw.nf_model_runs where loto = 'air'")
        assert set(runs["status"]) == {"COMPLETED"}
        run_id = runs.set_index("run_name").loc["air_nhits", "run_id"]
        forecasts = fetch(
            "select forecast_kind, unique_id, cutoff, ds, ds_time, cutoff_time, y_hat, y from raw.run_forecasts "
            "where run_id = ? order by unique_id, cutoff, ds",
            (run_id,),
        )
        artifact = fetch("select feature_set from raw.model_artifacts where run_id = ?", (run_id,)).iloc[0]
    ahead = forecasts[forecasts["forecast_kind"] == "forecast"]
    expected_dates = list(pd.date_range("1960-01-31", periods=HORIZON, freq="ME"))
    for _, series in ahead.groupby("unique_id"):
        assert list(series["ds_time"]) == expected_dates  # forecasts carry the panel's dates
        assert set(series["cutoff_time"]) == {pd.Timestamp("1959-12-31")}
        assert list(series["ds"]) == list(range(133, 145))  # the grid position: 1949-01 is 1
    windows = forecasts[forecasts["forecast_kind"] == "cross_validation"]
    assert sorted(windows["cutoff_time"].unique()) == [pd.Timestamp("1957-12-31"), pd.Timestamp("1958-12-31")]
    actual = panel.set_index(["unique_id", "ds"])["y"]
    stored_actual = windows.apply(lambda r: actual[(r.unique_id.removeprefix("air_"), r.ds_time)], axis=1)
    assert np.allclose(windows["y"], stored_actual)  # the windows hold the real values of those months
    assert json.loads(artifact.feature_set) == {"futr": ["fut_trend"], "hist": ["hist_y_lag12"], "stat": []}

    # runs stored since the last build must not stop the next ingest's refresh (its tests compare run marts)
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("unique_id,ds,y\na,1,1\na,2,2\na,3,3\n")
    assert "marts refreshed" in run_fcast("ingest", "--panel", "tiny", str(tiny), env=env).stdout

    run_fcast("build", "--select", "marts.runs", env=env)
    with environment(env):
        board = fetch("select * from marts.panel_leaderboard where run_id = ? order by unique_id", (run_id,))
        summary = fetch("select * from marts.panel_leaderboard_runs where run_id = ?", (run_id,)).iloc[0]
        dated = fetch(
            "select count(*) as n from marts.run_forecasts_vs_actuals where run_id = ? and ds_time is not null",
            (run_id,),
        )
    # seasonal naive recomputed here from the file: the value 12 months before each scored month
    scored = windows.assign(
        last_year=windows.apply(
            lambda r: actual[
                (r.unique_id.removeprefix("air_"), r.ds_time - pd.DateOffset(months=12) + pd.offsets.MonthEnd(0))
            ],
            axis=1,
        ),
        last_value=windows.apply(lambda r: actual[(r.unique_id.removeprefix("air_"), r.cutoff_time)], axis=1),
    )
    for _, row in board.iterrows():
        mine = scored[scored["unique_id"] == row.unique_id]
        assert row.seasonal_naive_mae == pytest.approx((mine["y"] - mine["last_year"]).abs().mean())
        assert row.naive_mae == pytest.approx((mine["y"] - mine["last_value"]).abs().mean())
        assert row.model_mae == pytest.approx((mine["y"] - mine["y_hat"]).abs().mean())
        assert row.season_length == 12 and row.n_points == 2 * HORIZON
    ratios = board["mae_relative_to_seasonal_naive"]
    assert summary.geometric_mean_relative_mae == pytest.approx(float(np.exp(np.log(ratios).mean())))
    assert summary.verdict in ("better than seasonal naive", "not better than seasonal naive")
    assert dated["n"][0] == len(forecasts)

    report = tmp_path / "air_report.html"
    run_fcast("report", run_id, "--output", str(report), env=env)
    page = report.read_text(encoding="utf-8")
    assert "Forecasts against the actual values" in page and "Beside seasonal naive and naive" in page

    retrained = run_fcast("retrain", run_id, env=env)
    assert "COMPLETED" in retrained.stdout
    predicted = run_fcast("predict", run_id, env=env)
    assert "COMPLETED" in predicted.stdout
    with environment(env):
        latest = fetch(
            "select r.run_kind, f.ds_time from raw.nf_model_runs r join raw.run_forecasts f on f.run_id = r.run_id "
            "where r.parent_run_id = ? and f.forecast_kind = 'forecast' and f.unique_id = 'air_Airline2' order by f.ds",
            (run_id,),
        )
    for kind in ("retrain", "predict"):
        assert list(latest.loc[latest["run_kind"] == kind, "ds_time"]) == expected_dates


def test_the_rejected_panel_rows_really_fail_on_the_trainer_path(trained_copy, tmp_path):
    """The promise behind freq_mismatch and horizon_beyond_futr_df: those rows die in training."""
    from fcast.plans.spec import load_plan_file
    from fcast.registry.environment import environment_facts
    from fcast.train.trainer import TrainOptions, train_row

    observed, futr, _ = air_files(tmp_path)
    run_fcast("ingest", "--panel", "air", str(observed), env=trained_copy)
    run_fcast("ingest", "--panel", "air", "--futr", str(futr), env=trained_copy)
    rows = {row.run_name: row for row in load_plan_file(air_plan(tmp_path, max_steps=1))}
    env_key = environment_facts("neuralforecast")["env_key"]
    quiet = TrainOptions(rehearse=False, progress=lambda line: None)
    month_starts = train_row(rows["air_month_starts"], env_key, quiet)
    assert month_starts.status == "FAILED"
    assert "not on the ME grid" in month_starts.error  # neuralforecast forecast 1960-01-01, ...: no such month here
    too_long = train_row(rows["air_13_months"], env_key, quiet)
    assert too_long.status == "FAILED" and "fut_trend has no future value" in too_long.error


def co2_csv(folder: Path) -> tuple[Path, pd.Series]:
    """Weekly CO2 at Mauna Loa as a user exports it: the weeks without a measurement are simply not there."""
    import statsmodels.api as sm

    data = sm.datasets.co2.load_pandas().data["co2"]
    frame = pd.DataFrame({"unique_id": "mauna_loa", "ds": data.index.strftime("%Y-%m-%d"), "y": data.to_numpy()})
    path = folder / "co2.csv"
    frame.dropna().to_csv(path, index=False)
    return path, data


def test_a_weekly_panel_with_real_gaps_names_them_then_fills_them_and_trains(trained_copy, tmp_path):
    env = trained_copy
    path, data = co2_csv(tmp_path)
    missing_weeks = data.index[data.isna()].strftime("%Y-%m-%d")
    rejected = run_fcast("ingest", "--panel", "co2", str(path), env=env)
    assert f"series mauna_loa misses {len(missing_weeks)} timestamp(s): {', '.join(missing_weeks[:5])}, ..." in (
        rejected.stdout
    )
    assert "--fill-gaps interpolate" in rejected.stdout
    with environment(env):
        assert fetch("select count(*) as n from raw.panel_observations where dataset_name = 'co2'")["n"][0] == 0
        kept = fetch(
            "select count(*) as n from raw.ingest_rejects where subject = 'co2' and rule = 'missing_timestamps'"
        )
    assert kept["n"][0] == data.notna().sum()  # nothing silently dropped: every row kept with its reason

    filled = run_fcast("ingest", "--panel", "co2_filled", str(path), "--fill-gaps", "interpolate", env=env)
    assert f"{len(missing_weeks)} missing timestamp(s) filled by interpolate" in filled.stdout
    with environment(env):
        dataset = fetch("select * from marts.mart_datasets where dataset = 'co2_filled'").iloc[0]
        flagged = fetch("select ds_time, y from marts.fct_series_long where filled_by = 'interpolate' order by ds")
    assert (dataset.freq, dataset.season_length, dataset.observations) == ("W-SAT", 52, len(data))
    assert list(flagged["ds_time"].dt.strftime("%Y-%m-%d")) == list(missing_weeks)
    first_gap = data.index.get_loc(pd.Timestamp(missing_weeks[0]))
    neighbours = data.iloc[[first_gap - 1, first_gap + 1]].to_numpy()
    assert flagged["y"].iloc[0] == pytest.approx(neighbours.mean())  # a one-week gap: halfway between its neighbours

    plan = write_plan(
        tmp_path / "co2_plan.yaml",
        {
            "plan": "co2",
            "defaults": {"dataset": "co2_filled", "horizon": 4, "cross_validation": {"n_windows": 1}},
            "runs": [
                {
                    "name": "co2_nhits",
                    "series": "all",
                    "model": "NHITS",
                    "model_args": {"input_size": 52, "max_steps": 3},
                }
            ],
        },
    )
    run_fcast("train", str(plan), env=env)
    with environment(env):
        ahead = fetch(
            "select ds_time from raw.run_forecasts f join raw.nf_model_runs r on r.run_id = f.run_id "
            "where r.loto = 'co2_filled' and f.forecast_kind = 'forecast' order by f.ds"
        )
    assert list(ahead["ds_time"]) == list(pd.date_range(data.index[-1], periods=5, freq="W-SAT")[1:])


def test_an_integer_panel_keeps_freq_1_and_trains_with_its_hist_columns(trained_copy, tmp_path):
    import statsmodels.api as sm

    env = trained_copy
    grunfeld = sm.datasets.grunfeld.load_pandas().data
    frame = pd.DataFrame(
        {
            "unique_id": grunfeld["firm"].str.replace(" ", "_"),
            "ds": grunfeld["year"].astype(int),
            "y": grunfeld["invest"],
            "hist_value": grunfeld["value"],
            "hist_capital": grunfeld["capital"],
            "stat_first_capital": grunfeld.groupby("firm")["capital"].transform("first"),
        }
    )
    path = tmp_path / "grunfeld.csv"
    frame.to_csv(path, index=False)
    loaded = run_fcast("ingest", "--panel", "grunfeld", str(path), env=env)
    assert "ds: integers in steps of 1 (freq 1)" in loaded.stdout and "0 rejected" in loaded.stdout
    plan = write_plan(
        tmp_path / "grunfeld_plan.yaml",
        {
            "plan": "grunfeld",
            "defaults": {"dataset": "grunfeld", "horizon": 2, "cross_validation": {"n_windows": 1}},
            "runs": [
                {
                    "name": "grunfeld_nhits",
                    "series": "all",
                    "model": "NHITS",
                    "model_args": {"input_size": 6, "max_steps": 3},
                    "features": {"hist": ["hist_value", "hist_capital"], "stat": ["stat_first_capital"]},
                },
                {
                    "name": "grunfeld_search",
                    "series": "all",
                    "model": "NHITS",
                    "model_args": {"input_size": 6, "max_steps": 2},
                    "features": {"hist": ["hist_value"], "stat": ["stat_first_capital"]},
                    "search": {
                        "backend": "optuna",
                        "num_samples": 2,
                        "val_size": 2,
                        "config": {"learning_rate": {"low": 0.001, "high": 0.01, "log": True}},
                    },
                },
                {
                    "name": "grunfeld_dates",
                    "series": "all",
                    "model": "NHITS",
                    "model_args": {"input_size": 6, "max_steps": 3},
                    "neuralforecast": {"freq": "YS"},
                },
            ],
        },
    )
    result = run_fcast("train", str(plan), env=env, check=False)
    assert "grunfeld_nhits: COMPLETED" in result.stdout and "grunfeld_search: COMPLETED" in result.stdout
    assert "grunfeld_dates: REJECTED" in result.stdout and "[freq_mismatch]" in result.stdout
    with environment(env):
        ahead = fetch(
            "select f.unique_id, f.ds, f.ds_time from raw.run_forecasts f "
            "join raw.nf_model_runs r on r.run_id = f.run_id where r.loto = 'grunfeld' and f.forecast_kind = 'forecast'"
        )
        searched = fetch("select best_params from raw.nf_model_runs where run_name = 'grunfeld_search'")
        static = fetch("select stat_exog_list from raw.model_artifacts where loto = 'grunfeld'")
    assert set(ahead["ds"]) == {1955, 1956} and ahead["ds_time"].isna().all()
    assert ahead["unique_id"].nunique() == grunfeld["firm"].nunique()
    assert "learning_rate" in json.loads(searched["best_params"][0])
    assert set(static["stat_exog_list"]) == {'["stat_first_capital"]'}


@pytest.mark.postgres
def test_a_monthly_panel_trains_and_reaches_the_panel_leaderboard_on_postgres(built_postgres, tmp_path):
    env = built_postgres
    observed, futr, _ = air_files(tmp_path)
    run_fcast("ingest", "--panel", "air_pg", str(observed), env=env)
    run_fcast("ingest", "--panel", "air_pg", "--futr", str(futr), env=env)
    plan = write_plan(
        tmp_path / "air_pg.yaml",
        {
            "plan": "air_pg",
            "defaults": {"dataset": "air_pg", "horizon": HORIZON, "cross_validation": {"n_windows": 1}},
            "runs": [
                {
                    "name": "air_pg_nhits",
                    "series": "all",
                    "model": "NHITS",
                    "model_args": {"input_size": 24, "max_steps": 3},
                    "features": {"futr": ["fut_trend"], "hist": ["hist_y_lag12"]},
                }
            ],
        },
    )
    run_fcast("train", str(plan), env=env)
    # runs stored since the last build must not stop the next ingest's refresh (its tests compare run marts)
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("unique_id,ds,y\na,1,1\na,2,2\na,3,3\n")
    assert "marts refreshed" in run_fcast("ingest", "--panel", "tiny", str(tiny), env=env).stdout

    run_fcast("build", "--select", "marts.runs", env=env)
    with environment(env):
        board = fetch("select * from marts.panel_leaderboard_runs where dataset = 'air_pg'")
        dated = fetch(
            "select min(ds_time) as first_date from marts.run_forecasts_vs_actuals v "
            "join marts.panel_leaderboard_runs b on b.run_id = v.run_id where v.forecast_kind = 'forecast'"
        )
    assert len(board) == 1 and board["n_series"][0] == 2 and board["seasonal_naive_mae"][0] > 0
    assert dated["first_date"][0] == pd.Timestamp("1960-01-31")
