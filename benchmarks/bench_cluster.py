"""Benchmark fcast on a real 2-node local Ray cluster against this machine's own worker processes, in one run.

    python benchmarks/bench_cluster.py [--models NHITS MLP ...] [--max-steps 50] [--keep]

One PostgreSQL warehouse (a cluster's warehouse) filled by `fcast main --no-train` (setup, not timed), and
a cluster of two nodes started here as separate processes (`ray start --head`, `ray start --address`),
one CPU each, so the cluster has as many CPUs as the local pool has workers. Figures:
  1. the probe matrix (`fcast registry probe`, every model unless --models) with the local pool of two
     worker processes, then the same matrix again as Ray tasks on the cluster: wall time, probes per
     second, the ratio, the seconds the probes spent inside their workers (so a difference in wall time
     can be told apart from a difference in the probes' own time, e.g. other load on the machine), and
     whether every probe got the same outcome both times;
  2. the Loto6 standard plan (`fcast plan --game loto6`, 7 rows) trained here, then on the cluster
     (`--static-only` both times: the rehearsal of the first run would be reused by the second): wall
     time, the ratio, and how many runs each node trained.
On one 2-core machine no speed-up is expected (both nodes share the same cores): the point is that the
same commands run on a real cluster, and what the cluster's scheduling costs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from harness import REPO_ROOT, Workspace, copy_project, fresh_warehouse, run_checked

from fcast.throwaway import fcast_command, local_ray_cluster


def _timed(folder: Path, label: str, *arguments: str) -> tuple[float, str]:
    measured = run_checked(fcast_command(*arguments), folder / f"{label}.log", label)
    return measured.wall_s, measured.log_path.read_text()


def _library_outcomes() -> tuple[dict[str, str], float]:
    """Each library probe's outcome, and the seconds the probes spent inside their workers (all summed)."""
    from fcast import db

    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select probe_id, outcome, duration_seconds from raw.registry_probes where probe_kind = 'library'"
        )
    return {probe_id: outcome for probe_id, outcome, _ in rows}, float(sum(seconds or 0.0 for *_, seconds in rows))


def _forget_library_probes() -> None:
    from fcast import db

    with db.connect() as warehouse:
        warehouse.execute("delete from raw.registry_probes where probe_kind = 'library'")


def _runs_per_node(plan_name: str, since: float) -> dict[str, int]:
    import datetime as dt

    from fcast import db

    started = dt.datetime.fromtimestamp(since, dt.UTC).replace(tzinfo=None)
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select ray_node_id, status, count(*) from raw.nf_model_runs where plan_name = ? and created_at >= ? "
            "group by 1, 2",
            (plan_name, started),
        )
    return {f"{node[:12] or 'here'} {status}": count for node, status, count in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=[], help="probe only these model classes")
    parser.add_argument("--max-steps", type=int, default=50, help="training steps of each standard-plan row")
    parser.add_argument("--keep", action="store_true", help="keep the warehouse and its database")
    args = parser.parse_args()
    workspace = Workspace(args.keep)
    try:
        project = copy_project(workspace.root / "project", with_data=True)
        warehouse = fresh_warehouse(workspace, "postgres", project, "cluster")
        folder = warehouse.scratch
        os.environ.update({**warehouse.env(), "FCAST_MODEL_STORE": str(folder / "models")})
        print("[bench] fcast main --no-train on PostgreSQL (setup, not timed) ...", flush=True)
        run_checked(fcast_command("main", "--no-train"), folder / "setup.log", "fcast main")
        models = ["--models", *args.models] if args.models else []

        _forget_library_probes()
        local_s, _ = _timed(folder, "probe_local", "registry", "probe", "--workers", "2", *models)
        local, local_busy = _library_outcomes()
        _forget_library_probes()
        plan = folder / "loto6_standard.yaml"
        _timed(folder, "plan", "plan", "--game", "loto6", "--max-steps", str(args.max_steps), "--output", str(plan))
        print("[bench] starting a 2-node local Ray cluster (not timed) ...", flush=True)
        with local_ray_cluster(nodes=2, cpus_per_node=1) as cluster:
            cluster_s, _ = _timed(folder, "probe_cluster", "registry", "probe", "--ray", cluster.address, *models)
            on_cluster, cluster_busy = _library_outcomes()
            train_local_s, _ = _timed(folder, "train_local", "train", str(plan), "--static-only")
            since = time.time()
            train_cluster_s, _ = _timed(
                folder, "train_cluster", "train", str(plan), "--static-only", "--ray", cluster.address
            )
            per_node = _runs_per_node("loto6_standard_multivariate", since)
    finally:
        workspace.cleanup()
    probes = len(local)
    differing = sorted(probe_id for probe_id in local if on_cluster.get(probe_id) != local[probe_id])
    print(f"probe matrix: {probes} probes ({'every model' if not args.models else ' '.join(args.models)})")
    print(f"  local pool, 2 worker processes:  {local_s:7.1f}s  {probes / local_s:6.2f} probes/s")
    print(f"  Ray cluster, 2 nodes x 1 CPU:    {cluster_s:7.1f}s  {len(on_cluster) / cluster_s:6.2f} probes/s")
    print(f"  cluster / local: {cluster_s / local_s:.2f}x wall time")
    print(
        f"  inside the workers: {local_busy:.0f}s local, {cluster_busy:.0f}s on the cluster; busy share of 2 CPUs: "
        f"local {local_busy / (2 * local_s):.0%}, cluster {cluster_busy / (2 * cluster_s):.0%} (the rest is "
        "scheduling, the driver, and other load on the machine)"
    )
    same = "the same outcome for every probe" if not differing else f"{len(differing)} probe(s) differ"
    print(f"  outcomes: {same} ({len(on_cluster)} recorded on the cluster)")
    for probe_id in differing[:10]:
        print(f"    {probe_id}: local {local[probe_id]}, cluster {on_cluster.get(probe_id, 'missing')}")
    print(f"Loto6 standard plan (7 rows, max_steps {args.max_steps}, static rules only):")
    print(f"  here, one row after another:     {train_local_s:7.1f}s")
    print(f"  Ray cluster, 2 nodes x 1 CPU:    {train_cluster_s:7.1f}s  ({train_cluster_s / train_local_s:.2f}x)")
    print("  runs per node: " + ", ".join(f"{key}: {count}" for key, count in sorted(per_node.items())))
    print(f"(machine: {os.cpu_count()} cores; project {REPO_ROOT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
