"""The forecast ledger: locks, the hash chain per game, and `verify` naming the first broken entry."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from fcast import db, settings
from fcast.cycle import ledger
from fcast.cycle.config import CycleConfigError, parse_config
from fcast.ingest.loader import load_draws
from fcast.ingest.sources import read_source

pytestmark = pytest.mark.fast


def _ingest_first(tmp_path: Path, count: int) -> int:
    shipped = json.loads((settings.project_dir() / "data" / "lottery" / "loto6.json").read_text(encoding="utf-8"))
    first = sorted(shipped, key=lambda draw: draw["round"])[:count]
    path = tmp_path / f"loto6_first_{count}.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    load_draws(read_source(str(path), "loto6"))
    return first[-1]["round"]


def _source(run_id: str, last_known: int, plan_id: str = "plan-a") -> ledger.LockSource:
    return ledger.LockSource("loto6", run_id, f"artifact-{run_id}", "f" * 64, plan_id, "row", "MLP", last_known)


def _forecasts(last_known: int, steps: int = 2) -> list[ledger.Forecast]:
    return [
        ledger.Forecast(f"loto6_N{slot}", last_known + step, None, step, 5.0 + slot + step / 10, {80: (1.0, 9.5)})
        for slot in (1, 2)
        for step in range(1, steps + 1)
    ]


def _ledger_rows() -> list[tuple]:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetchall("select sequence, unique_id, target_ds from raw.forecast_ledger order by sequence")


def test_locks_chain_per_game_and_a_relock_adds_nothing(duckdb_env, tmp_path):
    latest = _ingest_first(tmp_path, 30)
    entries = ledger.lock_forecasts(_source("run-1", latest), _forecasts(latest))
    assert [entry["sequence"] for entry in entries] == [1, 2, 3, 4]
    assert entries[0]["previous_hash"] == ledger.GENESIS_HASH
    assert all(later["previous_hash"] == earlier["entry_hash"] for earlier, later in itertools.pairwise(entries))
    assert ledger.lock_forecasts(_source("run-1b", latest), _forecasts(latest)) == []  # this row is locked already
    ledger.lock_forecasts(_source("run-2", latest, plan_id="plan-b"), _forecasts(latest, steps=1))
    (report,) = ledger.verify()
    assert report.ok and report.entries == 6 and report.head_sequence == 6, report.summary()
    assert json.loads(entries[0]["intervals_json"]) == {"80": [1.0, 9.5]}


def test_a_forecast_of_a_draw_already_in_the_warehouse_is_refused_whole(duckdb_env, tmp_path):
    latest = _ingest_first(tmp_path, 30)
    stale = _forecasts(latest - 1)  # made before the latest draw arrived: its first target is known
    with pytest.raises(ledger.LedgerError, match=f"draw #{latest} is already in the warehouse"):
        ledger.lock_forecasts(_source("run-1", latest - 1), stale)
    assert _ledger_rows() == []


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("update raw.forecast_ledger set y_hat = y_hat + 0.5 where sequence = 2", "entry #2 .* was edited after it"),
        (
            "update raw.forecast_ledger set locked_at = locked_at - interval 1 day where sequence = 3",
            "entry #3 .* edited",
        ),
        ("delete from raw.forecast_ledger where sequence = 2", "entry #2 is missing"),
        ("delete from raw.forecast_ledger where sequence = 4", "entries #4 to #4 were deleted"),
        ("delete from raw.ledger_heads", "no head"),
    ],
)
def test_verify_names_the_first_broken_entry(duckdb_env, tmp_path, tamper, expected):
    latest = _ingest_first(tmp_path, 30)
    ledger.lock_forecasts(_source("run-1", latest), _forecasts(latest))
    with db.connect() as warehouse:
        warehouse.execute(tamper)
    (report,) = ledger.verify(["loto6"])
    assert not report.ok
    assert re.search(expected, report.problem), report.problem


def test_an_entry_whose_draw_had_arrived_before_its_lock_is_named(duckdb_env, tmp_path):
    """Rewriting the chain to forge an early lock is not enough: the draw's load time gives it away."""
    latest = _ingest_first(tmp_path, 30)
    (entry, *_) = ledger.lock_forecasts(_source("run-1", latest), _forecasts(latest, steps=1))
    _ingest_first(tmp_path, 31)  # the target draw arrives
    with db.connect(read_only=True) as warehouse:
        arrived = warehouse.fetchall("select loaded_at from raw.lottery_draws where draw_no = ?", (latest + 1,))[0][0]
    forged = {**entry, "locked_at": arrived}
    forged["entry_hash"] = ledger.entry_hash(forged)
    problem = ledger.check_chain("loto6", [forged], (1, forged["entry_hash"]), {latest + 1: arrived})
    assert "after its draw arrived" in problem


def test_the_cycle_configuration_is_checked_with_the_file_and_key(tmp_path):
    path = tmp_path / "cycle.yml"
    games = parse_config({"games": {"loto6": {"source": "data/lottery/loto6.json", "plan": "standard"}}}, path)
    assert games["loto6"].retrain_every == 8 and games["loto6"].plan == "standard"
    for document, message in [
        ({"games": {"lotto9": {"source": "x"}}}, "'lotto9' is not a game of the seeds"),
        ({"games": {"loto6": {"plan": "standard"}}}, "needs `source:`"),
        ({"games": {"loto6": {"source": "x", "retrain": 3}}}, r"unknown key\(s\) \['retrain'\]"),
        ({"games": {"loto6": {"source": "x", "format": "xml"}}}, "format: one of auto"),
        ({"games": {"loto6": {"source": "x", "retrain_every": -1}}}, "retrain_every: an integer of at least 0"),
        ({"loto6": {}}, "a mapping `games:`"),
    ]:
        with pytest.raises(CycleConfigError, match=message) as raised:
            parse_config(document, path)
        assert str(path) in str(raised.value)
