"""Benchmark the UI: server start, time to a settled page in headless Chromium, upload checks, memory.

    python benchmarks/bench_ui.py [--repeats 3] [--keep]

Figures (fresh DuckDB warehouse built by `fcast main --max-steps 2` first, not timed):
  1. `fcast ui` start until /_stcore/health answers;
  2. per page: from navigation until Streamlit has finished the run (median of the repeats);
  3. the Data page's dry-run check of the largest shipped file (numbers3, every draw already stored)
     and of a one-draw file, and storing that draw with the rebuild of the models downstream;
  4. peak RSS of the UI server's process tree while the pages were loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from harness import REPO_ROOT, mib, run_checked, scratch_env, tree_rss

from fcast.throwaway import fcast_command, scoped_environment

PAGES = [("", "Data"), ("registry", "Registry"), ("plan", "Plan"), ("runs", "Runs"), ("results", "Results")]
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def _wait_healthy(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the UI did not answer within {timeout_s}s")


def bench_pages(env: dict[str, str], folder: Path, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    port = 8765
    log = (folder / "ui.log").open("wb")
    started = time.perf_counter()
    server = subprocess.Popen(
        fcast_command("ui", "--port", str(port)), env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        server_process = psutil.Process(server.pid)
        start_s = time.perf_counter() - started
        timings: dict[str, list[float]] = {title: [] for _, title in PAGES}
        peak = 0
        chromium = os.environ.get("FCAST_CHROMIUM") or shutil.which("chromium")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            page.set_default_timeout(120_000)
            for _ in range(repeats):
                for path, title in PAGES:
                    began = time.perf_counter()
                    page.goto(f"{url}/{path}")
                    page.get_by_role("heading", name=title, exact=True).first.wait_for()
                    page.wait_for_timeout(200)
                    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")
                    timings[title].append(time.perf_counter() - began - 0.2)
                    peak = max(peak, tree_rss(server_process))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return {
        "start_s": start_s,
        "pages": {title: statistics.median(values) for title, values in timings.items()},
        "peak": peak,
    }


def bench_uploads(env: dict[str, str], folder: Path) -> dict:
    from fcast.ui import uploads

    numbers3 = (REPO_ROOT / "data" / "lottery" / "numbers3.json").read_bytes()
    loto6 = json.loads((REPO_ROOT / "data" / "lottery" / "loto6.json").read_text())
    last = max(loto6, key=lambda draw: draw["round"])
    one = json.dumps([{"round": last["round"] + 1, "date": "2026-01-05", "numbers": [3, 11, 19, 25, 33, 40]}]).encode()
    with scoped_environment(env):
        began = time.perf_counter()
        big = uploads.check_upload("numbers3.json", numbers3, uploads.DRAWS)
        big_s = time.perf_counter() - began
        began = time.perf_counter()
        small = uploads.check_upload("loto6_next.json", one, uploads.DRAWS)
        small_s = time.perf_counter() - began
        began = time.perf_counter()
        stored = uploads.store_upload("loto6_next.json", one, uploads.DRAWS)
        store_s = time.perf_counter() - began
    if not stored.rebuild_ok:
        raise SystemExit(f"the rebuild after the upload failed:\n{stored.rebuild_output}")
    return {
        "big": (big_s, big.already_known, big.would_add),
        "small": (small_s, small.would_add),
        "store_s": store_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fcast-bench-ui-"))
    env = {**scratch_env(folder), "FCAST_PLANS_DIR": str(folder / "plans")}
    try:
        with scoped_environment(env):
            run_checked(fcast_command("main", "--max-steps", "2"), folder / "setup.log", "main")
        pages = bench_pages(env, folder, args.repeats)
        upload = bench_uploads(env, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    python = sys.version.split()[0]
    print(f"\nUI on a fresh DuckDB warehouse (main job at --max-steps 2), {args.repeats} repeats, Python {python}")
    print(f"  fcast ui start until healthy        {pages['start_s']:6.2f} s")
    for title, seconds in pages["pages"].items():
        print(f"  page {title:<10} settled in         {seconds:6.2f} s (median)")
    print(f"  UI server peak RSS (process tree)   {mib(pages['peak']):6.0f} MiB")
    big_s, known, new = upload["big"]
    print(f"  dry-run check numbers3.json         {big_s:6.2f} s ({known} already stored, {new} new)")
    print(f"  dry-run check of one new Loto6 draw {upload['small'][0]:6.2f} s ({upload['small'][1]} new)")
    print(f"  store it and rebuild downstream     {upload['store_s']:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
