"""No leakage: hist_ (and fut_) values at draw t are the same when history is truncated at t."""

from __future__ import annotations

import json

import numpy as np

from fcast import db

from .conftest import SHIPPED, environment, run_fcast

CUTOFFS = {"loto6": 1000, "numbers3": 3333, "bingo5": 200}


def _features(env: dict[str, str], game: str, cutoff: int):
    with environment(env), db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(
            "select h.*, f.fut_weekday, f.fut_month, f.fut_day_of_year, f.fut_days_since_prev_draw, "
            "f.fut_draw_no_parity from marts.feat_hist as h "
            "inner join marts.feat_fut as f on h.unique_id = f.unique_id and h.ds = f.ds "
            f"where h.unique_id like '{game}_N%' and h.ds <= {cutoff} order by h.unique_id, h.ds"
        )


def test_hist_features_recomputed_on_truncated_history_are_identical(built_duckdb, tmp_path):
    truncated_env = {
        "FCAST_TARGET": "duckdb",
        "FCAST_DUCKDB_PATH": str(tmp_path / "truncated.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    files = []
    for game, cutoff in CUTOFFS.items():
        draws = [d for d in json.loads((SHIPPED / f"{game}.json").read_text()) if d["round"] <= cutoff]
        path = tmp_path / f"{game}.json"
        path.write_text(json.dumps(draws))
        files.append(str(path))
    run_fcast("ingest", *files, env=truncated_env)
    run_fcast("build", "--select", "+feat_hist", "+feat_fut", "--indirect-selection", "cautious", env=truncated_env)

    for game, cutoff in CUTOFFS.items():
        full = _features(built_duckdb, game, cutoff)
        truncated = _features(truncated_env, game, cutoff)
        assert len(full) == len(truncated) > 0
        assert truncated.ds.max() == cutoff
        feature_columns = [c for c in full.columns if c.startswith(("hist_", "fut_"))]
        assert len(feature_columns) == 24
        assert (full.unique_id.values == truncated.unique_id.values).all()
        np.testing.assert_allclose(
            full[feature_columns].to_numpy(float),
            truncated[feature_columns].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
        )
