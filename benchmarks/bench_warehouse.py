"""Benchmark the fcast warehouse: the dbt build of the real games, `fcast main`, and a synthetic scale-up.

Every figure runs against a temporary COPY of the dbt project (FCAST_PROJECT_DIR), a fresh DuckDB
file or a fresh PostgreSQL database, and dbt target/log paths inside a temporary folder, so the
checkout and its warehouse are never touched. Everything temporary is removed at the end.

    python benchmarks/bench_warehouse.py                       # both targets, full size
    python benchmarks/bench_warehouse.py --target duckdb --output-json /tmp/bench.json
    python benchmarks/bench_warehouse.py --target postgres --pg-games 250

Figures:
  1. `fcast ingest` (shipped history) then `fcast build` (dbt seeds, models, tests) on a fresh warehouse;
  2. `fcast main` end to end on a fresh warehouse (python environment and dbt partial parse warm);
  3. the scale-up: N made-up 6-of-43 select games x D draws (6*N*D long rows) bulk-loaded into
     raw.lottery_draws through fcast.db, then a full dbt build.
Peak memory is the RSS summed over the measured process and all its children, sampled every 0.2 s;
on PostgreSQL the server processes (not children of dbt) are sampled as well.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from harness import (
    Measured,
    Warehouse,
    Workspace,
    copy_project,
    fresh_warehouse,
    log_tail,
    mib,
    run_measured,
)

from fcast.throwaway import fcast_command, scoped_environment

TARGET_BUILD_S = 30.0

# The synthetic games: k of 1..43 like Loto6 (k = --slots, 6 by default), one bonus number, drawn
# Monday and Thursday, closed over the new year like the real games.
SYNTH_PREFIX = "synth"
SYNTH_MIN, SYNTH_MAX, SYNTH_BONUS = 1, 43, 1
SYNTH_START = dt.date(2000, 1, 3)
SYNTH_WEEKDAYS = (1, 4)
SYNTH_CLOSURES = ("12-31", "01-01", "01-02", "01-03")


# --------------------------------------------------------------------------------------------- results


@dataclass
class Figure:
    """One line of the printed table."""

    target: str
    name: str
    wall_s: float | None = None
    peak_rss_mib: float | None = None
    ok: bool = True
    details: dict[str, Any] = field(default_factory=dict)


def count_rows(table: str) -> int:
    from fcast import db

    with db.connect(read_only=True) as warehouse:
        return int(warehouse.fetchall(f"select count(*) from {table}")[0][0])


def pg_database_size(database: str) -> int:
    from fcast import db

    with db.connect(read_only=True) as warehouse:
        return int(warehouse.fetchall("select pg_database_size(?)", (database,))[0][0])


def slowest_nodes(target_path: Path, top: int) -> list[dict[str, Any]]:
    """The slowest dbt nodes of the last invocation, from run_results.json."""
    results_file = target_path / "run_results.json"
    if not results_file.exists():
        return []
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    nodes = [
        {"node": row["unique_id"], "status": row["status"], "seconds": round(float(row["execution_time"]), 2)}
        for row in results
    ]
    return sorted(nodes, key=lambda row: row["seconds"], reverse=True)[:top]


def failed_nodes(target_path: Path) -> list[str]:
    results_file = target_path / "run_results.json"
    if not results_file.exists():
        return []
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    return [f"{row['unique_id']} ({row['status']})" for row in results if row["status"] in ("error", "fail")]


# ---------------------------------------------------------------------------------- figures 1 and 2


def bench_real_build(workspace: Workspace, target: str, project: Path, timeout_s: float | None) -> Figure:
    """`fcast ingest` (shipped history, timed apart) then the timed `fcast build` on a fresh warehouse."""
    warehouse = fresh_warehouse(workspace, target, project, "real_build")
    figure = Figure(target, "1. dbt build, 6 real games")
    with scoped_environment(warehouse.env()):
        ingest = timed_fcast(warehouse, "ingest", timeout_s, sample_postgres=False)
        figure.details["ingest_s"] = round(ingest.wall_s, 2)
        if ingest.returncode != 0:
            return _failed(figure, "fcast ingest", ingest)
        build = timed_fcast(warehouse, "build", timeout_s)
        _record_build(figure, build, warehouse)
        figure.details["target_s"] = TARGET_BUILD_S
        figure.details["fct_series_long_rows"] = count_rows("marts.fct_series_long") if figure.ok else None
    return figure


def bench_main(workspace: Workspace, target: str, project: Path, timeout_s: float | None) -> Figure:
    """`fcast main` end to end on a fresh warehouse, after figure 1 warmed the environment."""
    warehouse = fresh_warehouse(workspace, target, project, "main")
    # Reuse figure 1's dbt target folder: a warm checkout keeps its partial parse between runs.
    real_target = workspace.root / f"{target}-real_build" / warehouse.dbt_target.name
    if real_target.is_dir():
        shutil.copytree(real_target, warehouse.dbt_target)
    figure = Figure(target, "2. fcast main (warm env)")
    with scoped_environment(warehouse.env()):
        measured = timed_fcast(warehouse, "main", timeout_s)
        _record_build(figure, measured, warehouse)
    return figure


def timed_fcast(warehouse: Warehouse, command: str, timeout_s: float | None, sample_postgres: bool = True) -> Measured:
    """`fcast --target T <command>` on the warehouse (whose environment is this process's), measured."""
    return run_measured(
        fcast_command("--target", warehouse.target, command),
        warehouse.scratch / f"{command}.log",
        warehouse.pg_database if sample_postgres else None,
        timeout_s,
    )


def _record_build(figure: Figure, measured: Measured, warehouse: Warehouse) -> None:
    figure.wall_s = round(measured.wall_s, 2)
    figure.peak_rss_mib = mib(measured.peak_tree_rss)
    if warehouse.pg_database:
        figure.details["pg_server_peak_rss_mib_ours"] = mib(measured.peak_pg_rss_ours)
        figure.details["pg_server_peak_private_mib_ours"] = mib(measured.peak_pg_private_ours)
        figure.details["pg_server_peak_rss_mib_all"] = mib(measured.peak_pg_rss_all)
    figure.details["slowest_nodes"] = slowest_nodes(warehouse.dbt_target, 8)
    if measured.returncode != 0:
        _failed(figure, "dbt build", measured)
        figure.details["failed_nodes"] = failed_nodes(warehouse.dbt_target)


def _failed(figure: Figure, step: str, measured: Measured) -> Figure:
    figure.ok = False
    figure.details["error"] = f"{step} exited {measured.returncode}; log {measured.log_path}"
    print(
        f"[{figure.target}] {step} FAILED (exit {measured.returncode}):\n{log_tail(measured.log_path)}",
        file=sys.stderr,
    )
    return figure


# ----------------------------------------------------------------------------- figure 3: the scale-up


@dataclass(frozen=True)
class SynthSpec:
    """The scale-up: `games` made-up select games of `slots` numbers from 1..43, `draws` draws each."""

    games: int
    draws: int
    slots: int
    seed: int

    @property
    def codes(self) -> list[str]:
        return [f"{SYNTH_PREFIX}{index:04d}" for index in range(1, self.games + 1)]

    @property
    def long_rows(self) -> int:
        return self.games * self.draws * self.slots


def _append_csv(path: Path, lines: list[str]) -> None:
    """Append rows to a seed, keeping its line endings (a seed with mixed endings fails to load)."""
    text = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    prefix = newline if text and not text.endswith("\n") else ""
    path.write_bytes((text + prefix + "".join(line + newline for line in lines)).encode("utf-8"))


def append_synthetic_seeds(project: Path, spec: SynthSpec) -> None:
    """Add the made-up games to the copy's seeds, the way the real select games are described."""
    seeds, codes, k = project / "seeds", spec.codes, spec.slots
    start = SYNTH_START.isoformat()
    _append_csv(
        seeds / "games.csv",
        [
            f"{code},{code.capitalize()},select,{k},{SYNTH_MIN},{SYNTH_MAX},{SYNTH_BONUS},ascending,{start},,,{code}"
            for code in codes
        ],
    )
    # Slot s of a k-of-n select game is the s-th order statistic: it ranges over s .. n-k+s.
    _append_csv(
        seeds / "slots.csv",
        [
            f"{code},{slot},N{slot},{SYNTH_MIN + slot - 1},{SYNTH_MAX - k + slot}"
            for code in codes
            for slot in range(1, k + 1)
        ],
    )
    _append_csv(
        seeds / "draw_calendar_weekdays.csv",
        [f"{code},{start},,{weekday},1" for code in codes for weekday in SYNTH_WEEKDAYS],
    )
    _append_csv(
        seeds / "draw_calendar_closures.csv",
        [
            f"{code},{month_day},year-end and new-year holidays: no draws Dec 31 - Jan 3"
            for code in codes
            for month_day in SYNTH_CLOSURES
        ],
    )


def synthetic_draw_dates(codes: list[str], n_draws: int) -> dict[str, list[dt.date]]:
    """The first n_draws calendar dates of every synthetic game, from fcast.games (FCAST_PROJECT_DIR set)."""
    from fcast.games import load_games

    games = load_games()
    dates_by_calendar: dict[tuple, list[dt.date]] = {}
    result = {}
    for code in codes:
        game = games[code]
        calendar = (game.eras, game.closed_month_days, game.skipped_dates, game.active_from)
        if calendar not in dates_by_calendar:
            # Mon + Thu: 2 draws a week; a year of slack covers the closures.
            end = game.active_from + dt.timedelta(days=7 * (n_draws // 2 + 60))
            dates_by_calendar[calendar] = game.draw_dates(game.active_from, end)[:n_draws]
        result[code] = dates_by_calendar[calendar]
        if len(result[code]) < n_draws:
            raise RuntimeError(f"{code}: the calendar gave {len(result[code])} dates, {n_draws} wanted")
    return result


def random_draws(rng: np.random.Generator, count: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """count draws of k distinct numbers from 1..43 (sorted) plus bonus numbers distinct from them."""
    picks = rng.random((count, SYNTH_MAX - SYNTH_MIN + 1), dtype=np.float32).argsort(axis=1)
    picks = picks[:, : k + SYNTH_BONUS].astype(np.int16) + SYNTH_MIN
    return np.sort(picks[:, :k], axis=1), picks[:, k:]


def draw_rows(
    code: str, dates: list[dt.date], numbers: np.ndarray, bonus: np.ndarray, loaded_at: dt.datetime
) -> list[dict]:
    """raw.lottery_draws rows by column name, hashed and recorded like fcast.ingest.loader."""
    file_hash = hashlib.sha256(f"bench_warehouse:{code}".encode()).hexdigest()
    rows = []
    for index, (day, main, extra) in enumerate(zip(dates, numbers.tolist(), bonus.tolist(), strict=True)):
        draw_no = index + 1
        iso = day.isoformat()
        payload = json.dumps([code, draw_no, iso, main, sorted(extra)])
        original = json.dumps({"bonus": extra, "date": iso, "numbers": main, "round": draw_no})
        rows.append(
            {
                "game_code": code,
                "draw_no": draw_no,
                "draw_date": day,
                "numbers_json": json.dumps(main),
                "bonus_json": json.dumps(extra),
                "draw_hash": hashlib.sha256(payload.encode()).hexdigest(),
                "source_name": f"{code}.csv",
                "source_kind": "csv",  # a made-up CSV: the staging tests accept csv, json, html
                "file_hash": file_hash,
                "source_row": draw_no,
                "original_record": original,
                "loaded_at": loaded_at,
            }
        )
    return rows


def load_synthetic_draws(spec: SynthSpec, chunk_rows: int) -> tuple[int, float, float]:
    """Generate and insert every synthetic draw. Returns (rows added, generate seconds, insert seconds)."""
    from fcast import db
    from fcast.raw_schema import LOTTERY_DRAWS

    db.ensure_raw_tables()
    codes, n_draws = spec.codes, spec.draws
    rng = np.random.default_rng(spec.seed)
    dates = synthetic_draw_dates(codes, n_draws)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    games_per_chunk = max(1, chunk_rows // n_draws)
    added, generate_s, insert_s = 0, 0.0, 0.0
    for first in range(0, len(codes), games_per_chunk):
        started = time.perf_counter()
        chunk_codes = codes[first : first + games_per_chunk]
        numbers, bonus = random_draws(rng, len(chunk_codes) * n_draws, spec.slots)
        rows: list[tuple] = []
        for offset, code in enumerate(chunk_codes):
            window = slice(offset * n_draws, (offset + 1) * n_draws)
            rows.extend(draw_rows(code, dates[code], numbers[window], bonus[window], loaded_at))
        generated = time.perf_counter()
        with db.connect() as warehouse:
            added += warehouse.insert_rows(LOTTERY_DRAWS, rows)
        generate_s += generated - started
        insert_s += time.perf_counter() - generated
    return added, generate_s, insert_s


def bench_scaleup(workspace: Workspace, target: str, spec: SynthSpec, timeout_s: float | None) -> Figure:
    """Load the synthetic draws into a fresh warehouse, then time the full dbt build on a seeded copy."""
    project = copy_project(workspace.root / f"project-synth-{target}", with_data=False)
    append_synthetic_seeds(project, spec)
    warehouse = fresh_warehouse(workspace, target, project, "scaleup")
    figure = Figure(target, f"3. scale-up {spec.games}g x {spec.draws}d x {spec.slots}s")
    figure.details.update(
        games=spec.games, draws_per_game=spec.draws, slots=spec.slots, expected_long_rows=spec.long_rows
    )
    with scoped_environment(warehouse.env()):
        started = time.perf_counter()
        added, generate_s, insert_s = load_synthetic_draws(spec, chunk_rows=200_000)
        figure.details.update(
            raw_draws_loaded=added,
            load_generate_s=round(generate_s, 2),
            load_insert_s=round(insert_s, 2),
            load_total_s=round(time.perf_counter() - started, 2),
        )
        print(
            f"[{target}] loaded {added:,} draws in {time.perf_counter() - started:.1f}s; dbt build ...",
            file=sys.stderr,
            flush=True,
        )
        build = timed_fcast(warehouse, "build", timeout_s)
        _record_build(figure, build, warehouse)
        figure.details["slowest_nodes"] = slowest_nodes(warehouse.dbt_target, 12)
        figure.details["fct_series_long_rows"] = _count_if_built("marts.fct_series_long")
        figure.details["nf_train_df_rows"] = _count_if_built("marts.nf_train_df")
        if warehouse.duckdb_path is not None:
            figure.details["duckdb_file_mib"] = mib(warehouse.duckdb_path.stat().st_size)
        if warehouse.pg_database is not None:
            figure.details["pg_database_mib"] = mib(pg_database_size(warehouse.pg_database))
    return figure


def _count_if_built(table: str) -> int | None:
    try:
        return count_rows(table)
    except Exception:  # the table is missing when its model failed
        return None


# ------------------------------------------------------------------------------------------ printing


def _cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def print_table(figures: list[Figure]) -> None:
    header = f"{'target':8} {'figure':38} {'status':6} {'wall':>9} {'peak RSS':>11}  details"
    print()
    print(header)
    print("-" * len(header))
    for figure in figures:
        details = {key: value for key, value in figure.details.items() if key not in ("slowest_nodes",)}
        text = ", ".join(f"{key}={_cell(value)}" for key, value in details.items())
        print(
            f"{figure.target:8} {figure.name:38} {'ok' if figure.ok else 'FAIL':6} "
            f"{_cell(figure.wall_s, ' s'):>9} {_cell(figure.peak_rss_mib, ' MiB'):>11}  {text}"
        )
    for figure in figures:
        if figure.details.get("slowest_nodes"):
            print(f"\nslowest dbt nodes, {figure.target} / {figure.name}:")
            for row in figure.details["slowest_nodes"]:
                print(f"  {row['seconds']:>9.2f} s  {row['status']:7} {row['node']}")


# ------------------------------------------------------------------------------------------------ CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("duckdb", "postgres", "both"), default="both")
    parser.add_argument("--games", type=int, default=1000, help="synthetic games in the scale-up")
    parser.add_argument("--draws", type=int, default=2000, help="draws per synthetic game")
    parser.add_argument("--slots", type=int, default=6, help="numbers per synthetic game, k of 1..43 (<= 42)")
    parser.add_argument("--pg-games", type=int, help="synthetic games on postgres (default: --games)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--skip-scaleup", action="store_true", help="only figures 1 and 2")
    parser.add_argument("--skip-real", action="store_true", help="only the scale-up (figure 3)")
    parser.add_argument("--timeout-s", type=float, help="kill any measured command running longer")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and databases (debugging)")
    parser.add_argument("--output-json", type=Path, help="write every figure as JSON here")
    return parser


def run_target(workspace: Workspace, target: str, args: argparse.Namespace) -> list[Figure]:
    figures = []

    def done(figure: Figure) -> None:
        print(
            f"[{target}] {figure.name}: {figure.wall_s} s, peak {figure.peak_rss_mib} MiB", file=sys.stderr, flush=True
        )
        figures.append(figure)

    if not args.skip_real:
        project = copy_project(workspace.root / f"project-real-{target}", with_data=True)
        for bench in (bench_real_build, bench_main):
            done(bench(workspace, target, project, args.timeout_s))
    if not args.skip_scaleup:
        n_games = args.pg_games if target == "postgres" and args.pg_games else args.games
        spec = SynthSpec(games=n_games, draws=args.draws, slots=args.slots, seed=args.seed)
        done(bench_scaleup(workspace, target, spec, args.timeout_s))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    targets = ("duckdb", "postgres") if args.target == "both" else (args.target,)
    workspace = Workspace(keep=args.keep)
    figures: list[Figure] = []
    try:
        for target in targets:
            figures.extend(run_target(workspace, target, args))
    finally:
        workspace.cleanup()
        print_table(figures)
        if args.output_json:
            args.output_json.write_text(json.dumps([asdict(f) for f in figures], indent=2, default=str))
    return 0 if all(figure.ok for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
