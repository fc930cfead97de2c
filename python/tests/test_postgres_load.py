"""PostgreSQL under load: four `fcast train` trainers, two UI readers and a `fcast build` on one database at once.

Every process is a real child process on the database the main job built. Afterwards: each plan row has
exactly one run and it is COMPLETED, each run's metric, forecast, resource-sample and resource-summary rows
are there once each (counts equal distinct counts by key), every sample the monitor took reached the table
and consecutive samples are never further apart than two of the monitor's flush intervals (no heartbeat
flush was lost or held up), no process logged a deadlock or a database error and the server counted none,
and the UI's reads (the Runs page's own functions) all succeeded, before, throughout and after the load.

And a deadlock found while writing this test: two processes storing the validation of the same plan rows at once
(`fcast validate` beside `fcast train` of one plan).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from fcast import db
from fcast.plans.spec import load_plan_file
from fcast.raw_schema import RUN_FORECASTS, RUN_METRICS, RUN_RESOURCE_SUMMARIES, RUN_RESOURCES
from fcast.train.monitor import DEFAULT_FLUSH_INTERVAL_S
from fcast.ui.page_runs import LIVE_REFRESH_S
from fcast.ui.timed_reads import load_entries

from .conftest import FCAST, PROJECT_DIR, environment
from .training_helpers import tiny_plan

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]

# Four trainers, each its own plan of three tiny NHITS rows (one slot each) on Loto6, Loto7 and MiniLoto.
TRAINER_PLANS = {
    "pgload_1": ("loto6", ("N1", "N2", "N3")),
    "pgload_2": ("loto6", ("N4", "N5", "N6")),
    "pgload_3": ("loto7", ("N1", "N4", "N7")),
    "pgload_4": ("miniloto", ("N1", "N3", "N5")),
}
CV_WINDOWS = 2
HORIZON = 1
READERS = 2
LOAD_TIMEOUT_S = 300  # trainers and the build together (about a minute on 2 idle cores)
# The monitor's thread samples every second and writes the samples (the heartbeat) every flush interval, itself:
# consecutive samples are a second apart plus, after a flush, the flush's own time. Wider than two flush intervals
# means a flush waited that long on the database (or samples were lost).
SAMPLE_GAP_LIMIT_S = 2 * DEFAULT_FLUSH_INTERVAL_S
# A UI read may wait while dbt swaps the relation it reads; a wait longer than this means the page stopped
# answering (its live section refreshes every LIVE_REFRESH_S).
UI_SILENCE_LIMIT_S = 10 * LIVE_REFRESH_S
TROUBLE = re.compile(
    r"deadlock detected|psycopg\.\w*Error|could not serialize|lock timeout|canceling statement|"
    r"resource samples not flushed|Traceback",
    re.IGNORECASE,
)
STORES = 50
# A process that validates plan rows (static rules, as `fcast validate --static-only` does) and stores the outcome
# again and again, from when the start file appears, as each `fcast train` and `fcast validate` stores its own.
STORE_VALIDATIONS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from fcast.plans.spec import load_plan_file
    from fcast.plans.validate import store_results, validate_rows

    start, ready, stores, plans = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    results = validate_rows([row for plan in plans for row in load_plan_file(Path(plan))], store=False)
    ready.touch()
    while not start.exists():
        time.sleep(0.01)
    for _ in range(stores):
        store_results(results)
    print(f"stored {len(results)} validations {stores} times")
""")
# Rows a run writes, by key (raw_schema's primary keys); the resource summary is checked on its own.
RESULT_TABLES = {table.qualified_name: table.primary_key for table in (RUN_METRICS, RUN_FORECASTS, RUN_RESOURCES)}


def _start(command: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """A child in its own process group (so a timeout stops its dbt or worker children too), output to log_path."""
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, env=env, start_new_session=True
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_all(processes: dict[str, subprocess.Popen], timeout_s: float) -> dict[str, float]:
    """When each process ended (wall clock); fails when the timeout passes first."""
    deadline = time.time() + timeout_s
    ended: dict[str, float] = {}
    while len(ended) < len(processes):
        for name, process in processes.items():
            if name not in ended and process.poll() is not None:
                ended[name] = time.time()
        if time.time() > deadline:
            pytest.fail(f"the load did not finish in {timeout_s:.0f}s: still running {set(processes) - set(ended)}")
        time.sleep(0.2)
    return ended


def _wait_for_answers(readers: dict[Path, subprocess.Popen], after: float, timeout_s: float = 60) -> None:
    """Until every reader has had a whole Runs page (its last read, the history) answered after `after`."""
    deadline = time.time() + timeout_s
    while not all(
        any(entry["read"] == "history" and entry["ended"] > after for entry in load_entries(out)) for out in readers
    ):
        assert time.time() < deadline, f"a UI reader got no answer in {timeout_s:.0f}s"
        assert all(process.poll() is None for process in readers.values()), "a UI reader stopped"
        time.sleep(0.2)


def _deadlocks() -> int:
    with db.connect(read_only=True) as warehouse:
        return int(
            warehouse.fetchall("select deadlocks from pg_stat_database where datname = current_database()")[0][0]
        )


def _trainer_plans(folder: Path) -> dict[str, Path]:
    return {
        name: tiny_plan(
            folder / f"{name}.yaml",
            [{"name": f"{name}_{slot}", "series": slot, "model": "NHITS"} for slot in slots],
            dataset=dataset,
            horizon=HORIZON,
            cross_validation={"n_windows": CV_WINDOWS, "step_size": 1},
        )
        for name, (dataset, slots) in TRAINER_PLANS.items()
    }


def test_trainers_ui_readers_and_a_build_share_one_postgres_database(built_postgres, tmp_path):
    env = {**os.environ, **built_postgres}
    # four trainers share the cores: one torch thread each, as one would run them on one machine
    trainer_env = {**env, "OMP_NUM_THREADS": "1"}
    plans = _trainer_plans(tmp_path)
    expected_runs = {(name, f"{name}_{slot}") for name, (_, slots) in TRAINER_PLANS.items() for slot in slots}
    with environment(built_postgres):
        deadlocks_before = _deadlocks()

    stop = tmp_path / "stop_reading"
    readers = {
        tmp_path / f"reader_{index}.jsonl": _start(
            [sys.executable, "-m", "fcast.ui.timed_reads", str(stop), str(tmp_path / f"reader_{index}.jsonl")],
            tmp_path / f"reader_{index}.log",
            env,
        )
        for index in range(READERS)
    }
    load: dict[str, subprocess.Popen] = {}
    started: dict[str, float] = {}
    try:
        _wait_for_answers(readers, after=0.0)  # the readers are answered before the load starts
        started["build"], load["build"] = time.time(), _start([*FCAST, "build"], tmp_path / "build.log", env)
        for name, plan in plans.items():
            command = [*FCAST, "train", str(plan), "--static-only"]
            started[name], load[name] = time.time(), _start(command, tmp_path / f"{name}.log", trainer_env)
        ended = _wait_all(load, LOAD_TIMEOUT_S)
        _wait_for_answers(readers, after=max(ended.values()))  # and after it ends
        stop.touch()
        for process in readers.values():
            process.wait(timeout=60)
    finally:
        stop.touch()
        for process in [*load.values(), *readers.values()]:
            _stop(process)

    outputs = {name: (tmp_path / f"{name}.log").read_text(encoding="utf-8") for name in load}
    outputs.update({out.stem: out.with_suffix(".log").read_text(encoding="utf-8") for out in readers})
    for name, process in load.items():
        assert process.returncode == 0, f"{name} exited {process.returncode}:\n{outputs[name][-4000:]}"
    for name, text in outputs.items():
        trouble = TROUBLE.search(text)
        assert trouble is None, f"{name} logged {trouble.group(0)!r}:\n{text[-4000:]}"
    assert "ERROR=0" in outputs["build"]

    with environment(built_postgres), db.connect(read_only=True) as warehouse:
        marks = ", ".join("?" for _ in plans)
        runs = warehouse.fetch_frame(
            f"select run_id, plan_name, run_name, status, logs from raw.nf_model_runs where plan_name in ({marks})",
            tuple(plans),
        )
        # every plan row ran exactly once and COMPLETED: none missing, none twice
        assert Counter(zip(runs["plan_name"], runs["run_name"], strict=True)) == Counter(expected_runs)
        assert set(runs["status"]) == {"COMPLETED"}, runs[["run_name", "status"]]
        for run in runs.itertuples():
            trouble = TROUBLE.search(run.logs or "")
            assert trouble is None, f"run {run.run_name} logged {trouble.group(0)!r}"
        run_ids = tuple(runs["run_id"])
        ids = ", ".join("?" for _ in run_ids)
        for table, key in RESULT_TABLES.items():
            counted = warehouse.fetch_frame(
                f"select run_id, count(*) as n, count(distinct ({', '.join(key)})) as keys "
                f"from {table} where run_id in ({ids}) group by run_id",
                run_ids,
            )
            assert set(counted["run_id"]) == set(run_ids), f"{table}: runs without rows"
            assert (counted["n"] == counted["keys"]).all(), f"{table}: duplicated keys\n{counted}"
        forecasts = warehouse.fetch_frame(
            f"select run_id, forecast_kind, count(*) as n from {RUN_FORECASTS.qualified_name} "
            f"where run_id in ({ids}) group by run_id, forecast_kind",
            run_ids,
        )
        # one series per run: a forecast per cross-validation window and step, and the next draws
        expected_forecasts = {"cross_validation": CV_WINDOWS * HORIZON, "forecast": HORIZON}
        for run_id, per_kind in forecasts.groupby("run_id"):
            assert dict(zip(per_kind["forecast_kind"], per_kind["n"], strict=True)) == expected_forecasts, run_id
        summaries = warehouse.fetch_frame(
            f"select run_id, count(*) as n, max(samples) as samples "
            f"from {RUN_RESOURCE_SUMMARIES.qualified_name} where run_id in ({ids}) group by run_id",
            run_ids,
        )
        samples = warehouse.fetch_frame(
            f"select run_id, sample_index, sampled_at from {RUN_RESOURCES.qualified_name} "
            f"where run_id in ({ids}) order by run_id, sample_index",
            run_ids,
        )
        deadlocks_after = _deadlocks()

    assert deadlocks_after == deadlocks_before, "the server detected deadlocks during the load"
    assert set(summaries["run_id"]) == set(run_ids) and (summaries["n"] == 1).all(), summaries
    for summary in summaries.itertuples():
        taken = samples[samples["run_id"] == summary.run_id]
        # every sample the monitor took reached the table: indices 0..n-1, n as the summary counted
        assert list(taken["sample_index"]) == list(range(summary.samples)), summary.run_id
        widest = taken["sampled_at"].diff().dt.total_seconds().max() if len(taken) > 1 else 0.0
        assert widest <= SAMPLE_GAP_LIMIT_S, f"run {summary.run_id}: samples {widest:.1f}s apart"

    entries = [entry for out in readers for entry in load_entries(out)]
    timed = [entry for entry in entries if "seconds" in entry]
    failed = [entry for entry in timed if entry["error"]]
    assert not failed, f"UI reads failed under load: {failed[:5]}"
    # the load: from the first start to the last end of the trainers and the build
    first_start, last_end = min(started.values()), max(ended.values())
    answered = sorted(entry["ended"] for entry in timed)
    assert answered[0] < first_start and answered[-1] > last_end, "the UI was not read across the whole load"
    during = [first_start, *(moment for moment in answered if first_start < moment < last_end), last_end]
    silence = max(later - earlier for earlier, later in pairwise(during))
    assert silence <= UI_SILENCE_LIMIT_S, f"no UI read was answered for {silence:.1f}s during the load"
    # and what they answered was live: each trainer's runs were seen training
    live = {entry["run_id"] for entry in entries if entry["read"] == "live_run" and entry["status"] == "RUNNING"}
    seen_training = set(runs.loc[runs["run_id"].isin(live), "plan_name"])
    assert seen_training == set(plans), f"the UI never saw {set(plans) - seen_training} training"
    latencies = sorted(entry["seconds"] for entry in timed if first_start < entry["ended"] < last_end)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    load_s = last_end - first_start
    print(f"{len(latencies)} UI reads during {load_s:.0f}s of load: p95 {p95:.2f}s, max {latencies[-1]:.2f}s")


def test_processes_storing_the_same_validations_at_once_do_not_deadlock(built_postgres, tmp_path):
    """Two processes validating the same plans (one in the other order) store their outcomes at the same moments:
    each store deletes the rows' earlier outcomes and inserts the new ones, in one transaction."""
    env = {**os.environ, **built_postgres}
    plans = [str(path) for path in _trainer_plans(tmp_path).values()]
    start = tmp_path / "start"
    ready = [tmp_path / f"ready_{index}" for index in range(2)]
    storers = [
        _start(
            [sys.executable, "-c", STORE_VALIDATIONS, str(start), str(ready[index]), str(STORES), *order],
            tmp_path / f"storer_{index}.log",
            env,
        )
        for index, order in enumerate((plans, plans[::-1]))
    ]
    try:
        deadline = time.time() + 120
        while not all(path.exists() for path in ready):
            assert all(storer.poll() is None for storer in storers), "a storer stopped before it was ready"
            assert time.time() < deadline, "the storers were not ready in 120s"
            time.sleep(0.1)
        start.touch()
        for storer in storers:
            storer.wait(timeout=180)
    finally:
        for storer in storers:
            _stop(storer)
    for index, storer in enumerate(storers):
        output = (tmp_path / f"storer_{index}.log").read_text(encoding="utf-8")
        assert storer.returncode == 0 and f"{STORES} times" in output, output[-4000:]
    plan_ids = tuple({row.plan_id for plan in plans for row in load_plan_file(Path(plan))})
    marks = ", ".join("?" for _ in plan_ids)
    with environment(built_postgres), db.connect(read_only=True) as warehouse:
        stored = warehouse.fetchall(
            f"select count(*), count(distinct (plan_id, env_key)) from raw.plan_validations where plan_id in ({marks})",
            plan_ids,
        )[0]
    assert stored == (len(plan_ids), len(plan_ids))  # each row's outcome once: the last store's
