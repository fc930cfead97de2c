"""Adding a seventh game needs only seed rows and a data file: no model, column or code change."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil

from fcast import db

from .conftest import PROJECT_DIR, environment, run_fcast

PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests", "profiles", "analyses", "data")


def _append_rows(path, rows: list[dict]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        fieldnames = csv.DictReader(handle).fieldnames
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        for row in rows:
            writer.writerow({name: row.get(name, "") for name in fieldnames})


def _add_made_up_game(project) -> None:
    """Kansai4: a made-up select game, 4 of 1..20 with one bonus, drawn on Wednesdays and Saturdays."""
    seeds = project / "seeds"
    _append_rows(
        seeds / "games.csv",
        [
            {
                "game_code": "kansai4",
                "game_name": "Kansai4",
                "family": "select",
                "main_count": 4,
                "number_min": 1,
                "number_max": 20,
                "bonus_count": 1,
                "number_order": "ascending",
                "active_from": "2024-01-06",
                "history_file": "data/lottery/kansai4.json",
                "name_aliases": "kansai4|関西4",
            }
        ],
    )
    _append_rows(
        seeds / "slots.csv",
        [
            {"game_code": "kansai4", "slot_index": s, "slot_name": f"N{s}", "slot_min": s, "slot_max": 16 + s}
            for s in range(1, 5)
        ],
    )
    _append_rows(
        seeds / "draw_calendar_weekdays.csv",
        [
            {
                "game_code": "kansai4",
                "era_from": "2024-01-06",
                "era_to": "",
                "iso_weekday": day,
                "every_n_weeks": 1,
            }
            for day in (3, 6)
        ],
    )
    _append_rows(
        seeds / "draw_calendar_closures.csv",
        [
            {"game_code": "kansai4", "month_day": md, "reason": "year end"}
            for md in ("12-31", "01-01", "01-02", "01-03")
        ],
    )


def _write_history(project) -> list[dict]:
    from fcast.games import get_game

    with environment({"FCAST_PROJECT_DIR": str(project)}):
        game = get_game("kansai4")
        dates = game.draw_dates(game.active_from, dt.date(2025, 12, 27))
    generator = random.Random(7)
    draws = []
    for number, day in enumerate(dates, start=1):
        balls = generator.sample(range(1, 21), 5)
        draws.append({"round": number, "date": day.isoformat(), "numbers": sorted(balls[:4]), "bonus": balls[4:]})
    (project / "data" / "lottery" / "kansai4.json").write_text(json.dumps(draws[::-1]))
    return draws


def test_a_made_up_seventh_game_flows_through_every_mart(tmp_path):
    project = tmp_path / "project"
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, project / part)
        else:
            project.mkdir(exist_ok=True)
            shutil.copy2(source, project / part)
    _add_made_up_game(project)
    draws = _write_history(project)
    env = {
        "FCAST_PROJECT_DIR": str(project),
        "FCAST_TARGET": "duckdb",
        "FCAST_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    result = run_fcast("main", "--no-train", env=env, cwd=project)
    assert f"kansai4.json (kansai4): {len(draws)} read, {len(draws)} added" in result.stdout

    with environment(env), db.connect(read_only=True) as warehouse:
        long_rows = warehouse.fetchall(
            "select unique_id, count(*) from marts.fct_series_long where game_code = 'kansai4' group by 1 order by 1"
        )
        futr = warehouse.fetchall(
            "select min(ds), min(draw_date), count(*) from marts.nf_futr_df where unique_id = 'kansai4_N1'"
        )
        selectors = warehouse.fetchall(
            "select count(distinct selector_name) from marts.mart_series_selectors where game_code = 'kansai4'"
        )
        static = warehouse.fetchall(
            "select stat_slot_min, stat_slot_max, stat_game_size from marts.nf_static_df where unique_id = 'kansai4_N4'"
        )
        hist_columns = warehouse.fetch_frame("select * from marts.feat_hist where unique_id = 'kansai4_N2' limit 1")
    assert long_rows == [(f"kansai4_N{s}", len(draws)) for s in range(1, 5)]
    # 2025-12-27 is a Saturday; Wed 2025-12-31 and Sat 2026-01-03 fall in the closure.
    assert futr == [(len(draws) + 1, dt.date(2026, 1, 7), 30)]
    assert selectors == [(5,)]
    assert static == [(4.0, 20.0, 20.0)]
    computed = ("hist_emb_", "hist_anom_")
    assert len([c for c in hist_columns.columns if c.startswith("hist_") and not c.startswith(computed)]) == 19
