"""`fcast registry probe`: run the probe matrix in worker processes, with one writer.

Each worker process takes one probe at a time; the parent watches the clock, so a probe that hangs
is stopped (timeout) and a worker that dies takes only its probe with it (crashed). Results are
written by the parent alone, in short batches, so an interrupted run resumes where it stopped:
probes already recorded for this environment key are skipped.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fcast import db
from fcast.ingest.records import utc_now
from fcast.probe.definitions import Probe, RegistryView
from fcast.raw_schema import REGISTRY_PROBES

DEFAULT_TIMEOUT_S = 90.0
IGNORED_TOLERANCE = 1e-6
WRITE_EVERY_S = 3.0


@dataclass
class ProbeRunReport:
    env_key: str
    planned: int = 0
    already_recorded: int = 0
    run: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counted = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        return (
            f"{self.planned} probes planned, {self.already_recorded} already recorded, {self.run} run in "
            f"{self.seconds:.1f}s ({counted or 'nothing new'})"
        )


DEFAULT_EXECUTOR = "fcast.probe.scenarios:execute"


def _worker(tasks, results, executor: str) -> None:
    import importlib

    import torch

    from fcast.probe.scenarios import quiet

    module_name, _, function_name = executor.partition(":")
    module = importlib.import_module(module_name)
    execute = getattr(module, function_name)
    quiet()
    if hasattr(module, "warm_up"):
        module.warm_up()  # heavy imports before the first task's clock starts
    silence = os.open(os.devnull, os.O_WRONLY)
    os.dup2(silence, 1)  # the library's training chatter would bury the prober's progress lines
    os.dup2(silence, 2)
    torch.set_num_threads(1)  # one core per worker: several workers never fight over the same cores
    while True:
        task = tasks.get()
        if task is None:
            return
        probe_id, spec = task
        results.put(("started", probe_id, None))  # the clock starts here, not while the worker imports
        results.put(("finished", probe_id, execute(spec)))


@dataclass
class _Slot:
    process: multiprocessing.Process
    tasks: multiprocessing.Queue
    probe: Probe | None = None
    started: float = 0.0
    running: bool = False


class ProbePool:
    """Worker processes with per-probe timeouts; yields (probe, result) as probes finish."""

    def __init__(self, workers: int, timeout_s: float, executor: str = DEFAULT_EXECUTOR) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.results = self.context.Queue()
        self.timeout_s = timeout_s
        self.executor = executor
        self.slots = [self._start() for _ in range(workers)]

    def _start(self) -> _Slot:
        tasks = self.context.Queue()
        process = self.context.Process(target=_worker, args=(tasks, self.results, self.executor), daemon=True)
        process.start()
        return _Slot(process, tasks)

    def _restart(self, index: int) -> None:
        slot = self.slots[index]
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(timeout=10)
        self.slots[index] = self._start()

    def run(self, probes: list[Probe], on_result: Callable[[Probe, dict], None]) -> None:
        pending = list(reversed(probes))
        by_id = {probe.probe_id: probe for probe in probes}
        while pending or any(slot.probe for slot in self.slots):
            for slot in self.slots:
                if slot.probe is None and pending:
                    slot.probe = pending.pop()
                    slot.started, slot.running = time.monotonic(), False
                    slot.tasks.put((slot.probe.probe_id, slot.probe.spec))
            try:
                kind, probe_id, result = self.results.get(timeout=0.2)
            except queue.Empty:
                self._check_slots(on_result)
                continue
            slot = next((s for s in self.slots if s.probe is not None and s.probe.probe_id == probe_id), None)
            if slot is None:
                continue  # a late message from a worker that was stopped
            if kind == "started":
                slot.started = time.monotonic()
                slot.running = True
                continue
            slot.probe, slot.running = None, False
            on_result(by_id[probe_id], result)
            self._check_slots(on_result)

    def _check_slots(self, on_result: Callable[[Probe, dict], None]) -> None:
        now = time.monotonic()
        for index, slot in enumerate(self.slots):
            if slot.probe is None:
                continue
            elapsed = now - slot.started
            if not slot.process.is_alive():
                probe, code = slot.probe, slot.process.exitcode
                self._restart(index)
                on_result(
                    probe, _failure("crashed", "WorkerDied", f"the worker process exited with code {code}", elapsed)
                )
            elif slot.running and elapsed > self.timeout_s:
                probe = slot.probe
                self._restart(index)
                on_result(probe, _failure("timeout", "Timeout", f"no result after {self.timeout_s:.0f}s", elapsed))

    def close(self) -> None:
        for slot in self.slots:
            if slot.process.is_alive():
                slot.tasks.put(None)
        for slot in self.slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()


def _failure(outcome: str, error_type: str, message: str, seconds: float) -> dict:
    return {
        "outcome": outcome,
        "error_type": error_type,
        "error_message": message,
        "duration_seconds": seconds,
        "output_rows": 0,
        "output_columns": [],
        "values": [],
    }


def compare_with_baseline(result: dict, baseline: dict | None) -> tuple[str, float | None]:
    """`ignored` when the call ran and its output equals the baseline's within the tolerance."""
    if result["outcome"] != "ok" or not baseline or baseline["outcome"] != "ok":
        return result["outcome"], None
    values, reference = result["values"], baseline["values"]
    if len(values) != len(reference) or result["output_columns"] != baseline["output_columns"] or not values:
        return "ok", None
    difference = max(abs(a - b) for a, b in zip(values, reference, strict=True))
    if math.isnan(difference):
        return "ok", None
    return ("ignored" if difference <= IGNORED_TOLERANCE else "ok"), difference


def recorded_probe_ids(env_key: str) -> set[str]:
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select probe_id from {REGISTRY_PROBES.qualified_name} where env_key = ?", (env_key,)
        )
    return {row[0] for row in rows}


def _row(env_key: str, probe: Probe, result: dict, outcome: str, difference: float | None) -> tuple:
    return (
        env_key,
        probe.probe_id,
        "neuralforecast",
        probe.model_class,
        probe.method,
        probe.argument,
        probe.value_label[:300],
        probe.baseline_id,
        json.dumps(probe.spec, sort_keys=True, default=str),
        outcome,
        result["error_type"][:128],
        result["error_message"][:2000],
        float(result["duration_seconds"]),
        int(result["output_rows"]),
        json.dumps(result["output_columns"])[:2000],
        difference,
        IGNORED_TOLERANCE,
        utc_now(),
        "library",
        "",
    )


def run_probes(
    env_key: str,
    probes: list[Probe],
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[str], None] = print,
    executor: str = DEFAULT_EXECUTOR,
) -> ProbeRunReport:
    """Run the probes not yet recorded for env_key (their baselines run again when needed for comparison)."""
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
    buffer: list[tuple] = []
    waiting: list[tuple[Probe, dict]] = []
    last_write = time.monotonic()

    def record(probe: Probe, result: dict) -> None:
        nonlocal last_write
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
        outcome, difference = compare_with_baseline(result, results.get(probe.baseline_id))
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        report.run += 1
        buffer.append(_row(env_key, probe, result, outcome, difference))
        if report.run % 250 == 0:
            progress(f"  {report.run}/{len(pending)} probes ({time.perf_counter() - started:.0f}s)")

    def _flush() -> None:
        if buffer:
            with db.connect() as warehouse:
                warehouse.insert_rows(REGISTRY_PROBES, buffer)
            buffer.clear()

    pool = ProbePool(workers, timeout_s, executor)
    try:
        pool.run(to_run, record)
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
