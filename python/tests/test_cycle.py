"""`fcast cycle` end to end: the shipped Loto6 history cut at a date, the rest arriving a few draws at a time
from a local HTTP server; the cycle scores, retrains per policy, locks, and the ledger catches tampering.

Both targets: a private copy of the built DuckDB warehouse, and a PostgreSQL database copied from the built one.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fcast import db, settings
from fcast.throwaway import copy_of_warehouse, drop_postgres_database

from .conftest import environment, run_fcast
from .training_helpers import tiny_plan

GAME = "loto6"
HELD_BACK = 4  # draws after the cut date: they arrive two at a time


class DrawSite:
    """A local HTTP server publishing the Loto6 history as a JSON file, as a results site would, up to a draw."""

    def __init__(self, folder: Path, history: list[dict]) -> None:
        self.folder, self.history = folder, sorted(history, key=lambda draw: draw["round"])
        self.published = 0
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/loto6-history.json"

    def publish_until(self, last_round: int) -> None:
        path = self.folder / "loto6-history.json"
        path.write_text(json.dumps([draw for draw in self.history if draw["round"] <= last_round]), encoding="utf-8")
        self.published += 1
        stamp = time.time() - 3600 + 60 * self.published  # a new Last-Modified each time (HTTP dates are seconds)
        os.utime(path, (stamp, stamp))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _cut_history(cut_round: int) -> None:
    """The warehouse forgets the Loto6 draws after the cut (as if it had been built that day), marts rebuilt."""
    from fcast.app import refresh
    from fcast.ingest.loader import WRITTEN_TABLES

    with db.connect() as warehouse:
        warehouse.execute("delete from raw.lottery_draws where game_code = ? and draw_no > ?", (GAME, cut_round))
    assert refresh(WRITTEN_TABLES).ok


def _cycle_env(env: dict[str, str], tmp_path: Path, source_url: str) -> dict[str, str]:
    plan = tiny_plan(
        tmp_path / "cycle_loto6.yaml",
        [
            {"name": "cycle_n1_mlp", "series": "N1", "model": "MLP"},
            {"name": "cycle_all_mlp", "series": "all", "model": "MLP"},
        ],
        horizon=2,
        cross_validation={"n_windows": 2, "step_size": 1},
    )
    config = tmp_path / "cycle.yml"
    config.write_text(
        yaml.safe_dump(
            {"games": {GAME: {"source": source_url, "format": "json", "plan": str(plan), "retrain_every": 3}}}
        ),
        encoding="utf-8",
    )
    return {**env, "FCAST_CYCLE_CONFIG": str(config)}


def _counts() -> dict[str, int]:
    tables = (
        "lottery_draws",
        "nf_model_runs",
        "run_forecasts",
        "forecast_ledger",
        "prospective_scores",
        "ingest_files",
    )
    with db.connect(read_only=True) as warehouse:
        return {table: warehouse.fetchall(f"select count(*) from raw.{table}")[0][0] for table in tables}


def _status_line(stdout: str) -> str:
    return [line for line in stdout.splitlines() if line.startswith(f"{GAME}: ")][-1]


def _runs_by_kind(env: dict[str, str]) -> dict[str, int]:
    with environment(env), db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select run_kind, count(*) from raw.nf_model_runs where plan_name = 'cycle_loto6' "
            "and status = 'COMPLETED' group by run_kind"
        )
    return dict(rows)


@pytest.fixture
def draw_site(tmp_path) -> Iterator[tuple[DrawSite, int]]:
    shipped = json.loads((settings.project_dir() / "data" / "lottery" / "loto6.json").read_text(encoding="utf-8"))
    site_folder = tmp_path / "site"
    site_folder.mkdir()
    site = DrawSite(site_folder, shipped)
    cut_round = site.history[-1 - HELD_BACK]["round"]
    site.publish_until(cut_round)
    try:
        yield site, cut_round
    finally:
        site.close()


def _run_the_days(env: dict[str, str], site: DrawSite, cut_round: int, days: int) -> None:
    """Cycles over the arriving draws; asserts what each one did, then that a rerun changes nothing."""
    first = run_fcast("cycle", env=env)
    status = _status_line(first.stdout)
    assert "no new draw" in status and "train 2" in status and "14 forecast(s) locked" in status, first.stdout
    assert f"#{cut_round + 1}" in status and f"#{cut_round + 2}" in status
    assert _runs_by_kind(env) == {"train": 2}

    site.publish_until(cut_round + 2)
    second = run_fcast("cycle", env=env)
    status = _status_line(second.stdout)
    # 2 new draws since the models were trained (< retrain_every 3): predict with the stored models
    assert "2 new draw(s)" in status and "14 forecast(s) scored" in status and "predict 2" in status, second.stdout
    assert "no model beats chance so far, after 2 draws" in status
    assert _runs_by_kind(env) == {"train": 2, "predict": 2}
    if days > 2:
        site.publish_until(cut_round + 4)
        third = run_fcast("cycle", env=env)
        status = _status_line(third.stdout)
        assert "retrain 2" in status and "14 forecast(s) scored" in status, third.stdout  # 4 new draws >= 3
        assert _runs_by_kind(env) == {"train": 2, "predict": 2, "retrain": 2}

    with environment(env):
        before = _counts()
    again = run_fcast("cycle", env=env)
    with environment(env):
        assert _counts() == before, "a cycle with no new draw wrote rows"
    status = _status_line(again.stdout)
    assert "no new draw" in status and "nothing to score" in status and "2 of 2 row(s) already locked" in status


def _one_cycle_at_a_time(env: dict[str, str]) -> None:
    from fcast.cycle.runner import one_cycle_at_a_time

    with environment(env), one_cycle_at_a_time():
        refused = run_fcast("cycle", env=env, check=False)
    assert refused.returncode == 1 and "another `fcast cycle` is running" in refused.stderr + refused.stdout


def _check_the_ledger_and_marts(env: dict[str, str], cut_round: int, scored_draws: int) -> None:
    verified = run_fcast("ledger", "verify", env=env)
    assert f"{GAME}: " in verified.stdout and "entries verify" in verified.stdout
    with environment(env), db.connect(read_only=True) as warehouse:
        verdict = warehouse.fetchall(
            "select n_draws, verdict from marts.prospective_game_verdicts where game_code = ?", (GAME,)
        )
        sequences = warehouse.fetch_frame("select * from marts.prospective_sequences where game_code = ?", (GAME,))
        pending = warehouse.fetchall(
            "select count(*) from marts.ledger_forecasts where forecast_status = 'awaiting draw' and target_ds > ?",
            (cut_round + scored_draws,),
        )[0][0]
        relative = warehouse.fetchall(
            "select count(*) from marts.chance_leaderboard_runs where run_name like 'cycle_%'"
        )
    assert verdict == [(scored_draws, f"no model beats chance so far, after {scored_draws} draws")]
    # 7 series x 2 horizon steps; every sequence stays inside its bounds, with an honest band
    assert len(sequences) == 14 and (sequences["cs_lower"] <= sequences["cs_upper"]).all()
    assert (sequences["n_sequences"] == 14).all() and not sequences["beats_chance"].any()
    assert pending == 14 and relative[0][0] >= 2

    with environment(env), db.connect() as warehouse:
        warehouse.execute(
            "update raw.forecast_ledger set y_hat = y_hat + 1 where game_code = ? and sequence = 5", (GAME,)
        )
    broken = run_fcast("ledger", "verify", env=env, check=False)
    assert broken.returncode == 1
    assert "entry #5" in broken.stdout and "edited after it was locked" in broken.stdout

    # deleting the newest entries breaks no link, but the head still names them
    with environment(env), db.connect() as warehouse:
        warehouse.execute(
            "update raw.forecast_ledger set y_hat = y_hat - 1 where game_code = ? and sequence = 5", (GAME,)
        )
        last = warehouse.fetchall("select max(sequence) from raw.forecast_ledger where game_code = ?", (GAME,))[0][0]
        warehouse.execute("delete from raw.forecast_ledger where game_code = ? and sequence = ?", (GAME, last))
    deleted = run_fcast("ledger", "verify", env=env, check=False)
    assert deleted.returncode == 1 and f"entries #{last} to #{last} were deleted" in deleted.stdout
    with environment(env):
        from fcast.cycle import ledger

        source = ledger.LockSource(GAME, "run", "artifact", "0" * 64, "plan", "row", "MLP", cut_round + scored_draws)
        with pytest.raises(ledger.LedgerError, match="changed outside fcast"):
            ledger.lock_forecasts(source, [ledger.Forecast(f"{GAME}_N1", cut_round + scored_draws + 1, None, 1, 9.0)])


def _prospective_chart_of_the_marts(env: dict[str, str]) -> None:
    """The Results page's prospective chart, drawn from the real marts: the band and the four lines."""
    from fcast.ui.charts import PROSPECTIVE_LINES, prospective_chart

    with environment(env), db.connect(read_only=True) as warehouse:
        scores = warehouse.fetch_frame(
            "select * from marts.prospective_scores where run_name = 'cycle_n1_mlp' and horizon_step = 1 "
            "order by target_ds"
        )
    spec = prospective_chart(scores).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line"]
    shown = {row["measure"] for rows in spec["datasets"].values() for row in rows if "measure" in row}
    assert shown == set(PROSPECTIVE_LINES.values()) and len(scores) == 2


def _an_unreadable_source_fails_and_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "broken_cycle.yml"
    config.write_text(yaml.safe_dump({"games": {GAME: {"source": str(tmp_path / "gone.json"), "plan": "none"}}}))
    with environment(env):
        before = _counts()
    failed = run_fcast("cycle", env={**env, "FCAST_CYCLE_CONFIG": str(config)}, check=False)
    assert failed.returncode == 1
    assert "FAILED: source unreadable" in _status_line(failed.stdout) and "gone.json does not exist" in failed.stdout
    with environment(env):
        assert _counts() == before


def test_the_daily_cycle_on_duckdb(built_duckdb, tmp_path, draw_site):
    site, cut_round = draw_site
    env = _cycle_env(copy_of_warehouse(built_duckdb, tmp_path), tmp_path, site.url)
    with environment(env):
        _cut_history(cut_round)
    _run_the_days(env, site, cut_round, days=4)
    _one_cycle_at_a_time(env)
    _prospective_chart_of_the_marts(env)
    _an_unreadable_source_fails_and_writes_nothing(env, tmp_path)
    _check_the_ledger_and_marts(env, cut_round, scored_draws=4)


def test_the_daily_cycle_on_postgres(built_postgres, tmp_path, draw_site):
    import psycopg

    site, cut_round = draw_site
    name = f"fcast_cycle_{os.getpid()}"
    drop_postgres_database(name)
    with psycopg.connect(db._postgres_conninfo("postgres"), autocommit=True) as connection:
        connection.execute(f'create database "{name}" template "{built_postgres["PGDATABASE"]}"')
    try:
        env = _cycle_env(
            {**built_postgres, "PGDATABASE": name, "DBT_TARGET_PATH": str(tmp_path / "dbt_target")}, tmp_path, site.url
        )
        with environment(env):
            _cut_history(cut_round)
        _run_the_days(env, site, cut_round, days=2)
        _one_cycle_at_a_time(env)
        _check_the_ledger_and_marts(env, cut_round, scored_draws=2)
    finally:
        drop_postgres_database(name)


def test_a_forecast_of_a_known_draw_cannot_be_locked(built_duckdb, tmp_path):
    from fcast.cycle import ledger

    env = copy_of_warehouse(built_duckdb, tmp_path)
    with environment(env):
        with db.connect(read_only=True) as warehouse:
            latest = warehouse.fetchall("select max(draw_no) from raw.lottery_draws where game_code = ?", (GAME,))[0][0]
        source = ledger.LockSource(GAME, "run", "artifact", "0" * 64, "plan", "row", "MLP", latest - 1)
        with pytest.raises(ledger.LedgerError, match=f"draw #{latest} is already in the warehouse"):
            ledger.lock_forecasts(source, [ledger.Forecast(f"{GAME}_N1", latest, None, 1, 10.0)])
        assert ledger.verify([GAME])[0].entries == 0
