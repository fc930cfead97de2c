"""The Runs page's reads in a loop, each one timed: a headless browser tab left open on the Runs page.

The PostgreSQL load test and the load benchmark run it as separate processes beside trainers and dbt:

    python -m fcast.ui.timed_reads STOP_FILE OUT.jsonl

Until STOP_FILE exists it makes the reads the page makes, through the page's own functions (the marts check,
the live section with each live run's resource samples, the run history), once every LIVE_REFRESH_S as the
page's live section does, and writes a JSON line per read (`read`, `started`, `ended`, `seconds`, `error`:
empty when it was answered) and one per live run it was shown (`read` = "live_run", `run_id`, `status`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

RUNS_PAGE_MARTS = ("marts.run_history", "staging.stg_raw__nf_model_runs", "staging.stg_raw__run_resources")


def _timed(name: str, read: Callable[[], Any], log: IO[str]) -> Any:
    started = time.time()
    try:
        value, error = read(), ""
    except Exception as failure:  # recorded: the caller judges every read
        value, error = None, f"{type(failure).__name__}: {failure}"
    ended = time.time()
    entry = {"read": name, "started": started, "ended": ended, "seconds": ended - started, "error": error}
    log.write(json.dumps(entry) + "\n")
    log.flush()
    return value


def read_page(log: IO[str]) -> None:
    """One refresh of the Runs page: its marts check, the live runs with their samples, the run history."""
    from fcast.ui import page_runs, reads

    _timed("require_marts", lambda: reads.missing_marts(RUNS_PAGE_MARTS), log)
    live = _timed("live_runs", page_runs._live_runs, log)
    for run in [] if live is None else live.itertuples():
        _timed("samples", lambda run_id=run.run_id: page_runs._samples(run_id), log)
        log.write(json.dumps({"read": "live_run", "run_id": run.run_id, "status": run.status}) + "\n")
    _timed("history", page_runs._history, log)


def read_until(stop: Path, out: Path) -> None:
    from fcast.ui.page_runs import LIVE_REFRESH_S

    with out.open("w", encoding="utf-8") as log:
        while not stop.exists():
            read_page(log)
            time.sleep(LIVE_REFRESH_S)


def load_entries(path: Path) -> list[dict]:
    """The lines a reader has written so far (none before it started; a line being written is left out)."""
    if not path.exists():
        return []
    *complete, _being_written = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in complete if line.strip()]


if __name__ == "__main__":
    read_until(Path(sys.argv[1]), Path(sys.argv[2]))
