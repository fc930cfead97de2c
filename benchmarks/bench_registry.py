"""Benchmark the spec-registry scan: a full scan of neuralforecast, of all six libraries, and a repeat.

    python benchmarks/bench_registry.py            # fresh DuckDB warehouse and an empty scan cache

Figures: wall time and peak memory (RSS of the fcast process and its scan workers) of
  1. `fcast registry scan` (neuralforecast) on an empty warehouse with an empty scan cache;
  2. `fcast registry scan --all` (the six libraries; neuralforecast already stored, so five new);
  3. the same full scan repeated (target: under 5 s, nothing changed, so it is a no-op);
and the symbols, parameters and allowed values found per library.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from harness import mib, run_checked, scratch_env

from fcast.throwaway import fcast_command

REPEAT_TARGET_S = 5.0


def _scan(folder: Path, label: str, *arguments: str) -> dict:
    measured = run_checked(fcast_command("registry", "scan", *arguments), folder / f"{label}.log", label)
    return {
        "figure": label,
        "wall_s": round(measured.wall_s, 2),
        "peak_rss_mib": mib(measured.peak_tree_rss),
        "output": measured.log_path.read_text(),
    }


def _counts(duckdb_path: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(
            """
            select e.library, e.library_version, e.status,
                   (select count(*) from raw.registry_symbols s where s.env_key = e.env_key),
                   (select count(*) from raw.registry_parameters p where p.env_key = e.env_key),
                   (select count(*) from raw.registry_allowed_values a where a.env_key = e.env_key)
            from raw.registry_environments e order by e.library
            """
        ).fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcast_bench_registry_") as folder_name:
        folder = Path(folder_name)
        env = {**scratch_env(folder), "FCAST_REGISTRY_CACHE": str(folder / "cache")}
        os.environ.update(env)
        figures = [
            _scan(folder, "1. full scan, neuralforecast"),
            _scan(folder, "2. full scan, all six libraries", "--all"),
            _scan(folder, "3. repeated scan, all six (no-op)", "--all"),
        ]
        counts = _counts(Path(env["FCAST_DUCKDB_PATH"]))
    print(f"{'figure':38} {'wall':>9} {'peak RSS':>12}")
    for figure in figures:
        print(f"{figure['figure']:38} {figure['wall_s']:>8.1f}s {figure['peak_rss_mib']:>9.1f} MiB")
    repeat = figures[2]["wall_s"]
    verdict = "met" if repeat < REPEAT_TARGET_S else "MISSED"
    print(f"repeated scan: {repeat:.1f}s (target < {REPEAT_TARGET_S:.0f}s: {verdict})")
    print(f"\n{'library':22} {'version':10} {'status':14} {'symbols':>8} {'parameters':>11} {'allowed values':>15}")
    for library, version, status, symbols, parameters, allowed in counts:
        print(f"{library:22} {version:10} {status:14} {symbols:>8} {parameters:>11} {allowed:>15}")
    if args.output_json:
        args.output_json.write_text(json.dumps({"figures": figures, "counts": counts}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
