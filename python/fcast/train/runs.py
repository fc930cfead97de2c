"""raw.nf_model_runs: create, start, beat, finish and fail run rows, and close runs whose process died.

Every write is its own short transaction. On DuckDB the writer keeps `updated_at` current; on
PostgreSQL a trigger does (the writer's value is overwritten there).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import psutil

from fcast import db, settings
from fcast.errors import NotFoundError
from fcast.ingest.records import utc_now
from fcast.raw_schema import NF_MODEL_RUNS, RawTable

# A RUNNING row whose heartbeat is older than this is dead (the trainer beats every few seconds).
HOST = socket.gethostname()


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass
class RunRecord:
    """The fields a run is created with; the rest are filled as it progresses."""

    run_id: str
    run_kind: str
    plan_id: str
    plan_name: str
    run_name: str
    table_name: str
    dataset: str
    series_selector: str
    model_name: str
    backend: str
    horizon: int
    loss: str
    env_key: str
    random_seed: int
    accelerator: str
    optimization_config: dict = field(default_factory=dict)
    search_space: dict = field(default_factory=dict)
    parent_run_id: str = ""
    ray_node_id: str = ""  # the Ray node, on a cluster
    dispatch_id: str = ""  # the cluster task: every attempt of one plan row shares it

    def insert(self) -> None:
        now = utc_now()
        values = {
            "run_id": self.run_id,
            "created_at": now,
            "updated_at": now,
            "run_kind": self.run_kind,
            "parent_run_id": self.parent_run_id,
            "plan_id": self.plan_id,
            "plan_name": self.plan_name,
            "run_name": self.run_name,
            "table_name": self.table_name,
            "loto": self.dataset,
            "series_selector": self.series_selector,
            "unique_ids": "[]",
            "model_name": self.model_name,
            "backend": self.backend,
            "horizon": self.horizon,
            "loss": self.loss,
            "optimization_config": to_json(self.optimization_config),
            "search_space": to_json(self.search_space),
            "status": "PENDING",
            "start_time": None,
            "end_time": None,
            "duration_seconds": None,
            "metrics": "{}",
            "best_params": "{}",
            "resource_summary": "{}",
            "logs": "",
            "error_type": "",
            "error_message": "",
            "mlflow_run_id": "",
            "env_key": self.env_key,
            "data_version": "",
            "train_rows": 0,
            "last_ds": None,
            "random_seed": self.random_seed,
            "accelerator": self.accelerator,
            "host": HOST,
            "pid": os.getpid(),
            "heartbeat_at": now,
            "ray_node_id": self.ray_node_id,
            "dispatch_id": self.dispatch_id,
        }
        with db.connect() as warehouse:
            warehouse.insert_rows(NF_MODEL_RUNS, [values])


def update_table(
    table: RawTable, key_column: str, key: str, warehouse: db.Warehouse | None = None, **values: Any
) -> None:
    """Set columns of one row (dicts and lists are stored as JSON) and touch updated_at."""
    values = {name: to_json(value) if isinstance(value, dict | list) else value for name, value in values.items()}
    values["updated_at"] = utc_now()
    assignments = ", ".join(f"{name} = ?" for name in values)
    sql = f"update {table.qualified_name} set {assignments} where {key_column} = ?"
    if warehouse is not None:
        warehouse.execute(sql, [*values.values(), key])
        return
    with db.connect() as connection:
        connection.execute(sql, [*values.values(), key])


def update_run(run_id: str, warehouse: db.Warehouse | None = None, **values: Any) -> None:
    update_table(NF_MODEL_RUNS, "run_id", run_id, warehouse, **values)


def mark_running(run_id: str) -> None:
    now = utc_now()
    update_run(run_id, status="RUNNING", start_time=now, heartbeat_at=now, host=HOST, pid=os.getpid())


def mark_failed(run_id: str, error_type: str, message: str, logs: str, started=None) -> None:
    now = utc_now()
    values: dict[str, Any] = {
        "status": "FAILED",
        "end_time": now,
        "error_type": error_type,
        "error_message": message,
        "logs": logs,
        "heartbeat_at": now,
    }
    if started is not None:
        values["duration_seconds"] = (now - started).total_seconds()
    update_run(run_id, **values)


def _liveness(host: str, pid: int, created_at: dt.datetime) -> str:
    """'alive' or 'gone' for a run of this host (a pid reused by a later process counts as gone); else 'unknown'."""
    if host != HOST or not pid:
        return "unknown"
    if pid == os.getpid():
        return "alive"
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return "gone"
        started_after_run = process.create_time() > created_at.replace(tzinfo=dt.UTC).timestamp() + 5
    except psutil.NoSuchProcess:
        return "gone"
    return "gone" if started_after_run else "alive"


def close_stale_runs(stale_after_s: float | None = None) -> list[str]:
    """Close as FAILED every RUNNING or PENDING row whose process is gone.

    On this host the process table decides (a live trainer whose flushes wait behind a long lock is
    left alone); for a run on another host, a heartbeat older than `stale_after_s` does.
    """
    stale_after_s = settings.number("FCAST_STALE_RUN_S") if stale_after_s is None else stale_after_s
    now = utc_now()
    with db.connect() as warehouse:
        candidates = warehouse.fetchall(
            f"select run_id, status, host, pid, heartbeat_at, start_time, created_at "
            f"from {NF_MODEL_RUNS.qualified_name} where status in ('PENDING', 'RUNNING')"
        )
        closed = []
        for run_id, status, host, pid, heartbeat_at, start_time, created_at in candidates:
            silent_s = (now - heartbeat_at).total_seconds()
            liveness = _liveness(host, int(pid), created_at)
            if not (liveness == "gone" or (liveness == "unknown" and silent_s > stale_after_s)):
                continue
            reason = (
                f"closed by a later fcast command: the run was {status} but its process ({host} pid {pid}) "
                f"{'is gone' if liveness == 'gone' else 'is not known here'} and stopped beating {silent_s:.0f}s ago "
                "(killed, or the machine went down)"
            )
            _close_failed(warehouse, run_id, "StaleRun", reason, start_time, heartbeat_at)
            closed.append(run_id)
    return closed


def _close_failed(
    warehouse: db.Warehouse,
    run_id: str,
    error_type: str,
    reason: str,
    start_time: dt.datetime | None,
    heartbeat_at: dt.datetime,
) -> None:
    """End an open run FAILED on another process's behalf; its log gets the reason (its own lines are kept)."""
    now = utc_now()
    values = {"status": "FAILED", "end_time": now, "error_type": error_type, "error_message": reason}
    if start_time is not None:
        values["duration_seconds"] = (heartbeat_at - start_time).total_seconds()
    update_run(run_id, warehouse, **values)
    warehouse.execute(
        f"update {NF_MODEL_RUNS.qualified_name} set logs = logs || ? where run_id = ?",
        (f"\n[{now:%Y-%m-%d %H:%M:%S}] {reason}\n", run_id),
    )


def close_dispatch(dispatch_id: str, error_type: str, message: str) -> list[str]:
    """Close as FAILED the unfinished attempts of one cluster task (a dead attempt, or a cancelled one)."""
    with db.connect() as warehouse:
        rows = warehouse.fetchall(
            f"select run_id, start_time, heartbeat_at from {NF_MODEL_RUNS.qualified_name} "
            "where dispatch_id = ? and status in ('PENDING', 'RUNNING') order by created_at",
            (dispatch_id,),
        )
        for run_id, start_time, heartbeat_at in rows:
            _close_failed(warehouse, run_id, error_type, message, start_time, heartbeat_at)
    return [row[0] for row in rows]


def completed_run_of_dispatch(dispatch_id: str) -> dict | None:
    """The COMPLETED attempt of a cluster task, if an earlier attempt finished before its node died."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetch_frame(
            f"select * from {NF_MODEL_RUNS.qualified_name} where dispatch_id = ? and status = 'COMPLETED'",
            (dispatch_id,),
        )
    return None if rows.empty else rows.iloc[0].to_dict()


def find_run(run_id_prefix: str) -> dict:
    """One run by id or unique id prefix, as a dict of its columns."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetch_frame(
            f"select * from {NF_MODEL_RUNS.qualified_name} where run_id like ? order by created_at",
            (f"{run_id_prefix}%",),
        )
    if rows.empty:
        raise NotFoundError(f"no run with id {run_id_prefix!r}: see `fcast runs`")
    if len(rows) > 1:
        raise NotFoundError(f"{len(rows)} runs start with {run_id_prefix!r}: give more of the id")
    return rows.iloc[0].to_dict()
