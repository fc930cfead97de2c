"""Work on a Ray cluster: `--ray ADDRESS` or FCAST_RAY_ADDRESS on `fcast train`, `fcast validate` (the
rehearsal) and `fcast registry probe`.

Plan rows, rehearsals and probes become Ray tasks with declared resources; the driver (the fcast
command) only submits, waits and reports. Probes and rehearsals stay pure functions of their spec, so
the driver alone writes their rows, as with the local pool. A training task writes its own run rows,
which is why a cluster's warehouse is PostgreSQL: a DuckDB file lives on one disk and takes one
process at a time. Every node must reach the model store (a shared file system path) and run the same
fcast and library versions (start each node with this environment's `ray`).

Faults: a task whose node or worker dies is retried by Ray on another node (`FCAST_RAY_MAX_RETRIES`).
The attempts of one plan row share a `dispatch_id`: a retry closes its dead attempt's run row FAILED
before it starts, and returns the COMPLETED run instead of training again when the dead attempt had
already finished. Ctrl+C on the driver cancels the cluster's tasks; their rows end FAILED.
"""

from __future__ import annotations

import math
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcast import db, settings
from fcast.errors import FcastError

FORWARDED_PREFIXES = ("FCAST_", "PG", "DBT_", "NIXTLA_", "MLFLOW_")  # what a task must see of the driver's settings
NAMESPACE = "fcast"
CANCEL_GRACE_S = 20.0  # a cancelled training task gets this long to close its run row itself
START_GRACE_S = 120.0  # a task may wait this long for a worker (imports included) before its own clock counts


class ClusterError(FcastError, RuntimeError):
    pass


def address() -> str:
    """The cluster fcast works on ('' for this machine's own worker processes)."""
    return settings.value("FCAST_RAY_ADDRESS").strip()


def use(ray_address: str | None) -> None:
    """`--ray ADDRESS` is FCAST_RAY_ADDRESS for this command (and for the processes it starts); a warehouse
    the cluster cannot share is refused before any work starts. Without a cluster, Ray stays local."""
    if ray_address:
        os.environ["FCAST_RAY_ADDRESS"] = ray_address
        require_shared_warehouse()
    keep_ray_local()


def keep_ray_local() -> None:
    """Outside a cluster, a `ray.init()` that Ray Tune makes for a search starts Ray in this process's own
    instance. Left to itself it attaches to the cluster `ray start` last recorded on this machine
    (/tmp/ray/ray_current_cluster), and waits for ever when that cluster has gone."""
    if not address():
        os.environ.setdefault("RAY_ADDRESS", "local")


def require_shared_warehouse() -> None:
    """A cluster's tasks write from other processes and machines: the warehouse must be PostgreSQL."""
    if db.current_target() == "duckdb":
        raise ClusterError(
            f"a Ray cluster ({address()}) cannot use the DuckDB warehouse {settings.duckdb_path()}: its tasks run "
            "in other processes, on other machines, and a DuckDB file lives on one disk and accepts one process "
            "at a time. Put the warehouse on PostgreSQL that every node reaches: FCAST_TARGET=postgres with "
            "PGHOST/PGPORT/PGUSER/PGDATABASE (then `fcast main` or `fcast build` there), or drop --ray to run here."
        )


def forwarded_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith(FORWARDED_PREFIXES)}


def connect() -> Any:
    """Connect this process to the cluster (once); returns the `ray` module."""
    import ray

    if not ray.is_initialized():
        require_shared_warehouse()
        try:
            ray.init(
                address=address(),
                namespace=NAMESPACE,
                runtime_env={"env_vars": forwarded_environment()},
                log_to_driver=False,
                logging_level="WARNING",
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise ClusterError(
                f"cannot connect to the Ray cluster at {address()!r}: {error}. Start it with "
                "`ray start --head` (then `ray start --address HEAD:6379` on each other node) from this "
                "environment, or unset FCAST_RAY_ADDRESS to run here."
            ) from error
    return ray


def cluster_cpus() -> int:
    ray = connect()
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def current_node_id() -> str:
    """The Ray node this process runs on; '' outside a cluster task."""
    try:
        import ray
    except ImportError:
        return ""
    if not ray.is_initialized():
        return ""
    return ray.get_runtime_context().get_node_id() or ""


RESOURCE_KEYS = {"cpus": 1, "gpus": 0}  # what a plan row's `resources` may ask for, and the defaults


def resource_problems(resources: dict) -> list[tuple[str, str]]:
    """(field, what is wrong) for each bad entry of a row's `resources` (the validator's `bad_resources`)."""
    problems = [
        (f"resources.{key}", f"{key!r} is not a resource (cpus, gpus)") for key in resources if key not in RESOURCE_KEYS
    ]
    for key in RESOURCE_KEYS:
        value = resources.get(key, RESOURCE_KEYS[key])
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append((f"resources.{key}", f"{key} is {value!r}: a number of {key[:-1].upper()}s, 0 or more"))
    return problems


def task_resources(resources: dict) -> dict[str, Any]:
    """Ray's task options for a plan row's `resources: {cpus, gpus}` (one CPU, no GPU by default)."""
    problems = resource_problems(resources)
    if problems:
        raise ClusterError("; ".join(f"{field}: {message}" for field, message in problems))
    return {"num_cpus": float(resources.get("cpus", 1)), "num_gpus": float(resources.get("gpus", 0))}


def check_feasible(rows: list) -> None:
    """Ray would queue a task no node can hold for ever: name such rows before anything is submitted."""
    ray = connect()
    nodes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
    largest = max(nodes, key=lambda node: (node.get("GPU", 0), node.get("CPU", 0)), default={})
    infeasible = [
        f"{row.run_name} asks for {asked['num_cpus']:g} CPU(s) and {asked['num_gpus']:g} GPU(s)"
        for row in rows
        for asked in [task_resources(row.resources)]
        if not any(
            node.get("CPU", 0) >= asked["num_cpus"] and node.get("GPU", 0) >= asked["num_gpus"] for node in nodes
        )
    ]
    if infeasible:
        raise ClusterError(
            f"no node of the cluster at {address()} can run: {'; '.join(infeasible)} (its largest node has "
            f"{largest.get('CPU', 0):g} CPUs and {largest.get('GPU', 0):g} GPUs): lower the rows' `resources` or "
            "add a node that has them"
        )


def _max_retries() -> int:
    return int(settings.number("FCAST_RAY_MAX_RETRIES"))


# --- the model store every node reaches ------------------------------------------------------------


def _read_marker(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def check_model_store(store: Path) -> None:
    """Each node must read what the driver wrote into the model store; say which node cannot."""
    ray = connect()
    store.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    marker = store / f".fcast-cluster-check-{token}"
    marker.write_text(token)
    try:
        nodes = [node for node in ray.nodes() if node.get("Alive")]
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        probe = ray.remote(_read_marker)
        checks = {
            node["NodeID"]: probe.options(
                num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            ).remote(str(marker))
            for node in nodes
        }
        blind = [node_id for node_id, ref in checks.items() if ray.get(ref, timeout=120) != token]
    finally:
        marker.unlink(missing_ok=True)
    if blind:
        raise ClusterError(
            f"the model store {store} is not reachable from node(s) {', '.join(blind)}: every node must see the "
            "same folder (a shared file system mounted at the same path); set FCAST_MODEL_STORE to it"
        )


# --- probes and rehearsals as Ray tasks ------------------------------------------------------------


class _MemberTimeout(BaseException):  # not an Exception: the executor's own handlers must not catch it
    pass


_WORKER_READY: set[str] = set()


def _prepare_worker(executor: str) -> Any:
    """Once per worker process and executor: quiet the libraries, warm the imports, one thread."""
    import importlib

    module_name = executor.partition(":")[0]
    module = importlib.import_module(module_name)
    if executor not in _WORKER_READY:
        import torch

        from fcast.probe.scenarios import quiet

        quiet()
        if hasattr(module, "warm_up"):
            module.warm_up()
        torch.set_num_threads(1)
        _WORKER_READY.add(executor)
    return module


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise _MemberTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(max(1, math.ceil(seconds)))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_task_group(executor: str, members: list[tuple[str, dict]], timeout_s: float) -> list[tuple[str, dict]]:
    """One Ray task: the members of a group in order, each under its own deadline (the pool's timeout)."""
    from fcast.probe.runner import failure_result

    module = _prepare_worker(executor)
    execute_group = getattr(module, "execute_group", None)
    execute = getattr(module, executor.partition(":")[2])
    results: list[tuple[str, dict]] = []
    started = time.perf_counter()
    try:
        with _deadline(timeout_s * len(members)):
            if len(members) > 1 and execute_group is not None:
                results.extend(execute_group(members, lambda probe_id: None))
            else:
                for probe_id, spec in members:
                    results.append((probe_id, execute(spec)))
    except _MemberTimeout:
        seconds = time.perf_counter() - started
        message = f"no result after {timeout_s:.0f}s (on Ray node {current_node_id()})"
        done = {probe_id for probe_id, _ in results}
        results.extend(
            (probe_id, failure_result("timeout", "Timeout", message, seconds))
            for probe_id, _ in members
            if probe_id not in done
        )
    return results


@dataclass
class _InFlight:
    group: list
    submitted: float


class RayTaskPool:
    """ProbePool's interface on a Ray cluster: each group is one task of one CPU; results reach `on_result`."""

    def __init__(self, timeout_s: float, executor: str) -> None:
        self.ray = connect()
        self.timeout_s = timeout_s
        self.executor = executor
        self.capacity = 2 * cluster_cpus()  # enough queued that no CPU waits for the driver
        self.remote = self.ray.remote(run_task_group).options(
            num_cpus=1, max_retries=_max_retries(), retry_exceptions=False
        )
        self.in_flight: dict[Any, _InFlight] = {}

    def run(self, items: list, on_result: Callable[[Any, dict], None]) -> None:
        self.run_groups([[item] for item in items], on_result)

    def run_groups(self, groups: list[list], on_result: Callable[[Any, dict], None]) -> None:
        from fcast.probe.runner import failure_result

        ray = self.ray
        pending = list(reversed([group for group in groups if group]))
        while pending or self.in_flight:
            while pending and len(self.in_flight) < self.capacity:
                group = pending.pop()
                members = [(member.probe_id, member.spec) for member in group]
                ref = self.remote.remote(self.executor, members, self.timeout_s)
                self.in_flight[ref] = _InFlight(group, time.monotonic())
            done, _ = ray.wait(list(self.in_flight), num_returns=1, timeout=0.5)
            for ref in done:
                flight = self.in_flight.pop(ref)
                by_id = {member.probe_id: member for member in flight.group}
                try:
                    for probe_id, result in ray.get(ref):
                        on_result(by_id[probe_id], result)
                except ray.exceptions.RayError as error:  # its worker or node died, after Ray's retries
                    if len(flight.group) > 1:  # which member killed it is unknown: each runs again alone
                        pending.extend([member] for member in reversed(flight.group))
                        continue
                    seconds = time.monotonic() - flight.submitted
                    message = f"the task's worker died ({type(error).__name__}): {str(error)[:1500]}"
                    on_result(flight.group[0], failure_result("crashed", "WorkerDied", message, seconds))
            self._stop_overdue(on_result)

    def _stop_overdue(self, on_result: Callable[[Any, dict], None]) -> None:
        """A task past its deadline by far (its worker stuck in native code) is cancelled outright."""
        from fcast.probe.runner import failure_result

        now = time.monotonic()
        for ref, flight in list(self.in_flight.items()):
            ceiling = START_GRACE_S + 2 * self.timeout_s * len(flight.group)
            if now - flight.submitted > ceiling:
                self.ray.cancel(ref, force=True)
                del self.in_flight[ref]
                for member in flight.group:
                    message = f"no result after {now - flight.submitted:.0f}s; the task was cancelled"
                    on_result(member, failure_result("timeout", "Timeout", message, now - flight.submitted))

    def close(self) -> None:
        """Cancel what is still running (Ctrl+C, or an error in the driver)."""
        for ref in self.in_flight:
            self.ray.cancel(ref, force=True)
        self.in_flight.clear()


# --- plan rows as Ray tasks -------------------------------------------------------------------------


def train_task(row_spec: dict, env_key: str, options: dict, dispatch_id: str, work_name: str) -> Any:
    """One plan row on a cluster node: `train_row` with the node and the dispatch recorded."""
    from fcast.plans.spec import RunPlanRow
    from fcast.train import trainer

    row = RunPlanRow(**row_spec)
    placement = trainer.Placement(ray_node_id=current_node_id(), dispatch_id=dispatch_id)
    return trainer.train_dispatched(row, env_key, trainer.TrainOptions(**options), placement, work_name)


def train_rows(
    rows: list, env_key_of: Callable[[Any], str], options: Any, work_name_of: Callable[[Any], str]
) -> Iterator[Any]:
    """Submit every row as a task with its declared resources; yield each RunOutcome as its task ends.

    Ctrl+C cancels the tasks still running (each closes its own run row FAILED as Interrupted; a task
    that cannot is closed by the driver), then raises KeyboardInterrupt."""
    from fcast.train import runs
    from fcast.train.trainer import RunOutcome

    require_shared_warehouse()
    ray = connect()
    check_feasible(rows)
    check_model_store(settings.model_store_dir())
    remote = ray.remote(train_task)
    shared_options = {
        "mlflow": options.mlflow,
        "rehearse": options.rehearse,
        "monitor_interval_s": options.monitor_interval_s,
        "flush_interval_s": options.flush_interval_s,
    }
    dispatched: dict[Any, tuple[Any, str]] = {}
    for row in rows:
        dispatch_id = uuid.uuid4().hex
        ref = remote.options(
            **task_resources(row.resources), max_retries=_max_retries(), retry_exceptions=False, name=row.run_name
        ).remote(row.spec(), env_key_of(row), shared_options, dispatch_id, work_name_of(row))
        dispatched[ref] = (row, dispatch_id)
    waiting = list(dispatched)
    try:
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            row, dispatch_id = dispatched[done[0]]
            try:
                yield ray.get(done[0])
            except ray.exceptions.RayError as error:  # every attempt's node or worker died
                message = f"the cluster could not finish it after {_max_retries()} retries: {str(error)[:1500]}"
                closed = runs.close_dispatch(dispatch_id, "NodeDied", message)
                yield RunOutcome(closed[-1] if closed else "", row.run_name, "FAILED", error=f"NodeDied: {message}")
    except BaseException:
        for ref in waiting:
            ray.cancel(ref)  # KeyboardInterrupt inside the task: train_row closes its run row itself
        deadline = time.monotonic() + CANCEL_GRACE_S
        while waiting and time.monotonic() < deadline:
            _, waiting = ray.wait(waiting, num_returns=len(waiting), timeout=1.0)
        for ref in waiting:
            ray.cancel(ref, force=True)
        for _row, dispatch_id in dispatched.values():
            runs.close_dispatch(
                dispatch_id, "Interrupted", "the driver was stopped (Ctrl+C) and cancelled the cluster's tasks"
            )
        raise
