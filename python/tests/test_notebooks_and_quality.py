"""Notebooks run against a freshly built warehouse; Python and SQL are lint clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fcast.throwaway import copy_of_warehouse

from .conftest import PROJECT_DIR, environment

NOTEBOOKS = sorted((PROJECT_DIR / "notebooks").glob("*.ipynb"))
# Notebooks that load data and train: each runs on its own copy of the built warehouse, so the others (and the
# rest of the suite) see the warehouse the main job built.
WRITING_NOTEBOOKS = {"07_panel_from_upload_to_forecast"}
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_executes_against_the_built_warehouse(notebook, built_duckdb, tmp_path):
    document = nbformat.read(notebook, as_version=4)
    env = built_duckdb
    if notebook.stem in WRITING_NOTEBOOKS:
        (tmp_path / "warehouse").mkdir()
        env = copy_of_warehouse(built_duckdb, tmp_path / "warehouse")
    with environment(env):
        NotebookClient(
            document, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    errors = [
        o for c in document.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    assert any(c.get("outputs") for c in document.cells if c.cell_type == "code")


@pytest.mark.fast
def test_there_is_at_least_one_notebook():
    assert NOTEBOOKS


@pytest.mark.fast
def test_python_is_ruff_clean():
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(BIN / "ruff"), *command, "python", "bootstrap.py", "benchmarks"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_sql_is_sqlfluff_clean(tmp_path):
    env = {
        "FCAST_TARGET": "duckdb",
        "FCAST_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    with environment(env):
        result = subprocess.run(
            [str(BIN / "sqlfluff"), "lint", "models", "tests", "analyses", "--nocolor"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
