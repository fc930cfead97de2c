#!/usr/bin/env python3
"""Set up fcast's isolated environment and run its main job or its whole test suite.

    python3 bootstrap.py main [--target T] [fcast main options]   # the main job on the embedded DuckDB
                                 # (e.g. --max-steps 20, --no-train)
    python3 bootstrap.py test [pytest options]       # the whole test suite (DuckDB and PostgreSQL): the fast
                                 # tier first, then the full tier; results in test-results/report.html
    python3 bootstrap.py test --fast [pytest options]  # the fast tier alone (no main job, no training)
    python3 bootstrap.py ui [--port N]               # the Streamlit UI on the warehouse the main job built

Only the standard library is used here: this file runs before anything is installed. The
environment (.venv, or FCAST_VENV) is created from the pinned requirements.lock and rebuilt when
the lock or pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LOCK_FILE = ROOT / "requirements.lock"
TEST_REPORT = ROOT / "test-results" / "report.html"
SUPPORTED_PYTHONS = ((3, 11), (3, 12))


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[bootstrap] ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def venv_dir() -> Path:
    return Path(os.environ.get("FCAST_VENV", ROOT / ".venv")).resolve()


def venv_bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return venv_dir() / folder / f"{name}{suffix}"


def environment_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK_FILE, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def run(command: list[str], **kwargs) -> None:
    result = subprocess.run(command, check=False, **kwargs)
    if result.returncode != 0:
        fail(f"`{' '.join(map(str, command))}` exited with {result.returncode}")


def ensure_environment() -> None:
    if sys.version_info[:2] not in SUPPORTED_PYTHONS:
        fail(f"fcast needs Python 3.11 or 3.12; this is {sys.version.split()[0]}. Run bootstrap.py with it.")
    stamp = venv_dir() / "fcast-environment.sha256"
    fingerprint = environment_fingerprint()
    if stamp.exists() and stamp.read_text().strip() == fingerprint and venv_bin("fcast").exists():
        return
    started = time.perf_counter()
    if not venv_bin("python").exists():
        say(f"creating the virtual environment {venv_dir()}")
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir())
    python = str(venv_bin("python"))
    say("installing the pinned dependencies from requirements.lock (first run: a few minutes)")
    pip = [python, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    run([*pip, "--upgrade", "pip"])
    run([*pip, "-r", str(LOCK_FILE)])
    run([*pip, "--no-deps", "-e", str(ROOT)])
    stamp.write_text(fingerprint)
    say(f"environment ready in {time.perf_counter() - started:.0f}s")


def postgres_address() -> tuple[str, int]:
    return os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432"))


def postgres_reachable(timeout_s: float = 2.0) -> bool:
    host, port = postgres_address()
    if host.startswith("/"):
        return Path(host, f".s.PGSQL.{port}").exists()
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_for_postgres(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if postgres_reachable():
            return True
        time.sleep(1)
    return postgres_reachable()


def start_local_postgres_clusters() -> None:
    for version_dir in sorted(Path("/etc/postgresql").glob("*")):
        for cluster_dir in sorted(version_dir.glob("*")):
            say(f"starting PostgreSQL cluster {version_dir.name}/{cluster_dir.name}")
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version_dir.name, cluster_dir.name, "start"],
                check=False,
            )


def allow_local_trust_auth() -> None:
    """A freshly installed Debian server asks for passwords on TCP; the test databases are local."""
    for hba in Path("/etc/postgresql").glob("*/*/pg_hba.conf"):
        text = hba.read_text()
        line = "host all all 127.0.0.1/32 trust\n"
        if line not in text:
            hba.write_text(line + text)


def ensure_postgres() -> None:
    """The suite runs every dbt build on PostgreSQL too: start or install the server, or fail loudly."""
    if postgres_reachable():
        return
    if shutil.which("pg_ctlcluster"):
        start_local_postgres_clusters()
        if wait_for_postgres(30):
            return
    if os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("PostgreSQL is not running: installing Debian's postgresql package")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-q"], env=env)
        run(["apt-get", "install", "-y", "-q", "postgresql"], env=env)
        allow_local_trust_auth()
        start_local_postgres_clusters()
        if wait_for_postgres(60):
            return
    host, port = postgres_address()
    fail(
        f"PostgreSQL is not reachable at {host}:{port} and could not be started. The test suite builds "
        "every model on PostgreSQL as well as DuckDB and never skips that: start a server and set "
        "PGHOST/PGPORT/PGUSER/PGPASSWORD."
    )


def chromium_path() -> str | None:
    return os.environ.get("FCAST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium headless (no browser download is possible offline)."""
    if chromium_path():
        return
    if os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("chromium is not installed: installing Debian's chromium package for the browser tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        installed = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, check=False)
        if installed.returncode != 0:
            run(["apt-get", "update", "-q"], env=env)
            run(["apt-get", "install", "-y", "-q", "chromium"], env=env)
        if chromium_path():
            return
    fail(
        "the UI's browser tests need Chromium and it is not installed: install Debian's `chromium` package "
        "(or any Chromium) and set FCAST_CHROMIUM to its binary if it is not on PATH."
    )


def java_path() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    return shutil.which("java")


def ensure_java() -> None:
    """The distributed-fit tests start PySpark, which needs a Java runtime (Debian's OpenJDK 17 headless)."""
    if java_path():
        return
    package = "openjdk-17-jre-headless"
    if os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"java is not installed: installing Debian's {package} for the distributed (Spark) tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        installed = subprocess.run(["apt-get", "install", "-y", "-q", package], env=env, check=False)
        if installed.returncode != 0:
            run(["apt-get", "update", "-q"], env=env)
            run(["apt-get", "install", "-y", "-q", package], env=env)
        if java_path():
            return
    fail(
        f"the distributed-fit tests run PySpark, which needs Java, and none is installed: install Java 17 "
        f"(Debian: `apt-get install -y {package}`) or set JAVA_HOME to a Java 17 installation."
    )


def main_job(arguments: list[str]) -> int:
    """`fcast [--target T] main [main options]`: the global --target goes before the command, the rest after."""
    ensure_environment()
    global_options, rest = [], list(arguments)
    while rest and rest[0].startswith("--target"):
        count = 1 if "=" in rest[0] else 2
        global_options, rest = global_options + rest[:count], rest[count:]
    command = [str(venv_bin("fcast")), *global_options, "main", *rest]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def test_suite(arguments: list[str]) -> int:
    """One pytest session: the fast tier first, then the full tier (python/tests/conftest.py orders them and
    stops before the full tier when a fast test fails), written as one self-contained HTML report.

    `--fast` runs the fast tier alone; every other argument goes to pytest. A `--html` of the caller's own
    replaces the default report path.
    """
    fast_only = "--fast" in arguments
    arguments = [argument for argument in arguments if argument != "--fast"]
    ensure_environment()
    ensure_postgres()
    if not fast_only:
        ensure_chromium()
        ensure_java()
    env = dict(os.environ, FCAST_REQUIRE_POSTGRES="1", PYTHONUNBUFFERED="1")
    own_report = any(argument.startswith("--html") for argument in arguments)
    report = [] if own_report else [f"--html={TEST_REPORT.relative_to(ROOT)}", "--self-contained-html"]
    if not own_report:
        TEST_REPORT.unlink(missing_ok=True)
    command = [str(venv_bin("python")), "-m", "pytest", *(["-m", "fast"] if fast_only else []), *report, *arguments]
    say(f"running {' '.join(command[1:])}")
    returncode = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    if not own_report:
        if TEST_REPORT.exists():
            say(f"test report (HTML): {TEST_REPORT}")
        else:
            say(f"no test report was written ({TEST_REPORT}): pytest stopped before its results")
    return returncode


def user_interface(arguments: list[str]) -> int:
    """The launch script of the UI: the environment, then `fcast ui`, which checks the warehouse first."""
    ensure_environment()
    command = [str(venv_bin("fcast")), "ui", *arguments]
    try:
        return subprocess.run(command, cwd=ROOT, check=False).returncode
    except KeyboardInterrupt:
        return 0


COMMANDS = {"main": main_job, "test": test_suite, "ui": user_interface}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
