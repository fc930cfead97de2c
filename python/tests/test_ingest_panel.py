"""Generic unique_id/ds/y panels: validated by row and rule, stored as their own dataset, in the marts."""

from __future__ import annotations

import pandas as pd
import pytest

from fcast import db
from fcast.ingest.panel import load_panel
from fcast.ingest.records import IngestError

from .conftest import environment, run_fcast


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


def test_parquet_panel_with_dates_gets_integer_ds_and_checks_frequency(warehouse_env, tmp_path):
    frame = pd.DataFrame(
        {
            "unique_id": ["s1"] * 4 + ["s2"] * 4,
            "ds": list(pd.date_range("2024-01-01", periods=4, freq="W-MON"))
            + list(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09", "2024-01-10"])),
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    path = tmp_path / "weekly.parquet"
    frame.to_parquet(path)
    report = load_panel(path, "weekly")
    assert report.added == 4
    assert {r.rule for r in report.rejects} == {"irregular_frequency"}
    assert len(report.rejects) == 4
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall("select ds, ds_date from raw.panel_observations order by ds")
    assert [row[0] for row in rows] == [1, 2, 3, 4]
    assert str(rows[1][1]) == "2024-01-08"


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
