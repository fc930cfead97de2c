"""Training jobs started from the UI: child processes that call the pipeline (`fcast.app.train`), and cancelling runs.

A job is one child process (`python -m fcast.ui.jobs JOB.json`) in its own session, so it outlives
page reruns and a restart of the UI. Its record (pid, plan, runs, log file) is that JSON file beside
the warehouse; the child reads it and trains those rows, then scores them against chance and
refreshes the marts. Cancelling a run sends SIGTERM to the process that trains it; the trainer turns
that into an interrupt, so the run ends FAILED with its log, like Ctrl+C.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from fcast import db, settings
from fcast.errors import FcastError
from fcast.raw_schema import NF_MODEL_RUNS
from fcast.train.runs import HOST

ACTIVE_STATUSES = ("PENDING", "RUNNING")


def jobs_dir() -> Path:
    folder = settings.beside_warehouse("ui_jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Job:
    job_id: str
    pid: int
    process_started: float
    plan_file: str
    run_names: list[str]
    started_at: str
    log_file: str
    command: list[str]

    @property
    def alive(self) -> bool:
        try:
            process = psutil.Process(self.pid)
            return abs(process.create_time() - self.process_started) < 1 and process.status() != "zombie"
        except psutil.Error:
            return False

    def log_tail(self, chars: int = 6000) -> str:
        path = Path(self.log_file)
        if not path.exists():
            return ""
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]


def start_training(plan_file: Path, run_names: list[str]) -> Job:
    """Train the chosen rows of a plan file in a child process; it refreshes the run marts when it ends."""
    job_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    record = jobs_dir() / f"{job_id}.json"
    log_file = jobs_dir() / f"{job_id}.log"
    job = Job(job_id, 0, 0.0, str(plan_file), list(run_names), "", str(log_file), [])
    job.command = [sys.executable, "-m", "fcast.ui.jobs", str(record)]
    record.write_text(json.dumps(asdict(job), indent=2), encoding="utf-8")
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            job.command,
            cwd=settings.project_dir(),
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    job.pid = process.pid
    job.process_started = psutil.Process(process.pid).create_time()
    job.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record.write_text(json.dumps(asdict(job), indent=2), encoding="utf-8")
    return job


def run_job(record: Path) -> int:
    """The child process of a job: train its rows, score them against chance and refresh the marts."""
    from fcast import app
    from fcast.errors import FcastError

    job = Job(**json.loads(record.read_text(encoding="utf-8")))

    def say(line: str) -> None:
        print(line, flush=True)

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        rows = app.load_plans([job.plan_file], job.run_names)
        result = app.train(rows, app.train_options(progress=say), refresh_marts=True, progress=say)
    except FcastError as error:
        say(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    say(f"{result.completed} completed, {result.report.failed} failed, {len(result.report.rejected)} rejected")
    if result.refresh is not None:
        say(f"marts {result.refresh.status} ({result.refresh.command})")
    return result.exit_code


def list_jobs(limit: int = 20) -> list[Job]:
    records = sorted(jobs_dir().glob("*.json"), reverse=True)[:limit]
    return [Job(**json.loads(path.read_text(encoding="utf-8"))) for path in records]


class CancelError(FcastError, RuntimeError):
    pass


def cancel_run(run_id: str) -> str:
    """SIGTERM the live process training `run_id` on this host; returns what was done."""
    with db.connect(read_only=True, lock_timeout_s=10) as warehouse:
        found = warehouse.fetchall(
            f"select status, host, pid, run_name from {NF_MODEL_RUNS.qualified_name} where run_id = ?", (run_id,)
        )
    if not found:
        raise CancelError(f"no run {run_id}")
    status, host, pid, run_name = found[0]
    if status not in ACTIVE_STATUSES:
        raise CancelError(f"{run_name} ({run_id}) is {status}; only a PENDING or RUNNING run can be cancelled")
    if host != HOST:
        raise CancelError(f"{run_name} runs on {host}, not on this host ({HOST}): stop it there")
    try:
        os.kill(int(pid), signal.SIGTERM)
    except ProcessLookupError as error:
        raise CancelError(
            f"the process of {run_name} (pid {pid}) is gone; `fcast runs` closes the run as FAILED"
        ) from error
    return f"sent SIGTERM to pid {pid}: {run_name} ({run_id}) ends FAILED with its log"


if __name__ == "__main__":
    sys.exit(run_job(Path(sys.argv[1])))
