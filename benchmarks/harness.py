"""The benchmark harness: measured child processes and the throwaway warehouses the benchmarks run on.

`run_measured` runs a command with its output in a log file and measures its wall time and peak memory:
the RSS summed over the process and all its children, sampled every 0.2 s; given a PostgreSQL database,
the server's processes (not children of the command) are sampled as well. `checked` stops a benchmark
with the log's tail when a step failed.

The warehouses come from fcast.throwaway, which the test suite uses too: `scratch_env` points fcast and
dbt at a folder of their own, `prepared_warehouse` fills one with the main job (setup, not timed), and a
`Workspace` holds the temporary folders, project copies and PostgreSQL databases of one run and removes
them at the end. The checkout and its warehouse are never touched.

Run a benchmark from the checkout's environment: `.venv/bin/python benchmarks/bench_<name>.py`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from fcast.throwaway import create_postgres_database, drop_postgres_database, fcast_command, warehouse_env

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests", "profiles", "analyses")
DATA_PARTS = ("data",)
SAMPLE_INTERVAL_S = 0.2
MIB = 1024 * 1024
PG_BACKEND_TITLE = re.compile(r"^postgres: (\S+) (\S+) (\S+\(\d+\)|\[local\])")
PG_PARALLEL_TITLE = re.compile(r"^postgres: parallel worker for PID (\d+)")
PG_AUTOVACUUM_TITLE = re.compile(r"^postgres: autovacuum worker (\S+)")


# ---------------------------------------------------------------------------------- measured commands


@dataclass
class Measured:
    """A measured child process: exit status, wall time and peak memory."""

    returncode: int
    wall_s: float
    peak_tree_rss: int
    peak_pg_rss_all: int = 0
    peak_pg_rss_ours: int = 0
    peak_pg_private_ours: int = 0
    log_path: Path | None = None


def mib(value: int | float | None) -> float | None:
    return None if value is None else round(value / MIB, 1)


def tree_rss(root: psutil.Process) -> int:
    """RSS of a process and all its children (0 once it has gone)."""
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def _pg_database_of(title: str, leaders: dict[int, str | None]) -> str | None:
    """The database a postgres process works for; None for server-wide processes."""
    if match := PG_BACKEND_TITLE.match(title):
        return match.group(2)
    if match := PG_AUTOVACUUM_TITLE.match(title):
        return match.group(1)
    if match := PG_PARALLEL_TITLE.match(title):
        return leaders.get(int(match.group(1)))
    return None


def _pg_rss(database: str) -> tuple[int, int, int]:
    """(RSS of every postgres process, RSS of ours, RSS minus shared pages of ours).

    'Ours' is every server-wide process (postmaster, checkpointer, writers) plus the backends, parallel
    workers and autovacuum workers of `database`: other databases on the same server are left out.
    """
    rows = []
    for process in psutil.process_iter(["name", "cmdline", "memory_info"]):
        info = process.info
        if info["name"] != "postgres" or info["memory_info"] is None:
            continue
        rows.append((process.pid, " ".join(info["cmdline"] or []), info["memory_info"]))
    leaders = {pid: _pg_database_of(title, {}) for pid, title, _ in rows}
    everything = ours = private = 0
    for _pid, title, memory in rows:
        everything += memory.rss
        owner = _pg_database_of(title, leaders)
        if owner is None or owner == database:
            ours += memory.rss
            private += max(memory.rss - memory.shared, 0)
    return everything, ours, private


class PeakSampler:
    """Samples a process tree (and optionally the PostgreSQL server) every 0.2 s in a thread."""

    def __init__(self, pid: int, pg_database: str | None) -> None:
        self.root = psutil.Process(pid)
        self.pg_database = pg_database
        self.peak_tree = self.peak_pg_all = self.peak_pg_ours = self.peak_pg_private = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        self.peak_tree = max(self.peak_tree, tree_rss(self.root))
        if self.pg_database:
            everything, ours, private = _pg_rss(self.pg_database)
            self.peak_pg_all = max(self.peak_pg_all, everything)
            self.peak_pg_ours = max(self.peak_pg_ours, ours)
            self.peak_pg_private = max(self.peak_pg_private, private)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_INTERVAL_S)


def run_measured(command: Sequence[str], log_path: Path, pg_database: str | None, timeout_s: float | None) -> Measured:
    """Run a command with its output in log_path; measure wall time and peak memory."""
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        with PeakSampler(process.pid, pg_database) as sampler:
            try:
                returncode = process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill_tree(process.pid)
                returncode = process.wait()
                log.write(f"\n[bench] killed after the {timeout_s:.0f}s timeout\n")
    wall = time.perf_counter() - started
    return Measured(
        returncode,
        wall,
        sampler.peak_tree,
        sampler.peak_pg_all,
        sampler.peak_pg_ours,
        sampler.peak_pg_private,
        log_path,
    )


def _kill_tree(pid: int) -> None:
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for process in [*root.children(recursive=True), root]:
            with contextlib.suppress(psutil.Error):
                process.kill()


def log_tail(path: Path | None, lines: int = 25) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def checked(measured: Measured, label: str) -> Measured:
    """The measurement of a step that must succeed; a failed step ends the benchmark with its log's tail."""
    if measured.returncode != 0:
        raise SystemExit(f"{label} failed:\n{log_tail(measured.log_path, 60)}")
    return measured


def run_checked(command: Sequence[str], log_path: Path, label: str) -> Measured:
    """run_measured of a step that must succeed, with no timeout and no PostgreSQL sampling."""
    return checked(run_measured(command, log_path, None, None), label)


# ---------------------------------------------------------------------------------- throwaway warehouses


def scratch_env(folder: Path) -> dict[str, str]:
    """A DuckDB warehouse in `folder`, with the model store there too (never the user's)."""
    return {**warehouse_env(folder), "FCAST_MODEL_STORE": str(folder / "models")}


def prepared_warehouse(folder: Path, *main_arguments: str) -> dict[str, str]:
    """Point this process (and so every command it runs) at a scratch warehouse and fill it with the main job.

    The main job is setup, not a figure: `fcast main --no-train` unless other `main_arguments` are given.
    """
    env = scratch_env(folder)
    os.environ.update(env)
    arguments = main_arguments or ("--no-train",)
    print(f"[bench] fcast main {' '.join(arguments)} (setup, not timed) ...", flush=True)
    run_checked(fcast_command("main", *arguments), folder / "setup.log", "fcast main")
    return env


def copy_project(destination: Path, with_data: bool) -> Path:
    """A copy of the dbt project (and optionally the shipped history) to run against."""
    destination.mkdir(parents=True)
    for part in PROJECT_PARTS + (DATA_PARTS if with_data else ()):
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        elif source.is_file():
            shutil.copy2(source, destination / part)
    return destination


class Workspace:
    """Temporary folders and PostgreSQL databases of one benchmark run; removed by cleanup()."""

    def __init__(self, keep: bool) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fcast-bench-"))
        self.keep = keep
        self.databases: list[str] = []

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_pg_database(self, label: str) -> str:
        self.databases.append(create_postgres_database(f"fcast_bench_{os.getpid()}_{label}"))
        return self.databases[-1]

    def cleanup(self) -> None:
        import psycopg

        if self.keep:
            print(f"kept {self.root} and databases {', '.join(self.databases) or '-'}", file=sys.stderr)
            return
        for name in self.databases:
            try:
                drop_postgres_database(name)
            except psycopg.Error as error:
                print(f"warning: could not drop database {name}: {error}", file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Warehouse:
    """One figure's fresh warehouse: a scratch folder, the project copy it builds, and its PostgreSQL database."""

    target: str
    project: Path
    scratch: Path
    pg_database: str | None = None

    def env(self) -> dict[str, str]:
        return {
            **warehouse_env(self.scratch, self.target, self.pg_database, self.project),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    @property
    def dbt_target(self) -> Path:
        return Path(self.env()["DBT_TARGET_PATH"])

    @property
    def duckdb_path(self) -> Path | None:
        return Path(self.env()["FCAST_DUCKDB_PATH"]) if self.target == "duckdb" else None


def fresh_warehouse(workspace: Workspace, target: str, project: Path, label: str) -> Warehouse:
    scratch = workspace.folder(f"{target}-{label}")
    if target == "duckdb":
        return Warehouse(target, project, scratch)
    return Warehouse(target, project, scratch, pg_database=workspace.new_pg_database(label))
