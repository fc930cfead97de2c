"""The Streamlit UI in a real browser: `fcast ui` on localhost, driven by headless Debian Chromium.

The server runs on a private copy of the built warehouse. Every test keeps a screenshot of the page it
ends on under artifacts/ui (FCAST_TEST_ARTIFACTS moves it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from fcast import db
from fcast.throwaway import copy_of_warehouse

from .conftest import FCAST, PROJECT_DIR, SHIPPED, environment, hold_duckdb_lock, run_fcast
from .training_helpers import TINY_FEATURES

ARTIFACTS = Path(os.environ.get("FCAST_TEST_ARTIFACTS", PROJECT_DIR / "artifacts")) / "ui"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]
ARTIFACTS_BUSY = ARTIFACTS / "busy_retrying.png"
DEFAULT_PAGE = "data"
PAGE_TIMEOUT_MS = 60_000
REBUILD_TIMEOUT_MS = 240_000


def chromium_executable() -> str:
    found = os.environ.get("FCAST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Debian's chromium is not installed: `python3 bootstrap.py test` installs it "
            "(apt-get install chromium), or set FCAST_CHROMIUM to a Chromium binary."
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"fcast ui exited {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"fcast ui did not answer within {timeout_s}s:\n{log.read_text()[-4000:]}")


@contextmanager
def serving(env: dict[str, str], folder: Path) -> Iterator[dict]:
    """`fcast ui` on a free localhost port with `env`, until the block ends."""
    port = free_port()
    log = folder / "ui.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*FCAST, "ui", "--port", str(port)],
            env={**os.environ, **env},
            cwd=PROJECT_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield {"url": url, "env": env, "folder": folder, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def ui_server(built_duckdb, tmp_path_factory) -> Iterator[dict]:
    """The UI on a private copy of the built DuckDB warehouse (the tests upload, save and train)."""
    folder = tmp_path_factory.mktemp("ui_server")
    env = {**copy_of_warehouse(built_duckdb, folder), "FCAST_PLANS_DIR": str(folder / "plans")}
    with serving(env, folder) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_tab(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    return context, tab


@pytest.fixture
def page(browser, request):
    context, tab = new_tab(browser)
    yield tab
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def settle(tab, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished the current rerun, then fail on any exception it shows."""
    tab.wait_for_timeout(400)
    tab.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=timeout_ms)
    exceptions = tab.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.all_inner_texts()
    assert tab.get_by_text("Page not found").count() == 0


def open_page(tab, ui_server: dict, path: str, title: str) -> None:
    """Open a page by its URL path; the default page (Data) is served at the root."""
    tab.goto(f"{ui_server['url']}/{'' if path == DEFAULT_PAGE else path}")
    tab.get_by_role("heading", name=title, exact=True).first.wait_for()
    settle(tab)


def choose(tab, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label."""
    tab.get_by_label(label, exact=True).first.click()
    tab.get_by_role("option", name=option, exact=True).first.click()
    settle(tab)


def wait_for_cell(tab, text: str) -> None:
    """A Streamlit dataframe is drawn on a canvas; its accessible grid cells carry the text."""
    tab.locator("[data-testid='stDataFrame'] [role='gridcell']", has_text=text).first.wait_for(state="attached")


def count(sql: str, env: dict, params=()) -> int:
    with environment(env), db.connect(read_only=True) as warehouse:
        return int(warehouse.fetchall(sql, params)[0][0])


PAGES = [
    ("data", "Data", "Draws per game"),
    ("registry", "Registry", "Capability matrix"),
    ("plan", "Plan", "Add a run"),
    ("runs", "Runs", "Run history"),
    ("results", "Results", "Leaderboard against chance"),
]


@pytest.mark.parametrize(("path", "title", "text"), PAGES)
def test_every_page_opens_with_its_charts(page, ui_server, path, title, text):
    open_page(page, ui_server, path, title)
    page.get_by_text(text, exact=True).first.wait_for()  # a rerun can outlast settle()'s first look
    if path in ("registry", "results", "data"):
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for()


def test_every_page_opens_on_postgres(browser, built_postgres, tmp_path):
    env = {**built_postgres, "FCAST_PLANS_DIR": str(tmp_path / "plans")}
    with serving(env, tmp_path) as server:
        context, tab = new_tab(browser)
        try:
            for path, title, text in PAGES:
                open_page(tab, server, path, title)
                tab.get_by_text(text, exact=True).first.wait_for()
                assert "postgres" in tab.get_by_text("Warehouse:", exact=False).first.inner_text()
                tab.screenshot(path=str(ARTIFACTS / f"postgres_{path}.png"), full_page=True)
        finally:
            context.close()


def test_a_locked_warehouse_shows_busy_then_the_page(page, ui_server):
    holder = hold_duckdb_lock(ui_server["env"]["FCAST_DUCKDB_PATH"], seconds=8)
    try:
        page.goto(ui_server["url"])
        page.get_by_text("The warehouse is busy", exact=False).first.wait_for()
        page.screenshot(path=str(ARTIFACTS_BUSY), full_page=True)
    finally:
        holder.wait(timeout=60)
    page.get_by_text("Draws per game", exact=True).wait_for()
    settle(page)


def _loto6_file(folder: Path, name: str, draws: list[dict]) -> Path:
    path = folder / name
    path.write_text(json.dumps(draws), encoding="utf-8")
    return path


def test_a_bad_draw_file_shows_every_problem_and_stores_nothing(page, ui_server):
    env = ui_server["env"]
    bad = _loto6_file(
        ui_server["folder"],
        "loto6_bad.json",
        [
            {"round": 3001, "date": "2031-01-06", "numbers": [9, 13, 21, 32, 33], "bonus": [1]},
            {"round": 3002, "date": "2031-01-09", "numbers": [1, 5, 15, 31, 36, 44], "bonus": [2]},
            {"round": 3003, "date": "2031-01-13", "numbers": [1, 5, 5, 31, 36, 40], "bonus": [2]},
        ],
    )
    rejects_before = count("select count(*) from raw.ingest_rejects", env)
    open_page(page, ui_server, "data", "Data")
    page.locator("input[type='file']").first.set_input_files(str(bad))
    settle(page)
    page.get_by_text("3 problem(s) in 3 row(s)").wait_for()
    for rule in ("main_count", "number_range", "repeat_in_select_game"):
        wait_for_cell(page, rule)
    assert count("select count(*) from raw.ingest_rejects", env) == rejects_before
    assert count("select count(*) from raw.lottery_draws where game_code = 'loto6' and draw_no > 3000", env) == 0


def test_a_wrong_panel_file_gets_a_clear_message(page, ui_server):
    wrong = ui_server["folder"] / "panel_wrong.csv"
    wrong.write_bytes("series,date,value\na,1,2\n".encode("utf-16"))
    open_page(page, ui_server, "data", "Data")
    page.get_by_text("A unique_id, ds, y panel (CSV or Parquet)").click()
    settle(page)
    page.get_by_label("Frequency of ds (optional)", exact=True).wait_for()  # the panel's own uploader is drawn
    page.locator("input[type='file']").first.set_input_files(str(wrong))
    settle(page)
    page.get_by_text("panel_wrong.csv", exact=False).first.wait_for()
    message = page.locator("[data-testid='stAlert']").last.inner_text()
    assert "panel_wrong.csv" in message and ("UTF-8" in message or "unique_id" in message)


def test_a_good_draw_file_is_stored_and_the_models_rebuild(page, ui_server):
    env = ui_server["env"]
    last = max(json.loads((SHIPPED / "loto6.json").read_text()), key=lambda draw: draw["round"])
    next_draw = {"round": last["round"] + 1, "date": "2026-01-05", "numbers": [3, 11, 19, 25, 33, 40], "bonus": [7]}
    good = _loto6_file(ui_server["folder"], "loto6_next.json", [next_draw])
    open_page(page, ui_server, "data", "Data")
    page.locator("input[type='file']").first.set_input_files(str(good))
    settle(page)
    page.get_by_text("No problems: 1 new row(s), 0 already stored.").wait_for()
    assert (
        count(
            "select count(*) from raw.lottery_draws where game_code = 'loto6' and draw_no = ?",
            env,
            (next_draw["round"],),
        )
        == 0
    )
    page.get_by_role("button", name="Store loto6_next.json").click()
    page.get_by_text("Models rebuilt: yes").wait_for(timeout=REBUILD_TIMEOUT_MS)
    settle(page)
    assert (
        count(
            "select count(*) from raw.lottery_draws where game_code = 'loto6' and draw_no = ?",
            env,
            (next_draw["round"],),
        )
        == 1
    )
    assert count("select max(ds) from marts.fct_series_long where unique_id = 'loto6_N1'", env) == next_draw["round"]


def test_registry_search_narrows_models_and_shows_probe_evidence(page, ui_server):
    open_page(page, ui_server, "registry", "Registry")
    page.get_by_label("Model (contains)").fill("TSMixerx")
    page.get_by_label("Model (contains)").press("Enter")
    settle(page)
    page.get_by_text("1 model(s)").wait_for()
    page.get_by_role("tab", name="Argument outcomes").click()
    settle(page)
    page.get_by_text("probed argument value(s)", exact=False).first.wait_for()
    wait_for_cell(page, "TSMixerx")
    page.get_by_role("tab", name="Foundation models").click()
    settle(page)
    page.get_by_text("4 foundation model(s)", exact=False).wait_for()
    page.get_by_role("tab", name="Feature catalogue").click()
    settle(page)
    page.get_by_text("feature column(s) a plan can select", exact=False).wait_for()


def _fill_plan(tab, document: dict) -> None:
    area = tab.get_by_label("Plan YAML")
    area.fill(yaml.safe_dump(document, sort_keys=False))
    area.press("Control+Enter")
    settle(tab)


def _tiny_run(name: str, **changes) -> dict:
    run = {
        "name": name,
        "dataset": "loto6",
        "series": "N1",
        "model": "NHITS",
        "horizon": 1,
        "loss": {"class": "MAE"},
        "model_args": {"input_size": 12, "max_steps": 2, "scaler_type": "robust"},
        "fit": {"val_size": 0},
        "cross_validation": {"n_windows": 2, "step_size": 1},
        "features": TINY_FEATURES,
    }
    run.update(changes)
    return run


def test_a_valid_plan_is_saved_and_a_rejected_one_is_explained(page, ui_server):
    plans = Path(ui_server["env"]["FCAST_PLANS_DIR"])
    open_page(page, ui_server, "plan", "Plan")
    page.get_by_role("button", name="Add run to the plan").click()
    settle(page)
    page.get_by_text(": valid", exact=False).first.wait_for()

    _fill_plan(
        page, {"plan": "ui_rejected", "runs": [_tiny_run("bad_series", series="N9", loss={"class": "Accuracy"})]}
    )
    page.get_by_text("REJECTED", exact=False).first.wait_for()
    wait_for_cell(page, "unknown_series_selector")
    assert page.get_by_role("button", name="Save plan").is_disabled()
    assert not (plans / "ui_rejected.yaml").exists()

    _fill_plan(page, {"plan": "ui_valid", "runs": [_tiny_run("ui_valid_nhits")]})
    page.get_by_text("ui_valid_nhits", exact=False).first.wait_for()
    page.get_by_role("button", name="Save plan").click()
    page.get_by_text("Saved ", exact=False).first.wait_for()
    settle(page)
    saved = yaml.safe_load((plans / "ui_valid.yaml").read_text())
    assert saved["runs"][0]["name"] == "ui_valid_nhits"
    assert count("select count(*) from raw.run_plans where plan_name = 'ui_valid'", ui_server["env"]) == 1


def test_a_finished_run_opens_with_metrics_resources_and_log(page, ui_server):
    open_page(page, ui_server, "runs", "Runs")
    page.get_by_text("Status COMPLETED", exact=False).first.wait_for()
    page.get_by_text("Metrics per series").wait_for()
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()
    page.get_by_text("Log tail").click()
    settle(page)
    assert "run " in page.locator("[data-testid='stCode']").last.inner_text()


def test_a_started_run_shows_live_resources_and_cancels_as_failed(page, ui_server):
    env = ui_server["env"]
    plans = Path(env["FCAST_PLANS_DIR"])
    plans.mkdir(parents=True, exist_ok=True)
    run = _tiny_run("ui_long_nhits", model_args={"input_size": 12, "max_steps": 100_000, "scaler_type": "robust"})
    (plans / "ui_long.yaml").write_text(yaml.safe_dump({"plan": "ui_long", "runs": [run]}), encoding="utf-8")
    open_page(page, ui_server, "runs", "Runs")
    choose(page, "Plan file", str(plans / "ui_long.yaml"))
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text("Started job", exact=False).wait_for()
    page.get_by_text("ui_long_nhits", exact=False).first.wait_for()
    cancel = page.get_by_role("button", name="Cancel run")
    cancel.wait_for(timeout=120_000)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=120_000)
    cancel.click()
    page.get_by_text("sent SIGTERM", exact=False).wait_for()
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        with environment(env), db.connect(read_only=True, lock_timeout_s=30) as warehouse:
            status, error_type, logs = warehouse.fetchall(
                "select status, error_type, logs from raw.nf_model_runs where run_name = 'ui_long_nhits'"
            )[0]
        if status == "FAILED":
            break
        time.sleep(1)
    assert status == "FAILED" and error_type == "Interrupted"
    assert "interrupted" in logs.lower() or "KeyboardInterrupt" in logs
    page.get_by_text("No run is training now.").wait_for()


def _monthly_panel_file(path: Path) -> Path:
    """Two seasonal monthly series (month ends, 2015-2019) with last year's value as a hist_ column."""
    import math

    import pandas as pd

    months = pd.date_range("2015-01-31", periods=60, freq="ME")
    rows = []
    for series, level in (("north", 100.0), ("south", 400.0)):
        values = [level + 2 * t + 20 * math.sin(2 * math.pi * t / 12) for t in range(len(months))]
        rows += [
            {"unique_id": series, "ds": f"{month:%Y-%m-%d}", "y": value, "hist_y_lag12": values[max(t - 12, 0)]}
            for t, (month, value) in enumerate(zip(months, values, strict=True))
        ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_panel_upload_shows_its_frequency_and_its_run_the_panel_leaderboard(page, ui_server):
    env = ui_server["env"]
    panel = _monthly_panel_file(ui_server["folder"] / "sales.csv")
    open_page(page, ui_server, "data", "Data")
    page.get_by_text("A unique_id, ds, y panel (CSV or Parquet)").click()
    settle(page)
    name = page.get_by_label("Dataset name (lowercase letters, digits, _; it prefixes every unique_id)")
    name.fill("sales")
    name.press("Enter")
    settle(page)
    page.get_by_label("Frequency of ds (optional)", exact=True).wait_for()
    page.locator("input[type='file']").first.set_input_files(str(panel))
    settle(page)
    page.get_by_text("Time axis: dates at frequency ME from 2015-01-31 (inferred from the file)").wait_for()
    page.get_by_text("No problems: 120 new row(s), 0 already stored.").wait_for()
    assert count("select count(*) from raw.panel_observations where dataset_name = 'sales'", env) == 0
    page.get_by_role("button", name="Store sales.csv").click()
    page.get_by_text("Models rebuilt: yes").wait_for(timeout=REBUILD_TIMEOUT_MS)
    settle(page)
    assert count("select count(*) from marts.mart_datasets where dataset = 'sales' and freq = 'ME'", env) == 1

    run = {
        "name": "sales_nhits",
        "dataset": "sales",
        "series": "all",
        "model": "NHITS",
        "horizon": 12,
        "loss": {"class": "MAE"},
        "model_args": {"input_size": 24, "max_steps": 2, "scaler_type": "robust"},
        "fit": {"val_size": 0},
        "cross_validation": {"n_windows": 1, "step_size": 12},
        "features": {"hist": ["hist_y_lag12"]},
    }
    plan = ui_server["folder"] / "sales_plan.yaml"
    plan.write_text(yaml.safe_dump({"plan": "sales_plan", "runs": [run]}), encoding="utf-8")
    run_fcast("train", str(plan), env=env)
    run_fcast("build", "--select", "marts.runs", env=env)

    open_page(page, ui_server, "results", "Results")
    choose(page, "Dataset (game or panel)", "sales (panel)")
    page.get_by_text("Panel leaderboard against seasonal naive and naive", exact=True).wait_for()
    page.get_by_text("Forecasts against the actual values", exact=True).wait_for()
    page.get_by_text("seasonal naive", exact=False).first.wait_for()
    wait_for_cell(page, "sales_nhits")
    assert page.get_by_text("Leaderboard against chance", exact=True).count() == 0
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 2


def test_an_explained_run_shows_its_feature_importance_chart(page, ui_server):
    env = ui_server["env"]
    with environment(env), db.connect(read_only=True) as warehouse:
        [(run_id,)] = warehouse.fetchall(
            "select r.run_id from raw.nf_model_runs r join raw.model_artifacts a using (run_id) "
            "where r.model_name = 'NHITS' and r.run_name like 'loto6_%' order by r.created_at limit 1"
        )
    run_fcast("explain", run_id, "--explainer", "InputXGradient", env=env)

    open_page(page, ui_server, "results", "Results")
    choose(page, "Dataset (game or panel)", "loto6")
    page.get_by_text("Feature importance (fcast explain)", exact=True).wait_for()
    page.get_by_text("Each feature's share of the mean absolute attribution", exact=False).wait_for()
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 3  # leaderboard, forecasts, importance
