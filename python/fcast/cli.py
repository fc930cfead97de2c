"""The `fcast` command line. Heavy libraries are imported inside the commands that need them."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

DBT_PASSTHROUGH_COMMANDS = ("build", "dbt")


def _print_load_report(report) -> None:
    print(report.summary())
    for reject in report.rejects:
        print(f"  rejected: {reject}")
    for conflict in getattr(report, "conflicts", []):
        print(f"  conflict: {conflict}")


def _refresh_after_ingest(written_tables: tuple[str, ...], args: argparse.Namespace) -> int:
    """Rebuild the models downstream of what was loaded, or say what to run: marts never lag silently."""
    from fcast.dbt_runner import downstream_selection, marts_built, refresh_downstream

    selection = " ".join(downstream_selection(list(written_tables)))
    if getattr(args, "no_build", False):
        print(f"next: `fcast build {selection}` refreshes the marts (plans read them)")
        return 0
    if not marts_built():
        print("next: `fcast build` (this warehouse has never been built; plans read the marts)")
        return 0
    print(f"refreshing the marts downstream: dbt build {selection}", flush=True)
    result = refresh_downstream(list(written_tables), capture=True)
    if result.returncode != 0:
        print((result.stdout or "")[-3000:], file=sys.stderr)
        print(f"error: the marts did not rebuild; fix the above and run `fcast build {selection}`", file=sys.stderr)
        return 1
    print("marts refreshed")
    return 0


def _ingest_panels(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fcast.ingest import panel
    from fcast.ingest.records import IngestError

    if not args.paths:
        print("fcast ingest --panel NAME needs at least one CSV or Parquet file", file=sys.stderr)
        return 2
    problems = unreadable = added = 0
    for spec in args.paths:
        try:
            if args.futr:
                report = panel.load_panel_futr(Path(spec), args.panel)
            else:
                options = panel.PanelOptions(args.freq, panel.parse_gap_policy(args.fill_gaps), args.season_length)
                report = panel.load_panel(Path(spec), args.panel, options=options)
        except IngestError as error:
            print(f"error: {error}", file=sys.stderr)
            unreadable += 1
            continue
        _print_load_report(report)
        for line in report.gap_lines():
            print(f"  {line}")
        problems += len(report.rejects)
        added += report.added
    refreshed = _refresh_after_ingest(panel.WRITTEN_TABLES, args) if added or problems else 0
    return 1 if unreadable or refreshed or (problems and args.strict) else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.ingest.loader import WRITTEN_TABLES, load_draws
    from fcast.ingest.records import IngestError
    from fcast.ingest.sources import read_source, shipped_history

    db.ensure_raw_tables()
    if args.panel:
        return _ingest_panels(args)
    if args.futr or args.freq or args.fill_gaps or args.season_length:
        print("--futr, --freq, --fill-gaps and --season-length describe panels: add --panel DATASET", file=sys.stderr)
        return 2
    problems = unreadable = added = 0
    sources = [(spec, args.game) for spec in args.paths] or [
        (str(path), game_code) for game_code, path in shipped_history()
    ]
    for spec, game_code in sources:
        try:
            report = load_draws(read_source(spec, game_code))
        except IngestError as error:
            print(f"error: {error}", file=sys.stderr)
            unreadable += 1
            continue
        _print_load_report(report)
        problems += len(report.rejects) + len(report.conflicts)
        added += report.added
    refreshed = _refresh_after_ingest(WRITTEN_TABLES, args) if added or problems else 0
    return 1 if unreadable or refreshed or (problems and args.strict) else 0


def cmd_build(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.dbt_runner import run_dbt

    db.ensure_raw_tables()
    return run_dbt(["build", *args.dbt_args]).returncode


def cmd_dbt(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.dbt_runner import run_dbt

    db.ensure_raw_tables()
    return run_dbt(args.dbt_args).returncode


def cmd_docs(args: argparse.Namespace) -> int:
    from fcast import db, paths
    from fcast.dbt_runner import run_dbt

    db.ensure_raw_tables()
    code = run_dbt(["docs", "generate", "--static"]).returncode
    if code == 0:
        print(f"dbt docs site: {paths.project_dir() / 'target' / 'static_index.html'}")
    return code


def cmd_registry_scan(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.registry.overlay_env import OverlayEnvironmentError, overlay_python
    from fcast.registry.scan import ALL_LIBRARIES, DEFAULT_LIBRARIES, RegistryScanError, scan

    db.ensure_raw_tables()
    libraries = list(ALL_LIBRARIES) if args.all else (args.libraries or list(DEFAULT_LIBRARIES))
    if args.version:
        if len(libraries) != 1 or args.python:
            print("error: --version scans one library, without --python", file=sys.stderr)
            return 2
        print(f"preparing a throwaway environment with {libraries[0]}=={args.version} ...", flush=True)
        try:
            args.python = str(overlay_python(libraries[0], args.version))
        except OverlayEnvironmentError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(f"scanning {', '.join(libraries)} ...", flush=True)
    try:
        outcomes = scan(libraries, python=args.python, force=args.force)
    except RegistryScanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(f"  {outcome.summary()}")
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def cmd_registry_probe(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.probe.definitions import build_matrix
    from fcast.probe.runner import run_probes, view_from_registry
    from fcast.registry.overlay_env import OverlayEnvironmentError, overlay_python
    from fcast.registry.scan import RegistryScanError, scan

    db.ensure_raw_tables()
    python = None
    try:
        if getattr(args, "version", None):
            print(f"preparing a throwaway environment with neuralforecast=={args.version} ...", flush=True)
            python = str(overlay_python("neuralforecast", args.version))
        (outcome,) = scan(["neuralforecast"], python=python)
    except (RegistryScanError, OverlayEnvironmentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    probes = build_matrix(
        view_from_registry(outcome.env_key), quick=args.quick, models=args.models or None, include_ray=not args.no_ray
    )
    kind = "quick subset" if args.quick else "full matrix"
    print(f"probing neuralforecast ({kind}, {len(probes)} probes) [{outcome.env_key}] ...", flush=True)
    report = run_probes(
        outcome.env_key,
        probes,
        workers=args.workers,
        timeout_s=args.timeout,
        progress=lambda line: print(line, flush=True),
        python=python,
    )
    print(f"  {report.summary()}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fcast import db
    from fcast.plans.spec import PlanFormatError, load_plan_file
    from fcast.plans.validate import validate_rows

    if args.list_rules:
        from fcast.plans.rules import describe_rules

        print(describe_rules())
        return 0
    if not args.plans:
        print("error: give one or more PLAN.yaml files (or --list-rules)", file=sys.stderr)
        return 2
    db.ensure_raw_tables()
    try:
        rows = [row for path in args.plans for row in load_plan_file(Path(path))]
    except PlanFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        results = validate_rows(
            rows,
            store=not args.no_store,
            rehearse=not args.static_only,
            progress=lambda line: print(line, flush=True),
            workers=args.workers,
        )
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for result in results:
        status = "valid" if result.valid else "REJECTED"
        rehearsed = ""
        if result.rehearsal is not None:
            rehearsed = " (rehearsed: stored outcome)" if result.rehearsal.cached else " (rehearsed)"
        print(
            f"{result.row.run_name} ({result.row.model}, {result.row.dataset}/{result.row.series}): {status}{rehearsed}"
        )
        for violation in result.violations:
            print(f"  {violation}")
    rejected = sum(not result.valid for result in results)
    print(f"{len(results)} run(s), {rejected} rejected, validated against {results[0].env_key if results else '-'}")
    return 1 if rejected else 0


def cmd_plan(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fcast import db, paths
    from fcast.plans.spec import dump_plan
    from fcast.plans.standard import standard_plan
    from fcast.plans.validate import validate_rows

    db.ensure_raw_tables()
    try:
        rows = standard_plan(
            args.game,
            mode=args.mode,
            slot_model=args.slot_model,
            all_slots_model=args.all_model,
            horizon=args.horizon,
            input_size=args.input_size,
            max_steps=args.max_steps,
        )
        results = validate_rows(rows)
    except (KeyError, LookupError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    output = Path(args.output) if args.output else paths.project_dir() / "plans" / f"{rows[0].plan_name}.yaml"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dump_plan(rows), encoding="utf-8")
    for result in results:
        print(f"{result.row.run_name}: {'valid' if result.valid else 'REJECTED (no run)'}")
        for violation in result.violations:
            print(f"  {violation}")
    rejected = sum(not result.valid for result in results)
    print(f"wrote {output}: {len(rows)} runs, {rejected} rejected")
    return 1 if rejected else 0


def _train_options(args: argparse.Namespace):
    from fcast.train.trainer import TrainOptions

    return TrainOptions(mlflow=getattr(args, "mlflow", False), rehearse=not getattr(args, "static_only", False))


def _terminate_as_interrupt() -> None:
    """SIGTERM (kill, a scheduler stopping the job) ends the current run FAILED, like Ctrl+C."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fcast import db
    from fcast.plans.spec import PlanFormatError, load_plan_file
    from fcast.train.trainer import train_plan

    db.ensure_raw_tables()
    _terminate_as_interrupt()
    try:
        rows = [row for path in args.plans for row in load_plan_file(Path(path))]
    except PlanFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.runs:
        unknown = sorted(set(args.runs) - {row.run_name for row in rows})
        if unknown:
            print(f"error: no run named {unknown} in the plan(s)", file=sys.stderr)
            return 2
        rows = [row for row in rows if row.run_name in args.runs]
    try:
        report = train_plan(rows, _train_options(args))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    completed = len(report.outcomes) - report.failed
    print(
        f"{len(rows)} plan row(s): {completed} completed, {report.failed} failed, {len(report.rejected)} rejected "
        "(see `fcast runs`, then `fcast build --select marts.runs`)",
        flush=True,
    )
    code = 1 if report.failed or report.rejected else 0
    if args.refresh_marts:
        code = _refresh_run_marts(sorted({row.dataset for row in rows})) or code
    return code


def _refresh_run_marts(games: list[str]) -> int:
    """Score the new runs of these games (all games when empty) against chance, then rebuild the run and
    chance marts (dbt build). Panel datasets have no chance distribution and are not scored."""
    from fcast.games import load_games

    lottery_games = [game for game in games if game in load_games()]
    if lottery_games or not games:
        print("scoring against chance and profiling the draws ...", flush=True)
        cmd_evaluate(argparse.Namespace(game=lottery_games))
    return cmd_build(argparse.Namespace(dbt_args=["--select", "staging.runs+", "staging.chance+"]))


def _run_from_store(args: argparse.Namespace, action) -> int:
    from fcast import db
    from fcast.train.inputs import MissingFeatureError
    from fcast.train.model_store import ModelStoreError
    from fcast.train.stored import StoredModelError

    db.ensure_raw_tables()
    _terminate_as_interrupt()
    try:
        outcome = action(args.run_id, _train_options(args))
    except (LookupError, MissingFeatureError, ModelStoreError, StoredModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(outcome.summary())
    return 0 if outcome.status == "COMPLETED" else 1


def cmd_retrain(args: argparse.Namespace) -> int:
    from fcast.train.stored import retrain

    return _run_from_store(args, retrain)


def cmd_predict(args: argparse.Namespace) -> int:
    from fcast.train.stored import predict

    return _run_from_store(args, predict)


def cmd_runs(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.raw_schema import NF_MODEL_RUNS
    from fcast.train.runs import close_stale_runs

    db.ensure_raw_tables()
    for run_id in close_stale_runs():
        print(f"closed stale run {run_id} as FAILED (its process had stopped)")
    where, params = ("where status = ?", [args.status]) if args.status else ("", [])
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select run_id, run_kind, run_name, model_name, status, duration_seconds, metrics, created_at "
            f"from {NF_MODEL_RUNS.qualified_name} {where} order by created_at desc limit ?",
            [*params, args.limit],
        )
    import json

    for run_id, kind, name, model, status, duration, metrics, created in rows:
        mae = json.loads(metrics or "{}").get("mae")
        shown = f"mae {mae:.4f}" if mae is not None else ""
        seconds = f"{duration:7.1f}s" if duration is not None else "       -"
        print(f"{run_id}  {created:%Y-%m-%d %H:%M}  {kind:8} {status:9} {seconds}  {name} ({model}) {shown}")
    if not rows:
        print("no runs yet: `fcast plan --game loto6` then `fcast train plans/loto6_standard_multivariate.yaml`")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.chance.evaluate import evaluate

    db.ensure_raw_tables()
    try:
        evaluations = evaluate(args.game or None)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for evaluation in evaluations:
        print(f"  {evaluation.summary()}")
    print("marts: leaderboard_vs_chance, game_chance_verdicts, predictability_profile, game_predictability")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fcast import db
    from fcast.report.run_report import report_plan, report_run

    db.ensure_raw_tables()
    if bool(args.run_id) == bool(args.plan):
        print("error: give a RUN_ID or --plan NAME", file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else None
    try:
        path = report_plan(args.plan, output) if args.plan else report_run(args.run_id, output)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"report: {path}")
    return 0


MAIN_GAME = "loto6"


def _train_main_plan(max_steps: int) -> int:
    """Plan the Loto6 k+1 models, validate and train them; returns the number of runs that did not complete."""
    from fcast import paths
    from fcast.plans.spec import dump_plan
    from fcast.plans.standard import standard_plan
    from fcast.train.trainer import train_plan

    rows = standard_plan(MAIN_GAME, max_steps=max_steps)
    plan_file = paths.duckdb_path().parent / "plans" / f"{rows[0].plan_name}.yaml"
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan_file.write_text(dump_plan(rows), encoding="utf-8")
    print(f"training the standard {MAIN_GAME} plan ({len(rows)} runs, max_steps {max_steps}): {plan_file}", flush=True)
    report = train_plan(rows, _train_options(argparse.Namespace()))
    return report.failed + len(report.rejected)


def _print_main_summary() -> None:
    from fcast import db, paths

    with db.connect(read_only=True) as warehouse:
        runs = warehouse.fetchall(
            "select run_name, model_name, status, cv_mae, duration_seconds from marts.run_history "
            "where plan_name = ? order by created_at desc, run_name",
            (f"{MAIN_GAME}_standard_multivariate",),
        )
    latest: dict[str, tuple] = {}
    for run in runs:
        latest.setdefault(run[0], run)
    print(f"\n{MAIN_GAME} standard plan, latest run of each row:")
    for name, model, status, mae, seconds in sorted(latest.values()):
        shown = f"cv mae {mae:.3f}" if mae is not None else ""
        print(f"  {name:24} {model:10} {status:10} {seconds or 0:6.1f}s  {shown}")
    with db.connect(read_only=True) as warehouse:
        verdicts = warehouse.fetchall("select game_code, verdict from marts.game_chance_verdicts order by game_code")
    print("\nagainst chance:")
    for game_code, verdict in verdicts:
        print(f"  {game_code:10} {verdict}")
    print(
        "\nwhere to look next:\n"
        "  fcast runs                       run history (status, duration, accuracy)\n"
        "  marts.run_history, run_series_metrics, run_forecasts_vs_actuals, run_resource_usage, model_store\n"
        "  marts.leaderboard_vs_chance, game_chance_verdicts, predictability_profile, game_predictability\n"
        f"  {paths.model_store_dir()}   the stored models (fcast predict RUN_ID / fcast retrain RUN_ID)\n"
        "  fcast docs                       the dbt docs site, offline"
    )


def cmd_main(args: argparse.Namespace) -> int:
    """The main job: ingest, scan and probe, build, then plan, validate and train the Loto6 k+1 models."""
    from fcast import db

    started = time.perf_counter()
    print(f"fcast main on {db.describe_target()}")
    ingest_args = argparse.Namespace(
        paths=[],
        game=None,
        panel=None,
        strict=False,
        futr=False,
        freq=None,
        fill_gaps=None,
        season_length=None,
        no_build=True,  # the main job builds everything next
    )
    if cmd_ingest(ingest_args) != 0:
        return 1
    if cmd_registry_scan(argparse.Namespace(libraries=[], all=False, python=None, version=None, force=False)) != 0:
        return 1
    probe_args = argparse.Namespace(quick=True, models=[], workers=None, timeout=90.0, no_ray=True)
    if cmd_registry_probe(probe_args) != 0:
        return 1
    code = cmd_build(argparse.Namespace(dbt_args=[]))
    if code == 0 and not args.no_train:
        _terminate_as_interrupt()
        not_completed = _train_main_plan(args.max_steps)
        code = _refresh_run_marts([])
        if code == 0:
            _print_main_summary()
        code = code or (1 if not_completed else 0)
    print(f"fcast main {'finished' if code == 0 else 'FAILED'} in {time.perf_counter() - started:.1f}s")
    return code


def cmd_ui(args: argparse.Namespace) -> int:
    from fcast.ui.launch import environment_problems, serve

    if args.check:
        problems = environment_problems()
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("the UI can start" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    return serve(args.host, args.port)


def cmd_db(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.raw_schema import RAW_TABLES

    db.ensure_raw_tables()
    print(f"target: {db.describe_target()}")
    if args.action == "info":
        with db.connect(read_only=True) as warehouse:
            for table in RAW_TABLES:
                count = warehouse.fetchall(f"select count(*) from {table.qualified_name}")[0][0]
                print(f"  {table.qualified_name:32} {count:>10} rows  {table.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fcast",
        description="Forecasting warehouse for the Japanese numbers-choice lotteries (dbt + neuralforecast).",
    )
    parser.add_argument(
        "--target", choices=("duckdb", "postgres"), help="warehouse target (default: $FCAST_TARGET or duckdb)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    main = commands.add_parser(
        "main", help="ingest, scan + probe, dbt build, then plan, validate and train the Loto6 k+1 models"
    )
    main.add_argument(
        "--max-steps", type=int, default=100, help="training steps of each Loto6 model (default 100: a few minutes)"
    )
    main.add_argument("--no-train", action="store_true", help="stop after the dbt build (no training)")
    main.set_defaults(handler=cmd_main)

    ingest = commands.add_parser(
        "ingest", help="load draw files, result pages or URLs (no PATH: the shipped history of every game)"
    )
    ingest.add_argument("paths", nargs="*", metavar="PATH", help="CSV, JSON or HTML file, or an http(s) URL")
    ingest.add_argument("--game", help="game code (guessed from the file name or the number count when omitted)")
    ingest.add_argument("--panel", metavar="DATASET", help="the files are unique_id/ds/y panels for this dataset")
    ingest.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected or conflicting")
    ingest.add_argument(
        "--futr", action="store_true", help="with --panel: the files hold future values of fut_ columns (no y)"
    )
    ingest.add_argument(
        "--freq",
        help="with --panel: the pandas frequency of ds (D, W-SUN, MS, ME, h, ...) or an integer step; "
        "inferred when omitted",
    )
    ingest.add_argument(
        "--fill-gaps",
        metavar="POLICY",
        help="with --panel: missing timestamps are named per series and reject the series (reject, the default), "
        "or are filled: interpolate, ffill, bfill or value:<number> (filled rows are flagged)",
    )
    ingest.add_argument(
        "--season-length", type=int, help="with --panel: periods per season for seasonal naive (default from freq)"
    )
    ingest.add_argument(
        "--no-build", action="store_true", help="do not rebuild the marts downstream (print the command instead)"
    )
    ingest.set_defaults(handler=cmd_ingest)

    build = commands.add_parser(
        "build", help="dbt build (seeds, models, tests) on the current target; extra arguments go to dbt"
    )
    build.set_defaults(handler=cmd_build)

    dbt = commands.add_parser("dbt", help="run any dbt command with the fcast profile and target (fcast dbt test)")
    dbt.set_defaults(handler=cmd_dbt)

    docs = commands.add_parser("docs", help="generate the dbt docs site offline (target/static_index.html)")
    docs.set_defaults(handler=cmd_docs)

    registry = commands.add_parser("registry", help="the spec registry of forecasting libraries")
    registry_commands = registry.add_subparsers(dest="registry_command", required=True, metavar="ACTION")
    registry_scan = registry_commands.add_parser(
        "scan", help="introspect libraries into version-keyed registry tables (default: neuralforecast)"
    )
    registry_scan.add_argument(
        "libraries",
        nargs="*",
        metavar="LIBRARY",
        help="neuralforecast, statsforecast, mlforecast, utilsforecast, hierarchicalforecast, coreforecast",
    )
    registry_scan.add_argument("--all", action="store_true", help="scan all six libraries")
    registry_scan.add_argument("--python", help="scan the libraries installed for this interpreter instead")
    registry_scan.add_argument("--version", help="scan this release of the library from a throwaway environment")
    registry_scan.add_argument("--force", action="store_true", help="scan again even when the key is stored")
    registry_scan.set_defaults(handler=cmd_registry_scan)

    registry_probe = registry_commands.add_parser(
        "probe", help="really call neuralforecast with candidate arguments and record what runs and what fails"
    )
    registry_probe.add_argument("--quick", action="store_true", help="the small subset the main job runs")
    registry_probe.add_argument("--models", nargs="*", metavar="MODEL", help="only these model classes")
    registry_probe.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    registry_probe.add_argument("--timeout", type=float, default=90.0, help="seconds before a probe is stopped")
    registry_probe.add_argument("--no-ray", action="store_true", help="skip the probes that start a ray cluster")
    registry_probe.add_argument(
        "--version", help="probe this neuralforecast release (scanned first) in a throwaway environment"
    )
    registry_probe.set_defaults(handler=cmd_registry_probe)

    plan = commands.add_parser("plan", help="write and validate the standard k+1 plan of a game")
    plan.add_argument("--game", required=True, help="game code, e.g. loto6")
    plan.add_argument(
        "--mode",
        choices=("multivariate", "univariate"),
        default="multivariate",
        help="the all-slot run: one multivariate model (n_series=k) or one global univariate model",
    )
    plan.add_argument("--slot-model", default="NHITS", help="model of each single-slot run")
    plan.add_argument("--all-model", help="model of the all-slot run (default TSMixerx, or the slot model)")
    plan.add_argument("--horizon", type=int, default=1)
    plan.add_argument("--input-size", type=int, default=20)
    plan.add_argument("--max-steps", type=int, default=100)
    plan.add_argument("--output", help="YAML file to write (default plans/<game>_standard_<mode>.yaml)")
    plan.set_defaults(handler=cmd_plan)

    validate = commands.add_parser("validate", help="check run plans against the registry and the probes")
    validate.add_argument("plans", nargs="*", metavar="PLAN.yaml")
    validate.add_argument("--no-store", action="store_true", help="do not write the plan and its violations")
    validate.add_argument(
        "--static-only",
        action="store_true",
        help="only the static rules (milliseconds); skip the one-step rehearsal of each row on its real data",
    )
    validate.add_argument("--workers", type=int, help="rehearsal worker processes (default: cores, at most 4)")
    validate.add_argument("--list-rules", action="store_true", help="list every validation rule and exit")
    validate.set_defaults(handler=cmd_validate)

    train = commands.add_parser(
        "train", help="validate run plans, then train, cross-validate, predict and store every valid run"
    )
    train.add_argument("plans", nargs="+", metavar="PLAN.yaml")
    train.add_argument("--runs", nargs="*", metavar="NAME", help="only the plan rows with these run names")
    train.add_argument("--mlflow", action="store_true", help="also log each run to MLflow (offline, local store)")
    train.add_argument(
        "--static-only", action="store_true", help="validate with the static rules only (no rehearsal before training)"
    )
    train.add_argument(
        "--refresh-marts",
        action="store_true",
        help="afterwards score the runs against chance and rebuild the run and chance marts",
    )
    train.set_defaults(handler=cmd_train)

    retrain = commands.add_parser(
        "retrain", help="train a stored model's plan row again on the current draws, with its recorded features"
    )
    retrain.add_argument("run_id", metavar="RUN_ID", help="a run id (or a unique prefix) with a stored model")
    retrain.add_argument("--mlflow", action="store_true", help="also log the run to MLflow")
    retrain.set_defaults(handler=cmd_retrain)

    predict = commands.add_parser(
        "predict", help="forecast the next draws with a stored model (loaded only if its files are intact)"
    )
    predict.add_argument("run_id", metavar="RUN_ID", help="a run id (or a unique prefix) with a stored model")
    predict.set_defaults(handler=cmd_predict)

    evaluate = commands.add_parser(
        "evaluate", help="exact chance bounds, the leaderboard against chance and the predictability profile"
    )
    evaluate.add_argument("--game", nargs="*", metavar="GAME", help="only these games (default: every game)")
    evaluate.set_defaults(handler=cmd_evaluate)

    report = commands.add_parser("report", help="a self-contained HTML report of a run (or of a plan's runs)")
    report.add_argument("run_id", nargs="?", metavar="RUN_ID", help="a run id or a unique prefix")
    report.add_argument("--plan", metavar="NAME", help="the latest run of every row of this plan instead")
    report.add_argument("--output", help="HTML file to write (default warehouse/reports/...)")
    report.set_defaults(handler=cmd_report)

    runs = commands.add_parser("runs", help="list training runs (closes runs whose process died as FAILED)")
    runs.add_argument("--status", choices=("PENDING", "RUNNING", "COMPLETED", "FAILED"))
    runs.add_argument("--limit", type=int, default=30)
    runs.set_defaults(handler=cmd_runs)

    ui = commands.add_parser("ui", help="the Streamlit UI: data, registry, plans, runs and results in a browser")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    ui.add_argument("--check", action="store_true", help="only check the environment and the warehouse")
    ui.set_defaults(handler=cmd_ui)

    database = commands.add_parser("db", help="create the raw tables (init) or count their rows (info)")
    database.add_argument("action", choices=("init", "info"))
    database.set_defaults(handler=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    dbt_arguments: list[str] = []
    for position, token in enumerate(arguments):
        if token in DBT_PASSTHROUGH_COMMANDS:
            arguments, dbt_arguments = arguments[: position + 1], arguments[position + 1 :]
            break
    args = build_parser().parse_args(arguments)
    if args.command in DBT_PASSTHROUGH_COMMANDS:
        args.dbt_args = dbt_arguments
    from fcast import db

    try:
        db.set_target(args.target)
        return args.handler(args)
    except (db.WarehouseError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
