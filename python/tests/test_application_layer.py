"""The shape of the package: one pipeline module, one settings module, one error base caught once by the CLI."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import fcast
from fcast import app, cli, settings
from fcast.errors import FcastError

from .conftest import run_fcast

pytestmark = pytest.mark.fast

PACKAGE_DIR = Path(fcast.__file__).parent
# Exceptions that never reach a user: they carry a failure between two parts of fcast.
INTERNAL_EXCEPTIONS = {
    "fcast.train.pipeline.StageFailure": "wraps the error of one trainer stage; the trainer records it on the run",
    "fcast.train.scoring.MissingForecastColumn": "caught by the scoring code, which names the missing output",
    "fcast.cluster._MemberTimeout": "a probe's alarm inside a Ray task, recorded as the probe's timeout outcome",
}
# Environment variables read outside fcast.settings on purpose: they belong to other programs.
FOREIGN_ENVIRONMENT = {
    "CUDA_VISIBLE_DEVICES",
    "PYTHONPATH",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "JAVA_HOME",
    "PYSPARK_PYTHON",
    "PYSPARK_DRIVER_PYTHON",
}


def _fcast_modules():
    for module in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="fcast."):
        if module.name.startswith("fcast.ui.page_") or module.name == "fcast.ui.app":
            continue  # Streamlit pages run their layout on import
        yield importlib.import_module(module.name)


def test_every_error_fcast_raises_for_a_user_derives_from_the_one_base_class():
    strays = []
    for module in _fcast_modules():
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                qualified = f"{module.__name__}.{name}"
                if not issubclass(value, FcastError) and qualified not in INTERNAL_EXCEPTIONS:
                    strays.append(qualified)
    assert not strays, f"derive these from fcast.errors.FcastError (or list them as internal): {strays}"


def test_no_module_reads_the_environment_except_the_settings_module():
    readers = []
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv"):
                name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
                if name not in FOREIGN_ENVIRONMENT:
                    readers.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} reads {name}")
    assert not readers, readers


def test_every_fcast_variable_the_code_names_is_a_declared_setting():
    declared = {item.name for item in settings.SETTINGS}
    named = set()
    for path in [*PACKAGE_DIR.rglob("*.py"), PACKAGE_DIR.parents[1] / "bootstrap.py"]:
        named |= set(re.findall(r"\bFCAST_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8")))
    assert named <= declared, f"declare these in fcast.settings.SETTINGS: {sorted(named - declared)}"


def test_settings_are_read_when_used_not_at_import(monkeypatch, tmp_path):
    monkeypatch.setenv("FCAST_DUCKDB_PATH", str(tmp_path / "w" / "fcast.duckdb"))
    monkeypatch.setenv("FCAST_UI_LOCK_TIMEOUT", "7.5")
    assert settings.duckdb_path() == tmp_path / "w" / "fcast.duckdb"
    assert settings.beside_warehouse("reports") == tmp_path / "w" / "reports"
    assert settings.model_store_dir() == tmp_path / "w" / "models"
    assert settings.number("FCAST_UI_LOCK_TIMEOUT") == 7.5
    monkeypatch.setenv("FCAST_MODEL_STORE", "elsewhere/models")
    assert settings.model_store_dir() == settings.project_dir() / "elsewhere" / "models"
    monkeypatch.setenv("FCAST_STALE_RUN_S", "soon")
    with pytest.raises(FcastError, match="FCAST_STALE_RUN_S='soon' is not a number"):
        settings.number("FCAST_STALE_RUN_S")


def test_the_environment_table_lists_every_setting_with_its_default():
    table = settings.markdown_table()
    for item in settings.SETTINGS:
        assert f"| `{item.name}` |" in table
    assert "| `FCAST_TARGET` | `duckdb` |" in table


def test_the_dbt_selection_after_a_write_is_derived_from_the_raw_tables_written():
    deferred = app.refresh(["lottery_draws", "ingest_rejects", "lottery_draws"], rebuild=False)
    assert deferred.status == "deferred" and deferred.ok
    assert deferred.selection == [
        "--select",
        "source:raw.lottery_draws+",
        "source:raw.ingest_rejects+",
        "@source:raw.lottery_draws,config.materialized:table",
        "@source:raw.ingest_rejects,config.materialized:table",
    ]
    assert deferred.command.startswith("fcast build --select source:raw.lottery_draws+ source:raw.ingest_rejects+ @")


def test_the_cli_has_no_pipeline_logic_of_its_own():
    """Each command handler renders what one application step returns; none builds Namespaces for another."""
    source = Path(cli.__file__).read_text(encoding="utf-8")
    assert "argparse.Namespace(" not in source
    assert "train_plan(" not in source and "validate_rows(" not in source and "run_dbt(" not in source


@pytest.mark.parametrize(
    ("arguments", "env", "message", "code"),
    [
        (("plan", "--game", "nope"), {}, "error: unknown game 'nope'; the seeds define: bingo5", 1),
        (("validate",), {}, "error: give one or more PLAN.yaml files (or --list-rules)", 2),
        (("ingest", "--futr"), {}, "error: --futr, --freq, --fill-gaps and --season-length describe panels", 2),
        (("build",), {"FCAST_PROJECT_DIR": "/"}, "error: / holds no dbt_project.yml. Set FCAST_PROJECT_DIR", 1),
        (("db", "info"), {"FCAST_DB_LOCK_TIMEOUT": "long"}, "error: FCAST_DB_LOCK_TIMEOUT='long' is not a number", 1),
    ],
)
def test_a_user_error_prints_one_line_and_its_exit_code_never_a_traceback(duckdb_env, arguments, env, message, code):
    result = run_fcast(*arguments, env={**duckdb_env, **env}, check=False)
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.stderr
