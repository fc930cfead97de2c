"""The fcast pipeline: each step a function that does the work and returns a small result object.

Read top to bottom it is the main job: ingest draws (or panels), scan the libraries into the spec
registry, probe them, build the marts, plan, validate, train, evaluate against chance, and refresh
the marts downstream of what a step wrote. The CLI parses arguments, calls these and renders the
results; the UI calls the same functions. Nothing here prints: progress goes to a `progress`
callback, and failures a user can act on raise `fcast.errors.FcastError`.

Heavy libraries (torch, neuralforecast, dbt) are imported inside the steps that need them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcast import db
from fcast.errors import UsageError

Progress = Callable[[str], None]
MAIN_GAME = "loto6"


def _quiet(line: str) -> None:
    """The default progress callback: say nothing."""


# --- ingest ---


@dataclass
class IngestResult:
    reports: list[Any] = field(default_factory=list)  # LoadReport / PanelLoadReport per readable source
    unreadable: list[str] = field(default_factory=list)  # the error of each source that could not be read
    refresh: RefreshResult | None = None

    @property
    def added(self) -> int:
        return sum(report.added for report in self.reports)

    @property
    def problems(self) -> int:
        return sum(len(report.rejects) + len(getattr(report, "conflicts", [])) for report in self.reports)

    def exit_code(self, strict: bool = False) -> int:
        failed = self.unreadable or (self.refresh is not None and not self.refresh.ok)
        return 1 if failed or (strict and self.problems) else 0


def report_lines(report: Any) -> list[str]:
    """What a load report says: its summary, then every rejected row, conflict and gap, one per line."""
    lines = [report.summary()]
    lines += [f"  rejected: {reject}" for reject in report.rejects]
    lines += [f"  conflict: {conflict}" for conflict in getattr(report, "conflicts", [])]
    lines += [f"  {line}" for line in getattr(report, "gap_lines", list)()]
    return lines


def _loaded(result: IngestResult, report: Any, progress: Progress) -> None:
    result.reports.append(report)
    for line in report_lines(report):
        progress(line)


def _finish_ingest(result: IngestResult, written_tables: Sequence[str], rebuild: bool) -> IngestResult:
    if result.added or result.problems:
        result.refresh = refresh(written_tables, rebuild)
    return result


def ingest_draws(
    sources: Sequence[str] = (),
    game: str | None = None,
    rebuild: bool = True,
    progress: Progress = _quiet,
    suffix: str | None = None,
) -> IngestResult:
    """Load draw files, result pages or URLs (none: the shipped history of every game) into raw.lottery_draws.
    `suffix` (".csv", ".json", ".html") says how to read a URL whose name and content type do not."""
    from fcast.ingest.loader import WRITTEN_TABLES, load_draws
    from fcast.ingest.records import IngestError
    from fcast.ingest.sources import read_source, shipped_history

    db.ensure_raw_tables()
    pairs = [(spec, game) for spec in sources] or [(str(path), code) for code, path in shipped_history()]
    result = IngestResult()
    for spec, game_code in pairs:
        try:
            _loaded(result, load_draws(read_source(spec, game_code, suffix)), progress)
        except IngestError as error:
            result.unreadable.append(str(error))
    return _finish_ingest(result, WRITTEN_TABLES, rebuild)


def ingest_panels(
    paths: Sequence[Path],
    dataset: str,
    options: Any = None,
    futr: bool = False,
    rebuild: bool = True,
    progress: Progress = _quiet,
) -> IngestResult:
    """Load unique_id/ds/y panels (or, with futr, future values of their fut_ columns) as `dataset`."""
    from fcast.ingest import panel
    from fcast.ingest.records import IngestError

    if not paths:
        raise UsageError(f"ingesting the panel {dataset} needs at least one CSV or Parquet file")
    db.ensure_raw_tables()
    result = IngestResult()
    for path in paths:
        try:
            if futr:
                report = panel.load_panel_futr(Path(path), dataset)
            else:
                report = panel.load_panel(Path(path), dataset, options=options or panel.PanelOptions())
            _loaded(result, report, progress)
        except IngestError as error:
            result.unreadable.append(str(error))
    return _finish_ingest(result, panel.WRITTEN_TABLES, rebuild)


# --- the spec registry: scan, then probe ---


def _overlay_python(library: str, version: str | None, progress: Progress) -> str | None:
    from fcast.registry.overlay_env import overlay_python

    if not version:
        return None
    progress(f"preparing a throwaway environment with {library}=={version} ...")
    return str(overlay_python(library, version))


def scan(
    libraries: Sequence[str] = (),
    python: str | None = None,
    version: str | None = None,
    force: bool = False,
    progress: Progress = _quiet,
) -> list[Any]:
    """Introspect libraries into version-keyed registry tables; returns one ScanOutcome per library."""
    from fcast.registry.scan import DEFAULT_LIBRARIES
    from fcast.registry.scan import scan as scan_libraries

    libraries = list(libraries or DEFAULT_LIBRARIES)
    if version and (len(libraries) != 1 or python):
        raise UsageError("--version scans one library, without --python")
    db.ensure_raw_tables()
    python = _overlay_python(libraries[0], version, progress) or python
    progress(f"scanning {', '.join(libraries)} ...")
    return scan_libraries(libraries, python=python, force=force)


def probe(
    quick: bool = False,
    models: Sequence[str] = (),
    workers: int | None = None,
    timeout_s: float = 90.0,
    include_ray: bool = True,
    version: str | None = None,
    progress: Progress = _quiet,
    distributed: bool = False,
) -> Any:
    """Really call neuralforecast with candidate arguments (scanned first); returns the ProbeRunReport.
    `distributed`: the distributed-fit family instead (fcast.probe.distributed: a Spark fit per model class)."""
    from fcast.probe.definitions import build_matrix
    from fcast.probe.runner import run_probes, view_from_registry

    db.ensure_raw_tables()
    python = _overlay_python("neuralforecast", version, progress)
    (outcome,) = scan(["neuralforecast"], python=python)
    if distributed:
        from fcast.probe.distributed import DISTRIBUTED_TIMEOUT_S, EXECUTOR, distributed_probes

        probes = distributed_probes(view_from_registry(outcome.env_key), models=list(models) or None)
        progress(f"probing neuralforecast's distributed fit on Spark ({len(probes)} probes) [{outcome.env_key}] ...")
        return run_probes(
            outcome.env_key,
            probes,
            workers=workers,
            timeout_s=max(timeout_s, DISTRIBUTED_TIMEOUT_S),
            progress=progress,
            executor=EXECUTOR,
            python=python,
        )
    probes = build_matrix(
        view_from_registry(outcome.env_key), quick=quick, models=models or None, include_ray=include_ray
    )
    kind = "quick subset" if quick else "full matrix"
    progress(f"probing neuralforecast ({kind}, {len(probes)} probes) [{outcome.env_key}] ...")
    report = run_probes(outcome.env_key, probes, workers=workers, timeout_s=timeout_s, progress=progress, python=python)
    if version is None:
        report.foundation = probe_foundation_models(models, workers, timeout_s, progress)
    return report


def probe_foundation_models(
    models: Sequence[str] = (), workers: int | None = None, timeout_s: float = 90.0, progress: Progress = _quiet
) -> list[Any]:
    """Probe the foundation-model adapters whose weights (or API key) are here, per adapter library; the others
    are named with the reason. Returns one ProbeRunReport per library probed."""
    from fcast.probe.foundation import plan_foundation_probes
    from fcast.probe.runner import run_probes
    from fcast.registry.facts import foundation_facts
    from fcast.registry.plugins import FOUNDATION_LIBRARIES

    scan(list(FOUNDATION_LIBRARIES))
    with db.connect(read_only=True) as warehouse:
        foundation, _, _ = foundation_facts(warehouse)
    if models:
        foundation = {name: info for name, info in foundation.items() if name in models}
    reports = []
    for plan in plan_foundation_probes(foundation):
        for model, reason in plan.skipped.items():
            progress(f"  {model}: not probed ({reason.split('. ')[0]})")
        if plan.probes:
            progress(f"probing {plan.library} adapters ({len(plan.probes)} probes) [{plan.env_key}] ...")
            report = run_probes(
                plan.env_key,
                plan.probes,
                workers=workers,
                timeout_s=timeout_s,
                progress=progress,
                executor="fcast.probe.foundation:execute",
            )
            progress(f"  {report.summary()}")
            reports.append(report)
    return reports


# --- dbt ---


def dbt(arguments: Sequence[str], capture: bool = False) -> Any:
    """Any dbt command on the current target with the project's profile (the raw tables exist first)."""
    from fcast.dbt_runner import run_dbt

    db.ensure_raw_tables()
    return run_dbt(list(arguments), capture=capture)


def build(arguments: Sequence[str] = (), capture: bool = False) -> Any:
    """`dbt build` (seeds, models, tests); extra arguments (--select ...) go to dbt."""
    return dbt(["build", *arguments], capture=capture)


# --- plan, validate ---


@dataclass
class ValidationReport:
    results: list[Any]  # ValidationResult per row

    @property
    def rejected(self) -> int:
        return sum(not result.valid for result in self.results)

    @property
    def env_key(self) -> str:
        return self.results[0].env_key if self.results else "-"


@dataclass
class PlanResult(ValidationReport):
    path: Path | None = None


def load_plans(plan_files: Sequence[Path | str], run_names: Sequence[str] = ()) -> list[Any]:
    """The rows of plan files, optionally only the named runs (an unknown name is an error)."""
    from fcast.plans.spec import load_plan_file

    rows = [row for path in plan_files for row in load_plan_file(Path(path))]
    if run_names:
        unknown = sorted(set(run_names) - {row.run_name for row in rows})
        if unknown:
            raise UsageError(f"no run named {', '.join(unknown)} in the plan(s)")
        rows = [row for row in rows if row.run_name in run_names]
    return rows


def plan(
    game: str,
    output: Path | None = None,
    mode: str = "multivariate",
    slot_model: str = "NHITS",
    all_slots_model: str | None = None,
    horizon: int = 1,
    input_size: int = 20,
    max_steps: int = 100,
) -> PlanResult:
    """Write the standard k+1 plan of a game (one run per slot, one over all slots) and validate it."""
    from fcast import settings
    from fcast.plans.spec import dump_plan
    from fcast.plans.standard import standard_plan
    from fcast.plans.validate import validate_rows

    db.ensure_raw_tables()
    rows = standard_plan(
        game,
        mode=mode,
        slot_model=slot_model,
        all_slots_model=all_slots_model,
        horizon=horizon,
        input_size=input_size,
        max_steps=max_steps,
    )
    results = validate_rows(rows)
    path = output or settings.project_dir() / "plans" / f"{rows[0].plan_name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_plan(rows), encoding="utf-8")
    return PlanResult(results, path)


def validate(
    rows: list[Any],
    store: bool = True,
    rehearse: bool = True,
    workers: int | None = None,
    progress: Progress = _quiet,
    facts: Any = None,
) -> ValidationReport:
    """The static rules, then (rehearse) one step of each accepted row on the trainer's path and its real data.
    `facts` (a RegistryFacts) saves reloading the registry when the caller holds it (the UI caches it)."""
    from fcast.plans.validate import validate_rows

    if store:
        db.ensure_raw_tables()  # a check that stores nothing opens no write connection (the UI's live check)
    results = validate_rows(rows, facts, store=store, rehearse=rehearse, progress=progress, workers=workers)
    return ValidationReport(results)


# --- train, evaluate ---


@dataclass
class TrainResult:
    report: Any  # PlanTrainingReport
    evaluation: list[Any] = field(default_factory=list)
    refresh: RefreshResult | None = None

    @property
    def completed(self) -> int:
        return len(self.report.outcomes) - self.report.failed

    @property
    def exit_code(self) -> int:
        failed = self.report.failed or self.report.rejected
        return 1 if failed or (self.refresh is not None and not self.refresh.ok) else 0


def train_options(mlflow: bool = False, rehearse: bool = True, progress: Progress = _quiet) -> Any:
    from fcast.train.trainer import TrainOptions

    return TrainOptions(mlflow=mlflow, rehearse=rehearse, progress=progress)


def train(
    rows: list[Any], options: Any = None, refresh_marts: bool = False, progress: Progress = _quiet
) -> TrainResult:
    """Validate the rows, then train, cross-validate, predict and store every valid one; with refresh_marts,
    score the runs against chance and rebuild the marts downstream of what training wrote."""
    from fcast.train.trainer import train_plan

    db.ensure_raw_tables()
    result = TrainResult(train_plan(rows, options or train_options(progress=progress)))
    if refresh_marts:
        result.evaluation, result.refresh = score_and_refresh(sorted({row.dataset for row in rows}), progress)
    return result


def evaluate(games: Sequence[str] | None = None) -> list[Any]:
    """Exact chance bounds, each run against chance, and the predictability tests of the games (all: None)."""
    from fcast.chance.evaluate import evaluate as evaluate_games

    db.ensure_raw_tables()
    return evaluate_games(list(games) if games else None)


def score_and_refresh(datasets: Sequence[str] = (), progress: Progress = _quiet) -> tuple[list[Any], RefreshResult]:
    """Score the runs of these datasets (every game when empty) against chance, then rebuild what depends on the
    run and chance tables. Panel datasets have no chance distribution and are not scored."""
    from fcast.games import load_games
    from fcast.raw_schema import CHANCE_TABLES, TRAINING_TABLES

    games = [dataset for dataset in datasets if dataset in load_games()]
    evaluation = []
    if games or not datasets:
        progress("scoring against chance and profiling the draws ...")
        evaluation = evaluate(games)
    progress("refreshing the run and chance marts ...")
    return evaluation, refresh([table.name for table in (*TRAINING_TABLES, *CHANCE_TABLES)])


def retrain(run_id: str, options: Any = None) -> Any:
    """Train a stored model's plan row again on the current data, with its recorded features."""
    from fcast.train.stored import retrain as retrain_stored

    db.ensure_raw_tables()
    return retrain_stored(run_id, options or train_options())


def predict(run_id: str, options: Any = None) -> Any:
    """Forecast the next draws with a stored model, loaded only if its files are intact."""
    from fcast.train.stored import predict as predict_stored

    db.ensure_raw_tables()
    return predict_stored(run_id, options or train_options())


# --- explanations of stored models ---


@dataclass
class ExplainResult:
    report: Any  # fcast.explain.runner.ExplanationReport: windows, attributions, additivity, warnings, seconds
    refresh: RefreshResult | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.refresh is not None and not self.refresh.ok else 0


def explain(
    run_id: str,
    explainer: str = "IntegratedGradients",
    windows: int = 1,
    rebuild: bool = True,
    progress: Progress = _quiet,
) -> ExplainResult:
    """Attribute a stored model's forecasts at its latest `windows` origins to its inputs (NeuralForecast.explain)
    into raw.run_attributions; refused before loading when the registry says neuralforecast cannot explain it.
    Then the feature-importance marts are rebuilt."""
    from fcast.explain.runner import WRITTEN_TABLES, explain_run

    db.ensure_raw_tables()
    report = explain_run(run_id, explainer, windows, progress)
    if rebuild:
        progress("refreshing the marts downstream of raw.run_attributions ...")
    return ExplainResult(report, refresh(WRITTEN_TABLES, rebuild))


# --- features computed in Python ---


@dataclass
class FeatureResult:
    """What an `fcast features` command did (its report, per game) and the refresh of the marts downstream."""

    report: Any  # EmbeddingReport or AnomalyReport: per game, what was computed and reused, seconds
    refresh: RefreshResult | None = None

    @property
    def seconds(self) -> float:
        return self.report.seconds

    @property
    def games(self) -> list[Any]:
        return self.report.games

    @property
    def exit_code(self) -> int:
        return 1 if self.refresh is not None and not self.refresh.ok else 0


@dataclass
class EmbedResult(FeatureResult):
    @property
    def embedded(self) -> int:
        return self.report.embedded

    @property
    def reused(self) -> int:
        return self.report.reused


def embed_features(
    model: str,
    games: Sequence[str] = (),
    checkpoint: str | None = None,
    context_length: int | None = None,
    batch_size: int | None = None,
    rebuild: bool = True,
    progress: Progress = _quiet,
) -> EmbedResult:
    """Foundation-model embeddings of every context window of the games' series (all games when empty), reduced
    by a fixed random projection into raw.feature_embeddings (hist_emb_<model>_<i> in the feature marts); only
    new or changed windows are embedded. Then the marts downstream are rebuilt when anything changed."""
    from fcast.features.embeddings import WRITTEN_TABLES, embed_games

    db.ensure_raw_tables()
    report = embed_games(model, games, checkpoint, context_length, batch_size, progress=progress)
    return _refreshed_after(EmbedResult(report), WRITTEN_TABLES, rebuild, progress)


def anomaly_features(
    games: Sequence[str] = (),
    detectors: Sequence[str] = (),
    contamination: float = 0.05,
    regimes: int = 3,
    schedule: Any = None,
    rebuild: bool = True,
    progress: Progress = _quiet,
) -> FeatureResult:
    """Anomaly scores, flags and regime labels of every series of the games (all games when empty), computed
    online into raw.feature_anomalies (hist_anom_ in the feature marts); only draws whose history changed or
    arrived since the last run are computed. Then the marts downstream are rebuilt when anything changed."""
    from fcast.features.anomalies import WRITTEN_TABLES, score_games

    db.ensure_raw_tables()
    report = score_games(games, detectors, contamination, regimes, schedule, progress=progress)
    return _refreshed_after(FeatureResult(report), WRITTEN_TABLES, rebuild, progress)


def _refreshed_after(result: FeatureResult, tables: Sequence[str], rebuild: bool, progress: Progress) -> FeatureResult:
    """Rebuild the marts downstream of the feature tables when the command changed them."""
    if result.report.changed:
        if rebuild:
            progress(f"refreshing the marts downstream of {', '.join(f'raw.{table}' for table in tables)} ...")
        result.refresh = refresh(list(tables), rebuild)
    return result


# --- the operating cycle and its ledger ---


def cycle(games: Sequence[str] = (), options: Any = None, progress: Progress = _quiet) -> Any:
    """One draw day for the configured games (cycle.yml): ingest new draws, score the locked forecasts they
    settle, retrain or predict per the policy, lock the next forecasts in the ledger, refresh the marts.
    Returns a fcast.cycle.runner.CycleReport (one status line per game)."""
    from fcast.cycle.runner import run_cycle

    return run_cycle(games, options, progress)


def verify_ledger(games: Sequence[str] = ()) -> list[Any]:
    """Recompute the forecast ledger's hash chains (every game, or these): a ChainReport per game."""
    from fcast.cycle.ledger import verify

    db.ensure_raw_tables()
    return verify(games)


# --- refresh: the one place that decides which dbt models to rebuild after a write ---


@dataclass
class RefreshResult:
    tables: list[str]  # the raw tables the step wrote
    selection: list[str]  # dbt arguments: --select source:raw.<table>+ ...
    status: str  # refreshed | failed | deferred (asked not to build) | never_built (no marts yet)
    output: str = ""

    @property
    def command(self) -> str:
        return "fcast build " + " ".join(self.selection)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def refresh(written_tables: Sequence[str], rebuild: bool = True) -> RefreshResult:
    """Rebuild (dbt build, tests included) every model downstream of the raw tables a step wrote.

    A warehouse whose marts were never built is left for `fcast build`; `rebuild=False` only says
    what to run. Either way the marts never lag silently: the result names the command."""
    from fcast.dbt_runner import downstream_selection, marts_built, run_dbt

    tables = list(dict.fromkeys(written_tables))
    selection = downstream_selection(tables)
    if not rebuild:
        return RefreshResult(tables, selection, "deferred")
    if not marts_built():
        return RefreshResult(tables, selection, "never_built")
    completed = run_dbt(["build", *selection], capture=True)
    output = (completed.stdout or "") + (completed.stderr or "")
    return RefreshResult(tables, selection, "refreshed" if completed.returncode == 0 else "failed", output)


# --- the main job ---


@dataclass
class MainResult:
    target: str
    ingest: IngestResult | None = None
    scans: list[Any] = field(default_factory=list)
    probes: Any = None
    build_code: int | None = None
    plan_file: Path | None = None
    training: TrainResult | None = None
    failed_step: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed_step


def main_job(max_steps: int = 100, train_models: bool = True, progress: Progress = _quiet) -> MainResult:
    """Ingest the shipped history, scan and probe neuralforecast, build every model, then plan, validate
    and train the standard Loto6 k+1 plan, score it against chance and refresh the marts."""
    from fcast import settings
    from fcast.plans.spec import dump_plan
    from fcast.plans.standard import standard_plan

    started = time.perf_counter()
    result = MainResult(db.describe_target())

    def finish(failed_step: str = "") -> MainResult:
        result.failed_step = failed_step
        result.seconds = time.perf_counter() - started
        return result

    result.ingest = ingest_draws(rebuild=False, progress=progress)  # the build below covers what ingest wrote
    if result.ingest.unreadable:
        return finish("ingest")
    result.scans = scan(progress=progress)
    for outcome in result.scans:
        progress(f"  {outcome.summary()}")
    if any(outcome.status == "failed" for outcome in result.scans):
        return finish("scan")
    result.probes = probe(quick=True, include_ray=False, progress=progress)
    progress(f"  {result.probes.summary()}")
    result.build_code = build().returncode
    if result.build_code != 0:
        return finish("build")
    if not train_models:
        return finish()
    rows = standard_plan(MAIN_GAME, max_steps=max_steps)
    result.plan_file = settings.generated_plans_dir() / f"{rows[0].plan_name}.yaml"
    result.plan_file.parent.mkdir(parents=True, exist_ok=True)
    result.plan_file.write_text(dump_plan(rows), encoding="utf-8")
    progress(f"training the standard {MAIN_GAME} plan ({len(rows)} runs, max_steps {max_steps}): {result.plan_file}")
    result.training = train(rows, train_options(progress=progress), progress=progress)
    result.training.evaluation, result.training.refresh = score_and_refresh((), progress)
    if not result.training.refresh.ok:
        return finish("refresh")
    return finish("train" if result.training.exit_code else "")
