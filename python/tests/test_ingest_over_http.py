"""`fcast ingest URL`: real result pages and CSV files served by a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fcast import db

from .conftest import FIXTURES, environment, run_fcast

pytestmark = pytest.mark.fast


@pytest.fixture
def served_folder(tmp_path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server over a folder holding the real result pages and a CSV."""
    folder = tmp_path / "site"
    folder.mkdir()
    for page in (FIXTURES / "pages").glob("*.html"):
        (folder / page.name).write_bytes(page.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_a_rendered_results_page_is_ingested_from_a_url(duckdb_env, served_folder):
    base, _ = served_folder
    url = f"{base}/numbers-results-rendered.html"
    result = run_fcast("ingest", url, env=duckdb_env)
    assert "numbers3, numbers4): 36 read, 36 added" in result.stdout
    again = run_fcast("ingest", url, env=duckdb_env)
    assert "36 read, 0 added, 36 already known" in again.stdout
    with environment(duckdb_env), db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select game_code, count(*), min(draw_no), max(draw_no), min(source_name) "
            "from raw.lottery_draws group by game_code order by game_code"
        )
        n4 = warehouse.fetchall(
            "select numbers_json from raw.lottery_draws where game_code='numbers4' and draw_no=5583"
        )
    assert rows == [("numbers3", 18, 5581, 5598, url), ("numbers4", 18, 5581, 5598, url)]
    assert n4 == [("[0, 0, 3, 0]",)]


def test_a_csv_over_http_with_game_given(duckdb_env, served_folder):
    base, folder = served_folder
    (folder / "history.csv").write_bytes(
        "回号,抽せん日,本数字,ボーナス数字\r\n第1回,2013/4/5,07 10 12 17 23 28 34,03 15\r\n".encode("cp932")
    )
    result = run_fcast("ingest", "--game", "loto7", f"{base}/history.csv", env=duckdb_env)
    assert "1 read, 1 added" in result.stdout


def test_a_javascript_only_page_is_a_clear_error(duckdb_env, served_folder):
    base, _ = served_folder
    result = run_fcast("ingest", f"{base}/miniloto-results-js-shell.html", env=duckdb_env, check=False)
    assert result.returncode == 1
    assert "filled in by JavaScript" in result.stderr


def test_a_missing_url_fails_after_one_attempt_with_advice(duckdb_env, served_folder):
    base, _ = served_folder
    result = run_fcast("ingest", f"{base}/gone.csv", env=duckdb_env, check=False)
    assert result.returncode == 1
    assert "HTTP 404" in result.stderr and "fcast ingest PATH" in result.stderr
