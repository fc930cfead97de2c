"""Generic unique_id/ds/y panels: validated by row and rule, stored as their own dataset, in the marts."""

from __future__ import annotations

import pandas as pd
import pytest

from fcast import db
from fcast.ingest.panel import PanelOptions, load_panel, load_panel_futr, parse_gap_policy
from fcast.ingest.records import IngestError

from .conftest import environment, run_fcast


@pytest.mark.fast
def test_csv_panel_with_exogenous_columns_loads_and_rejects_bad_rows(warehouse_env, tmp_path):
    path = tmp_path / "shop_sales.csv"
    path.write_text(
        "unique_id,ds,y,hist_price,stat_size\n"
        "a,1,10,1.5,3\n"
        "a,2,11,1.6,3\n"
        "a,3,,1.7,3\n"  # row 4: missing y
        "a,4,13,cheap,3\n"  # row 5: non-numeric feature
        "b,1,5,2.0,1\n"
        "b,2,6,2.1,1\n"
        "b,2,7,2.2,1\n"  # rows 7 and 8 share a key
        "b,3,x,2.3,1\n",  # row 9: y is not a number
        encoding="utf-8",
    )
    report = load_panel(path, "shop")
    assert {(r.source_row, r.rule) for r in report.rejects} == {
        (4, "missing_value"),
        (5, "feature_type"),
        (7, "duplicate_key"),
        (8, "duplicate_key"),
        (9, "y_type"),
    }
    assert report.added == 3
    with db.connect(read_only=True) as warehouse:
        stored = warehouse.fetchall("select unique_id, ds, y from raw.panel_observations order by unique_id, ds")
        features = warehouse.fetchall("select count(*), count(distinct feature_name) from raw.panel_exogenous")
        rejected = warehouse.fetchall("select count(*) from raw.ingest_rejects where subject = 'shop'")
    assert stored == [("a", 1, 10.0), ("a", 2, 11.0), ("b", 1, 5.0)]
    assert features == [(6, 2)]
    assert rejected == [(5,)]
    again = load_panel(path, "shop")
    assert again.added == 0


@pytest.mark.fast
def test_parquet_panel_with_dates_keeps_its_frequency_and_rejects_dates_off_its_grid(warehouse_env, tmp_path):
    frame = pd.DataFrame(
        {
            "unique_id": ["s1"] * 4 + ["s2"] * 4,
            "ds": list(pd.date_range("2024-01-01", periods=4, freq="W-MON"))
            + list(pd.to_datetime(["2024-01-08", "2024-01-09", "2024-01-15", "2024-01-16"])),
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    path = tmp_path / "weekly.parquet"
    frame.to_parquet(path)
    report = load_panel(path, "weekly")
    assert report.time_axis == "dates at frequency W-MON from 2024-01-01"
    assert report.added == 6
    assert [(r.source_row, r.rule) for r in report.rejects] == [(7, "off_frequency"), (9, "off_frequency")]
    assert "not on the dataset's grid" in report.rejects[0].message
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall("select unique_id, ds, ds_time from raw.panel_observations order by unique_id, ds")
        axis = warehouse.fetchall("select time_kind, freq, freq_source, season_length from raw.panel_datasets")
    # ds is the position on the dataset's weekly grid, shared by every series: s2 starts in week 2
    assert [(unique_id, ds) for unique_id, ds, _ in rows] == [
        ("s1", 1),
        ("s1", 2),
        ("s1", 3),
        ("s1", 4),
        ("s2", 2),
        ("s2", 3),
    ]
    assert str(rows[4][2]) == "2024-01-08 00:00:00"
    assert axis == [("date", "W-MON", "inferred", 52)]


def _daily_panel_with_a_missing_day(tmp_path):
    dates = pd.date_range("2024-02-25", periods=10, freq="D")
    frame = pd.concat(
        [
            pd.DataFrame({"unique_id": "a", "ds": dates, "y": range(10), "hist_temp": range(10, 20)}).drop(index=[4]),
            pd.DataFrame({"unique_id": "b", "ds": dates, "y": range(100, 110), "hist_temp": range(10)}),
        ]
    )
    path = tmp_path / "daily.csv"
    frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


@pytest.mark.fast
def test_missing_timestamps_are_named_and_reject_their_series_by_default(warehouse_env, tmp_path):
    report = load_panel(_daily_panel_with_a_missing_day(tmp_path), "daily")
    assert report.time_axis == "dates at frequency D from 2024-02-25"
    assert report.missing == {"a": ["2024-02-29"]}
    assert {r.rule for r in report.rejects} == {"missing_timestamps"} and len(report.rejects) == 9
    assert "series a misses 1 timestamp(s) (2024-02-29)" in report.rejects[0].message
    assert "--fill-gaps" in report.gap_lines()[-1]
    with db.connect(read_only=True) as warehouse:
        stored = warehouse.fetchall("select distinct unique_id from raw.panel_observations")
        kept = warehouse.fetchall("select count(*) from raw.ingest_rejects where rule = 'missing_timestamps'")
    assert stored == [("b",)]
    assert kept == [(9,)]


@pytest.mark.fast
@pytest.mark.parametrize(
    ("policy", "y", "temp"), [("interpolate", 4.0, 14.0), ("ffill", 3.0, 13.0), ("value:0", 0.0, 13.0)]
)
def test_missing_timestamps_are_filled_and_flagged_when_the_user_says_how(warehouse_env, tmp_path, policy, y, temp):
    report = load_panel(_daily_panel_with_a_missing_day(tmp_path), "daily", options=PanelOptions(fill_gaps=policy))
    assert report.rejects == [] and report.filled == 1 and report.added == 20
    assert report.gap_lines() == [f"series a misses 1 timestamp(s): 2024-02-29 (filled by {policy})"]
    with db.connect(read_only=True) as warehouse:
        filled = warehouse.fetchall(
            "select ds, ds_time, y, filled_by, source_row from raw.panel_observations where filled_by <> ''"
        )
        feature = warehouse.fetchall(
            "select feature_value from raw.panel_exogenous "
            "where unique_id = 'a' and ds = 5 and feature_name = 'hist_temp'"
        )
    assert [(ds, str(time)[:10], value, by, row) for ds, time, value, by, row in filled] == [
        (5, "2024-02-29", y, policy, 0)
    ]
    assert feature == [(temp,)]


@pytest.mark.fast
def test_a_gap_policy_and_frequency_can_be_declared_and_are_checked(warehouse_env, tmp_path):
    with pytest.raises(IngestError, match="gap policy 'zero'"):
        parse_gap_policy("zero")
    path = _daily_panel_with_a_missing_day(tmp_path)
    load_panel(path, "daily", options=PanelOptions(fill_gaps="interpolate"))
    with pytest.raises(IngestError, match="differs from the dataset's recorded dates at frequency D"):
        load_panel(path, "daily", options=PanelOptions(freq="W-SUN"))
    with pytest.raises(IngestError, match="ds holds dates, so --freq must be a pandas frequency"):
        load_panel(path, "other", options=PanelOptions(freq="7"))


@pytest.mark.fast
def test_integer_panels_keep_their_step_as_freq(warehouse_env, tmp_path):
    path = tmp_path / "steps.csv"
    rows = [f"a,{t},{t}" for t in range(10, 60, 5) if t != 30] + [f"b,{t},{t}" for t in range(10, 60, 5)] + ["b,62,1"]
    path.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    report = load_panel(path, "steps")
    assert report.time_axis == "integers in steps of 5 (freq 5)"
    assert report.missing == {"a": ["30"]}
    assert {r.rule for r in report.rejects} == {"missing_timestamps", "off_frequency"}
    assert [r.source_row for r in report.rejects if r.rule == "off_frequency"] == [21]
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select time_kind, freq from raw.panel_datasets") == [("integer", "5")]
        assert warehouse.fetchall(
            "select unique_id, min(ds), max(ds), count(*) from raw.panel_observations group by 1"
        ) == [("b", 10, 55, 10)]


@pytest.mark.fast
def test_a_stat_column_holds_one_value_per_series(warehouse_env, tmp_path):
    path = tmp_path / "stores.csv"
    path.write_text("unique_id,ds,y,stat_size\na,1,1,3\na,2,2,3\na,3,3,4\na,4,4,3\n")
    report = load_panel(path, "stores", options=PanelOptions(fill_gaps="interpolate"))
    assert [(r.source_row, r.rule) for r in report.rejects] == [(4, "stat_not_constant")]
    assert "stat_size=4 but series a has 3" in report.rejects[0].message
    assert report.filled == 1  # the rejected row left a gap, filled as asked and flagged


@pytest.mark.fast
def test_a_futr_file_adds_future_values_and_keeps_bad_rows_aside(warehouse_env, tmp_path):
    observed = tmp_path / "air.csv"
    observed.write_text(
        "unique_id,ds,y,fut_trend\n"
        + "".join(
            f"a,{day.date()},{i},{i}\n" for i, day in enumerate(pd.date_range("2020-01-31", periods=6, freq="ME"))
        )
    )
    load_panel(observed, "shop")
    futr = tmp_path / "air_futr.csv"
    futr.write_text(
        "unique_id,ds,fut_trend\na,2020-07-31,6\na,2020-08-31,7\nb,2020-07-31,6\na,2020-08-15,7\na,2020-06-30,99\n"
    )
    report = load_panel_futr(futr, "shop")
    assert report.added == 2
    assert [(r.source_row, r.rule) for r in report.rejects] == [
        (4, "unknown_series"),
        (5, "off_frequency"),
        (6, "conflicting_restatement"),
    ]
    with db.connect(read_only=True) as warehouse:
        future = warehouse.fetchall(
            "select ds, ds_time, feature_value from raw.panel_exogenous where ds > 6 order by ds"
        )
    assert [(ds, str(time)[:10], value) for ds, time, value in future] == [
        (7, "2020-07-31", 6.0),
        (8, "2020-08-31", 7.0),
    ]
    checked_again = load_panel_futr(futr, "shop", dry_run=True)
    assert (checked_again.added, checked_again.already_known) == (0, 2)
    assert load_panel_futr(futr, "shop").added == 0
    with_y = tmp_path / "with_y.csv"
    with_y.write_text("unique_id,ds,y,fut_trend\na,2020-09-30,1,8\n")
    with pytest.raises(IngestError, match=r"with_y\.csv: a futr file holds unique_id, ds and future fut_ values only"):
        load_panel_futr(with_y, "shop")
    with pytest.raises(IngestError, match="is not loaded; load its observations first"):
        load_panel_futr(futr, "nothing_here")


@pytest.mark.fast
def test_a_restated_panel_value_is_kept_aside(warehouse_env, tmp_path):
    first = tmp_path / "v1.csv"
    first.write_text("unique_id,ds,y\na,1,1\na,2,2\na,3,3\n")
    load_panel(first, "demo")
    second = tmp_path / "v2.csv"
    second.write_text("unique_id,ds,y\na,1,1\na,2,20\na,3,3\na,4,4\n")
    report = load_panel(second, "demo")
    assert report.added == 1
    assert [(r.source_row, r.rule) for r in report.rejects] == [(3, "conflicting_restatement")]
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall("select y from raw.panel_observations where ds = 2") == [(2.0,)]


@pytest.mark.fast
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,ds,y\na,1,1\n", "missing required column(s) ['unique_id']"),
        ("unique_id,ds,y,price\na,1,1,2\n", "rename them with a prefix"),
    ],
)
def test_panels_without_the_required_shape_fail_with_the_file_name(tmp_path, content, message):
    path = tmp_path / "bad_panel.csv"
    path.write_text(content)
    with pytest.raises(IngestError, match=r"bad_panel\.csv") as raised:
        load_panel(path, "bad")
    assert message in str(raised.value)


def test_panels_reach_the_long_mart_with_dataset_prefixed_ids(duckdb_env, tmp_path):
    path = tmp_path / "demand.csv"
    path.write_text("unique_id,ds,y,fut_promo\n" + "".join(f"north,{t},{t * 2},{t % 2}\n" for t in range(1, 11)))
    run_fcast("ingest", "--panel", "demand", str(path), env=duckdb_env)
    run_fcast("build", env=duckdb_env)
    with environment(duckdb_env), db.connect(read_only=True) as warehouse:
        long_rows = warehouse.fetchall(
            "select count(*), min(ds), max(y) from marts.fct_series_long where unique_id = 'demand_north'"
        )
        exogenous = warehouse.fetchall(
            "select count(*) from marts.fct_panel_exogenous "
            "where unique_id = 'demand_north' and feature_name = 'fut_promo'"
        )
    assert long_rows == [(10, 1, 20.0)]
    assert exogenous == [(10,)]


@pytest.mark.fast
def test_a_ds_mixing_integers_and_text_names_the_rows_that_are_not_integers(warehouse_env, tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text(
        "unique_id,ds,y\n"
        "a,1,10\n"
        "a,2,11\n"
        "a,three,12\n"  # row 4: text among integers
        "a,3,13\n"
        "a, 4 ,14\n"  # integer-like text with spaces counts as an integer
        "a,2024-01-06,15\n"  # row 7: a date among integers
        "a,,16\n"  # row 8: no ds at all
        "a,5,17\n",
        encoding="utf-8",
    )
    report = load_panel(path, "visits")
    assert report.time_axis == "integers in steps of 1 (freq 1)"
    rejects = sorted(report.rejects, key=lambda r: r.source_row)
    assert [(r.source_name, r.source_row, r.rule) for r in rejects] == [
        ("visits.csv", 4, "ds_not_integer"),
        ("visits.csv", 7, "ds_not_integer"),
        ("visits.csv", 8, "missing_value"),
    ]
    assert rejects[0].message == "ds 'three' is not an integer, while 5 of the file's 7 ds values are integers"
    assert rejects[2].message == "ds is empty"
    assert not any("neither an integer nor a date" in r.message for r in rejects)
    assert report.added == 5
    with db.connect(read_only=True) as warehouse:
        stored = warehouse.fetchall("select ds from raw.panel_observations order by ds")
        kept = warehouse.fetchall(
            "select source_row, rule, message from raw.ingest_rejects where subject = 'visits' order by source_row"
        )
    assert stored == [(1,), (2,), (3,), (4,), (5,)]
    assert [(row, rule) for row, rule, _ in kept] == [
        (4, "ds_not_integer"),
        (7, "ds_not_integer"),
        (8, "missing_value"),
    ]
    assert "'three' is not an integer" in kept[0][2]


@pytest.mark.fast
def test_a_ds_of_dates_names_the_integer_rows_as_not_dates(warehouse_env, tmp_path):
    path = tmp_path / "monthly.csv"
    path.write_text(
        "unique_id,ds,y\n"
        "a,2024-01-31,1\n"
        "a,2024-02-29,2\n"
        "a,1,3\n"  # row 4: an integer among dates
        "a,2024-03-31,4\n"
        "a,2024-04-31,5\n"  # row 6: no such day
        "a,2024-04-30,6\n",
        encoding="utf-8",
    )
    report = load_panel(path, "monthly")
    assert report.time_axis == "dates at frequency ME from 2024-01-31"
    assert sorted((r.source_row, r.rule) for r in report.rejects) == [(4, "ds_not_date"), (6, "ds_not_date")]
    assert report.rejects[0].message == "ds '1' is not a date, while 4 of the file's 6 ds values are dates"
    assert report.added == 4


@pytest.mark.fast
def test_a_rejected_series_with_missing_timestamps_offers_to_fill_them(warehouse_env, tmp_path):
    report = load_panel(_daily_panel_with_a_missing_day(tmp_path), "daily", dry_run=True)
    message = report.rejects[0].message
    assert "series a misses 1 timestamp(s) (2024-02-29)" in message
    assert "--fill-gaps interpolate|ffill|bfill|value:<number>" in message
    assert report.gap_lines() == [
        "series a misses 1 timestamp(s): 2024-02-29 (the series was rejected)",
        "to keep these series, fill the gaps: --fill-gaps interpolate | ffill | bfill | value:<number> "
        "(filled rows are flagged in filled_by), or add the missing rows to the file",
    ]
