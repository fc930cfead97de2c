"""Scan a library in this interpreter and write the rows as JSON: `python -m fcast.registry.worker OUT LIB`.

With --key-only it only reports the environment keys of one or more libraries (one torch import).

Standard library only at import time, so it runs under any interpreter that has the scanned
library (PYTHONPATH pointing at fcast's python/ folder): that is how two versions are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

from fcast.registry.environment import environment_facts
from fcast.registry.introspect import ScanRows, as_tables, scan_library
from fcast.registry.plugins import load_plugin

SCANNER_VERSION = "3"  # bump when the scan records something new: stored scans of older versions rerun


def run(library: str, key_only: bool) -> dict:
    started = time.perf_counter()
    facts = {**environment_facts(library), "scanner_version": SCANNER_VERSION, "error": ""}
    if key_only or facts["status"] != "scanned":
        return {"environment": facts, "tables": {}}
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models whose weights come from a hub fail fast, offline
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    plugin = load_plugin(library)
    rows = ScanRows()
    try:
        scan_library(plugin.PACKAGE, rows)
        if hasattr(plugin, "scan_extras"):
            plugin.scan_extras(rows)
    except Exception as error:
        facts["status"] = "failed"
        facts["error"] = f"{type(error).__name__}: {error}"
    facts["duration_seconds"] = round(time.perf_counter() - started, 3)
    return {"environment": facts, "tables": as_tables(rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", help="JSON file to write")
    parser.add_argument("libraries", nargs="+", help="one library to scan, or several with --key-only")
    parser.add_argument("--key-only", action="store_true", help="only the environment keys, no scan")
    args = parser.parse_args()
    if not args.key_only and len(args.libraries) != 1:
        parser.error("a full scan takes one library")
    results = [run(library, args.key_only) for library in args.libraries]
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(results if args.key_only else results[0], handle, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
