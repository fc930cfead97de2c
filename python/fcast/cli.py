"""The `fcast` command line: it parses arguments, calls the pipeline in `fcast.app` and renders the results.

Errors meant for the user (`fcast.errors.FcastError`) are caught once, in `main`. Heavy libraries are
imported by the pipeline steps, so `fcast --help` is instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from fcast import app
from fcast.errors import FcastError, UsageError
from fcast.features import Schedule

DBT_PASSTHROUGH_COMMANDS = ("build", "dbt")


def say(line: str) -> None:
    print(line, flush=True)


def _terminate_as_interrupt() -> None:
    """SIGTERM (kill, a scheduler stopping the job) ends the current run FAILED, like Ctrl+C."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


# --- renderers ---


def render_refresh(refresh: app.RefreshResult | None) -> None:
    if refresh is None:
        return
    if refresh.status == "deferred":
        say(f"next: `{refresh.command}` refreshes the marts (plans read them)")
    elif refresh.status == "never_built":
        say("next: `fcast build` (this warehouse has never been built; plans read the marts)")
    elif refresh.status == "refreshed":
        say(f"marts refreshed: every model downstream of raw.{', raw.'.join(refresh.tables)}")
    else:
        print(refresh.output[-3000:], file=sys.stderr)
        print(f"error: the marts did not rebuild; fix the above and run `{refresh.command}`", file=sys.stderr)


def render_ingest(result: app.IngestResult) -> None:
    """What is left to say once the reports were shown as they came: unreadable sources and the refresh."""
    for error in result.unreadable:
        print(f"error: {error}", file=sys.stderr)
    render_refresh(result.refresh)


def render_validation(results: list) -> None:
    for result in results:
        status = "valid" if result.valid else "REJECTED"
        rehearsed = ""
        if result.rehearsal is not None:
            rehearsed = " (rehearsed: stored outcome)" if result.rehearsal.cached else " (rehearsed)"
        say(
            f"{result.row.run_name} ({result.row.model}, {result.row.dataset}/{result.row.series}): {status}{rehearsed}"
        )
        for violation in result.violations:
            say(f"  {violation}")


def render_training(result: app.TrainResult, rows: int) -> None:
    report = result.report
    say(
        f"{rows} plan row(s): {result.completed} completed, {report.failed} failed, {len(report.rejected)} rejected "
        "(see `fcast runs`; the marts read them after `fcast build` or `fcast train --refresh-marts`)"
    )
    for evaluation in result.evaluation:
        say(f"  {evaluation.summary()}")
    render_refresh(result.refresh)


# --- commands ---


def cmd_ingest(args: argparse.Namespace) -> int:
    rebuild = not args.no_build
    if args.panel:
        from fcast.ingest.panel import PanelOptions, parse_gap_policy

        options = PanelOptions(args.freq, parse_gap_policy(args.fill_gaps), args.season_length)
        result = app.ingest_panels([Path(path) for path in args.paths], args.panel, options, args.futr, rebuild, say)
    elif args.futr or args.freq or args.fill_gaps or args.season_length:
        raise UsageError("--futr, --freq, --fill-gaps and --season-length describe panels: add --panel DATASET")
    else:
        result = app.ingest_draws(args.paths, args.game, rebuild, say)
    render_ingest(result)
    return result.exit_code(args.strict)


def cmd_build(args: argparse.Namespace) -> int:
    return app.build(args.dbt_args).returncode


def cmd_dbt(args: argparse.Namespace) -> int:
    return app.dbt(args.dbt_args).returncode


def cmd_docs(args: argparse.Namespace) -> int:
    from fcast import settings

    code = app.dbt(["docs", "generate", "--static"]).returncode
    if code == 0:
        say(f"dbt docs site: {settings.project_dir() / 'target' / 'static_index.html'}")
    return code


def cmd_registry_scan(args: argparse.Namespace) -> int:
    from fcast.registry.scan import ALL_LIBRARIES

    libraries = list(ALL_LIBRARIES) if args.all else args.libraries
    outcomes = app.scan(libraries, python=args.python, version=args.version, force=args.force, progress=say)
    for outcome in outcomes:
        say(f"  {outcome.summary()}")
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def cmd_registry_probe(args: argparse.Namespace) -> int:
    report = app.probe(
        quick=args.quick,
        models=args.models or (),
        workers=args.workers,
        timeout_s=args.timeout,
        include_ray=not args.no_ray,
        version=args.version,
        progress=say,
        distributed=args.distributed,
    )
    say(f"  {report.summary()}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    if args.list_rules:
        from fcast.plans.rules import describe_rules

        say(describe_rules())
        return 0
    if not args.plans:
        raise UsageError("give one or more PLAN.yaml files (or --list-rules)")
    rows = app.load_plans(args.plans)
    report = app.validate(
        rows, store=not args.no_store, rehearse=not args.static_only, workers=args.workers, progress=say
    )
    render_validation(report.results)
    say(f"{len(report.results)} run(s), {report.rejected} rejected, validated against {report.env_key}")
    return 1 if report.rejected else 0


def cmd_plan(args: argparse.Namespace) -> int:
    result = app.plan(
        args.game,
        output=Path(args.output) if args.output else None,
        mode=args.mode,
        slot_model=args.slot_model,
        all_slots_model=args.all_model,
        horizon=args.horizon,
        input_size=args.input_size,
        max_steps=args.max_steps,
    )
    for validation in result.results:
        say(f"{validation.row.run_name}: {'valid' if validation.valid else 'REJECTED (no run)'}")
        for violation in validation.violations:
            say(f"  {violation}")
    say(f"wrote {result.path}: {len(result.results)} runs, {result.rejected} rejected")
    return 1 if result.rejected else 0


def cmd_train(args: argparse.Namespace) -> int:
    _terminate_as_interrupt()
    rows = app.load_plans(args.plans, args.runs or ())
    options = app.train_options(mlflow=args.mlflow, rehearse=not args.static_only, progress=say)
    result = app.train(rows, options, refresh_marts=args.refresh_marts, progress=say)
    render_training(result, len(rows))
    return result.exit_code


def _from_store(action, args: argparse.Namespace) -> int:
    _terminate_as_interrupt()
    outcome = action(args.run_id, app.train_options(mlflow=getattr(args, "mlflow", False), progress=say))
    say(outcome.summary())
    return 0 if outcome.status == "COMPLETED" else 1


def cmd_retrain(args: argparse.Namespace) -> int:
    return _from_store(app.retrain, args)


def cmd_predict(args: argparse.Namespace) -> int:
    return _from_store(app.predict, args)


def cmd_explain(args: argparse.Namespace) -> int:
    result = app.explain(args.run_id, args.explainer, args.windows, rebuild=not args.no_build, progress=say)
    say(result.report.summary())
    say("feature importance: marts.run_feature_importance, run_feature_group_importance (fcast report RUN_ID)")
    render_refresh(result.refresh)
    return result.exit_code


def cmd_evaluate(args: argparse.Namespace) -> int:
    for evaluation in app.evaluate(args.game):
        say(f"  {evaluation.summary()}")
    say("marts: chance_leaderboard, game_chance_verdicts, chance_predictability_profile, game_predictability")
    return 0


def cmd_cycle(args: argparse.Namespace) -> int:
    result = app.cycle(args.game or (), app.train_options(progress=say), progress=say)
    for refresh in result.refreshes:
        render_refresh(refresh)
    for game in result.games:
        say(game.status_line())
    say(f"cycle {'finished' if result.ok else 'FAILED'} in {result.seconds:.1f}s")
    return result.exit_code


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    reports = app.verify_ledger(args.game or ())
    if not reports:
        say("the forecast ledger is empty")
    for report in reports:
        say(report.summary())
    return 0 if all(report.ok for report in reports) else 1


def cmd_features_anomaly(args: argparse.Namespace) -> int:
    result = app.anomaly_features(
        games=args.game or (),
        detectors=args.detector or (),
        contamination=args.contamination,
        regimes=args.regimes,
        schedule=Schedule.for_window(args.window, args.refit_every),
        rebuild=not args.no_build,
        progress=say,
    )
    say(result.report.summary())
    render_refresh(result.refresh)
    say("the flag rates against chance: marts.chance_anomaly_flag_rates")
    return result.exit_code


def cmd_features_embed(args: argparse.Namespace) -> int:
    result = app.embed_features(
        args.model,
        games=args.game or (),
        checkpoint=args.checkpoint,
        context_length=args.context_length,
        batch_size=args.batch_size,
        rebuild=not args.no_build,
        progress=say,
    )
    say(result.report.summary())
    render_refresh(result.refresh)
    return result.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.report.run_report import report_plan, report_run

    if bool(args.run_id) == bool(args.plan):
        raise UsageError("give a RUN_ID or --plan NAME")
    db.ensure_raw_tables()
    output = Path(args.output) if args.output else None
    path = report_plan(args.plan, output) if args.plan else report_run(args.run_id, output)
    say(f"report: {path}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.raw_schema import NF_MODEL_RUNS
    from fcast.train.runs import close_stale_runs

    db.ensure_raw_tables()
    for run_id in close_stale_runs():
        say(f"closed stale run {run_id} as FAILED (its process had stopped)")
    where, params = ("where status = ?", [args.status]) if args.status else ("", [])
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select run_id, run_kind, run_name, model_name, status, duration_seconds, metrics, created_at "
            f"from {NF_MODEL_RUNS.qualified_name} {where} order by created_at desc limit ?",
            [*params, args.limit],
        )
    for run_id, kind, name, model, status, duration, metrics, created in rows:
        mae = json.loads(metrics or "{}").get("mae")
        shown = f"mae {mae:.4f}" if mae is not None else ""
        seconds = f"{duration:7.1f}s" if duration is not None else "       -"
        say(f"{run_id}  {created:%Y-%m-%d %H:%M}  {kind:8} {status:9} {seconds}  {name} ({model}) {shown}")
    if not rows:
        say("no runs yet: `fcast plan --game loto6` then `fcast train plans/loto6_standard_multivariate.yaml`")
    return 0


def _print_main_summary(result: app.MainResult) -> None:
    from fcast import db, settings

    plan_name = f"{app.MAIN_GAME}_standard_multivariate"
    with db.connect(read_only=True) as warehouse:
        runs = warehouse.fetchall(
            "select run_name, model_name, status, cv_mae, duration_seconds from marts.run_history "
            "where plan_name = ? order by created_at desc, run_name",
            (plan_name,),
        )
        verdicts = warehouse.fetchall("select game_code, verdict from marts.game_chance_verdicts order by game_code")
    latest: dict[str, tuple] = {}
    for run in runs:
        latest.setdefault(run[0], run)
    say(f"\n{app.MAIN_GAME} standard plan, latest run of each row:")
    for name, model, status, mae, seconds in sorted(latest.values()):
        shown = f"cv mae {mae:.3f}" if mae is not None else ""
        say(f"  {name:24} {model:10} {status:10} {seconds or 0:6.1f}s  {shown}")
    say("\nagainst chance:")
    for game_code, verdict in verdicts:
        say(f"  {game_code:10} {verdict}")
    say(
        "\nwhere to look next:\n"
        "  fcast runs                       run history (status, duration, accuracy)\n"
        "  marts.run_history, run_series_metrics, run_forecasts_vs_actuals, run_resource_usage, model_store\n"
        "  marts.chance_leaderboard, game_chance_verdicts, chance_predictability_profile, game_predictability\n"
        f"  {settings.model_store_dir()}   the stored models (fcast predict RUN_ID / fcast retrain RUN_ID)\n"
        "  fcast docs                       the dbt docs site, offline"
    )


def cmd_main(args: argparse.Namespace) -> int:
    """The main job: ingest, scan and probe, build, then plan, validate and train the Loto6 k+1 models."""
    from fcast import db

    say(f"fcast main on {db.describe_target()}")
    _terminate_as_interrupt()
    result = app.main_job(max_steps=args.max_steps, train_models=not args.no_train, progress=say)
    if result.ingest is not None:
        render_ingest(result.ingest)
    if result.training is not None:
        render_training(result.training, len(result.training.report.outcomes) + len(result.training.report.rejected))
        if result.training.refresh.ok:
            _print_main_summary(result)
    if result.failed_step:
        print(f"error: the main job stopped at its {result.failed_step} step", file=sys.stderr)
    say(f"fcast main {'finished' if result.ok else 'FAILED'} in {result.seconds:.1f}s")
    return 0 if result.ok else 1


def cmd_ui(args: argparse.Namespace) -> int:
    from fcast.ui.launch import environment_problems, serve

    if args.check:
        problems = environment_problems()
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        say("the UI can start" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    return serve(args.host, args.port)


def cmd_db(args: argparse.Namespace) -> int:
    from fcast import db
    from fcast.raw_schema import RAW_TABLES, SCHEMA_VERSION

    applied = db.ensure_raw_tables()
    say(f"target: {db.describe_target()}")
    for migration in applied:
        say(f"  upgraded the raw schema: {migration.version} {migration.description}")
    say(f"raw schema version {db.schema_version()} (this fcast: {SCHEMA_VERSION})")
    if args.action == "info":
        with db.connect(read_only=True) as warehouse:
            for table in RAW_TABLES:
                count = warehouse.fetchall(f"select count(*) from {table.qualified_name}")[0][0]
                say(f"  {table.qualified_name:32} {count:>10} rows  {table.description}")
    return 0


RAY_HELP = (
    "run the plan rows, rehearsals and probes as tasks on this Ray cluster (HOST:6379, or auto); sets "
    "FCAST_RAY_ADDRESS; the warehouse must be PostgreSQL"
)


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
        "--distributed",
        action="store_true",
        help="only the distributed-fit family: a Spark fit and predict per model class (tens of seconds each, Java)",
    )
    registry_probe.add_argument(
        "--version", help="probe this neuralforecast release (scanned first) in a throwaway environment"
    )
    registry_probe.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
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
    validate.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
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
    train.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
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

    explain = commands.add_parser(
        "explain",
        help="attribute a stored model's forecasts to its inputs (NeuralForecast.explain; loaded only if its files "
        "are intact) into raw.run_attributions and the feature-importance marts",
    )
    explain.add_argument("run_id", metavar="RUN_ID", help="a run id (or a unique prefix) with a stored model")
    explain.add_argument(
        "--explainer",
        choices=("IntegratedGradients", "ShapleyValueSampling", "InputXGradient"),
        default="IntegratedGradients",
        help="captum's attribution method (default IntegratedGradients; ShapleyValueSampling for recurrent models)",
    )
    explain.add_argument(
        "--windows", type=int, default=1, metavar="N", help="explain the latest N forecast origins (default 1)"
    )
    explain.add_argument(
        "--no-build", action="store_true", help="do not rebuild the marts downstream (print the command instead)"
    )
    explain.set_defaults(handler=cmd_explain)

    evaluate = commands.add_parser(
        "evaluate", help="exact chance bounds, the leaderboard against chance and the predictability profile"
    )
    evaluate.add_argument("--game", nargs="*", metavar="GAME", help="only these games (default: every game)")
    evaluate.set_defaults(handler=cmd_evaluate)

    cycle = commands.add_parser(
        "cycle",
        help="the draw-day cycle: fetch new draws, score locked forecasts, retrain or predict, lock the next ones",
    )
    cycle.add_argument("--game", nargs="*", metavar="GAME", help="only these games (default: every game of cycle.yml)")
    cycle.set_defaults(handler=cmd_cycle)

    ledger = commands.add_parser("ledger", help="the forecast ledger: locked forecasts in a hash chain per game")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="COMMAND")
    ledger_verify = ledger_commands.add_parser(
        "verify", help="recompute every game's hash chain and name the first broken entry (exit 1 when broken)"
    )
    ledger_verify.add_argument("--game", nargs="*", metavar="GAME", help="only these games (default: every game)")
    ledger_verify.set_defaults(handler=cmd_ledger_verify)

    features = commands.add_parser(
        "features", help="features computed in Python (foundation-model embeddings, anomaly scores and regimes)"
    )
    features_commands = features.add_subparsers(dest="features_command", required=True, metavar="ACTION")
    embed = features_commands.add_parser(
        "embed",
        help="embed the context window ending at every draw of every series with a foundation model, reduced by a "
        "fixed random projection (hist_emb_<model>_<i> in feat_hist and nf_train_df); cached by window",
    )
    embed.add_argument("--model", required=True, help="Chronos2, ChronosBolt or TimesFM (vars.embedding_models)")
    embed.add_argument("--game", nargs="*", metavar="GAME", help="only these games (default: every game)")
    embed.add_argument(
        "--checkpoint", metavar="DIR", help="the weights' folder (default: its folder in FCAST_TSFM_HOME)"
    )
    embed.add_argument(
        "--context-length", type=int, metavar="N", help="the most draws a window holds, ending at its draw (default 64)"
    )
    embed.add_argument("--batch-size", type=int, metavar="N", help="windows per model call (default 64)")
    embed.add_argument(
        "--no-build", action="store_true", help="do not rebuild the marts downstream (print the command instead)"
    )
    embed.set_defaults(handler=cmd_features_embed)
    anomaly = features_commands.add_parser(
        "anomaly",
        help="score the window of draws ending at every draw with outlier detectors (PyOD) and a regime clustering, "
        "each fitted only on earlier windows (hist_anom_ in feat_hist and nf_train_df); cached by history",
    )
    anomaly.add_argument("--game", nargs="*", metavar="GAME", help="only these games (default: every game)")
    anomaly.add_argument(
        "--detector", nargs="*", metavar="KEY", help="only these detectors (default: vars.anomaly_detectors)"
    )
    anomaly.add_argument(
        "--contamination", type=float, default=0.05, help="share of windows a detector flags (default 0.05)"
    )
    anomaly.add_argument("--regimes", type=int, default=3, help="clusters of the regime label (default 3)")
    anomaly.add_argument(
        "--window", type=int, default=Schedule.window, help=f"draws per scored window (default {Schedule.window})"
    )
    anomaly.add_argument(
        "--refit-every",
        type=int,
        default=Schedule.refit_every,
        metavar="N",
        help=f"refit the detectors every N draws (default {Schedule.refit_every})",
    )
    anomaly.add_argument(
        "--no-build", action="store_true", help="do not rebuild the marts downstream (print the command instead)"
    )
    anomaly.set_defaults(handler=cmd_features_anomaly)

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

    database = commands.add_parser(
        "db", help="create or upgrade the raw tables (init) or count their rows (info); both show the schema version"
    )
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
    from fcast import cluster, db

    try:
        db.set_target(args.target)
        cluster.use(getattr(args, "ray", None))
        return args.handler(args)
    except FcastError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
