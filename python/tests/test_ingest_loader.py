"""Loading draws: append-only, idempotent, rejects and conflicts kept aside with file, row and rule."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fcast import db
from fcast.ingest.loader import load_draws
from fcast.ingest.sources import read_source

from .conftest import FCAST, SHIPPED, environment, run_fcast, temporary_postgres_database

pytestmark = pytest.mark.fast


def count(sql: str) -> int:
    with db.connect(read_only=True) as warehouse:
        return int(warehouse.fetchall(sql)[0][0])


def write_json(path: Path, draws: list[dict]) -> Path:
    path.write_text(json.dumps(draws, ensure_ascii=False), encoding="utf-8")
    return path


def shipped(game: str) -> list[dict]:
    return json.loads((SHIPPED / f"{game}.json").read_text())


def test_reingesting_a_file_changes_nothing(warehouse_env):
    first = load_draws(read_source(str(SHIPPED / "loto7.json")))
    assert (first.added, first.already_known, first.rejects, first.conflicts) == (658, 0, [], [])
    again = load_draws(read_source(str(SHIPPED / "loto7.json")))
    assert (again.added, again.already_known) == (0, 658)
    assert count("select count(*) from raw.lottery_draws") == 658
    assert count("select count(*) from raw.ingest_files") == 1


def test_a_file_with_later_draws_appends_only_those(warehouse_env, tmp_path):
    draws = sorted(shipped("bingo5"), key=lambda draw: draw["round"])
    load_draws(read_source(str(write_json(tmp_path / "bingo5_old.json", draws[:400]))))
    report = load_draws(read_source(str(write_json(tmp_path / "bingo5_new.json", draws))))
    assert (report.added, report.already_known) == (51, 400)
    assert count("select max(draw_no) from raw.lottery_draws") == 451


def test_the_same_draws_from_another_source_add_nothing(warehouse_env, tmp_path):
    load_draws(read_source(str(SHIPPED / "miniloto.json")))
    csv_rows = ["開催回,日付,第1数字,第2数字,第3数字,第4数字,第5数字,ボーナス数字"]
    for draw in shipped("miniloto")[:30]:
        y, m, d = draw["date"].split("-")
        csv_rows.append(
            ",".join(
                [
                    f"第{draw['round']}回",
                    f"{y}/{int(m)}/{int(d)}",
                    *map(str, draw["numbers"]),
                    str(draw["bonus"][0]),
                ]
            )
        )
    path = tmp_path / "miniloto_from_site.csv"
    path.write_bytes("\r\n".join(csv_rows).encode("cp932"))
    report = load_draws(read_source(str(path)))
    assert (report.added, report.already_known, report.conflicts) == (0, 30, [])
    assert count("select count(*) from raw.lottery_draws") == 1367


def test_rule_breaking_rows_are_rejected_with_file_row_and_rule(warehouse_env, tmp_path):
    path = write_json(
        tmp_path / "loto6_bad.json",
        [
            {"round": 1, "date": "2000-10-05", "numbers": [2, 8, 10, 13, 27, 30], "bonus": [39]},
            {"round": 2, "date": "2000-10-12", "numbers": [9, 13, 21, 32, 33], "bonus": [1]},
            {"round": 3, "date": "2000-10-19", "numbers": [1, 5, 15, 31, 36, 44], "bonus": [2]},
            {"round": 4, "date": "2000-10-26", "numbers": [1, 5, 5, 31, 36, 40], "bonus": [2]},
        ],
    )
    report = load_draws(read_source(str(path)))
    assert report.added == 1
    assert {(r.source_row, r.rule) for r in report.rejects} == {
        (2, "main_count"),
        (3, "number_range"),
        (4, "repeat_in_select_game"),
    }
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select source_name, source_row, rule, message, original_record from raw.ingest_rejects order by source_row"
        )
    assert [(name, row, rule) for name, row, rule, _, _ in rows] == [
        ("loto6_bad.json", 2, "main_count"),
        ("loto6_bad.json", 3, "number_range"),
        ("loto6_bad.json", 4, "repeat_in_select_game"),
    ]
    assert "44" in rows[1][3] and json.loads(rows[1][4])["numbers"][-1] == 44
    load_draws(read_source(str(path)))
    assert count("select count(*) from raw.ingest_rejects") == 3


def test_bingo5_column_rule(warehouse_env, tmp_path):
    path = write_json(
        tmp_path / "bingo5_bad.json",
        [
            {"round": 1, "date": "2017-04-05", "numbers": [1, 10, 13, 19, 23, 28, 35, 37], "bonus": []},
            {"round": 2, "date": "2017-04-12", "numbers": [1, 2, 13, 19, 23, 28, 35, 37], "bonus": []},
        ],
    )
    report = load_draws(read_source(str(path)))
    assert report.added == 1
    assert [(r.source_row, r.rule) for r in report.rejects] == [(2, "column_range")]
    assert "N2=2" in report.rejects[0].message


def test_conflicting_restatement_is_kept_aside_not_applied(warehouse_env, tmp_path):
    # A real dispute: Numbers4 #1225 is 1605 in the shipped history and 1065 in another public source.
    load_draws(read_source(str(SHIPPED / "numbers4.json")))
    path = tmp_path / "numbers4_other_source.csv"
    path.write_text("回別,抽せん日,当せん番号\n第1224回,2003/10/1,5404\n第1225回,2003/10/3,1065\n", encoding="utf-8")
    stored = [draw for draw in shipped("numbers4") if draw["round"] in (1224, 1225)]
    assert [d["numbers"] for d in sorted(stored, key=lambda d: d["round"])][1] == [1, 6, 0, 5]
    report = load_draws(read_source(str(path)))
    assert report.added == 0 and len(report.conflicts) == 1
    assert report.conflicts[0].draw_no == 1225 and "[1, 0, 6, 5] vs stored [1, 6, 0, 5]" in str(report.conflicts[0])
    with db.connect(read_only=True) as warehouse:
        assert warehouse.fetchall(
            "select numbers_json from raw.lottery_draws where game_code = 'numbers4' and draw_no = 1225"
        ) == [("[1, 6, 0, 5]",)]
    load_draws(read_source(str(path)))
    assert count("select count(*) from raw.lottery_draw_conflicts") == 1


def test_bonus_order_does_not_make_a_conflict(warehouse_env, tmp_path):
    # Loto7 #2's bonus is [32, 12] in the shipped history and [12, 32] elsewhere: compared as a set.
    load_draws(read_source(str(SHIPPED / "loto7.json")))
    draw = next(d for d in shipped("loto7") if d["round"] == 2)
    restated = {**draw, "bonus": sorted(draw["bonus"])}
    report = load_draws(read_source(str(write_json(tmp_path / "loto7_elsewhere.json", [restated]))))
    assert (report.added, report.already_known, report.conflicts) == (0, 1, [])


def test_cli_reports_rejects_and_fails_on_unreadable_files(duckdb_env, tmp_path):
    bad = write_json(
        tmp_path / "loto6_bad.json",
        [
            {"round": 5, "date": "2000-11-02", "numbers": [1, 2, 3, 4, 5, 99], "bonus": [7]},
        ],
    )
    result = run_fcast("ingest", str(bad), env=duckdb_env)
    assert "loto6_bad.json, row 1: number_range" in result.stdout
    assert run_fcast("ingest", "--strict", str(bad), env=duckdb_env, check=False).returncode == 1
    missing = run_fcast("ingest", str(tmp_path / "nope.csv"), env=duckdb_env, check=False)
    assert missing.returncode == 1 and "nope.csv: no such file" in missing.stderr


def test_concurrent_ingests_on_postgres_store_each_draw_once(postgres_server):
    with temporary_postgres_database() as name:
        env = {"FCAST_TARGET": "postgres", "PGDATABASE": name}
        workers = [
            subprocess.Popen(
                [*FCAST, "ingest", str(SHIPPED / "loto7.json"), str(SHIPPED / "bingo5.json")],
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [worker.communicate(timeout=120) for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
        with environment(env):
            assert count("select count(*) from raw.lottery_draws") == 658 + 451
            assert count("select count(*) from raw.ingest_files") == 2
