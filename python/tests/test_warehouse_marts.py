"""The main job builds every model and test on both targets; the marts hold what neuralforecast needs."""

from __future__ import annotations

import json

import pytest

from fcast import db
from fcast.games import load_games

from .conftest import PROJECT_DIR, SHIPPED, run_fcast

GAMES = load_games()


def shipped_draw_counts() -> dict[str, int]:
    return {code: len(json.loads((SHIPPED / f"{code}.json").read_text())) for code in GAMES}


def test_long_format_has_k_series_per_game_and_every_draw(built_env):
    counts = shipped_draw_counts()
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select game_code, count(distinct unique_id), count(*), min(ds), max(ds) "
            "from marts.fct_series_long where dataset_kind = 'game' group by game_code"
        )
    by_game = {row[0]: row[1:] for row in rows}
    assert set(by_game) == set(GAMES)
    for code, game in GAMES.items():
        series, long_rows, first_ds, last_ds = by_game[code]
        assert series == game.main_count
        assert long_rows == counts[code] * game.main_count
        assert (first_ds, last_ds) == (1, counts[code])


def test_slot_values_match_the_shipped_history(built_env):
    loto6 = {row["round"]: row["numbers"] for row in json.loads((SHIPPED / "loto6.json").read_text())}
    with db.connect(read_only=True) as warehouse:
        frame = warehouse.fetch_frame(
            "select unique_id, ds, y from marts.fct_series_long where unique_id like 'loto6_N%' and ds in (1, 2064)"
        )
    for row in frame.itertuples():
        slot = int(row.unique_id.split("_N")[1])
        assert row.y == loto6[row.ds][slot - 1]
    assert len(frame) == 12


def test_neuralforecast_frames_have_the_expected_columns_and_types(built_env):
    with db.connect(read_only=True) as warehouse:
        train = warehouse.fetch_frame("select * from marts.nf_train_df where unique_id = 'loto7_N3' order by ds")
        static = warehouse.fetch_frame("select * from marts.nf_static_df order by unique_id")
        futr = warehouse.fetch_frame("select * from marts.nf_futr_df where unique_id = 'loto7_N3' order by ds")
    hist = [c for c in train.columns if c.startswith("hist_") and not c.startswith(("hist_emb_", "hist_anom_"))]
    embeddings = [c for c in train.columns if c.startswith("hist_emb_")]
    anomalies = [c for c in train.columns if c.startswith("hist_anom_")]
    fut = [c for c in train.columns if c.startswith("fut_")]
    assert len(hist) == 19 and len(fut) == 5 and len(embeddings) == 3 * 8 and len(anomalies) == 2 * 2 + 2
    assert not train[["y", *hist, *fut]].isna().any().any()
    assert train[embeddings].isna().all().all(), "the main job embeds nothing: the embedding features are null"
    assert train[anomalies].isna().all().all(), "the main job scores no anomalies: the anomaly features are null"
    assert set(static.columns) - {"unique_id"} == {
        "stat_slot_index",
        "stat_slot_min",
        "stat_slot_max",
        "stat_family_code",
        "stat_game_size",
        "stat_main_count",
    }
    assert len(static) == sum(game.main_count for game in GAMES.values())
    loto7_n3 = static.set_index("unique_id").loc["loto7_N3"]
    assert (loto7_n3.stat_slot_min, loto7_n3.stat_slot_max, loto7_n3.stat_game_size) == (3.0, 33.0, 37.0)
    assert list(futr.ds) == list(range(int(train.ds.max()) + 1, int(train.ds.max()) + 31))
    assert set(fut) <= set(futr.columns)
    # Loto7 draws on Fridays; the first draw after 2025-12-26 skips the Jan 2 closure.
    assert str(futr.draw_date.iloc[0]) == "2026-01-09"
    assert {int(day) for day in futr.fut_weekday} == {5}


def test_series_selectors_give_k_plus_one_selectors_per_game(built_env):
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select game_code, count(distinct selector_name), max(n_series) from marts.mart_series_selectors "
            "group by game_code"
        )
    assert {row[0]: (row[1], row[2]) for row in rows} == {
        code: (game.main_count + 1, game.main_count) for code, game in GAMES.items()
    }


def test_ball_stats_cover_every_number_of_each_range(built_env):
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select game_code, count(*), min(ball_number), max(ball_number), sum(times_drawn), max(draws) "
            "from marts.mart_ball_stats group by game_code"
        )
    counts = shipped_draw_counts()
    for code, balls, lowest, highest, drawn, draws in rows:
        game = GAMES[code]
        assert (balls, lowest, highest) == (
            game.number_max - game.number_min + 1,
            game.number_min,
            game.number_max,
        )
        assert drawn == draws * game.main_count == counts[code] * game.main_count


def test_bonus_numbers_stay_in_staging(built_env):
    with db.connect(read_only=True) as warehouse:
        bonus = dict(
            warehouse.fetchall("select game_code, count(*) from staging.stg_raw__lottery_draw_bonus group by game_code")
        )
        series = [row[0] for row in warehouse.fetchall("select distinct unique_id from marts.fct_series_long")]
    assert bonus["loto7"] == 2 * shipped_draw_counts()["loto7"]
    assert "numbers3" not in bonus
    assert not [uid for uid in series if "bonus" in uid.lower() or uid.endswith("_B1")]


def test_dbt_docs_generate_offline(built_duckdb, tmp_path):
    env = {**built_duckdb, "DBT_TARGET_PATH": str(tmp_path / "docs_target")}
    run_fcast("docs", env=env)
    site = tmp_path / "docs_target" / "static_index.html"
    catalog = json.loads((tmp_path / "docs_target" / "catalog.json").read_text())
    assert site.stat().st_size > 100_000
    assert any(key.endswith("nf_futr_df") for key in catalog["nodes"])
    manifest = json.loads((tmp_path / "docs_target" / "manifest.json").read_text())
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert {"ml", "application", "notebook"} <= {exposure["type"] for exposure in exposures.values()}
    assert exposures["trainer"]["type"] == "ml" and exposures["streamlit_ui"]["type"] == "application"
    assert "run_reports" in exposures
    notebooks = {path.name for path in (PROJECT_DIR / "notebooks").glob("*.ipynb")}
    described = {
        e["description"].split(":")[0].removeprefix("notebooks/") for e in exposures.values() if e["type"] == "notebook"
    }
    assert notebooks == described
    marts = [
        node for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["schema"] == "marts"
    ]
    assert len(marts) > 30
    for node in marts:
        assert node["description"].strip(), f"{node['name']} has no description"
        documented = {name.lower() for name, column in node["columns"].items() if column["description"].strip()}
        built = {name.lower() for name in catalog["nodes"][node["unique_id"]]["columns"]}
        assert built <= documented, f"{node['name']}: columns without a description: {sorted(built - documented)}"


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_main_job_is_idempotent(target, request):
    env = request.getfixturevalue(f"built_{target}")
    result = run_fcast("ingest", env=env)
    assert "0 added" in result.stdout and " added" in result.stdout
    assert all(" 0 added" in line for line in result.stdout.splitlines() if "read," in line)
