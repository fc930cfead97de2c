"""What the UI pages rely on, without a browser: dry-run uploads, the launch check, plan building, cancelling."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fcast import db
from fcast.ui import jobs, launch, plan_builder, uploads

from .conftest import SHIPPED, run_fcast


def count(sql: str) -> int:
    with db.connect(read_only=True) as warehouse:
        return int(warehouse.fetchall(sql)[0][0])


@pytest.mark.fast
def test_a_draw_upload_is_checked_without_storing_then_stored_once(duckdb_env):
    data = (SHIPPED / "loto7.json").read_bytes()
    check = uploads.check_upload("loto7.json", data, uploads.DRAWS)
    assert (check.error, check.would_add, check.already_known, len(check.problems)) == ("", 658, 0, 0)
    assert count("select count(*) from raw.lottery_draws") == 0
    assert count("select count(*) from raw.ingest_files") == 0
    from fcast.ingest.loader import load_draws
    from fcast.ingest.sources import read_upload

    assert load_draws(read_upload("loto7.json", data)).added == 658
    again = uploads.check_upload("loto7.json", data, uploads.DRAWS)
    assert (again.would_add, again.already_known, again.storable) == (0, 658, False)


@pytest.mark.fast
def test_upload_problems_name_row_and_rule_and_conflicts_are_listed(duckdb_env, tmp_path):
    from fcast.ingest.loader import load_draws
    from fcast.ingest.sources import read_source

    load_draws(read_source(str(SHIPPED / "loto6.json")))
    first = min(json.loads((SHIPPED / "loto6.json").read_text()), key=lambda draw: draw["round"])
    rows = [
        {**first, "numbers": [1, 2, 3, 4, 5, 6]},
        {"round": 5000, "date": "2040-01-02", "numbers": [1, 5, 15, 31, 36, 44], "bonus": [2]},
    ]
    check = uploads.check_upload("loto6_mixed.json", json.dumps(rows).encode(), uploads.DRAWS, "loto6")
    assert check.storable and check.would_add == 0
    assert set(zip(check.problems["row"], check.problems["rule"], strict=True)) == {
        (1, "conflicting_restatement"),
        (2, "number_range"),
    }
    assert count("select count(*) from raw.lottery_draw_conflicts") == 0
    assert count("select count(*) from raw.ingest_rejects") == 0


@pytest.mark.fast
def test_panel_uploads_report_types_encodings_sizes_and_suffixes(duckdb_env, monkeypatch):
    good = pd.DataFrame({"unique_id": ["a"] * 4, "ds": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 4.0]})
    check = uploads.check_upload("p.csv", good.to_csv(index=False).encode(), uploads.PANEL, dataset_name="demo")
    assert (check.error, check.would_add, len(check.problems)) == ("", 4, 0)
    bad_y = b"unique_id,ds,y\na,1,1\na,2,x\n"
    check = uploads.check_upload("p.csv", bad_y, uploads.PANEL, dataset_name="demo")
    assert list(check.problems["rule"]) == ["y_type"] and list(check.problems["row"]) == [3]
    utf16 = "unique_id,ds,y\na,1,1\n".encode("utf-16")
    assert "UTF-8" in uploads.check_upload("p.csv", utf16, uploads.PANEL, dataset_name="demo").error
    wrong_columns = b"series,date,value\na,1,1\n"
    assert "unique_id, ds, y" in uploads.check_upload("p.csv", wrong_columns, uploads.PANEL, dataset_name="demo").error
    assert "must be .csv, .parquet" in uploads.check_upload("p.xlsx", b"x", uploads.PANEL, dataset_name="demo").error
    assert "is empty" in uploads.check_upload("p.csv", b"", uploads.PANEL, dataset_name="demo").error
    monkeypatch.setenv("FCAST_UI_MAX_UPLOAD_MB", "0.00001")
    assert "FCAST_UI_MAX_UPLOAD_MB" in uploads.check_upload("p.csv", bad_y, uploads.PANEL, dataset_name="demo").error
    assert count("select count(*) from raw.panel_observations") == 0


@pytest.mark.fast
def test_the_launch_check_names_what_is_missing(duckdb_env):
    problems = launch.environment_problems()
    assert len(problems) == 1 and "bootstrap.py main" in problems[0] and "marts.run_history" in problems[0]
    result = run_fcast("ui", "--check", env=duckdb_env, check=False)
    assert result.returncode == 1 and "marts.mart_ingest_issues" in result.stderr


def test_the_launch_check_passes_on_the_built_warehouse(built_duckdb):
    result = run_fcast("ui", "--check", env=built_duckdb)
    assert "the UI can start" in result.stdout


def test_plan_choices_come_from_the_registry_and_saving_needs_a_valid_plan(built_env, tmp_path, monkeypatch):
    from fcast.registry.facts import RegistryFacts

    monkeypatch.setenv("FCAST_PLANS_DIR", str(tmp_path / "plans"))
    facts = RegistryFacts.load()
    assert "NHITS" in plan_builder.model_choices(facts)
    assert "Accuracy" not in plan_builder.loss_choices(facts, "NHITS")  # not trainable
    assert {"robust", "standard"} <= set(plan_builder.allowed_values(facts, "NHITS", "scaler_type"))
    assert plan_builder.series_choices(facts, "loto6") == ["N1", "N2", "N3", "N4", "N5", "N6", "all"]
    for model in plan_builder.model_choices(facts):
        offered = plan_builder.feature_choices(facts, model)
        for kind in plan_builder.FEATURE_KINDS:
            assert bool(offered[kind]) == facts.models[model][f"exogenous_{kind}"], (model, kind)
    form = plan_builder.RunForm(
        "ui_nhits",
        "loto6",
        "N1",
        "NHITS",
        "MAE",
        1,
        12,
        2,
        "robust",
        2,
        {"futr": ["fut_weekday"], "hist": [], "stat": []},
    )
    text = plan_builder.add_run("plan: ui_plan\nruns: []\n", form.run())
    assert plan_builder.check_plan(text, facts).valid
    path = plan_builder.save_plan(text, facts)
    assert path == tmp_path / "plans" / "ui_plan.yaml" and path.read_text() == text
    rejected = text.replace("series: N1", "series: N9").replace("plan: ui_plan", "plan: ui_rejected")
    check = plan_builder.check_plan(rejected, facts)
    assert not check.valid and "unknown_series_selector" in set(check.violations()["rule"])
    with pytest.raises(plan_builder.PlanSaveError, match="not saved"):
        plan_builder.save_plan(rejected, facts)
    assert not (tmp_path / "plans" / "ui_rejected.yaml").exists()
    assert plan_builder.check_plan("plan: [", facts).format_error


def test_only_a_live_run_can_be_cancelled(built_duckdb):
    from .conftest import environment

    with environment(built_duckdb):
        completed = db.read_frame("select run_id from raw.nf_model_runs where status = 'COMPLETED' limit 1").iloc[0, 0]
        with pytest.raises(jobs.CancelError, match="only a PENDING or RUNNING run"):
            jobs.cancel_run(completed)
        with pytest.raises(jobs.CancelError, match="no run"):
            jobs.cancel_run("does-not-exist")


def test_a_stored_panel_upload_lands_in_the_raw_tables_and_the_long_format(trained_copy):
    panel = pd.DataFrame(
        {
            "unique_id": ["a"] * 6 + ["b"] * 6,
            "ds": list(range(1, 7)) * 2,
            "y": [str(float(v)) for v in range(11)] + ["not a number"],
            "hist_signal": [0.5] * 12,
        }
    )
    data = panel.to_csv(index=False).encode()
    stored = uploads.store_upload("shop.csv", data, uploads.PANEL, dataset_name="shop")
    assert stored.rebuild_ok, stored.rebuild_output
    assert stored.added == 11 and list(stored.problems["rule"]) == ["y_type"]
    assert count("select count(*) from raw.panel_observations where dataset_name = 'shop'") == 11
    assert count("select count(*) from raw.ingest_rejects where subject = 'shop'") == 1
    assert count("select count(*) from marts.fct_series_long where dataset = 'shop'") == 11
    again = uploads.store_upload("shop.csv", data, uploads.PANEL, dataset_name="shop")
    assert again.added == 0 and count("select count(*) from raw.panel_observations") == 11
    assert count("select count(*) from raw.ingest_rejects where subject = 'shop'") == 1


# --- panels: uploads with a time axis, futr files, plan rows ---------------------------------------------------


def _monthly_panel(missing: tuple[tuple[str, str], ...] = ()) -> bytes:
    """Two monthly series (month ends of 2020-2021) with a fut_ and a hist_ column, less the `missing` rows."""
    months = [f"{stamp:%Y-%m-%d}" for stamp in pd.date_range("2020-01-31", periods=24, freq="ME")]
    frame = pd.DataFrame(
        {
            "unique_id": ["a"] * 24 + ["b"] * 24,
            "ds": months * 2,
            "y": [float(value) for value in range(48)],
            "fut_promo": [value % 3 for value in range(48)],
            "hist_visits": [2.0 * value for value in range(48)],
        }
    )
    drop = frame.apply(lambda row: (row["unique_id"], row["ds"]) in set(missing), axis=1)
    return frame[~drop].to_csv(index=False).encode()


def _futr_file(rows: list[tuple[str, str, float]]) -> bytes:
    return pd.DataFrame(rows, columns=["unique_id", "ds", "fut_promo"]).to_csv(index=False).encode()


NEXT_MONTHS = [("a", "2022-01-31", 1.0), ("a", "2022-02-28", 2.0), ("b", "2022-01-31", 0.0), ("b", "2022-02-28", 1.0)]


@pytest.mark.fast
def test_a_panel_upload_shows_its_time_axis_and_names_missing_timestamps(duckdb_env):
    from fcast.ingest.records import IngestError

    data = _monthly_panel(missing=(("a", "2020-06-30"), ("b", "2021-03-31"), ("b", "2021-04-30")))
    check = uploads.check_upload("shop.csv", data, uploads.PANEL, dataset_name="shop")
    assert check.error == "" and check.time_axis == "dates at frequency ME from 2020-01-31"
    assert check.time_axis_source == "inferred from the file"
    assert check.gap_lines[0] == "series a misses 1 timestamp(s): 2020-06-30 (the series was rejected)"
    assert check.gap_lines[1].startswith("series b misses 2 timestamp(s): 2021-03-31, 2021-04-30")
    assert "--fill-gaps interpolate" in check.gap_lines[2] and check.fill_method == ""
    assert set(check.problems["rule"]) == {"missing_timestamps"} and check.would_add == 0 and check.storable

    filled = uploads.check_upload(
        "shop.csv", data, uploads.PANEL, dataset_name="shop", options=uploads.panel_options("", "interpolate")
    )
    assert (filled.would_add, filled.filled, filled.fill_method, len(filled.problems)) == (48, 3, "interpolate", 0)
    assert filled.gap_lines[0] == "series a misses 1 timestamp(s): 2020-06-30 (filled by interpolate)"
    by_value = uploads.check_upload(
        "shop.csv", data, uploads.PANEL, dataset_name="shop", options=uploads.panel_options(" ", "value:0", 6)
    )
    assert (by_value.filled, by_value.fill_method) == (3, "value:0")

    declared = uploads.check_upload(
        "shop.csv", _monthly_panel(), uploads.PANEL, dataset_name="shop", options=uploads.panel_options("ME")
    )
    assert (declared.time_axis_source, declared.gap_lines, declared.would_add) == ("declared", [], 48)
    off_grid = uploads.check_upload(
        "shop.csv", _monthly_panel(), uploads.PANEL, dataset_name="shop", options=uploads.panel_options("MS")
    )
    assert "MS" in off_grid.error and off_grid.error.startswith("shop.csv")
    unknown = uploads.check_upload(
        "shop.csv", _monthly_panel(), uploads.PANEL, dataset_name="shop", options=uploads.panel_options("QQ")
    )
    assert "QQ" in unknown.error
    with pytest.raises(IngestError, match="value:<number>"):
        uploads.panel_options("", "zero")
    assert count("select count(*) from raw.panel_observations") == 0
    assert count("select count(*) from raw.panel_datasets") == 0


@pytest.mark.fast
def test_a_futr_upload_needs_its_panel_then_checks_its_future_values(duckdb_env, tmp_path):
    from fcast.ingest.panel import load_panel

    futr = _futr_file(NEXT_MONTHS)
    before = uploads.check_upload("shop_futr.csv", futr, uploads.PANEL_FUTR, dataset_name="shop")
    assert "'shop' is not loaded" in before.error and "fcast ingest --panel shop" in before.error
    (tmp_path / "shop.csv").write_bytes(_monthly_panel())
    assert load_panel(tmp_path / "shop.csv", "shop").added == 48

    check = uploads.check_upload("shop_futr.csv", futr, uploads.PANEL_FUTR, dataset_name="shop")
    assert (check.error, check.would_add, len(check.problems)) == ("", 4, 0)
    assert (check.time_axis, check.time_axis_source) == (
        "dates at frequency ME from 2020-01-31",
        "recorded for the dataset",
    )
    bad = _futr_file([*NEXT_MONTHS, ("c", "2022-01-31", 1.0), ("a", "2022-03-15", 1.0)])
    check = uploads.check_upload("shop_futr.csv", bad, uploads.PANEL_FUTR, dataset_name="shop")
    assert set(zip(check.problems["row"], check.problems["rule"], strict=True)) == {
        (6, "unknown_series"),
        (7, "off_frequency"),
    }
    assert check.would_add == 4 and check.storable
    with_y = b"unique_id,ds,y,fut_promo\na,2022-01-31,1,1\n"
    assert "fut_ values only" in uploads.check_upload("f.csv", with_y, uploads.PANEL_FUTR, dataset_name="shop").error
    assert "a futr file" in uploads.check_upload("f.xlsx", b"x", uploads.PANEL_FUTR, dataset_name="shop").error
    assert uploads.written_tables(uploads.PANEL_FUTR) == uploads.written_tables(uploads.PANEL)
    assert count("select count(*) from raw.panel_exogenous where ds > 24") == 0


def _panel_facts():
    """Registry facts by hand: two models, the loto6 game and a monthly panel `air` with its own columns."""
    from fcast.datasets import Dataset
    from fcast.registry.facts import empty_facts

    flags = {"can_build": True, "multivariate": False}
    return empty_facts(
        models={
            "NHITS": {**flags, "exogenous_futr": True, "exogenous_hist": True, "exogenous_stat": True},
            "MLP": {**flags, "exogenous_futr": True, "exogenous_hist": False, "exogenous_stat": False},
        },
        train_columns={"unique_id", "ds", "y", "fut_weekday", "hist_lag_1"},
        static_columns={"unique_id", "stat_slot_index"},
        selectors={("loto6", "N1"): 1, ("loto6", "all"): 6, ("air", "all"): 2, ("air", "Airline2"): 1},
        panel_features={"air": {"fut_trend", "hist_y_lag12"}},
        datasets={
            "loto6": Dataset("loto6", "game", "draw_number", "1", None, 1, 6),
            "air": Dataset("air", "panel", "date", "ME", pd.Timestamp("1949-01-31"), 12, 2),
        },
        futr_coverage={"air": {"fut_trend": {"air_Airline1": 12, "air_Airline2": 13}}},
    )


@pytest.mark.fast
def test_plan_choices_for_a_panel_are_its_series_and_its_own_columns():
    facts = _panel_facts()
    assert plan_builder.dataset_choices(facts) == ["air", "loto6"] and plan_builder.game_choices(facts) == ["loto6"]
    assert plan_builder.series_choices(facts, "air") == ["all", "Airline2"]
    assert plan_builder.series_choices(facts, "loto6") == ["N1", "all"]
    assert plan_builder.feature_choices(facts, "NHITS", "air") == {
        "futr": ["fut_trend"],
        "hist": ["hist_y_lag12"],
        "stat": [],
    }
    assert plan_builder.feature_choices(facts, "MLP", "air") == {"futr": ["fut_trend"], "hist": [], "stat": []}
    assert plan_builder.feature_choices(facts, "NHITS", "loto6") == {
        "futr": ["fut_weekday"],
        "hist": ["hist_lag_1"],
        "stat": ["stat_slot_index"],
    }
    assert plan_builder.futr_steps(facts, "air") == {"fut_trend": 12}
    assert plan_builder.default_horizon(facts, "air") == 12 and plan_builder.default_horizon(facts, "loto6") == 1
    assert "dates at frequency ME from 1949-01-31" in plan_builder.dataset_note(facts, "air")
    form = plan_builder.RunForm(
        "air_nhits",
        "air",
        "all",
        "NHITS",
        "MAE",
        12,
        24,
        2,
        "robust",
        2,
        {"futr": ["fut_trend"], "hist": [], "stat": []},
    )
    form.freq, form.step_size = plan_builder.row_freq(facts, "air"), 12
    run = form.run()
    assert "neuralforecast" not in run and run["cross_validation"] == {"n_windows": 2, "step_size": 12}
    assert run["features"] == {"futr": ["fut_trend"]}
    form.dataset, form.freq = "loto6", plan_builder.row_freq(facts, "loto6")
    assert form.run()["neuralforecast"] == {"freq": 1}


def test_a_panel_and_its_futr_file_stored_from_the_ui_give_a_valid_plan_row(trained_copy):
    from fcast.registry.facts import RegistryFacts

    data = _monthly_panel(missing=(("a", "2020-06-30"),))
    options = uploads.panel_options("", "ffill", None)
    stored = uploads.store_upload("shop.csv", data, uploads.PANEL, dataset_name="shop", options=options)
    assert stored.rebuild_ok, stored.rebuild_output
    assert stored.added == 48 and stored.problems.empty
    futr = uploads.store_upload("shop_futr.csv", _futr_file(NEXT_MONTHS), uploads.PANEL_FUTR, dataset_name="shop")
    assert futr.rebuild_ok, futr.rebuild_output
    assert futr.added == 4
    assert count("select filled_observations from marts.mart_datasets where dataset = 'shop'") == 1

    facts = RegistryFacts.load()
    assert "shop" in plan_builder.dataset_choices(facts) and "shop" not in plan_builder.game_choices(facts)
    assert plan_builder.series_choices(facts, "shop") == ["all", "a", "b"]
    offered = plan_builder.feature_choices(facts, "NHITS", "shop")
    assert offered == {"futr": ["fut_promo"], "hist": ["hist_visits"], "stat": []}
    assert plan_builder.futr_steps(facts, "shop") == {"fut_promo": 2}
    form = plan_builder.RunForm(
        "shop_nhits", "shop", "all", "NHITS", "MAE", 2, 6, 2, "robust", 2, offered, freq=None, step_size=2
    )
    text = plan_builder.add_run("plan: ui_panel\nruns: []\n", form.run())
    check = plan_builder.check_plan(text, facts)
    assert check.valid, check.violations().to_dict("records")
    too_far = text.replace("horizon: 2", "horizon: 3")
    assert "horizon_beyond_futr_df" in set(plan_builder.check_plan(too_far, facts).violations()["rule"])
