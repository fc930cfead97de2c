"""`fcast registry probe`: run the probe matrix in worker processes, with one writer.

Each worker process takes one probe at a time; the parent watches the clock, so a probe that hangs
is stopped (timeout) and a worker that dies takes only its probe with it (crashed). Results are
written by the parent alone, in short batches, so an interrupted run resumes where it stopped:
probes already recorded for this environment key are skipped.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import queue
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fcast import db
from fcast.ingest.records import utc_now
from fcast.probe.definitions import PROBE_VERSION, Probe, RegistryView, context_columns
from fcast.probe.observations import TOLERANCE, Comparison, compare_with_baseline
from fcast.raw_schema import REGISTRY_PROBES

DEFAULT_TIMEOUT_S = 90.0
WORKER_GC_THRESHOLDS = (50_000, 50, 100)
TASKS_AHEAD = 2  # tasks queued per worker: the next one waits in its queue while it runs the current one
WRITE_EVERY_S = 3.0


@dataclass
class ProbeRunReport:
    env_key: str
    planned: int = 0
    already_recorded: int = 0
    run: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    foundation: list[ProbeRunReport] = field(default_factory=list)  # the foundation-model adapters' probes

    def summary(self) -> str:
        counted = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        return (
            f"{self.planned} probes planned, {self.already_recorded} already recorded, {self.run} run in "
            f"{self.seconds:.1f}s ({counted or 'nothing new'})"
        )


DEFAULT_EXECUTOR = "fcast.probe.scenarios:execute"


def _worker(tasks, results, executor: str, error_log: str, own_packages_first: bool = False) -> None:
    """Runs tasks of one or more (probe_id, spec) members; an executor module with `execute_group` runs a
    group of several members itself (one shared fit), otherwise each member runs alone."""
    import importlib

    if own_packages_first:  # spawn hands the child the parent's sys.path: put this interpreter's release first
        import sysconfig

        sys.path.insert(0, sysconfig.get_paths()["purelib"])
    import torch

    from fcast.probe.scenarios import quiet

    module_name, _, function_name = executor.partition(":")
    module = importlib.import_module(module_name)
    execute = getattr(module, function_name)
    execute_group = getattr(module, "execute_group", None)
    quiet()
    if hasattr(module, "warm_up"):
        module.warm_up()  # heavy imports before the first task's clock starts
    # The imports leave ~10^6 long-lived objects that every full collection would scan again; thousands of
    # short tasks made that about 15% of a worker's time. Freeze them, and collect young objects less often.
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    silence = os.open(os.devnull, os.O_WRONLY)
    os.dup2(silence, 1)  # the library's training chatter would bury the prober's progress lines
    os.dup2(os.open(error_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)  # kept: a crash message quotes it
    torch.set_num_threads(1)  # one core per worker: several workers never fight over the same cores
    while True:
        task = tasks.get()
        if task is None:
            return
        if len(task) > 1 and execute_group is not None:
            for probe_id, result in execute_group(task, lambda started: results.put(("started", started, None))):
                results.put(("finished", probe_id, result))
            continue
        for probe_id, spec in task:
            results.put(("started", probe_id, None))  # the clock starts here, not while the worker imports
            results.put(("finished", probe_id, execute(spec)))


@dataclass
class _Slot:
    process: multiprocessing.Process
    tasks: multiprocessing.Queue
    probe: Probe | None = None  # the member running now (or about to)
    waiting: list = field(default_factory=list)  # the members of its tasks not finished yet, probe first
    task_ends: list = field(default_factory=list)  # the last member of each task sent and not finished
    started: float = 0.0
    running: bool = False
    error_log: str = ""  # the worker's stderr (a crash message quotes its end)


class ProbePool:
    """Worker processes with per-probe timeouts; yields (probe, result) as probes finish."""

    def __init__(
        self, workers: int, timeout_s: float, executor: str = DEFAULT_EXECUTOR, python: str | None = None
    ) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.python = python
        self.context.set_executable(python or sys.executable)  # a process-wide setting: always say which
        if python:  # workers under another interpreter (an overlay with another release of the library)
            package_root = str(Path(__file__).resolve().parents[2])
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        self.results = self.context.Queue()
        self.timeout_s = timeout_s
        self.executor = executor
        self.slots = [self._start() for _ in range(workers)]

    def _start(self) -> _Slot:
        tasks = self.context.Queue()
        handle, error_log = tempfile.mkstemp(prefix="fcast_probe_worker_", suffix=".log")
        os.close(handle)
        process = self.context.Process(
            target=_worker, args=(tasks, self.results, self.executor, error_log, self.python is not None), daemon=True
        )
        process.start()
        return _Slot(process, tasks, error_log=error_log)

    def _restart(self, index: int) -> None:
        slot = self.slots[index]
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(timeout=10)
        Path(slot.error_log).unlink(missing_ok=True)
        self.slots[index] = self._start()

    def run(self, probes: list, on_result: Callable[[Probe, dict], None]) -> None:
        """Run each probe alone (items with probe_id and spec)."""
        self.run_groups([[probe] for probe in probes], on_result)

    def run_groups(self, groups: list[list], on_result: Callable[[Probe, dict], None]) -> None:
        """Run groups of probes, one worker task each. A member that hangs or kills its worker is its own
        timeout or crash; the members after it run again alone, each in a fresh task."""
        self.pending = list(reversed([group for group in groups if group]))
        while self.pending or any(slot.waiting for slot in self.slots):
            for slot in self.slots:
                while self.pending and len(slot.task_ends) < TASKS_AHEAD:  # a worker never waits for the parent
                    group = self.pending.pop()
                    if not slot.waiting:
                        slot.probe, slot.started, slot.running = group[0], time.monotonic(), False
                    slot.waiting.extend(group)
                    slot.task_ends.append(group[-1].probe_id)
                    slot.tasks.put([(member.probe_id, member.spec) for member in group])
            try:
                kind, probe_id, result = self.results.get(timeout=0.2)
            except queue.Empty:
                self._check_slots(on_result)
                continue
            slot = next((s for s in self.slots if any(m.probe_id == probe_id for m in s.waiting)), None)
            if slot is None:
                continue  # a late message from a worker that was stopped
            member = next(m for m in slot.waiting if m.probe_id == probe_id)
            if kind == "started":
                slot.probe, slot.started, slot.running = member, time.monotonic(), True
                continue
            slot.waiting.remove(member)
            if probe_id in slot.task_ends:
                slot.task_ends.remove(probe_id)
            slot.probe, slot.running = (slot.waiting[0] if slot.waiting else None), False
            on_result(member, result)
            self._check_slots(on_result)

    def _check_slots(self, on_result: Callable[[Probe, dict], None]) -> None:
        now = time.monotonic()
        for index, slot in enumerate(self.slots):
            if slot.probe is None:
                continue
            elapsed = now - slot.started
            if not slot.process.is_alive():
                probe, code, said = slot.probe, slot.process.exitcode, _tail(slot.error_log)
                self._release(index)
                message = f"the worker process exited with code {code}" + (f"; its last words: {said}" if said else "")
                on_result(probe, failure_result("crashed", "WorkerDied", message, elapsed))
            elif slot.running and elapsed > self.timeout_s:
                probe = slot.probe
                self._release(index)
                on_result(
                    probe, failure_result("timeout", "Timeout", f"no result after {self.timeout_s:.0f}s", elapsed)
                )

    def _release(self, index: int) -> None:
        """Restart the slot's worker; the members after the failed one run again, alone."""
        slot = self.slots[index]
        rest = [member for member in slot.waiting if member is not slot.probe]
        self.pending.extend([member] for member in reversed(rest))
        self._restart(index)

    def close(self) -> None:
        for slot in self.slots:
            if slot.process.is_alive():
                slot.tasks.put(None)
        for slot in self.slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()
            Path(slot.error_log).unlink(missing_ok=True)


def _tail(path: str, characters: int = 1500) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-8:])[-characters:]


def failure_result(outcome: str, error_type: str, message: str, seconds: float) -> dict:
    return {
        "outcome": outcome,
        "error_type": error_type,
        "error_message": message,
        "duration_seconds": seconds,
        "output_rows": 0,
        "output_columns": [],
        "values": [],
    }


def task_pool(workers: int, timeout_s: float, executor: str = DEFAULT_EXECUTOR, python: str | None = None):
    """The pool that runs probes and rehearsals: Ray tasks on the cluster of FCAST_RAY_ADDRESS, else worker
    processes here. Both take `run` / `run_groups` and `close`."""
    from fcast import cluster

    if not cluster.address():
        return ProbePool(workers, timeout_s, executor, python)
    if python:
        raise cluster.ClusterError(
            "probing another release of a library runs its own interpreter on this machine; it cannot run on a "
            "Ray cluster: drop --ray (or FCAST_RAY_ADDRESS) for `fcast registry probe --version`"
        )
    return cluster.RayTaskPool(timeout_s, executor)


def recorded_probe_ids(env_key: str) -> set[str]:
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select probe_id from {REGISTRY_PROBES.qualified_name} where env_key = ?", (env_key,)
        )
    return {row[0] for row in rows}


def _row(env_key: str, probe: Probe, result: dict, comparison: Comparison) -> dict:
    context = probe.context
    return REGISTRY_PROBES.row(
        {
            "env_key": env_key,
            "probe_id": probe.probe_id,
            "library": probe.spec.get("library", "neuralforecast"),
            "model_class": probe.model_class,
            "method": probe.method,
            "argument": probe.argument,
            "value_label": probe.value_label[:300],
            "baseline_probe_id": probe.baseline_id,
            "spec_json": json.dumps(probe.spec, sort_keys=True, default=str),
            "outcome": comparison.outcome,
            "error_type": result["error_type"][:128],
            "error_message": result["error_message"][:2000],
            "duration_seconds": float(result["duration_seconds"]),
            "output_rows": int(result["output_rows"]),
            "output_columns": json.dumps(result["output_columns"])[:2000],
            "max_abs_diff_from_baseline": comparison.difference,
            "tolerance": TOLERANCE,
            "probed_at": utc_now(),
            "probe_kind": "library",
            "question": probe.question,
            "probe_version": PROBE_VERSION,
            "outcome_reason": comparison.reason[:2000],
            "observed_differences": ", ".join(comparison.differs_in)[:200],
            "library_warnings": "\n".join(result.get("warnings", []))[:4000],
            **context_columns(context),
        }
    )


def fit_groups(probes: list[Probe]) -> list[list[Probe]]:
    """Probes that share a fitted object, as groups (in first-seen order); the others alone."""
    groups: dict[str, list[Probe]] = {}
    alone: list[list[Probe]] = []
    for probe in probes:
        if probe.fit_group:
            groups.setdefault(probe.fit_group, []).append(probe)
        else:
            alone.append([probe])
    return [*groups.values(), *alone]


def run_probes(
    env_key: str,
    probes: list[Probe],
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[str], None] = print,
    executor: str = DEFAULT_EXECUTOR,
    python: str | None = None,
) -> ProbeRunReport:
    """Run the probes not yet recorded for env_key (their baselines run again when needed for comparison);
    `python` runs the workers under another interpreter (the env_key's own, for another release)."""
    started = time.perf_counter()
    report = ProbeRunReport(env_key, planned=len(probes))
    recorded = recorded_probe_ids(env_key)
    pending = [probe for probe in probes if probe.probe_id not in recorded]
    report.already_recorded = len(probes) - len(pending)
    needed_baselines = {probe.baseline_id for probe in pending if probe.baseline_id}
    baselines = [probe for probe in probes if probe.probe_id in needed_baselines and probe.probe_id in recorded]
    to_run = baselines + pending
    if not pending:
        report.seconds = time.perf_counter() - started
        return report
    workers = workers or max(1, min(os.cpu_count() or 1, 8))
    results: dict[str, dict] = {}
    buffer: list[dict] = []
    waiting: list[tuple[Probe, dict]] = []
    last_write = time.monotonic()

    expected_version = env_key.split("|")[0].partition("==")[2]

    def record(probe: Probe, result: dict) -> None:
        nonlocal last_write
        found = result.get("library_version")
        if found and expected_version and found != expected_version:
            raise RuntimeError(
                f"a probe worker imported {probe.spec.get('library', 'neuralforecast')} {found}, but the probes are "
                f"recorded for {env_key}: probe another release with `fcast registry probe --version V`"
            )
        results[probe.probe_id] = result
        if probe.probe_id in recorded:
            return  # a baseline run again only for comparison
        if probe.baseline_id and probe.baseline_id not in results:
            waiting.append((probe, result))
        else:
            _finish(probe, result)
        for held in [item for item in waiting if item[0].baseline_id in results]:
            waiting.remove(held)
            _finish(*held)
        if time.monotonic() - last_write > WRITE_EVERY_S:
            _flush()
            last_write = time.monotonic()

    def _finish(probe: Probe, result: dict) -> None:
        comparison = compare_with_baseline(result, results.get(probe.baseline_id), probe)
        report.outcomes[comparison.outcome] = report.outcomes.get(comparison.outcome, 0) + 1
        report.run += 1
        buffer.append(_row(env_key, probe, result, comparison))
        if report.run % 250 == 0:
            progress(f"  {report.run}/{len(pending)} probes ({time.perf_counter() - started:.0f}s)")

    def _flush() -> None:
        if buffer:
            with db.connect() as warehouse:
                warehouse.insert_rows(REGISTRY_PROBES, buffer)
            buffer.clear()

    pool = task_pool(workers, timeout_s, executor, python)
    try:
        pool.run_groups(fit_groups(to_run), record)
    finally:
        pool.close()
        for probe, result in waiting:
            _finish(probe, result)
        _flush()
    report.seconds = time.perf_counter() - started
    return report


def view_from_registry(env_key: str) -> RegistryView:
    """The registry facts of one scanned neuralforecast environment, as the probe matrix needs them."""
    from fcast.registry.facts import RegistryFacts

    return RegistryFacts.load(env_key).for_prober()
