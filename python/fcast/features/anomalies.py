"""Anomaly scores and regime labels as hist_ features: `fcast features anomaly`.

Every series is cut into trailing windows: the window at draw t holds the `window` draws ending at t. A detector
is fitted on windows only, block by block: draws are grouped in blocks of `refit_every` draws, and the block
starting at draw b is scored by a detector fitted on the (at most `max_train_windows`) windows that end before b.
So the value at t uses draws up to t only, and cutting the history later never changes it (ECOD, whose scores of a
batch depend on the whole batch, scores one window at a time). The block boundaries
count from the start of the series, not from its end, for the same reason.

Outlier detectors are PyOD's (IsolationForest, and the parameter-free ECOD). A scored window gets the detector's
decision score, the share of the calibration windows less anomalous than it (0..1) and a flag when the score
exceeds the split-conformal threshold at the `contamination` share of the calibration scores; `calibration_split`
keeps the calibration windows disjoint from the fit and from the scored windows, so an i.i.d. draw is flagged with
a known probability (`chance_flag_rate`, at most the contamination) that marts.chance_anomaly_flag_rates compares
with the flags. Measured at contamination 0.05: PyOD's own threshold (taken from the windows it was fitted on) flagged
7.4% of Loto6's draws, and a threshold from overlapping calibration windows still flagged 11-17% in the first blocks;
with disjoint windows the rate on synthetic i.i.d. draws matches the chance rate.
The regime is a k-means clustering (scikit-learn) of each window's mean, spread and slope, labelled 1..k in the
order of the clusters' mean. Before a series has `min_train_windows` windows, its draws are warm-up rows with
neutral values (score 0.5, flag 0, regime 0) and `hist_anom_warmup` = 1, so every draw has a value.

The cache: each row records `history_hash`, a sha256 chained over the series' values up to its draw, and the
detector's arguments. A run scores only the draws whose stored row is missing or whose hash or arguments differ;
a changed draw changes every later hash, so the work is always a suffix of the series.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from fcast import db
from fcast.errors import NotFoundError
from fcast.features import CALIBRATION_SHARE, AnomalyError, Schedule
from fcast.raw_schema import FEATURE_ANOMALIES

Progress = Callable[[str], None]

WRITTEN_TABLES = (FEATURE_ANOMALIES.name,)
REGIME = "regime"
INSERT_CHUNK = 20_000


def _quiet(line: str) -> None:
    """Say nothing."""


# --- the detectors ---


@dataclass(frozen=True)
class Detector:
    """A named detector: the class it builds and its arguments (the contamination is what chance predicts)."""

    key: str
    class_path: str
    arguments: dict[str, Any]
    contamination: float | None
    # False where the library scores a batch together (ECOD's ECDFs span the training rows and the whole batch):
    # such a detector scores one window at a time, or a window's score would read the windows after it
    scores_rows_apart: bool = True

    def args_json(self, schedule: Schedule) -> str:
        values = {**self.arguments, **schedule.__dict__}
        if self.contamination is not None:
            values["calibration"] = f"split_conformal(disjoint windows of the newest 1/{CALIBRATION_SHARE})"
            values["scoring"] = "batch" if self.scores_rows_apart else "one window at a time"
        return json.dumps(values, sort_keys=True)

    def configuration(self, schedule: Schedule) -> tuple[str, str]:
        """What a stored row must match besides its history: (arguments JSON, library version)."""
        return self.args_json(schedule), self.library_version()

    def library_version(self) -> str:
        """The distribution and version that computes it (read from its metadata: nothing is imported)."""
        from importlib.metadata import version

        distribution = {"sklearn": "scikit-learn"}.get(self.class_path.split(".")[0], self.class_path.split(".")[0])
        return f"{distribution}=={version(distribution)}"


def outlier_detector(key: str, contamination: float, seed: int) -> Detector:
    if not 0 < contamination <= 0.5:
        raise AnomalyError(f"--contamination {contamination}: give a share in (0, 0.5]")
    if key == "iforest":
        return Detector(
            key,
            "pyod.models.iforest.IForest",
            {"contamination": contamination, "n_estimators": 100, "random_state": seed},
            contamination,
        )
    if key == "ecod":
        return Detector(
            key, "pyod.models.ecod.ECOD", {"contamination": contamination}, contamination, scores_rows_apart=False
        )
    raise AnomalyError(f"unknown detector {key}: use one of {', '.join(OUTLIER_DETECTORS)}")


OUTLIER_DETECTORS = ("iforest", "ecod")


def regime_detector(clusters: int, seed: int) -> Detector:
    if clusters < 2:
        raise AnomalyError(f"--regimes {clusters}: give at least 2 clusters")
    return Detector(
        REGIME,
        "sklearn.cluster.KMeans",
        {"n_clusters": clusters, "n_init": 10, "random_state": seed, "window_features": ["mean", "std", "slope"]},
        None,
    )


def _build(detector: Detector) -> Any:
    module_name, class_name = detector.class_path.rsplit(".", 1)
    module = __import__(module_name, fromlist=[class_name])
    arguments = {name: value for name, value in detector.arguments.items() if name != "window_features"}
    return getattr(module, class_name)(**arguments)


# --- the pieces: windows, hashes ---


def trailing_windows(values: np.ndarray, window: int) -> np.ndarray:
    """(n - window + 1, window) windows; row i ends at draw index i + window - 1."""
    return np.lib.stride_tricks.sliding_window_view(np.asarray(values, dtype=np.float64), window)


def history_hashes(values: np.ndarray) -> list[str]:
    """sha256 chained over the values: entry t depends on values[0..t] and nothing after."""
    digests, previous = [], b""
    for value in np.asarray(values, dtype=np.float64):
        previous = hashlib.sha256(previous + value.tobytes()).digest()
        digests.append(previous.hex())
    return digests


def window_shape_features(windows: np.ndarray) -> np.ndarray:
    """Mean, standard deviation and least-squares slope of each window (the regime's inputs)."""
    steps = np.arange(windows.shape[1], dtype=np.float64)
    centred = steps - steps.mean()
    slope = (windows - windows.mean(axis=1, keepdims=True)) @ centred / (centred @ centred)
    return np.column_stack([windows.mean(axis=1), windows.std(axis=1), slope])


@dataclass
class ScoredBlock:
    """What one detector said about one block of one series (arrays aligned with the block's draws)."""

    start: int
    end: int
    raw_score: np.ndarray | None
    anomaly_score: np.ndarray | None
    flagged: np.ndarray | None
    regime: np.ndarray | None
    chance_flag_rate: float | None  # the probability a flag has under chance (conformal_threshold)
    fitted_through: int  # index of the last training window's end draw
    train_windows: int


def conformal_threshold(calibration_scores: np.ndarray, contamination: float) -> tuple[float, float]:
    """The split-conformal threshold at `contamination` and the exact chance that a new exchangeable score exceeds
    it: the k-th smallest of n calibration scores with k = ceil((n + 1)(1 - contamination)), exceeded with
    probability (n + 1 - k) / (n + 1) (at most `contamination`; less where scores tie)."""
    ordered = np.sort(np.asarray(calibration_scores, dtype=np.float64))
    count = len(ordered)
    rank = int(np.ceil((count + 1) * (1 - contamination)))
    if rank > count:
        return float("inf"), 0.0
    return float(ordered[rank - 1]), (count + 1 - rank) / (count + 1)


def calibration_split(block_start: int, schedule: Schedule) -> tuple[list[int], int, int]:
    """Which windows (by their end draw) calibrate and which fit an outlier detector scoring the block at
    `block_start`: (calibration ends, first fit end, last fit end + 1).

    The calibration windows are disjoint from each other, from the fit windows and from every window the block
    scores: they end at block_start - window, block_start - 2 window, ... over the newest half of the training
    span. Disjoint windows of i.i.d. draws are i.i.d., so a scored window's score is exchangeable with theirs and
    the split-conformal threshold is exceeded with exactly the probability `conformal_threshold` gives."""
    first, end = schedule.training_windows(block_start)
    count = (end - first) // CALIBRATION_SHARE // schedule.window
    calibration = [block_start - schedule.window * step for step in range(count, 0, -1)]
    fit_end = (calibration[0] if calibration else end) - schedule.window + 1
    return calibration, first, fit_end


def _scores(model: Any, detector: Detector, rows: np.ndarray) -> np.ndarray:
    if detector.scores_rows_apart:
        return np.asarray(model.decision_function(rows), dtype=np.float64)
    return np.asarray([model.decision_function(row[np.newaxis, :])[0] for row in rows], dtype=np.float64)


def score_block(detector: Detector, windows: np.ndarray, schedule: Schedule, start: int, end: int) -> ScoredBlock:
    """Fit on the windows ending before `start`, score the windows ending at start..end-1 (`calibration_split`
    says how an outlier detector's windows are split: a threshold taken from windows the fit has seen, or from
    overlapping windows, is too low for new windows and flags more than chance)."""
    first, last = schedule.training_windows(start)
    offset = schedule.window - 1  # windows[i] ends at draw index i + offset
    scored = windows[start - offset : end - offset]
    model = _build(detector)
    if detector.key == REGIME:
        train = windows[first - offset : last - offset]
        train_features, scored_features = window_shape_features(train), window_shape_features(scored)
        centre, spread = train_features.mean(axis=0), train_features.std(axis=0)
        spread[spread == 0] = 1.0
        model.fit((train_features - centre) / spread)
        labels = model.predict((scored_features - centre) / spread)
        rank = np.argsort(np.argsort(model.cluster_centers_[:, 0]))  # cluster -> 0-based rank of its mean
        return ScoredBlock(start, end, None, None, None, rank[labels] + 1, None, last - 1, len(train))
    calibration_ends, fit_first, fit_end = calibration_split(start, schedule)
    model.fit(windows[fit_first - offset : fit_end - offset])
    calibration = np.sort(_scores(model, detector, windows[np.asarray(calibration_ends) - offset]))
    raw = _scores(model, detector, scored)
    threshold, chance = conformal_threshold(calibration, detector.contamination)
    share = np.searchsorted(calibration, raw, side="left") / len(calibration)
    flagged = (raw > threshold).astype(np.int32)
    return ScoredBlock(start, end, raw, share, flagged, None, chance, last - 1, last - first)


# --- one series ---


@dataclass
class SeriesWork:
    unique_id: str
    draws: np.ndarray  # ds of every draw, in order
    values: np.ndarray
    hashes: list[str]
    todo_from: dict[str, int] = field(default_factory=dict)  # detector -> first draw index to (re)compute


def series_rows(
    game_code: str, work: SeriesWork, detector: Detector, schedule: Schedule, version: str, created_at: datetime
) -> list[dict[str, Any]]:
    """The rows of draws todo_from[detector].. of one series: warm-up rows, then scored blocks."""
    start = work.todo_from.get(detector.key)
    if start is None:
        return []
    length = len(work.values)
    arguments = detector.args_json(schedule)
    common = {
        "game_code": game_code,
        "unique_id": work.unique_id,
        "detector": detector.key,
        "detector_class": detector.class_path,
        "detector_args": arguments,
        "library_version": version,
        "window_draws": schedule.window,
        "contamination": detector.contamination,
        "created_at": created_at,
    }
    rows = []
    is_regime = detector.key == REGIME
    for index in range(start, min(schedule.first_scored, length)):
        rows.append(
            {
                **common,
                "ds": int(work.draws[index]),
                "warmup": True,
                "anomaly_score": None if is_regime else 0.5,
                "chance_flag_rate": None,
                "raw_score": None,
                "flagged": None if is_regime else 0,
                "regime": 0 if is_regime else None,
                "fitted_through_ds": None,
                "train_windows": 0,
                "history_hash": work.hashes[index],
            }
        )
    windows = trailing_windows(work.values, schedule.window) if length >= schedule.window else None
    for block_start, block_end in schedule.blocks(length):
        if block_end <= start:
            continue
        block = score_block(detector, windows, schedule, block_start, block_end)
        for position, index in enumerate(range(block_start, block_end)):
            if index < start:
                continue
            rows.append(
                {
                    **common,
                    "ds": int(work.draws[index]),
                    "warmup": False,
                    "anomaly_score": None if is_regime else float(block.anomaly_score[position]),
                    "raw_score": None if is_regime else float(block.raw_score[position]),
                    "chance_flag_rate": block.chance_flag_rate,
                    "flagged": None if is_regime else int(block.flagged[position]),
                    "regime": int(block.regime[position]) if is_regime else None,
                    "fitted_through_ds": int(work.draws[block.fitted_through]),
                    "train_windows": block.train_windows,
                    "history_hash": work.hashes[index],
                }
            )
    return rows


Stored = dict[tuple[str, str], dict[int, tuple[str, str, str]]]


def plan_series(work: SeriesWork, stored: Stored, detectors: Sequence[Detector], schedule: Schedule) -> SeriesWork:
    """Set work.todo_from per detector: the first draw whose stored row is missing or differs (history,
    arguments or library version); a detector with nothing to do and no stored row of a gone draw is left out."""
    for detector in detectors:
        configuration = detector.configuration(schedule)
        rows = stored.get((detector.key, work.unique_id), {})
        first = len(work.draws)
        for index, ds in enumerate(work.draws):
            if rows.get(int(ds)) != (work.hashes[index], *configuration):
                first = index
                break
        current = {int(ds) for ds in work.draws}
        if first < len(work.draws) or any(ds not in current for ds in rows):
            work.todo_from[detector.key] = first
    return work


# --- the results ---


@dataclass
class GameAnomalies:
    game_code: str
    draws: int  # series draws of the game (per detector)
    computed: int  # rows written by this run
    reused: int  # rows still valid in the cache
    rows_deleted: int
    flagged: dict[str, int]  # detector -> flags among the rows written
    seconds: float

    def summary(self) -> str:
        rate = f" ({self.computed / self.seconds:,.0f} rows/s)" if self.computed and self.seconds > 0 else ""
        flags = ", ".join(f"{key} flagged {count:,}" for key, count in self.flagged.items()) if self.computed else ""
        return (
            f"{self.game_code}: {self.draws:,} series draws per detector, {self.computed:,} rows computed, "
            f"{self.reused:,} reused from the cache{', ' + flags if flags else ''} in {self.seconds:.1f}s{rate}"
        )


@dataclass
class AnomalyReport:
    detectors: list[Detector]
    schedule: Schedule
    games: list[GameAnomalies] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def computed(self) -> int:
        return sum(game.computed for game in self.games)

    @property
    def reused(self) -> int:
        return sum(game.reused for game in self.games)

    @property
    def changed(self) -> bool:
        return any(game.computed or game.rows_deleted for game in self.games)

    def summary(self) -> str:
        names = ", ".join(detector.key for detector in self.detectors)
        return (
            f"anomaly features ({names}; window {self.schedule.window}, refit every {self.schedule.refit_every} "
            f"draws): {self.computed:,} rows computed, {self.reused:,} reused, {self.seconds:.1f}s"
        )


# --- the warehouse ---


def read_series(game_code: str) -> Any:
    with db.connect(read_only=True) as warehouse:
        if not warehouse.table_exists("marts", "fct_series_long"):
            raise NotFoundError("the marts are not built yet: run `fcast build` (or `fcast main`) before scoring")
        return warehouse.fetch_frame(
            "select unique_id, ds, y from marts.fct_series_long where game_code = ? order by unique_id, ds",
            (game_code,),
        )


def read_stored(game_code: str) -> Stored:
    """(detector, unique_id) -> {ds: (history_hash, detector_args, library_version)} of the game's stored rows."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select detector, unique_id, ds, history_hash, detector_args, library_version "
            f"from {FEATURE_ANOMALIES.qualified_name} where game_code = ?",
            (game_code,),
        )
    stored: Stored = {}
    for detector, unique_id, ds, digest, arguments, version in rows:
        stored.setdefault((detector, unique_id), {})[int(ds)] = (digest, arguments, version)
    return stored


def replace_rows(game_code: str, works: Sequence[SeriesWork], detectors: Sequence[Detector], frame: Any) -> int:
    """Delete the stored rows this run recomputes or whose draws are gone, insert the new; returns rows deleted.
    Rows of detectors this run did not ask for are left as they are."""
    table = FEATURE_ANOMALIES.qualified_name
    with db.connect() as warehouse:
        before = warehouse.fetchall(f"select count(*) from {table} where game_code = ?", (game_code,))[0][0]
        for work in works:
            for detector in detectors:
                if detector.key not in work.todo_from:
                    continue
                first = work.todo_from[detector.key]
                warehouse.execute(
                    f"delete from {table} where detector = ? and unique_id = ? and ds >= ?",
                    (detector.key, work.unique_id, int(work.draws[first]) if first < len(work.draws) else 2**62),
                )
                present = [int(ds) for ds in work.draws]
                warehouse.execute(
                    f"delete from {table} where detector = ? and unique_id = ? and (ds > ? or ds < ?)",
                    (detector.key, work.unique_id, max(present, default=0), min(present, default=0)),
                )
        after = warehouse.fetchall(f"select count(*) from {table} where game_code = ?", (game_code,))[0][0]
        for start in range(0, len(frame), INSERT_CHUNK):
            warehouse.insert_rows(FEATURE_ANOMALIES, frame.iloc[start : start + INSERT_CHUNK])
    return int(before - after)


def score_game(
    game_code: str, detectors: Sequence[Detector], schedule: Schedule, progress: Progress = _quiet
) -> GameAnomalies:
    import pandas as pd

    started = time.perf_counter()
    series = read_series(game_code)
    stored = read_stored(game_code)
    works = [
        plan_series(
            SeriesWork(
                str(unique_id),
                group["ds"].to_numpy(dtype=np.int64),
                group["y"].to_numpy(dtype=np.float64),
                history_hashes(group["y"].to_numpy(dtype=np.float64)),
            ),
            stored,
            detectors,
            schedule,
        )
        for unique_id, group in series.groupby("unique_id", sort=True)
    ]
    total = sum(len(work.draws) for work in works)
    todo = sum(len(work.draws) - first for work in works for first in work.todo_from.values())
    progress(
        f"{game_code}: {len(works)} series, {total:,} draws, {todo:,} rows to compute over {len(detectors)} detectors"
    )
    created_at = datetime.now(UTC).replace(tzinfo=None)
    rows: list[dict[str, Any]] = []
    for number, work in enumerate(works, start=1):
        for detector in detectors:
            rows += series_rows(game_code, work, detector, schedule, detector.library_version(), created_at)
        if work.todo_from:
            progress(f"  {game_code}: {number}/{len(works)} series scored ({work.unique_id})")
    frame = pd.DataFrame(rows, columns=[column.name for column in FEATURE_ANOMALIES.columns])
    nullable_integers = ["flagged", "regime", "fitted_through_ds"]  # integers beside nulls, not floats (PostgreSQL)
    frame[nullable_integers] = frame[nullable_integers].astype("Int64")
    deleted = replace_rows(game_code, works, detectors, frame) if any(work.todo_from for work in works) else 0
    flagged = {
        detector.key: int(frame.loc[frame["detector"] == detector.key, "flagged"].fillna(0).sum())
        for detector in detectors
        if detector.key != REGIME
    }
    stored_rows = sum(len(rows_of) for rows_of in stored.values())
    return GameAnomalies(
        game_code,
        total,
        len(frame),
        max(stored_rows - deleted, 0),
        deleted,
        flagged,
        time.perf_counter() - started,
    )


def anomaly_detectors(
    detectors: Sequence[str] = (), contamination: float = 0.05, regimes: int = 3, schedule: Schedule | None = None
) -> list[Detector]:
    """The detectors of a run: the outlier detectors asked (default: the dbt var anomaly_detectors) and the regime."""
    from fcast.features import anomaly_columns

    schedule = schedule or Schedule()
    declared = anomaly_columns().detectors
    keys = [key.lower() for key in detectors] or list(declared)
    undeclared = [key for key in keys if key not in declared]
    if undeclared:
        raise AnomalyError(
            f"{', '.join(undeclared)} has no hist_anom_ columns: use one of {', '.join(declared)}; a new detector "
            "needs its key in vars.anomaly_detectors of dbt_project.yml and its columns in "
            "models/marts/forecasting/_forecasting__models.yml"
        )
    return [outlier_detector(key, contamination, schedule.seed) for key in keys] + [
        regime_detector(regimes, schedule.seed)
    ]


def recorded_settings(rows: Sequence[tuple[str, str, float | None]]) -> dict[str, Any]:
    """The `score_games` arguments that computed stored rows, from their (detector, detector_args, contamination):
    what recomputes a game's anomaly features for new draws with the configuration already stored."""
    from dataclasses import fields

    outliers = {str(detector): (json.loads(arguments), contamination) for detector, arguments, contamination in rows}
    regime_arguments = outliers.pop(REGIME, (None, None))[0]
    contaminations = {float(contamination) for _, contamination in outliers.values() if contamination is not None}
    if len(contaminations) > 1:
        raise AnomalyError(
            f"the stored anomaly features were computed with contaminations {sorted(contaminations)}: recompute "
            "them with one `fcast features anomaly --contamination X`"
        )
    arguments = next(iter(outliers.values()), (regime_arguments, None))[0] or {}
    schedule = Schedule(**{item.name: arguments[item.name] for item in fields(Schedule) if item.name in arguments})
    return {
        "detectors": sorted(outliers),
        "contamination": contaminations.pop() if contaminations else 0.05,
        "regimes": int((regime_arguments or {}).get("n_clusters", 3)),
        "schedule": schedule,
    }


def stored_settings(game_code: str) -> dict[str, Any] | None:
    """`recorded_settings` of a game's stored anomaly features; None when none are stored."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            f"select distinct detector, detector_args, contamination from {FEATURE_ANOMALIES.qualified_name} "
            "where game_code = ?",
            (game_code,),
        )
    return recorded_settings(rows) if rows else None


def score_games(
    games: Sequence[str] = (),
    detectors: Sequence[str] = (),
    contamination: float = 0.05,
    regimes: int = 3,
    schedule: Schedule | None = None,
    progress: Progress = _quiet,
) -> AnomalyReport:
    """Score every series of the games (all of them when empty), computing only what the cache lacks."""
    from fcast.games import get_game, load_games

    started = time.perf_counter()
    schedule = schedule or Schedule()
    chosen = anomaly_detectors(detectors, contamination, regimes, schedule)
    codes = [get_game(code).code for code in games] if games else list(load_games())
    report = AnomalyReport(chosen, schedule)
    progress(
        f"anomaly features of {', '.join(codes)}: "
        + ", ".join(f"{detector.key} ({detector.class_path}, {detector.library_version()})" for detector in chosen)
        + f"; window {schedule.window} draws, refit every {schedule.refit_every}, first fit after "
        f"{schedule.min_train_windows} windows"
    )
    for code in codes:
        report.games.append(score_game(code, chosen, schedule, progress))
        progress(f"  {report.games[-1].summary()}")
    report.seconds = time.perf_counter() - started
    return report
