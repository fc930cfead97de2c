"""`fcast cycle`: what a user does every draw day, as one command.

For each configured game (cycle.yml): fetch and ingest its new draws; refresh the marts they feed; score
every locked forecast whose draw has arrived; then, per row of the game's plan, retrain or predict with the
stored model as the policy says (retrain after `retrain_every` new draws; train when there is no model yet;
a training passes the validator's rehearsal first) and lock the forecasts of the next draws in the ledger;
last, score the new runs against chance and refresh the marts. A plan row whose forecasts from the latest
draw are locked already does nothing, so running the cycle again with no new draw changes nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fcast import db, settings
from fcast.cycle import ledger, prospective
from fcast.cycle.config import CycleGame, load_config
from fcast.errors import FcastError, NotFoundError
from fcast.ingest.records import IngestError
from fcast.raw_schema import (
    FORECAST_LEDGER,
    LOTTERY_DRAWS,
    MODEL_ARTIFACTS,
    NF_MODEL_RUNS,
    RUN_FORECAST_INTERVALS,
    RUN_FORECASTS,
)

Progress = Callable[[str], None]


class CycleBusyError(FcastError, RuntimeError):
    pass


@dataclass
class GameCycle:
    """What the cycle did for one game."""

    game_code: str
    plan_rows: int = 0
    new_draws: int = 0
    latest: tuple[int, Any] | None = None  # (draw number, date) after ingest
    scored: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # train / retrain / predict -> runs
    already_locked: int = 0  # plan rows whose forecasts from the latest draw were locked before
    locked: int = 0
    targets: set[tuple[int, Any]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    head: tuple[int, str] = (0, ledger.GENESIS_HASH)
    verdict: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures

    def status_line(self) -> str:
        parts = []
        if self.latest:
            draws = f"{self.new_draws} new draw(s)" if self.new_draws else "no new draw"
            parts.append(f"{draws} (latest #{self.latest[0]}, {self.latest[1]})")
        else:
            parts.append("no draws")
        parts.append(f"{self.scored} forecast(s) scored" if self.scored else "nothing to score")
        if not self.plan_rows:
            parts.append("no plan: not forecast")
        else:
            done = ", ".join(f"{kind} {count}" for kind, count in sorted(self.actions.items()) if count)
            if done:
                parts.append(done)
            if self.locked:
                targets = ", ".join(f"#{ds} ({date or 'date unknown'})" for ds, date in sorted(self.targets))
                parts.append(f"{self.locked} forecast(s) locked for {targets}")
            if self.already_locked:
                parts.append(f"{self.already_locked} of {self.plan_rows} row(s) already locked")
        parts.append(f"ledger #{self.head[0]} {self.head[1][:12]}" if self.head[0] else "ledger empty")
        if self.verdict:
            parts.append(self.verdict)
        if self.failures:
            parts.append(f"FAILED: {'; '.join(self.failures)}")
        return f"{self.game_code}: " + "; ".join(parts)


@dataclass
class CycleReport:
    games: list[GameCycle] = field(default_factory=list)
    refreshes: list[Any] = field(default_factory=list)  # fcast.app.RefreshResult of each rebuild
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(game.ok for game in self.games) and all(refresh.ok for refresh in self.refreshes)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


# --- the cycle lock: one cycle at a time per warehouse ---


@contextlib.contextmanager
def one_cycle_at_a_time() -> Iterator[None]:
    """Hold the warehouse's cycle lock (a PostgreSQL advisory lock, or a lock file beside the DuckDB file)."""
    if db.current_target() == "postgres":
        import psycopg

        with psycopg.connect(db._postgres_conninfo(), autocommit=True) as connection:
            held = connection.execute("select pg_try_advisory_lock(hashtext('fcast.cycle'))").fetchone()[0]
            if not held:
                raise CycleBusyError(f"another `fcast cycle` is running on {db.describe_target()}; try again later")
            try:
                yield
            finally:
                connection.execute("select pg_advisory_unlock(hashtext('fcast.cycle'))")
        return
    path = settings.beside_warehouse(settings.duckdb_path().name + ".cycle.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CycleBusyError(f"another `fcast cycle` is running on {settings.duckdb_path()}") from None
        yield


# --- 1. new draws ---


def latest_draws(game_codes: Sequence[str]) -> dict[str, tuple[int, Any]]:
    """(draw number, date) of each game's latest stored draw."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select draws.game_code, draws.draw_no, draws.draw_date from {LOTTERY_DRAWS.qualified_name} as draws "
            f"inner join (select game_code, max(draw_no) as draw_no from {LOTTERY_DRAWS.qualified_name} "
            "group by game_code) as latest on draws.game_code = latest.game_code and draws.draw_no = latest.draw_no"
        )
    return {str(code): (int(draw_no), date) for code, draw_no, date in rows if code in game_codes}


def source_specs(game: CycleGame) -> list[str]:
    """The files (or the URL) a game's source names: a folder gives its draw files in name order."""
    from fcast.ingest.http_fetch import is_url

    if is_url(game.source):
        return [game.source]
    path = settings.in_project(game.source)
    if path.is_dir():
        return [str(file) for file in sorted(path.iterdir()) if file.is_file() and file.suffix.lower() in game.suffixes]
    if path.is_file():
        return [str(path)]
    raise IngestError(f"{settings.cycle_config_path()}: games.{game.game_code}.source {path} does not exist")


def ingest_game(game: CycleGame, progress: Progress) -> Any:
    """Load the game's source (the marts are rebuilt by the cycle): an app.IngestResult."""
    from fcast import app

    try:
        specs = source_specs(game)
    except IngestError as error:
        return app.IngestResult(unreadable=[str(error)])
    suffix = None if game.format == "auto" else game.suffixes[0]
    return app.ingest_draws(specs, game.game_code, rebuild=False, progress=progress, suffix=suffix)


# --- 2b. features computed in Python, for the new draws ---


def anomaly_features_of_new_draws(
    plans: dict[str, list[Any]], cycles: dict[str, GameCycle], progress: Progress
) -> Any | None:
    """Compute the anomaly features (hist_anom_) of the new draws of every game whose plan uses them, with the
    configuration already stored, then rebuild the feature marts; the RefreshResult, or None when nothing changed.
    A game whose features were never computed is left to the validator (rule feature_not_computed)."""
    from fcast import app
    from fcast.features import ANOMALY_COLUMN_PREFIX, AnomalyError
    from fcast.features.anomalies import WRITTEN_TABLES, score_games, stored_settings
    from fcast.train.inputs import FEATURE_KINDS

    changed = False
    for code, rows in plans.items():
        uses = any(
            column.startswith(ANOMALY_COLUMN_PREFIX)
            for row in rows
            for kind in FEATURE_KINDS
            for column in row.feature_list(kind)
        )
        settings_of_game = stored_settings(code) if uses else None
        if settings_of_game is None:
            continue
        try:
            report = score_games([code], progress=progress, **settings_of_game)
        except (AnomalyError, NotFoundError) as error:
            cycles[code].failures.append(f"anomaly features: {error}")
            continue
        changed = changed or report.changed
    if not changed:
        return None
    progress("refreshing the marts downstream of raw.feature_anomalies ...")
    return app.refresh(list(WRITTEN_TABLES))


# --- 3. the policy: train, retrain, predict or nothing, per plan row ---


@dataclass(frozen=True)
class Decision:
    row: Any  # RunPlanRow
    action: str  # train | retrain | predict | locked
    model_run_id: str = ""  # the current model (latest COMPLETED train or retrain with a stored model)
    new_draws: int = 0


def current_model(warehouse: db.Warehouse, plan_id: str) -> dict | None:
    frame = warehouse.fetch_frame(
        f"select runs.run_id, runs.last_ds from {NF_MODEL_RUNS.qualified_name} as runs "
        f"inner join {MODEL_ARTIFACTS.qualified_name} as artifacts on runs.run_id = artifacts.run_id "
        "where runs.plan_id = ? and runs.status = 'COMPLETED' and runs.run_kind in ('train', 'retrain') "
        "and artifacts.status = 'stored' order by runs.end_time desc limit 1",
        (plan_id,),
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def decide(rows: Sequence[Any], latest_ds: int, retrain_every: int) -> list[Decision]:
    decisions = []
    with db.connect(read_only=True) as warehouse:
        for row in rows:
            locked = warehouse.fetchall(
                f"select count(*) from {FORECAST_LEDGER.qualified_name} where plan_id = ? and last_known_ds = ?",
                (row.plan_id, latest_ds),
            )[0][0]
            model = current_model(warehouse, row.plan_id)
            if locked:
                decisions.append(Decision(row, "locked", model["run_id"] if model else ""))
            elif model is None:
                decisions.append(Decision(row, "train"))
            else:
                new_draws = latest_ds - int(model["last_ds"])
                retrain = retrain_every > 0 and new_draws >= retrain_every
                decisions.append(Decision(row, "retrain" if retrain else "predict", str(model["run_id"]), new_draws))
    return decisions


def run_decisions(decisions: Sequence[Decision], options: Any, progress: Progress) -> list[tuple[Decision, Any]]:
    """Train (validated and rehearsed), retrain (the same gate) or predict; (decision, RunOutcome) for each."""
    from fcast.train.stored import predict, retrain
    from fcast.train.trainer import RunOutcome, train_plan

    outcomes = []
    to_train = [decision for decision in decisions if decision.action == "train"]
    if to_train:
        report = train_plan([decision.row for decision in to_train], options)
        by_name = {outcome.run_name: outcome for outcome in report.outcomes}
        for decision in to_train:
            rejected = next((result for result in report.rejected if result.row.plan_id == decision.row.plan_id), None)
            if rejected is not None:
                problems = "; ".join(str(violation) for violation in rejected.errors)
                outcome = RunOutcome(
                    "", decision.row.run_name, "REJECTED", error=f"rejected by the validator: {problems}"
                )
            else:
                outcome = by_name[decision.row.run_name]
            outcomes.append((decision, outcome))
    for decision in decisions:
        if decision.action not in ("retrain", "predict"):
            continue
        progress(
            f"{decision.row.run_name}: {decision.new_draws} new draw(s) since its model was trained: {decision.action}"
        )
        action = retrain if decision.action == "retrain" else predict
        try:
            outcome = action(decision.model_run_id, options)
        except FcastError as error:  # a stored model that is gone or tampered with, a row that no longer validates
            outcome = RunOutcome("", decision.row.run_name, "FAILED", error=f"{type(error).__name__}: {error}")
        progress(f"  {outcome.summary()}")
        outcomes.append((decision, outcome))
    return outcomes


# --- 4. lock the forecasts of a finished run ---


def lock_run(game_code: str, run_id: str) -> list[dict]:
    """Lock a COMPLETED run's forecasts of the next draws (its model: its own, or a predict run's parent's)."""
    with db.connect(read_only=True) as warehouse:
        run = warehouse.fetch_frame(f"select * from {NF_MODEL_RUNS.qualified_name} where run_id = ?", (run_id,))
        run = run.iloc[0].to_dict()
        model_run = run["parent_run_id"] if run["run_kind"] == "predict" else run_id
        artifact = warehouse.fetch_frame(
            f"select artifact_id, files_hash from {MODEL_ARTIFACTS.qualified_name} where run_id = ? "
            "order by created_at desc limit 1",
            (model_run,),
        )
        forecasts = warehouse.fetch_frame(
            f"select unique_id, cutoff, ds, horizon_step, y_hat from {RUN_FORECASTS.qualified_name} "
            "where run_id = ? and forecast_kind = 'forecast'",
            (run_id,),
        )
        intervals = warehouse.fetch_frame(
            f"select unique_id, ds, level, lo, hi from {RUN_FORECAST_INTERVALS.qualified_name} "
            "where run_id = ? and forecast_kind = 'forecast'",
            (run_id,),
        )
        dates = dict(
            ((str(unique_id), int(ds)), date)
            for unique_id, ds, date in warehouse.fetchall(
                "select unique_id, ds, draw_date from marts.nf_futr_df where unique_id like ?", (f"{game_code}_%",)
            )
        )
    if artifact.empty:
        raise ledger.LedgerError(f"run {run_id} has no stored model to name in the ledger")
    if forecasts.empty:
        raise ledger.LedgerError(f"run {run_id} wrote no forecast of the next draws: nothing to lock")
    by_forecast: dict[tuple[str, int], dict] = {}
    for item in intervals.to_dict("records"):
        by_forecast.setdefault((str(item["unique_id"]), int(item["ds"])), {})[float(item["level"])] = (
            item["lo"],
            item["hi"],
        )
    last_known = int(forecasts["cutoff"].max())
    source = ledger.LockSource(
        game_code=game_code,
        run_id=run_id,
        artifact_id=str(artifact.iloc[0]["artifact_id"]),
        files_hash=str(artifact.iloc[0]["files_hash"]),
        plan_id=str(run["plan_id"]),
        run_name=str(run["run_name"]),
        model_name=str(run["model_name"]),
        last_known_ds=last_known,
    )
    return ledger.lock_forecasts(
        source,
        [
            ledger.Forecast(
                unique_id=str(item["unique_id"]),
                target_ds=int(item["ds"]),
                target_date=dates.get((str(item["unique_id"]), int(item["ds"]))),
                horizon_step=int(item["horizon_step"]),
                y_hat=float(item["y_hat"]),
                intervals=by_forecast.get((str(item["unique_id"]), int(item["ds"])), {}),
            )
            for item in forecasts.to_dict("records")
            if int(item["cutoff"]) == last_known
        ],
    )


# --- the verdict, as the prospective mart words it ---


def verdicts(game_codes: Sequence[str]) -> dict[str, str]:
    with db.connect(read_only=True) as warehouse:
        if not warehouse.table_exists("marts", "prospective_game_verdicts"):
            return {}
        rows = warehouse.fetchall("select game_code, verdict from marts.prospective_game_verdicts")
    return {str(code): str(verdict) for code, verdict in rows if code in game_codes}


# --- the cycle ---


def run_cycle(
    game_codes: Sequence[str] = (), options: Any = None, progress: Progress = lambda line: None
) -> CycleReport:
    from fcast import app
    from fcast.dbt_runner import marts_built
    from fcast.ingest.loader import WRITTEN_TABLES
    from fcast.raw_schema import CHANCE_TABLES, CYCLE_TABLES, TRAINING_TABLES
    from fcast.train.trainer import TrainOptions

    started = time.perf_counter()
    configured = load_config()
    unknown = sorted(set(game_codes) - set(configured))
    if unknown:
        raise NotFoundError(
            f"{settings.cycle_config_path()} configures {sorted(configured)}, not {unknown}: add them there"
        )
    games = [configured[code] for code in (game_codes or configured)]
    options = options or TrainOptions(progress=progress)
    db.ensure_raw_tables()
    if not marts_built():
        raise NotFoundError("the warehouse has no marts yet: run `fcast main` (or `fcast build`) before the cycle")
    report = CycleReport()
    codes = [game.game_code for game in games]
    with one_cycle_at_a_time():
        cycles = {game.game_code: GameCycle(game.game_code) for game in games}
        report.games = list(cycles.values())
        for game in games:
            progress(f"reading the new {game.game_code} draws from {game.source}")
            ingested = ingest_game(game, progress)
            cycles[game.game_code].new_draws = ingested.added
            cycles[game.game_code].failures += [f"source unreadable: {error}" for error in ingested.unreadable]
        if any(cycle.new_draws for cycle in report.games):
            progress("refreshing the marts downstream of the new draws ...")
            report.refreshes.append(app.refresh(WRITTEN_TABLES))
            if not report.refreshes[-1].ok:
                return _finished(report, started, codes)
        latest = latest_draws(codes)
        wrote_scores = False
        for game in games:
            cycle = cycles[game.game_code]
            cycle.latest = latest.get(game.game_code)
            cycle.scored = prospective.score_game(game.game_code).scored
            wrote_scores = wrote_scores or bool(cycle.scored)
        plans = {}
        for game in games:
            cycle = cycles[game.game_code]
            if not cycle.ok or cycle.latest is None:
                continue
            try:
                plans[game.game_code] = game.plan_rows()
            except FcastError as error:
                cycle.failures.append(str(error))
        refreshed_features = anomaly_features_of_new_draws(plans, cycles, progress)
        if refreshed_features is not None:
            report.refreshes.append(refreshed_features)
            if not refreshed_features.ok:
                return _finished(report, started, codes)
        trained_games = []
        for game in games:
            cycle = cycles[game.game_code]
            if game.game_code not in plans or not cycle.ok:
                continue
            rows = plans[game.game_code]
            cycle.plan_rows = len(rows)
            decisions = decide(rows, cycle.latest[0], game.retrain_every)
            cycle.already_locked = sum(decision.action == "locked" for decision in decisions)
            work = [decision for decision in decisions if decision.action != "locked"]
            if not work:
                continue
            trained_games.append(game.game_code)
            for decision, outcome in run_decisions(work, options, progress):
                cycle.actions[decision.action] = cycle.actions.get(decision.action, 0) + 1
                if outcome.status != "COMPLETED":
                    cycle.failures.append(
                        f"{decision.row.run_name} {decision.action}: {outcome.status} {outcome.error}"
                    )
                    continue
                try:
                    entries = lock_run(game.game_code, outcome.run_id)
                except ledger.LedgerError as error:
                    cycle.failures.append(str(error))
                    continue
                cycle.locked += len(entries)
                cycle.targets |= {(entry["target_ds"], entry["target_date"]) for entry in entries}
        written = []
        if trained_games:
            progress("scoring the new runs against chance ...")
            app.evaluate(trained_games)
            written += [table.name for table in (*TRAINING_TABLES, *CHANCE_TABLES)]
        if trained_games or wrote_scores:
            written += [table.name for table in CYCLE_TABLES]
            progress("refreshing the run, chance and prospective marts ...")
            report.refreshes.append(app.refresh(written))
    return _finished(report, started, codes)


def _finished(report: CycleReport, started: float, codes: Sequence[str]) -> CycleReport:
    said = verdicts(codes)
    for cycle in report.games:
        cycle.head = ledger.head_of(cycle.game_code)
        cycle.verdict = said.get(cycle.game_code, "")
    report.seconds = time.perf_counter() - started
    return report
