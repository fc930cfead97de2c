"""Foundation-model embeddings as hist_ features: `fcast features embed`.

For every lottery series and every draw t, the context window is the series' values at the draws up to and
including t (at most `context_length` of them). The model pools each window into one vector (its adapter's
`embed`), and a fixed random projection reduces the vector to `embedding_dims` numbers: a Gaussian matrix drawn
from a recorded seed and scaled by 1/sqrt(dims). The projection has no fitted state, and a window holds no draw
after t, so the value at t cannot see the future. The rows go to raw.feature_embeddings in long form; dbt pivots
them into the `hist_emb_<model>_<i>` columns of feat_hist and nf_train_df.

The cache: each row records the checkpoint's hash, the reduction, the context length and the sha256 of its
window's values (`context_hash`). A run embeds only the windows whose stored row is missing or differs in any of
these; unchanged rows are not rewritten. One configuration is kept per model and series: rows of another
checkpoint, reduction or context length (and rows of draws no longer in the marts) are deleted and replaced.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from fcast import db
from fcast.errors import FcastError, NotFoundError
from fcast.features import embedding_columns
from fcast.raw_schema import FEATURE_EMBEDDINGS

Progress = Callable[[str], None]

DEFAULT_CONTEXT_LENGTH = 64
PROJECTION_SEED = 17
CHUNK_WINDOWS = 4096  # windows per embed call, insert and progress line
DELETE_CHUNK = 500
WRITTEN_TABLES = (FEATURE_EMBEDDINGS.name,)


class EmbeddingError(FcastError, ValueError):
    """The embeddings cannot be computed as asked (an unknown model, a model without embeddings, a bad vector)."""


def _quiet(line: str) -> None:
    """Say nothing."""


# --- the pieces: windows, their hashes, the projection ---


def context_windows(values: np.ndarray, context_length: int) -> list[np.ndarray]:
    """The window ending at each position: values[max(0, t - context_length + 1) : t + 1], as float32."""
    series = np.asarray(values, dtype=np.float32)
    return [series[max(0, end - context_length + 1) : end + 1] for end in range(len(series))]


def context_hash(window: np.ndarray) -> str:
    """sha256 of the window's float32 values (its length included, through the byte count)."""
    return hashlib.sha256(np.ascontiguousarray(window, dtype=np.float32).tobytes()).hexdigest()


def reduction_label(seed: int, dims: int) -> str:
    return f"random_projection(seed={seed},dims={dims})"


def random_projection(width: int, dims: int, seed: int = PROJECTION_SEED) -> np.ndarray:
    """(width, dims) Gaussian matrix scaled by 1/sqrt(dims): the same seed and width give the same matrix."""
    return np.random.default_rng(seed).standard_normal((width, dims)) / np.sqrt(dims)


def project(vectors: np.ndarray, dims: int, seed: int = PROJECTION_SEED) -> np.ndarray:
    """(n, width) pooled vectors -> (n, dims)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors @ random_projection(vectors.shape[1], dims, seed)


# --- the model ---


@dataclass(frozen=True)
class EmbeddingModel:
    """The adapter that embeds, and the identity of what it computes (the cache key without the window)."""

    adapter: Any
    name: str  # the adapter class (Chronos2)
    key: str  # the model key in the marts' column names (chronos2)
    checkpoint_path: Path
    checkpoint_hash: str
    context_length: int
    dims: int
    seed: int = PROJECTION_SEED

    @property
    def reduction(self) -> str:
        return reduction_label(self.seed, self.dims)

    def embed(self, windows: list[np.ndarray]) -> tuple[np.ndarray, int]:
        """(n, dims) projected embeddings of the windows, and the width of the pooled vectors."""
        pooled = np.asarray(self.adapter.embed(windows), dtype=np.float64)
        if pooled.ndim != 2 or len(pooled) != len(windows):
            raise EmbeddingError(f"{self.name} returned embeddings of shape {pooled.shape} for {len(windows)} windows")
        return project(pooled, self.dims, self.seed), int(pooled.shape[1])


def embeddable_models() -> dict[str, str]:
    """{model key: adapter name} of the foundation models with embeddings and columns in the feature marts."""
    from fcast.library.foundation import ADAPTERS, adapter_class

    declared = embedding_columns().models
    found = {}
    for name in ADAPTERS:
        if name.lower() not in declared:
            continue
        try:
            adapter = adapter_class(name)
        except ImportError:  # an adapter whose module this installation lacks
            continue
        if adapter.CAPABILITIES.embeddings:
            found[name.lower()] = name
    return found


def load_model(
    model: str,
    checkpoint: str | None = None,
    context_length: int | None = None,
    batch_size: int | None = None,
    device: str = "auto",
) -> EmbeddingModel:
    """The adapter of `model` (its class name or model key, any case) with its checkpoint resolved and hashed."""
    from fcast.library.foundation import adapter_class
    from fcast.library.foundation.base import DEFAULT_BATCH_SIZE, files_hash

    models = embeddable_models()
    key = model.lower()
    if key not in models:
        raise EmbeddingError(
            f"{model} has no embedding columns: use one of {', '.join(models) or '(none)'}; a new foundation model "
            "needs its key in vars.embedding_models of dbt_project.yml and its hist_emb_ columns in "
            "models/marts/forecasting/_forecasting__models.yml"
        )
    length = DEFAULT_CONTEXT_LENGTH if context_length is None else int(context_length)
    if length < 1:
        raise EmbeddingError(
            f"--context-length {length}: give a positive number of draws (default {DEFAULT_CONTEXT_LENGTH})"
        )
    adapter = adapter_class(models[key])(
        h=1,
        checkpoint=checkpoint,
        context_length=length,
        device=device,
        batch_size=batch_size or DEFAULT_BATCH_SIZE,
    )
    path = adapter.checkpoint_path()  # a missing checkpoint says where fcast looked and how to fill it
    return EmbeddingModel(
        adapter=adapter,
        name=models[key],
        key=key,
        checkpoint_path=path,
        checkpoint_hash=files_hash(path),
        context_length=adapter.effective_context_length(),
        dims=embedding_columns().dims,
    )


# --- the cache plan of one game ---


@dataclass
class GameWindows:
    """A game's windows with their hashes, and what the stored rows say about them."""

    keys: list[tuple[str, int]]  # (unique_id, ds) of each window, in series then draw order
    windows: list[np.ndarray]
    hashes: list[str]
    todo: list[int] = field(default_factory=list)  # indices of the windows to embed
    stale_keys: list[tuple[str, int]] = field(default_factory=list)  # rows of this configuration to delete
    other_configuration: int = 0  # stored windows of another checkpoint, reduction or context length


def game_windows(series: Any, context_length: int) -> GameWindows:
    """Windows of every series of a long frame (unique_id, ds, y ordered by unique_id, ds)."""
    keys: list[tuple[str, int]] = []
    windows: list[np.ndarray] = []
    for unique_id, group in series.groupby("unique_id", sort=True):
        draws = group["ds"].to_numpy(dtype=np.int64)
        keys += [(str(unique_id), int(ds)) for ds in draws]
        windows += context_windows(group["y"].to_numpy(dtype=np.float32), context_length)
    return GameWindows(keys, windows, [context_hash(window) for window in windows])


def plan_game(windows: GameWindows, stored: Any, model: EmbeddingModel) -> GameWindows:
    """Which windows to embed and which stored rows to delete, from the stored rows' (unique_id, ds, checkpoint_hash,
    reduction, context_length, context_hash)."""
    same = (
        (stored["checkpoint_hash"] == model.checkpoint_hash)
        & (stored["reduction"] == model.reduction)
        & (stored["context_length"].astype("int64") == model.context_length)
    )
    windows.other_configuration = int((~same).sum())
    cached = {
        (str(unique_id), int(ds)): digest
        for unique_id, ds, digest in stored.loc[same, ["unique_id", "ds", "context_hash"]].itertuples(index=False)
    }
    current = set(windows.keys)
    windows.todo = [index for index, key in enumerate(windows.keys) if cached.get(key) != windows.hashes[index]]
    windows.stale_keys = [windows.keys[index] for index in windows.todo if windows.keys[index] in cached]
    windows.stale_keys += [key for key in cached if key not in current]  # draws the marts no longer hold
    return windows


# --- the results ---


@dataclass
class GameEmbedding:
    game_code: str
    windows: int  # windows of the game's series (one per series and draw)
    embedded: int  # windows embedded by this run
    reused: int  # windows whose stored embedding was still valid
    rows_deleted: int  # stored rows replaced (another configuration, a changed window, a draw no longer there)
    seconds: float

    def summary(self) -> str:
        rate = f" ({self.embedded / self.seconds:,.0f} windows/s)" if self.embedded and self.seconds > 0 else ""
        replaced = f", {self.rows_deleted:,} stored rows replaced" if self.rows_deleted else ""
        return (
            f"{self.game_code}: {self.windows:,} windows, {self.embedded:,} embedded, {self.reused:,} reused from "
            f"the cache{replaced} in {self.seconds:.1f}s{rate}"
        )


@dataclass
class EmbeddingReport:
    model: str  # the adapter class
    model_key: str
    checkpoint_path: str
    checkpoint_hash: str
    reduction: str
    context_length: int
    games: list[GameEmbedding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def embedded(self) -> int:
        return sum(game.embedded for game in self.games)

    @property
    def reused(self) -> int:
        return sum(game.reused for game in self.games)

    @property
    def windows(self) -> int:
        return sum(game.windows for game in self.games)

    @property
    def changed(self) -> bool:
        """Whether raw.feature_embeddings changed (the marts downstream need a rebuild)."""
        return any(game.embedded or game.rows_deleted for game in self.games)

    def summary(self) -> str:
        return (
            f"{self.model} embeddings ({self.reduction}, context {self.context_length}, checkpoint "
            f"{self.checkpoint_hash[:12]}): {self.windows:,} windows, {self.embedded:,} embedded, {self.reused:,} "
            f"reused, {self.seconds:.1f}s"
        )


# --- what a plan row needs before it trains on embedding features ---


def unembedded_rows(warehouse: db.Warehouse, unique_ids: Sequence[str], columns: Sequence[str]) -> dict[str, int]:
    """Per embedding column among `columns`: the rows of marts.nf_train_df of these series where it is null
    (0 for every column: the row can train). Other columns, and names the dbt vars do not declare, are left out."""
    declared = set(embedding_columns().names())
    wanted = [column for column in columns if column in declared]
    if not wanted or not unique_ids:
        return {}
    counts = ", ".join(f"count(*) - count({column})" for column in wanted)
    marks = ", ".join("?" for _ in unique_ids)
    row = warehouse.fetchall(f"select {counts} from marts.nf_train_df where unique_id in ({marks})", list(unique_ids))
    return {column: int(missing) for column, missing in zip(wanted, row[0], strict=True)}


def embed_command(column: str, game_code: str) -> str:
    """The command that fills an embedding column for a game."""
    from fcast.features import EMBEDDING_COLUMN_PREFIX

    key = column.removeprefix(EMBEDDING_COLUMN_PREFIX).rsplit("_", 1)[0]
    return f"fcast features embed --model {embeddable_models().get(key, key)} --game {game_code}"


# --- the warehouse ---


def read_series(game_code: str) -> Any:
    """The game's series from marts.fct_series_long (unique_id, ds, y), in series and draw order."""
    with db.connect(read_only=True) as warehouse:
        if not warehouse.table_exists("marts", "fct_series_long"):
            raise NotFoundError("the marts are not built yet: run `fcast build` (or `fcast main`) before embedding")
        return warehouse.fetch_frame(
            "select unique_id, ds, y from marts.fct_series_long where game_code = ? order by unique_id, ds",
            (game_code,),
        )


def read_stored(game_code: str, model_key: str) -> Any:
    """One row per stored window of the game and model (its first component)."""
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(
            f"select unique_id, ds, checkpoint_hash, reduction, context_length, context_hash "
            f"from {FEATURE_EMBEDDINGS.qualified_name} where game_code = ? and embedding_model = ? and component = 1",
            (game_code, model_key),
        )


def delete_stale(game_code: str, model: EmbeddingModel, stale_keys: Sequence[tuple[str, int]]) -> int:
    """Delete the rows of another configuration and the rows of `stale_keys`; returns the rows deleted."""
    table = FEATURE_EMBEDDINGS.qualified_name
    by_series: dict[str, list[int]] = {}
    for unique_id, ds in stale_keys:
        by_series.setdefault(unique_id, []).append(ds)
    with db.connect() as warehouse:
        before = warehouse.fetchall(
            f"select count(*) from {table} where game_code = ? and embedding_model = ?", (game_code, model.key)
        )[0][0]
        warehouse.execute(
            f"delete from {table} where game_code = ? and embedding_model = ? "
            "and not (checkpoint_hash = ? and reduction = ? and context_length = ?)",
            (game_code, model.key, model.checkpoint_hash, model.reduction, model.context_length),
        )
        for unique_id, draws in by_series.items():
            for start in range(0, len(draws), DELETE_CHUNK):
                part = draws[start : start + DELETE_CHUNK]
                warehouse.execute(
                    f"delete from {table} where embedding_model = ? and unique_id = ? "
                    f"and ds in ({', '.join('?' for _ in part)})",
                    (model.key, unique_id, *part),
                )
        after = warehouse.fetchall(
            f"select count(*) from {table} where game_code = ? and embedding_model = ?", (game_code, model.key)
        )[0][0]
    return int(before - after)


def embedding_rows(
    game_code: str, model: EmbeddingModel, windows: GameWindows, indices: list[int], values: np.ndarray, width: int
) -> Any:
    """The long rows of `indices`' embeddings: one per window and component."""
    import pandas as pd

    if not np.isfinite(values).all():
        bad = indices[int(np.argwhere(~np.isfinite(values).all(axis=1))[0][0])]
        unique_id, ds = windows.keys[bad]
        raise EmbeddingError(
            f"{model.name} gave a non-finite embedding for {unique_id} at draw {ds} (checkpoint "
            f"{model.checkpoint_path}): check that the checkpoint holds trained weights, or embed with another model"
        )
    count, dims = values.shape
    keys = [windows.keys[index] for index in indices]
    return pd.DataFrame(
        {
            "game_code": game_code,
            "unique_id": np.repeat([unique_id for unique_id, _ in keys], dims),
            "ds": np.repeat(np.asarray([ds for _, ds in keys], dtype=np.int64), dims),
            "embedding_model": model.key,
            "component": np.tile(np.arange(1, dims + 1, dtype=np.int32), count),
            "embedding_value": values.reshape(-1),
            "embedding_width": width,
            "checkpoint_hash": model.checkpoint_hash,
            "reduction": model.reduction,
            "context_length": model.context_length,
            "context_hash": np.repeat([windows.hashes[index] for index in indices], dims),
            "created_at": datetime.now(UTC).replace(tzinfo=None),
        }
    )


def embed_game(game_code: str, model: EmbeddingModel, progress: Progress = _quiet) -> GameEmbedding:
    """Embed the game's new and changed windows, delete the stale rows, keep the rest."""
    started = time.perf_counter()
    windows = plan_game(
        game_windows(read_series(game_code), model.context_length), read_stored(game_code, model.key), model
    )
    total, todo = len(windows.keys), windows.todo
    progress(
        f"{game_code}: {total:,} windows, {len(todo):,} to embed, {total - len(todo):,} in the cache"
        + (
            f", {windows.other_configuration:,} stored with another configuration"
            if windows.other_configuration
            else ""
        )
    )
    deleted = (
        delete_stale(game_code, model, windows.stale_keys) if windows.stale_keys or windows.other_configuration else 0
    )
    embedding_started = time.perf_counter()
    for start in range(0, len(todo), CHUNK_WINDOWS):
        indices = todo[start : start + CHUNK_WINDOWS]
        values, width = model.embed([windows.windows[index] for index in indices])
        frame = embedding_rows(game_code, model, windows, indices, values, width)
        with db.connect() as warehouse:
            warehouse.insert_rows(FEATURE_EMBEDDINGS, frame)
        done = start + len(indices)
        rate = done / max(time.perf_counter() - embedding_started, 1e-9)
        progress(f"  {game_code}: {done:,}/{len(todo):,} windows embedded ({rate:,.0f}/s)")
    return GameEmbedding(game_code, total, len(todo), total - len(todo), deleted, time.perf_counter() - started)


def embed_games(
    model: str,
    games: Sequence[str] = (),
    checkpoint: str | None = None,
    context_length: int | None = None,
    batch_size: int | None = None,
    device: str = "auto",
    progress: Progress = _quiet,
) -> EmbeddingReport:
    """Embed every series of the games (all of them when empty) with `model`, reusing what the cache holds."""
    from fcast.games import get_game, load_games

    started = time.perf_counter()
    codes = [get_game(code).code for code in games] if games else list(load_games())
    loaded = load_model(model, checkpoint, context_length, batch_size, device)
    report = EmbeddingReport(
        loaded.name,
        loaded.key,
        str(loaded.checkpoint_path),
        loaded.checkpoint_hash,
        loaded.reduction,
        loaded.context_length,
    )
    progress(
        f"{loaded.name} embeddings of {', '.join(codes)}: checkpoint {loaded.checkpoint_path} "
        f"(sha256 {loaded.checkpoint_hash[:12]}), context {loaded.context_length} draws, {loaded.reduction}"
    )
    for code in codes:
        report.games.append(embed_game(code, loaded, progress))
        progress(f"  {report.games[-1].summary()}")
    report.seconds = time.perf_counter() - started
    return report
