"""Anomaly scores, flags and regimes as hist_ features: the online schedule, the calibrated threshold, the cache,
the marts on both targets (the flag rates against chance among them), and a plan row that trains on them."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
import yaml

from fcast import app, db, throwaway
from fcast.features import CALIBRATION_SHARE, AnomalyColumns, AnomalyError, Schedule, anomaly_columns
from fcast.features.anomalies import (
    REGIME,
    SeriesWork,
    anomaly_detectors,
    calibration_split,
    conformal_threshold,
    history_hashes,
    outlier_detector,
    plan_series,
    recorded_settings,
    regime_detector,
    score_block,
    series_rows,
    trailing_windows,
)

from .conftest import PROJECT_DIR, environment, run_fcast
from .training_helpers import run_rows, tiny_plan

GAME, SLOTS, DRAWS = "bingo5", 8, 451
DETECTORS = 3  # iforest, ecod and the regime
SUMMARY = re.compile(r"([\d,]+) rows computed, ([\d,]+) reused")


def computed_and_reused(stdout: str) -> tuple[int, int]:
    computed, reused = SUMMARY.findall(stdout)[-1]
    return int(computed.replace(",", "")), int(reused.replace(",", ""))


def flag_rates() -> list[dict]:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(
            "select * from marts.chance_anomaly_flag_rates where game_code = ? order by detector", (GAME,)
        ).to_dict("records")


def anomaly_frame():
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(
            f"select unique_id, ds, {', '.join(anomaly_columns().names())} from marts.nf_train_df "
            "where game_code = ? order by unique_id, ds",
            (GAME,),
        )


# --- fast: the pieces, without a warehouse ---


@pytest.mark.fast
def test_the_marts_list_the_anomaly_columns_of_the_dbt_var():
    columns = anomaly_columns()
    assert columns.detectors == ("iforest", "ecod")
    assert AnomalyColumns(("iforest",)).names() == [
        "hist_anom_iforest_score",
        "hist_anom_iforest_flag",
        "hist_anom_regime",
        "hist_anom_warmup",
    ]
    document = yaml.safe_load((PROJECT_DIR / "models/marts/forecasting/_forecasting__models.yml").read_text())
    for model in document["models"]:
        if model["name"] in ("feat_hist", "nf_train_df"):
            listed = [column["name"] for column in model["columns"] if column["name"].startswith("hist_anom_")]
            assert listed == columns.names(), f"{model['name']}: list every hist_anom_ column of the dbt var, in order"


@pytest.mark.fast
def test_blocks_count_from_the_start_of_the_series_and_calibration_windows_are_disjoint():
    schedule = Schedule()
    assert schedule.first_scored == schedule.window - 1 + schedule.min_train_windows
    assert schedule.blocks(451) == [(204, 304), (304, 404), (404, 451)]
    assert [start for start, _ in schedule.blocks(330)] == [204, 304]  # more draws never move a boundary
    for start in (204, 304, 1204, 5004):
        calibration, fit_first, fit_end = calibration_split(start, schedule)
        assert len(calibration) >= 20 and calibration[-1] == start - schedule.window
        assert all(later - earlier == schedule.window for earlier, later in itertools.pairwise(calibration))
        first_calibration_draw = calibration[0] - schedule.window + 1
        assert fit_end - 1 < first_calibration_draw  # the last fit window ends before the first calibration draw
        assert fit_first == schedule.training_windows(start)[0] and fit_end - fit_first >= 90
        assert len(calibration) == (start - fit_first) // CALIBRATION_SHARE // schedule.window
    with pytest.raises(AnomalyError, match="at least 400 windows"):
        Schedule(window=10)
    assert Schedule.for_window(10).min_train_windows == 400


@pytest.mark.fast
def test_the_conformal_threshold_is_exceeded_with_the_probability_it_reports():
    scores = np.arange(1.0, 21.0)  # 20 calibration scores
    assert conformal_threshold(scores, 0.05) == (20.0, 1 / 21)
    assert conformal_threshold(scores[:10], 0.05) == (float("inf"), 0.0)  # too few to flag anything at 5%
    threshold, chance = conformal_threshold(np.arange(1.0, 100.0), 0.1)
    assert threshold == 90.0 and chance == pytest.approx(10 / 100)
    # exchangeable draws: a new score exceeds the threshold with exactly that probability
    rng = np.random.default_rng(5)
    exceed = [
        (lambda sample: sample[-1] > conformal_threshold(sample[:-1], 0.05)[0])(rng.standard_normal(21))
        for _ in range(20000)
    ]
    assert np.mean(exceed) == pytest.approx(1 / 21, abs=0.005)


@pytest.mark.fast
def test_a_history_hash_depends_on_the_draws_up_to_it_and_nothing_after():
    values = np.array([3.0, 17.0, 22.0, 40.0, 8.0])
    hashes = history_hashes(values)
    assert history_hashes(values[:3]) == hashes[:3]
    changed = history_hashes(np.array([3.0, 17.0, 23.0, 40.0, 8.0]))
    assert changed[:2] == hashes[:2] and all(a != b for a, b in zip(changed[2:], hashes[2:], strict=True))


@pytest.mark.fast
def test_i_i_d_draws_are_flagged_at_the_chance_rate_and_a_planted_run_is_flagged():
    schedule = Schedule()
    detector = outlier_detector("ecod", 0.05, schedule.seed)
    rng = np.random.default_rng(11)
    flagged, chance, blocks = 0, 0.0, 0
    for _ in range(6):
        values = rng.integers(1, 44, 1204).astype(float)
        windows = trailing_windows(values, schedule.window)
        for start, end in schedule.blocks(len(values)):
            block = score_block(detector, windows, schedule, start, end)
            flagged += int(block.flagged.sum())
            chance += block.chance_flag_rate * (end - start)
            blocks += 1
    scored = 6 * (1204 - schedule.first_scored)
    assert 0.04 < chance / scored <= 0.05
    assert abs(flagged - chance) / scored < 0.01, (flagged / scored, chance / scored)

    values = rng.integers(1, 44, 420).astype(float)
    values[340:345] = [43.0, 43.0, 43.0, 43.0, 43.0]  # a run no i.i.d. history holds
    windows = trailing_windows(values, schedule.window)
    for key in ("iforest", "ecod"):
        block = score_block(outlier_detector(key, 0.05, schedule.seed), windows, schedule, 304, 404)
        assert block.flagged[344 - 304] == 1 and block.anomaly_score[344 - 304] == 1.0, key
        assert block.fitted_through == 303 and block.train_windows == 300


@pytest.mark.fast
@pytest.mark.parametrize("key", ["iforest", "ecod", REGIME])
def test_a_score_in_a_block_never_reads_the_windows_after_it(key):
    """ECOD scores a batch with ECDFs over the training rows and the whole batch: scored together, a draw's score
    would read the later draws of its block (the leakage test caught it). Every detector must give a window the
    same value whether the block holds later windows or not."""
    schedule = Schedule()
    detector = regime_detector(3, schedule.seed) if key == REGIME else outlier_detector(key, 0.05, schedule.seed)
    values = np.random.default_rng(8).integers(1, 44, 404).astype(float)
    whole = score_block(detector, trailing_windows(values, schedule.window), schedule, 304, 404)
    cut = score_block(detector, trailing_windows(values[:330], schedule.window), schedule, 304, 330)
    for field in ("raw_score", "flagged", "regime"):
        if getattr(whole, field) is not None:
            np.testing.assert_array_equal(getattr(whole, field)[:26], getattr(cut, field))


@pytest.mark.fast
def test_regimes_are_labelled_by_the_cluster_mean_and_warm_up_rows_are_neutral():
    schedule = Schedule()
    values = np.concatenate([np.full(300, 5.0), np.full(300, 40.0)]) + np.random.default_rng(3).normal(0, 1, 600)
    work = SeriesWork("loto6_N1", np.arange(1, 601), values, history_hashes(values))
    work.todo_from = {REGIME: 0, "iforest": 0}
    rows = series_rows("loto6", work, regime_detector(3, schedule.seed), schedule, "scikit-learn==x", None)
    labels = {row["ds"]: row["regime"] for row in rows}
    assert {labels[ds] for ds in range(1, 205)} == {0}  # warm-up
    assert all(row["warmup"] and row["train_windows"] == 0 for row in rows[:204])
    assert labels[590] > labels[250]  # the high draws sit in a higher-mean cluster
    detector_rows = series_rows("loto6", work, outlier_detector("iforest", 0.05, 17), schedule, "pyod==x", None)
    assert {(row["anomaly_score"], row["flagged"]) for row in detector_rows[:204]} == {(0.5, 0)}
    assert all(row["fitted_through_ds"] < row["ds"] for row in detector_rows[204:])


@pytest.mark.fast
def test_the_cache_recomputes_the_suffix_from_the_first_changed_draw():
    schedule = Schedule()
    detectors = anomaly_detectors(schedule=schedule)
    values = np.arange(1.0, 11.0)
    hashes = history_hashes(values)
    configuration = {detector.key: detector.configuration(schedule) for detector in detectors}
    stored = {
        (detector.key, "s"): {ds: (hashes[ds - 1], *configuration[detector.key]) for ds in range(1, 11)}
        for detector in detectors
    }
    unchanged = plan_series(SeriesWork("s", np.arange(1, 11), values, hashes), stored, detectors, schedule)
    assert unchanged.todo_from == {}
    more = np.arange(1.0, 13.0)
    grown = plan_series(SeriesWork("s", np.arange(1, 13), more, history_hashes(more)), stored, detectors, schedule)
    assert grown.todo_from == {"iforest": 10, "ecod": 10, REGIME: 10}
    stored[("ecod", "s")][4] = ("other", *configuration["ecod"])
    changed = plan_series(SeriesWork("s", np.arange(1, 11), values, hashes), stored, detectors, schedule)
    assert changed.todo_from == {"ecod": 3}
    with pytest.raises(AnomalyError, match=r"vars\.anomaly_detectors"):
        anomaly_detectors(["lof"])


def test_the_stored_configuration_gives_back_the_arguments_that_computed_it():
    """What the cycle uses to compute the anomaly features of new draws exactly as the stored ones were computed."""
    schedule = Schedule.for_window(7, refit_every=50)
    detectors = anomaly_detectors(["ecod"], contamination=0.02, regimes=4, schedule=schedule)
    rows = [(detector.key, detector.args_json(schedule), detector.contamination) for detector in detectors]
    settings = recorded_settings(rows)
    assert settings == {"detectors": ["ecod"], "contamination": 0.02, "regimes": 4, "schedule": schedule}
    again = anomaly_detectors(**{key: value for key, value in settings.items()})
    assert [detector.args_json(schedule) for detector in again] == [row[1] for row in rows]


# --- the warehouse ---


def test_anomaly_features_are_cached_and_a_plan_selects_them_once_computed(trained_copy, tmp_path):
    columns = ["hist_anom_iforest_score", "hist_anom_iforest_flag", "hist_anom_regime", "hist_anom_warmup"]
    plan = tiny_plan(
        tmp_path / "anomaly_features.yaml",
        [{"name": "bingo5_N1_nhits_anom", "series": "N1", "model": "NHITS"}],
        dataset=GAME,
        features={"hist": ["hist_lag_1", *columns]},
    )
    rejected = run_fcast("train", str(plan), env=trained_copy, check=False)
    assert rejected.returncode != 0 and "feature_not_computed" in rejected.stdout
    assert f"fcast features anomaly --game {GAME}" in rejected.stdout

    result = run_fcast("features", "anomaly", "--game", GAME, env=trained_copy)
    assert computed_and_reused(result.stdout) == (DRAWS * SLOTS * DETECTORS, 0)
    assert "marts refreshed: every model downstream of raw.feature_anomalies" in result.stdout
    again = run_fcast("features", "anomaly", "--game", GAME, env=trained_copy)
    assert computed_and_reused(again.stdout) == (0, DRAWS * SLOTS * DETECTORS) and "marts refreshed" not in again.stdout
    with environment(trained_copy):
        features = anomaly_frame()
        assert len(features) == DRAWS * SLOTS and features.notna().all().all()
        assert set(features.hist_anom_regime) == {0.0, 1.0, 2.0, 3.0}
        rates = flag_rates()
        with db.connect() as warehouse:
            warehouse.execute(
                "update raw.feature_anomalies set history_hash = 'changed' where unique_id = ? and ds = 400",
                (f"{GAME}_N3",),
            )
        repaired = app.anomaly_features([GAME], rebuild=False)
    assert (repaired.report.computed, repaired.games[0].rows_deleted) == (52 * DETECTORS, 52 * DETECTORS)
    assert [rate["detector"] for rate in rates] == ["ecod", "iforest"]
    for rate in rates:
        assert rate["library_version"] == "pyod==3.6.7" and rate["blocks_scored"] == 3 * SLOTS
        assert rate["draws_scored"] == (DRAWS - 204) * SLOTS and 0 < rate["expected_flag_rate"] <= 0.05
        assert rate["flag_verdict"] in ("as often as chance", "more often than chance", "less often than chance")
        assert rate["verdict"].startswith("flags")

    trained = run_fcast("train", str(plan), "--refresh-marts", env=trained_copy)
    assert "1 plan row(s): 1 completed, 0 failed, 0 rejected" in trained.stdout
    with environment(trained_copy):
        [run] = run_rows("where run_name = ?", ("bingo5_N1_nhits_anom",))
        with db.connect(read_only=True) as warehouse:
            [(hist_exog_list,)] = warehouse.fetchall(
                "select hist_exog_list from raw.model_artifacts where run_id = ?", (run["run_id"],)
            )
            [(runs_using,)] = warehouse.fetchall(
                "select runs_using from marts.feat_catalogue where feature = 'hist_anom_regime'"
            )
    assert run["status"] == "COMPLETED" and json.loads(hist_exog_list) == ["hist_lag_1", *columns]
    assert runs_using == 1

    # the draw-day cycle computes the features of draws that have none yet, with the stored configuration,
    # before its plan predicts with the stored model
    with environment(trained_copy), db.connect() as warehouse:
        stored = warehouse.fetchall("select count(*) from raw.feature_anomalies")[0][0]
        warehouse.execute("delete from raw.feature_anomalies where ds > ?", (DRAWS - 2,))
    config = tmp_path / "cycle.yml"
    config.write_text(yaml.safe_dump({"games": {GAME: {"source": f"data/lottery/{GAME}.json", "plan": str(plan)}}}))
    cycle = run_fcast("cycle", env={**trained_copy, "FCAST_CYCLE_CONFIG": str(config)})
    assert "marts refreshed: every model downstream of raw.feature_anomalies" in cycle.stdout
    assert "predict 1" in cycle.stdout and "forecast(s) locked" in cycle.stdout, cycle.stdout
    with environment(trained_copy), db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select count(*) from raw.feature_anomalies")[0][0] == stored


POSTGRES_DRAWS = 304  # the warm-up and one scored block: enough for the models and their tests on PostgreSQL


def test_the_anomaly_models_build_and_test_on_postgres(postgres_server, tmp_path):
    from .test_embedding_features import draws_file

    with throwaway.temporary_postgres_database("fcast_anom") as database:
        env = throwaway.warehouse_env(tmp_path, "postgres", database)
        run_fcast("ingest", str(draws_file(tmp_path, POSTGRES_DRAWS)), "--game", GAME, env=env)
        run_fcast("build", env=env)
        result = run_fcast("features", "anomaly", "--game", GAME, "--detector", "iforest", env=env)
        assert computed_and_reused(result.stdout) == (POSTGRES_DRAWS * SLOTS * 2, 0)
        assert "marts refreshed" in result.stdout
        with environment(env):
            features = anomaly_frame()
            rates = flag_rates()
        assert len(features) == POSTGRES_DRAWS * SLOTS
        assert features[["hist_anom_iforest_score", "hist_anom_regime", "hist_anom_warmup"]].notna().all().all()
        assert features["hist_anom_ecod_score"].isna().all()  # not asked for
        [iforest] = rates
        assert iforest["detector"] == "iforest" and iforest["draws_scored"] == (POSTGRES_DRAWS - 204) * SLOTS
        assert iforest["blocks_scored"] == SLOTS
        assert iforest["p_more_than_chance"] is not None and 0 <= iforest["p_more_than_chance"] <= 1
        cached = run_fcast("features", "anomaly", "--game", GAME, "--detector", "iforest", env=env)
        assert computed_and_reused(cached.stdout) == (0, POSTGRES_DRAWS * SLOTS * 2)
