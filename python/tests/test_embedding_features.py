"""Foundation-model embeddings as hist_ features: windows, the fixed projection, the cache, the marts on both targets,
and a plan row that trains on them. Every model here is a tiny random checkpoint (nothing can be downloaded)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fcast import app, db, throwaway
from fcast.features import embedding_columns, is_embedding_column
from fcast.features.embeddings import (
    EmbeddingError,
    EmbeddingModel,
    GameWindows,
    context_hash,
    context_windows,
    embed_command,
    embeddable_models,
    load_model,
    plan_game,
    project,
    random_projection,
    reduction_label,
    unembedded_rows,
)
from fcast.library.foundation.base import files_hash
from fcast.library.foundation.checkpoints import CheckpointMissingError
from fcast.library.foundation.tiny import write_chronos2, write_tiny_checkpoints

from .conftest import PROJECT_DIR, SHIPPED, environment, run_fcast
from .training_helpers import run_rows, tiny_plan

GAME = "bingo5"
SLOTS = 8
CHRONOS2_COLUMNS = [f"hist_emb_chronos2_{component}" for component in range(1, 9)]
SUMMARY = re.compile(r"([\d,]+) windows, ([\d,]+) embedded, ([\d,]+) reused")


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory) -> Path:
    """FCAST_TSFM_HOME with the tiny Chronos-2, Chronos-Bolt and TimesFM checkpoints."""
    home = tmp_path_factory.mktemp("tsfm_home")
    write_tiny_checkpoints(home)
    return home


def draws_file(folder: Path, last_round: int, game: str = GAME) -> Path:
    """The shipped history of the game up to and including draw `last_round`."""
    draws = [draw for draw in json.loads((SHIPPED / f"{game}.json").read_text()) if draw["round"] <= last_round]
    path = folder / f"{game}_to_{last_round}.json"
    path.write_text(json.dumps(draws), encoding="utf-8")
    return path


def fresh_warehouse(folder: Path, home: Path, last_round: int, target: str = "duckdb", database: str | None = None):
    """A warehouse holding the game's draws up to `last_round`, every model built."""
    env = {**throwaway.warehouse_env(folder, target, database), "FCAST_TSFM_HOME": str(home)}
    run_fcast("ingest", str(draws_file(folder, last_round)), "--game", GAME, env=env)
    run_fcast("build", env=env)
    return env


def stored_rows() -> pd.DataFrame:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(
            "select * from raw.feature_embeddings order by embedding_model, unique_id, ds, component"
        )


def embedding_frame(game: str = GAME) -> pd.DataFrame:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(
            f"select unique_id, ds, {', '.join(embedding_columns().names())} from marts.nf_train_df "
            "where game_code = ? order by unique_id, ds",
            (game,),
        )


def tamper_with_windows_at(ds: int) -> None:
    """Make the stored rows of draw `ds` look computed from other values (as if an earlier draw had changed)."""
    with db.connect() as warehouse:
        warehouse.execute("update raw.feature_embeddings set context_hash = 'changed' where ds = ?", (ds,))


def summary_counts(stdout: str) -> tuple[int, int, int]:
    """(windows, embedded, reused) of the command's closing summary line."""
    windows, embedded, reused = SUMMARY.findall(stdout)[-1]
    return int(windows.replace(",", "")), int(embedded.replace(",", "")), int(reused.replace(",", ""))


# --- fast: the pieces, without a warehouse ---


@pytest.mark.fast
def test_the_marts_list_one_embedding_column_per_model_and_dimension_of_the_dbt_vars():
    columns = embedding_columns()
    assert columns.models == ("chronos2", "chronosbolt", "timesfm") and columns.dims == 8
    document = yaml.safe_load((PROJECT_DIR / "models/marts/forecasting/_forecasting__models.yml").read_text())
    for model in document["models"]:
        if model["name"] in ("feat_hist", "nf_train_df"):
            listed = [column["name"] for column in model["columns"] if is_embedding_column(column["name"])]
            assert listed == columns.names(), f"{model['name']}: list every hist_emb_ column of the dbt vars, in order"
    assert set(embeddable_models()) == set(columns.models), "every declared model key has an adapter with embeddings"


@pytest.mark.fast
def test_each_window_ends_at_its_draw_and_holds_at_most_context_length_values():
    values = np.arange(1, 11, dtype=np.float32)
    windows = context_windows(values, 4)
    assert len(windows) == 10
    assert windows[0].tolist() == [1.0] and windows[2].tolist() == [1.0, 2.0, 3.0]
    assert windows[9].tolist() == [7.0, 8.0, 9.0, 10.0]
    assert context_hash(windows[3]) == context_hash(np.array([1, 2, 3, 4], dtype=np.float64))
    assert context_hash(windows[3]) != context_hash(windows[4]) != context_hash(np.array([5, 6, 7], np.float32))


@pytest.mark.fast
def test_the_projection_is_fixed_by_its_seed_and_scaled_by_one_over_sqrt_dims():
    matrix = random_projection(4096, 8, seed=17)
    assert matrix.shape == (4096, 8)
    assert np.array_equal(matrix, random_projection(4096, 8, seed=17))
    assert not np.allclose(matrix, random_projection(4096, 8, seed=18))
    assert abs(matrix.std() - 1 / np.sqrt(8)) < 0.01
    vectors = np.random.default_rng(0).normal(size=(5, 4096))
    assert np.allclose(project(vectors, 8), vectors @ matrix)
    assert reduction_label(17, 8) == "random_projection(seed=17,dims=8)"


def _model(checkpoint_hash: str = "a" * 64, context_length: int = 64) -> EmbeddingModel:
    return EmbeddingModel(None, "Chronos2", "chronos2", Path("/nowhere"), checkpoint_hash, context_length, 8)


@pytest.mark.fast
def test_the_cache_embeds_missing_and_changed_windows_and_deletes_what_it_replaces():
    windows = GameWindows(
        keys=[("g_N1", 1), ("g_N1", 2), ("g_N1", 3), ("g_N1", 4)],
        windows=[np.zeros(1)] * 4,
        hashes=["h1", "h2", "h3", "h4"],
    )
    model = _model()
    same = {"checkpoint_hash": model.checkpoint_hash, "reduction": model.reduction, "context_length": 64}
    stored = pd.DataFrame(
        [
            {"unique_id": "g_N1", "ds": 1, "context_hash": "h1", **same},  # unchanged: reused
            {"unique_id": "g_N1", "ds": 2, "context_hash": "old", **same},  # changed window: embedded again
            {"unique_id": "g_N1", "ds": 9, "context_hash": "h9", **same},  # a draw the marts no longer hold
            {"unique_id": "g_N1", "ds": 3, "context_hash": "h3", **{**same, "checkpoint_hash": "b" * 64}},
        ]
    )
    planned = plan_game(windows, stored, model)
    assert planned.todo == [1, 2, 3]  # ds 2 changed, ds 3 was another checkpoint's, ds 4 is new
    assert sorted(planned.stale_keys) == [("g_N1", 2), ("g_N1", 9)]
    assert planned.other_configuration == 1
    nothing_stored = plan_game(GameWindows(windows.keys, windows.windows, windows.hashes), stored.iloc[:0], model)
    assert nothing_stored.todo == [0, 1, 2, 3] and not nothing_stored.stale_keys


@pytest.mark.fast
def test_a_model_without_embedding_columns_or_weights_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(EmbeddingError, match=r"chronos2, chronosbolt, timesfm.*vars\.embedding_models"):
        load_model("TimeGPT")
    with environment({"FCAST_TSFM_HOME": str(tmp_path)}), pytest.raises(CheckpointMissingError, match="hf download"):
        load_model("chronos2")
    with pytest.raises(EmbeddingError, match="positive number of draws"):
        load_model("Chronos2", context_length=0)


@pytest.mark.fast
def test_a_window_embeds_alike_alone_in_a_batch_of_others_and_after_more_draws(tiny_home):
    """No padding and no state: the value at draw t is the same whatever else is embedded with it."""
    values = np.random.default_rng(3).integers(1, 44, size=60).astype(np.float32)
    with environment({"FCAST_TSFM_HOME": str(tiny_home)}):  # the weights load at the first call
        model = load_model("chronos2", context_length=16, device="cpu")
        full, width = model.embed(context_windows(values, 16))
        truncated, _ = model.embed(context_windows(values[:30], 16))
        alone, _ = model.embed([values[14:30]])
    assert width == 32 and full.shape == (60, 8)
    np.testing.assert_allclose(truncated, full[:30], atol=1e-5)
    np.testing.assert_allclose(alone[0], full[29], atol=1e-5)


# --- on warehouses ---


def test_embeddings_are_cached_by_window_and_new_draws_embed_only_their_windows(tmp_path, tiny_home):
    env = fresh_warehouse(tmp_path, tiny_home, last_round=60)
    series = [f"{GAME}_N{slot}" for slot in range(1, SLOTS + 1)]
    with environment(env):
        with db.connect(read_only=True) as warehouse:
            missing = unembedded_rows(warehouse, series, ["hist_lag_1", *CHRONOS2_COLUMNS, "hist_emb_nosuch_1"])
        assert missing == dict.fromkeys(CHRONOS2_COLUMNS, 60 * SLOTS), "nothing embedded yet: every row is null"
        assert embed_command("hist_emb_chronos2_3", GAME) == f"fcast features embed --model Chronos2 --game {GAME}"
        first = app.embed_features("Chronos2", [GAME], rebuild=False)
        assert (first.embedded, first.reused) == (60 * SLOTS, 0)
        assert first.refresh.status == "deferred" and "source:raw.feature_embeddings+" in first.refresh.command
        [game] = first.games
        assert (game.game_code, game.windows, game.rows_deleted) == (GAME, 60 * SLOTS, 0) and game.seconds > 0
        stored = stored_rows()
        assert len(stored) == 60 * SLOTS * 8 and set(stored.component) == set(range(1, 9))
        assert set(stored.embedding_model) == {"chronos2"} and set(stored.context_length) == {64}
        assert set(stored.reduction) == {"random_projection(seed=17,dims=8)"} and set(stored.embedding_width) == {32}
        assert set(stored.checkpoint_hash) == {files_hash(tiny_home / "chronos-2")}

        again = app.embed_features("Chronos2", [GAME])
        assert (again.embedded, again.reused, again.refresh) == (0, 60 * SLOTS, None)
        pd.testing.assert_frame_equal(stored_rows(), stored)  # unchanged rows are not rewritten

        tamper_with_windows_at(10)
        repaired = app.embed_features("Chronos2", [GAME], rebuild=False)
        assert (repaired.embedded, repaired.reused, repaired.games[0].rows_deleted) == (SLOTS, 59 * SLOTS, SLOTS * 8)
        stored = stored_rows()
        assert (stored[stored.ds == 10].context_hash != "changed").all() and len(stored) == 60 * SLOTS * 8

        ingest = app.ingest_draws([str(draws_file(tmp_path, 63))], GAME)
        assert ingest.added == 3 and ingest.refresh.status == "refreshed"
        more = app.embed_features("Chronos2", [GAME])
        assert (more.embedded, more.reused) == (3 * SLOTS, 60 * SLOTS) and more.refresh.status == "refreshed"
        after = stored_rows()
        assert sorted(set(after.ds) - set(stored.ds)) == [61, 62, 63]
        pd.testing.assert_frame_equal(after[after.ds <= 60].reset_index(drop=True), stored)

        with db.connect(read_only=True) as warehouse:
            assert unembedded_rows(warehouse, series, CHRONOS2_COLUMNS) == dict.fromkeys(CHRONOS2_COLUMNS, 0)
        features = embedding_frame()
        assert len(features) == 63 * SLOTS
        assert features[CHRONOS2_COLUMNS].notna().all().all(), "every draw of the game has its chronos2 features"
        others = [column for column in embedding_columns().names() if column not in CHRONOS2_COLUMNS]
        assert features[others].isna().all().all(), "models that embedded nothing stay null"
        pivoted = features.set_index(["unique_id", "ds"]).loc[("bingo5_N3", 61), CHRONOS2_COLUMNS].to_numpy(float)
        raw = after[(after.unique_id == "bingo5_N3") & (after.ds == 61)].embedding_value.to_numpy(float)
        np.testing.assert_allclose(pivoted, raw)

        other = write_chronos2(tmp_path / "chronos-2-seed-1", seed=1)
        replaced = app.embed_features("Chronos2", [GAME], checkpoint=str(other), rebuild=False)
        assert (replaced.embedded, replaced.reused) == (63 * SLOTS, 0)
        assert replaced.games[0].rows_deleted == 63 * SLOTS * 8
        final = stored_rows()
        assert len(final) == 63 * SLOTS * 8 and set(final.checkpoint_hash) == {files_hash(other)}


def test_an_nhits_row_trains_on_the_chronos2_embedding_features(trained_copy, tmp_path, tiny_home):
    env = {**trained_copy, "FCAST_TSFM_HOME": str(tiny_home)}
    result = run_fcast("features", "embed", "--model", "Chronos2", "--game", GAME, env=env)
    windows, embedded, reused = summary_counts(result.stdout)
    assert windows == embedded > 0 and reused == 0
    assert "marts refreshed: every model downstream of raw.feature_embeddings" in result.stdout
    with environment(env):
        assert embedding_frame()[CHRONOS2_COLUMNS].notna().all().all()
    plan = tiny_plan(
        tmp_path / "embedding_features.yaml",
        [{"name": "bingo5_N1_nhits_emb", "series": "N1", "model": "NHITS"}],
        dataset=GAME,
        features={"hist": CHRONOS2_COLUMNS},
    )
    trained = run_fcast("train", str(plan), env=env)
    assert "1 plan row(s): 1 completed, 0 failed, 0 rejected" in trained.stdout
    with environment(env):
        [run] = run_rows("where run_name = ?", ("bingo5_N1_nhits_emb",))
        with db.connect(read_only=True) as warehouse:
            [(hist_exog_list,)] = warehouse.fetchall(
                "select hist_exog_list from raw.model_artifacts where run_id = ?", (run["run_id"],)
            )
    assert run["status"] == "COMPLETED" and json.loads(hist_exog_list) == CHRONOS2_COLUMNS


def test_the_embedding_models_build_and_test_on_postgres(postgres_server, tmp_path, tiny_home):
    with throwaway.temporary_postgres_database("fcast_emb") as database:
        env = fresh_warehouse(tmp_path, tiny_home, last_round=40, target="postgres", database=database)
        result = run_fcast("features", "embed", "--model", "chronosbolt", "--game", GAME, env=env)
        assert summary_counts(result.stdout) == (40 * SLOTS, 40 * SLOTS, 0)
        assert "marts refreshed" in result.stdout
        with environment(env):
            features = embedding_frame()
            with db.connect(read_only=True) as warehouse:
                hist_columns = warehouse.fetchall(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = 'feat_hist' and column_name like 'hist_emb_%' order by ordinal_position"
                )
        bolt = [f"hist_emb_chronosbolt_{component}" for component in range(1, 9)]
        assert len(features) == 40 * SLOTS and features[bolt].notna().all().all()
        assert features[CHRONOS2_COLUMNS].isna().all().all()
        assert [name for (name,) in hist_columns] == embedding_columns().names()
        cached = run_fcast("features", "embed", "--model", "ChronosBolt", "--game", GAME, env=env)
        assert summary_counts(cached.stdout) == (40 * SLOTS, 0, 40 * SLOTS) and "marts refreshed" not in cached.stdout
        with environment(env):
            tamper_with_windows_at(7)
            repaired = app.embed_features("ChronosBolt", [GAME], rebuild=False)
            replaced = app.embed_features("ChronosBolt", [GAME], context_length=16, rebuild=False)
            stored = stored_rows()
        assert (repaired.embedded, repaired.games[0].rows_deleted) == (SLOTS, SLOTS * 8)
        assert (replaced.embedded, replaced.games[0].rows_deleted) == (40 * SLOTS, 40 * SLOTS * 8)
        assert len(stored) == 40 * SLOTS * 8 and set(stored.context_length) == {16}
