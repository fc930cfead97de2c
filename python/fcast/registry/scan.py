"""`fcast registry scan`: run the scan worker under an interpreter and write its rows to the raw tables.

The worker runs in a child process (this interpreter, or another one to compare versions), so the
scanned library's imports never load into fcast. An environment key already in the warehouse is a
no-op; a finished scan is also cached as JSON beside the warehouse, so scanning the same
environment into another warehouse needs no second worker run.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fcast import db, settings
from fcast.errors import FcastError
from fcast.ingest.records import utc_now
from fcast.raw_schema import (
    REGISTRY_ALLOWED_VALUES,
    REGISTRY_ENVIRONMENTS,
    REGISTRY_FOUNDATION_CAPABILITIES,
    REGISTRY_LOSSES,
    REGISTRY_MODEL_CAPABILITIES,
    REGISTRY_MODEL_LOSSES,
    REGISTRY_PARAMETERS,
    REGISTRY_SEARCH_SPACES,
    REGISTRY_SYMBOLS,
    REGISTRY_TABLES,
    RawTable,
)
from fcast.registry.plugins import FOUNDATION_LIBRARIES, PLUGIN_MODULES
from fcast.registry.worker import SCANNER_VERSION

DEFAULT_LIBRARIES = ("neuralforecast", *FOUNDATION_LIBRARIES)
ALL_LIBRARIES = tuple(PLUGIN_MODULES)
WORKER_TIMEOUT_S = 1800
ROW_TABLES: dict[str, RawTable] = {
    "symbols": REGISTRY_SYMBOLS,
    "parameters": REGISTRY_PARAMETERS,
    "allowed_values": REGISTRY_ALLOWED_VALUES,
    "model_capabilities": REGISTRY_MODEL_CAPABILITIES,
    "losses": REGISTRY_LOSSES,
    "model_losses": REGISTRY_MODEL_LOSSES,
    "search_spaces": REGISTRY_SEARCH_SPACES,
    "foundation_capabilities": REGISTRY_FOUNDATION_CAPABILITIES,
}
_SKIP_STATUSES = ("scanned", "not_installed")


class RegistryScanError(FcastError, RuntimeError):
    pass


@dataclass
class ScanOutcome:
    library: str
    env_key: str
    status: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""

    def summary(self) -> str:
        counted = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in self.counts.items() if count)
        detail = f": {counted}" if counted else ""
        error = f" ({self.error})" if self.error else ""
        return f"{self.library}: {self.status} [{self.env_key}] in {self.seconds:.1f}s{detail}{error}"


def cache_dir() -> Path:
    return settings.registry_cache_dir()


def _cache_file(env_key: str) -> Path:
    digest = hashlib.sha256(f"{SCANNER_VERSION}|{env_key}".encode()).hexdigest()[:24]
    return cache_dir() / f"{digest}.json"


def run_worker(libraries: list[str], python: str | None = None, key_only: bool = False) -> dict | list[dict]:
    """The worker's JSON under the given interpreter (default: this one): a scan, or a list of keys."""
    interpreter = python or sys.executable
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "scan.json"
        command = [interpreter, "-m", "fcast.registry.worker", str(output), *libraries]
        if key_only:
            command.append("--key-only")
        try:
            finished = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
            )
        except FileNotFoundError as error:
            raise RegistryScanError(
                f"interpreter {interpreter} not found: give --python a Python executable"
            ) from error
        except subprocess.TimeoutExpired as error:
            raise RegistryScanError(
                f"scanning {', '.join(libraries)} took longer than {WORKER_TIMEOUT_S}s and was stopped"
            ) from error
        if finished.returncode != 0 or not output.exists():
            tail = (finished.stderr or finished.stdout)[-2000:]
            raise RegistryScanError(f"the scan worker for {', '.join(libraries)} under {interpreter} failed:\n{tail}")
        return json.loads(output.read_text(encoding="utf-8"))


def _already_scanned(env_key: str) -> bool:
    """The key is stored, by this scanner version, as scanned or not installed."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select status, scanner_version from {REGISTRY_ENVIRONMENTS.qualified_name} where env_key = ?", (env_key,)
        )
    return bool(rows) and rows[0][0] in _SKIP_STATUSES and rows[0][1] == SCANNER_VERSION


def _full_scan(library: str, python: str | None, env_key: str, force: bool) -> dict:
    cached = _cache_file(env_key)
    if cached.exists() and not force:
        return json.loads(cached.read_text(encoding="utf-8"))
    result = run_worker([library], python)
    if result["environment"]["status"] == "scanned":
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(json.dumps(result), encoding="utf-8")
        temporary.replace(cached)
    return result


def _table_rows(table: RawTable, rows: list[dict], env_key: str, library: str) -> list[dict]:
    """The worker's rows by column name with their key; keys the table does not declare are left out."""
    context = {"env_key": env_key, "library": library}
    return [{column: {**context, **row}[column] for column in table.column_names} for row in rows]


def write_scan(result: dict) -> dict[str, int]:
    """Replace the rows of this environment key with the scan's rows; returns rows per table."""
    environment = result["environment"]
    env_key, library = environment["env_key"], environment["library"]
    counts = {}
    with db.connect() as warehouse:
        for table in REGISTRY_TABLES:
            warehouse.execute(f"delete from {table.qualified_name} where env_key = ?", (env_key,))
        for name, table in ROW_TABLES.items():
            counts[name] = warehouse.insert_rows(
                table, _table_rows(table, result["tables"].get(name, []), env_key, library)
            )
        environment_row = {
            **environment,
            "scanned_at": utc_now(),
            "duration_seconds": float(environment.get("duration_seconds", 0.0)),
        }
        warehouse.insert_rows(
            REGISTRY_ENVIRONMENTS, _table_rows(REGISTRY_ENVIRONMENTS, [environment_row], env_key, library)
        )
    return counts


def scan(libraries: list[str], python: str | None = None, force: bool = False) -> list[ScanOutcome]:
    """Scan libraries into the warehouse; a library whose environment key is already there is a no-op."""
    unknown = [library for library in libraries if library not in PLUGIN_MODULES]
    if unknown:
        raise RegistryScanError(f"no registry plug-in for {', '.join(unknown)}; known: {', '.join(PLUGIN_MODULES)}")
    started = time.perf_counter()
    keys = [result["environment"] for result in run_worker(libraries, python, key_only=True)]
    outcomes = []
    for key in keys:
        library, env_key = key["library"], key["env_key"]
        if not force and _already_scanned(env_key):
            outcomes.append(ScanOutcome(library, env_key, "already scanned (no-op)", time.perf_counter() - started))
            started = time.perf_counter()
            continue
        result = (
            _full_scan(library, python, env_key, force)
            if key["status"] == "scanned"
            else {"environment": {**key, "duration_seconds": 0.0}, "tables": {}}
        )
        counts = write_scan(result)
        environment = result["environment"]
        outcomes.append(
            ScanOutcome(
                library,
                env_key,
                environment["status"],
                time.perf_counter() - started,
                counts,
                environment.get("error", ""),
            )
        )
        started = time.perf_counter()
    return outcomes
