"""No leakage: hist_ (and fut_) values at draw t, the embedding and anomaly features included, are the same when
history is truncated at t."""

from __future__ import annotations

import json

import numpy as np
import pytest

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
        # the embedding and anomaly features are null here (nothing computed): the tests below compare them
        feature_columns = [
            c for c in full.columns if c.startswith(("hist_", "fut_")) and not c.startswith(("hist_emb_", "hist_anom_"))
        ]
        assert len(feature_columns) == 24
        assert (full.unique_id.values == truncated.unique_id.values).all()
        np.testing.assert_allclose(
            full[feature_columns].to_numpy(float),
            truncated[feature_columns].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
        )


BINGO5_CUTOFF = 330  # past the anomaly warm-up (204 draws), inside the second scored block
CHRONOS2_COLUMNS = [f"hist_emb_chronos2_{component}" for component in range(1, 9)]


@pytest.fixture(scope="module")
def bingo5_truncated_and_full(tmp_path_factory) -> dict:
    """Bingo5's hist_ values at draws up to the cutoff, from two warehouses built from nothing: one holding the
    draws up to the cutoff, one the whole history, each with `fcast features embed` (a tiny Chronos-2) and
    `fcast features anomaly` run on it. The embedding and anomaly tests below read them."""
    from fcast.features import anomaly_columns
    from fcast.library.foundation.tiny import write_chronos2

    root = tmp_path_factory.mktemp("bingo5_leakage")
    home = root / "tsfm"
    write_chronos2(home / "chronos-2")
    columns = CHRONOS2_COLUMNS + anomaly_columns().names()
    game, cutoff = "bingo5", BINGO5_CUTOFF
    history = json.loads((SHIPPED / f"{game}.json").read_text())
    features = {}
    for name, draws in (("truncated", [d for d in history if d["round"] <= cutoff]), ("full", history)):
        folder = root / name
        folder.mkdir()
        env = {
            "FCAST_TARGET": "duckdb",
            "FCAST_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
            "DBT_TARGET_PATH": str(folder / "target"),
            "DBT_LOG_PATH": str(folder / "logs"),
            "FCAST_TSFM_HOME": str(home),
        }
        path = folder / f"{game}.json"
        path.write_text(json.dumps(draws))
        run_fcast("ingest", str(path), "--game", game, env=env)
        run_fcast("build", "--select", "+fct_series_long", "--indirect-selection", "cautious", env=env)
        run_fcast("features", "embed", "--model", "Chronos2", "--game", game, "--no-build", env=env)
        run_fcast("features", "anomaly", "--game", game, "--no-build", env=env)
        run_fcast("build", "--select", "+feat_hist", "--indirect-selection", "cautious", env=env)
        with environment(env), db.connect(read_only=True) as warehouse:
            features[name] = warehouse.fetch_frame(
                f"select unique_id, ds, {', '.join(columns)} from marts.feat_hist "
                f"where unique_id like '{game}_N%' and ds <= {cutoff} order by unique_id, ds"
            )
    full, truncated = features["full"], features["truncated"]
    assert len(full) == len(truncated) == cutoff * 8 and truncated.ds.max() == cutoff
    assert (full[["unique_id", "ds"]].to_numpy() == truncated[["unique_id", "ds"]].to_numpy()).all()
    return features


def test_embedding_features_recomputed_on_truncated_history_are_identical(bingo5_truncated_and_full):
    """A tiny Chronos-2 embeds Bingo5 once on the draws up to the cutoff and once on its whole history, each in its
    own warehouse from nothing: every hist_emb_ value at a draw up to the cutoff is the same in both."""
    full, truncated = bingo5_truncated_and_full["full"], bingo5_truncated_and_full["truncated"]
    assert truncated[CHRONOS2_COLUMNS].notna().all().all()
    assert np.allclose(full[CHRONOS2_COLUMNS].to_numpy(float), truncated[CHRONOS2_COLUMNS].to_numpy(float), atol=1e-5)


def test_anomaly_features_recomputed_on_truncated_history_are_identical(bingo5_truncated_and_full):
    """`fcast features anomaly` scores Bingo5 once on the draws up to the cutoff and once on its whole history, each
    in its own warehouse from nothing: every hist_anom_ value at a draw up to the cutoff is the same in both."""
    from fcast.features import anomaly_columns

    columns = anomaly_columns().names()
    full, truncated = bingo5_truncated_and_full["full"], bingo5_truncated_and_full["truncated"]
    assert truncated[columns].notna().all().all()
    scored = truncated["hist_anom_warmup"] == 0
    assert scored.sum() > 100 * 8 and truncated.loc[scored, "hist_anom_iforest_flag"].sum() > 0
    np.testing.assert_array_equal(full[columns].to_numpy(float), truncated[columns].to_numpy(float))
