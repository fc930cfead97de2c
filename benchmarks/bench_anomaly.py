"""Benchmark the anomaly features: `fcast features anomaly` of all six games, cold and cached, and the flag rates
against chance it leaves in marts.chance_anomaly_flag_rates.

    python benchmarks/bench_anomaly.py [--detector iforest ecod] [--refit-every 100]

Figures, all from one run on a fresh DuckDB warehouse (the shipped history of the six games ingested and built
first, not timed):
  1. `fcast features anomaly --no-build` of every draw of every series: wall time of the whole command
     (interpreter, imports, reads, hashing, every detector fit and the inserts), rows computed, rows per second,
     peak memory, and the per-game times the command reports;
  2. the same command again with nothing new: wall time (target < 5 s) and rows reused;
  3. the marts downstream of raw.feature_anomalies (what the command rebuilds without --no-build), wall time;
  4. the flag rate of each detector and game beside the rate chance predicts, with the mart's verdict.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from harness import mib, run_checked, scratch_env

from fcast import db
from fcast.dbt_runner import downstream_selection
from fcast.features import Schedule
from fcast.features.anomalies import WRITTEN_TABLES
from fcast.throwaway import fcast_command

CACHED_TARGET_S = 5.0
SUMMARY = re.compile(r"([\d,]+) rows computed, ([\d,]+) reused")
GAME_LINE = re.compile(r"^\s+(\w+): ([\d,]+) series draws per detector, ([\d,]+) rows computed.* in ([\d.]+)s")


def counts(log: Path) -> tuple[int, int]:
    computed, reused = SUMMARY.findall(log.read_text(encoding="utf-8"))[-1]
    return int(computed.replace(",", "")), int(reused.replace(",", ""))


def game_lines(log: Path) -> list[str]:
    lines = []
    for line in log.read_text(encoding="utf-8").splitlines():
        match = GAME_LINE.match(line)
        if match:
            game, draws, computed, seconds = match.groups()
            lines.append(f"{game:>10} {draws:>8} series draws {computed:>8} rows {seconds:>7}s")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", nargs="*", default=[])
    parser.add_argument("--refit-every", type=int, default=Schedule.refit_every)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcast-bench-anomaly-") as scratch:
        folder = Path(scratch)
        os.environ.update(scratch_env(folder))
        print("[bench] ingest the six games, fcast build (setup, not timed) ...", flush=True)
        run_checked(fcast_command("ingest", "--no-build"), folder / "ingest.log", "fcast ingest")
        run_checked(fcast_command("build"), folder / "build.log", "fcast build")
        command = fcast_command("features", "anomaly", "--refit-every", str(args.refit_every), "--no-build")
        if args.detector:
            command += ["--detector", *args.detector]
        print("[bench] fcast features anomaly, cold then cached ...", flush=True)
        cold = run_checked(command, folder / "cold.log", "anomaly cold")
        cached = run_checked(command, folder / "cached.log", "anomaly cached")
        refresh = run_checked(
            fcast_command("build", *downstream_selection(list(WRITTEN_TABLES))), folder / "refresh.log", "refresh"
        )
        with db.connect(read_only=True) as warehouse:
            rates = warehouse.fetch_frame(
                "select game_code, detector, blocks_scored, draws_scored, draws_flagged, observed_flag_rate, "
                "expected_flag_rate, p_more_than_chance, flag_verdict "
                "from marts.chance_anomaly_flag_rates order by 1, 2"
            )
        computed, _ = counts(cold.log_path)
        again, reused = counts(cached.log_path)
        per_game = game_lines(cold.log_path)

    print(f"\nAll six games, refit every {args.refit_every} draws, {os.cpu_count()} cores")
    print(
        f"  cold:   {cold.wall_s:8.1f} s  {computed:,} rows  {computed / cold.wall_s:,.0f} rows/s  "
        f"peak {mib(cold.peak_tree_rss)} MiB"
    )
    verdict = "ok" if cached.wall_s < CACHED_TARGET_S and again == 0 else "MISSED"
    print(
        f"  cached: {cached.wall_s:8.2f} s  {reused:,} rows reused, {again:,} computed  "
        f"(target < {CACHED_TARGET_S:.0f} s: {verdict})"
    )
    print("\n  per game (the command's own timing):")
    for line in per_game:
        print(f"  {line}")
    selection = " ".join(downstream_selection(list(WRITTEN_TABLES)))
    print(f"\n  marts downstream of raw.feature_anomalies (fcast build {selection}):")
    print(f"    {refresh.wall_s:.1f} s wall, peak {mib(refresh.peak_tree_rss)} MiB")
    print("\n  flag rates against chance (marts.chance_anomaly_flag_rates):")
    print("    game      detector  blocks   draws  flagged  observed  chance   p(more)  verdict")
    for row in rates.itertuples(index=False):
        print(
            f"    {row.game_code:9} {row.detector:8} {row.blocks_scored:6} {row.draws_scored:7,} {row.draws_flagged:8,}"
            f"  {row.observed_flag_rate:8.4f} {row.expected_flag_rate:7.4f} {row.p_more_than_chance:8.3f}  "
            f"{row.flag_verdict}"
        )
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
