"""`fcast ui`: check the environment and the warehouse, then serve the Streamlit app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fcast import db

APP = Path(__file__).with_name("app.py")
REQUIRED_MARTS = (
    "marts.mart_ingest_issues",
    "marts.registry_model_capabilities",
    "marts.probe_argument_outcomes",
    "marts.run_history",
    "marts.chance_leaderboard",
    "marts.mart_datasets",
    "marts.panel_leaderboard_runs",
)


def environment_problems() -> list[str]:
    """Everything that keeps the UI from working, each with what to do; empty when it can start."""
    problems = []
    for module in ("streamlit", "altair"):
        try:
            __import__(module)
        except ImportError:
            problems.append(f"{module} is not installed in {sys.prefix}: run `python3 bootstrap.py ui`.")
    try:
        db.set_target(None)
        from fcast.ui import reads

        missing = reads.missing_marts(REQUIRED_MARTS)
    except db.WarehouseError as error:
        return [*problems, f"the warehouse cannot be read: {error}"]
    if missing:
        problems.append(
            f"{db.describe_target()} lacks {', '.join(missing)}: run `python3 bootstrap.py main` "
            "(or `fcast main`) to build the warehouse first."
        )
    return problems


def streamlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.maxUploadSize",
        "200",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
    ]


def serve(host: str, port: int) -> int:
    problems = environment_problems()
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    print(f"fcast UI on http://{host}:{port} ({db.describe_target()}); Ctrl+C stops it", flush=True)
    command = streamlit_command(host, port)
    if os.name == "posix":  # become the server: a SIGTERM to `fcast ui` reaches Streamlit, no orphan is left
        os.execve(command[0], command, dict(os.environ))
    try:
        return subprocess.call(command, env=dict(os.environ))
    except KeyboardInterrupt:
        return 0
