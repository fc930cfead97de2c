"""Shared fixtures: real DuckDB files and real PostgreSQL databases, created per test or per session; the test tiers.

PostgreSQL tests never skip when FCAST_REQUIRE_POSTGRES=1 (the README's test command sets it):
a missing server fails them loudly. The throwaway warehouses come from fcast.throwaway, which the
benchmarks use too.

Tiers: tests marked `fast` (no warehouse built by the main job, no training, no dbt build) run first,
the full tier after them in the same session; when a fast test fails, the session stops there and says
that the full tier was not run. A fast test that asks for a main-job warehouse is a usage error.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import textwrap
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from fcast import db, settings, throwaway
from fcast.throwaway import fcast_command, postgres_unavailable_reason, run_fcast, temporary_postgres_database
from fcast.throwaway import scoped_environment as environment

PROJECT_DIR = settings.project_dir()
FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED = PROJECT_DIR / "data" / "lottery"
FCAST = fcast_command()
MAIN_JOB_FIXTURES = frozenset({"built_duckdb", "built_postgres", "built_env", "trained_copy"})
FULL_TIER_NOT_RUN = "the fast tier failed ({failures}): the full tier was not run; fix the fast tests first"
TIER_STOP = pytest.StashKey[str]()


def _is_fast(item: pytest.Item) -> bool:
    return item.get_closest_marker("fast") is not None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The fast tier first, each tier in collection order; a fast test may not need a main-job warehouse."""
    misplaced = [item.nodeid for item in items if _is_fast(item) and MAIN_JOB_FIXTURES & set(item.fixturenames)]
    if misplaced:
        raise pytest.UsageError(
            "these tests are marked fast but use a warehouse built by the main job "
            f"({', '.join(sorted(MAIN_JOB_FIXTURES))}); remove their fast mark:\n  " + "\n  ".join(misplaced)
        )
    items.sort(key=lambda item: not _is_fast(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """After the last fast test: stop the session when any fast test failed (the full tier is not started)."""
    result = yield
    session = item.session
    if _is_fast(item) and nextitem is not None and not _is_fast(nextitem) and session.testsfailed:
        failures = f"{session.testsfailed} failure{'s' if session.testsfailed != 1 else ''}"
        session.stash[TIER_STOP] = session.shouldfail = FULL_TIER_NOT_RUN.format(failures=failures)
    return result


class _HtmlReportNotes:
    """What the HTML report (pytest-html, when loaded) says beyond the results: its title, a stopped tier."""

    @staticmethod
    def pytest_html_report_title(report) -> None:
        report.title = "fcast test report"

    @staticmethod
    def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str], session) -> None:
        fast = sum(1 for item in session.items if _is_fast(item))
        full = len(session.items) - fast
        tiers = [f"fast tier: {fast} tests, run first"] if fast else []
        tiers += [f"full tier: {full} tests"] if full else []
        prefix.append(f"<p>Selected: {'; '.join(tiers) or 'no tests'}.</p>")
        if TIER_STOP in session.stash:
            prefix.append(f"<p><strong>{html.escape(session.stash[TIER_STOP])}.</strong></p>")


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(_HtmlReportNotes(), "fcast-html-report-notes")


def hold_duckdb_lock(path: str, seconds: float) -> subprocess.Popen:
    """Another process that opens the DuckDB file for writing and keeps it for `seconds`."""
    script = textwrap.dedent(f"""
        import duckdb, sys, time
        connection = duckdb.connect({path!r})
        print("locked", flush=True)
        time.sleep({seconds})
        connection.close()
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture(scope="session", autouse=True)
def shared_registry_cache(tmp_path_factory) -> Iterator[None]:
    """One registry scan cache for the session: the main job in every test warehouse reuses one scan."""
    with environment({"FCAST_REGISTRY_CACHE": str(tmp_path_factory.mktemp("registry_cache"))}):
        yield


@pytest.fixture(scope="session")
def postgres_server() -> None:
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    message = f"PostgreSQL is not reachable: {reason}"
    if os.environ.get("FCAST_REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
        pytest.fail(message + " (FCAST_REQUIRE_POSTGRES=1: PostgreSQL tests never skip here)")
    pytest.skip(message)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_env(request, tmp_path) -> Iterator[dict[str, str]]:
    """An empty warehouse on each target, active in this process for the test's duration."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_server")
        with temporary_postgres_database() as name:
            env = throwaway.warehouse_env(tmp_path, "postgres", name)
            with environment(env):
                db.ensure_raw_tables()
                yield env
        return
    env = throwaway.warehouse_env(tmp_path)
    with environment(env):
        db.ensure_raw_tables()
        yield env


@pytest.fixture
def duckdb_env(tmp_path) -> Iterator[dict[str, str]]:
    """An empty DuckDB warehouse, active in this process for the test's duration."""
    env = throwaway.warehouse_env(tmp_path)
    with environment(env):
        db.ensure_raw_tables()
        yield env


def _built_warehouse(target: str, folder: Path, database: str | None) -> dict[str, str]:
    env = throwaway.warehouse_env(folder, target, database)
    result = run_fcast("main", "--max-steps", "2", env=env, check=False)
    if result.returncode != 0:
        raise AssertionError(f"fcast main on {target} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return env


@pytest.fixture(scope="session")
def built_duckdb(tmp_path_factory) -> dict[str, str]:
    """The main job (`fcast main`: shipped history of all six games + dbt build) on a fresh DuckDB file."""
    return _built_warehouse("duckdb", tmp_path_factory.mktemp("built_duckdb"), None)


@pytest.fixture(scope="session")
def built_postgres(tmp_path_factory, postgres_server) -> Iterator[dict[str, str]]:
    """The main job on a fresh PostgreSQL database."""
    with temporary_postgres_database() as name:
        yield _built_warehouse("postgres", tmp_path_factory.mktemp("built_postgres"), name)


@pytest.fixture(params=["duckdb", "postgres"])
def built_env(request) -> Iterator[dict[str, str]]:
    """A warehouse built by the main job on each target, active in this process."""
    env = request.getfixturevalue(f"built_{request.param}")
    with environment(env):
        yield env


@pytest.fixture
def trained_copy(built_duckdb, tmp_path):
    """A private copy of the built DuckDB warehouse, active in this process: its runs are the test's own."""
    from fcast.throwaway import copy_of_warehouse

    env = copy_of_warehouse(built_duckdb, tmp_path)
    with environment(env):
        yield env
