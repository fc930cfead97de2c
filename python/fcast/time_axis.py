"""A dataset's time axis: how its `ds` values are spaced, and the integer index fcast stores beside them.

Three kinds of axis:
- `draw_number` (the lottery games): `ds` is the draw number, `freq=1` (the draw calendar is irregular);
- `integer` (a panel whose ds column holds integers): `freq` is the constant integer step;
- `date` (a panel whose ds column holds dates or timestamps): `freq` is a pandas frequency (`D`, `W-SUN`,
  `ME`, `MS`, `QS-OCT`, `h`, ...), inferred at ingest or declared, and neuralforecast trains on the dates.

Every table keeps an integer `ds` so forecasts, actuals and baselines join the same way for every
dataset: for a date axis it is the position on the dataset's grid (`origin` is 1, the next period 2,
...), and the timestamp travels beside it as `ds_time`.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcast.errors import FcastError

DRAW_NUMBER, INTEGER, DATE = "draw_number", "integer", "date"
TIME_KINDS = (DRAW_NUMBER, INTEGER, DATE)

# Periods in the natural cycle of each frequency family (the season length of seasonal naive).
_CYCLE_OF_FAMILY = {"B": 5, "D": 7, "W": 52, "SM": 24, "SMS": 24, "M": 12, "ME": 12, "MS": 12, "BME": 12, "BMS": 12}
_CYCLE_OF_FAMILY.update({"Q": 4, "QE": 4, "QS": 4, "BQE": 4, "BQS": 4, "Y": 1, "YE": 1, "YS": 1, "A": 1, "AS": 1})
_SUB_DAILY_UNITS = {"h": 3600, "min": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


class TimeAxisError(FcastError, ValueError):
    """A frequency that pandas does not know, or a timestamp that is not on the dataset's grid."""


def _offset(freq: str):
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError) as error:
        raise TimeAxisError(
            f"{freq!r} is not a pandas frequency (examples: D, W-SUN, MS, ME, QS, YS, h, 15min)"
        ) from error


def is_integer_freq(freq: object) -> bool:
    if isinstance(freq, bool):
        return False
    if isinstance(freq, int | np.integer):
        return True
    return isinstance(freq, str) and freq.strip().lstrip("+").isdigit()


def season_length_of(freq: str) -> int:
    """The periods of one natural cycle: 12 for monthly, 4 quarterly, 52 weekly, 7 daily, 24 hourly, 1 yearly."""
    if is_integer_freq(freq):
        return 1
    offset = _offset(freq)
    family = offset.rule_code.split("-")[0]
    if family in _SUB_DAILY_UNITS:
        seconds = _SUB_DAILY_UNITS[family] * offset.n
        per_day = 86400 / seconds
        return int(per_day) if per_day >= 1 and float(per_day).is_integer() else 1
    cycle = _CYCLE_OF_FAMILY.get(family, 1)
    return cycle // offset.n if offset.n and cycle % offset.n == 0 else 1


def _infer(timestamps: pd.DatetimeIndex) -> str | None:
    if len(timestamps) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.infer_freq(timestamps)


def infer_date_freq(series: Iterable[pd.Series], sample: int = 50, windows_per_series: int = 40) -> str | None:
    """The pandas frequency of a panel's dates, even when some series have gaps.

    In order, until one answers: each whole series (pandas' `infer_freq`, on an even sample of at most
    `sample` series); the union of every series' dates (a gap in one series is rarely a gap in all); the
    most common frequency of runs of four consecutive dates, which a few missing periods cannot outvote.
    """
    stamps = [pd.DatetimeIndex(sorted(pd.to_datetime(values).unique())) for values in series]
    chosen = (
        stamps if len(stamps) <= sample else [stamps[i] for i in np.linspace(0, len(stamps) - 1, sample, dtype=int)]
    )
    whole = Counter(found for found in map(_infer, chosen) if found)
    if whole:
        return whole.most_common(1)[0][0]
    union = _infer(pd.DatetimeIndex(sorted(set().union(*map(set, stamps))))) if stamps else None
    if union:
        return union
    windows = Counter()
    for dates in chosen:
        step = max(1, (len(dates) - 3) // windows_per_series)
        for start in range(0, len(dates) - 3, step):
            found = _infer(dates[start : start + 4])
            if found:
                windows[found] += 1
    return windows.most_common(1)[0][0] if windows else None


@dataclass(frozen=True)
class TimeAxis:
    kind: str
    freq: str  # "1" (or another integer step) for draw numbers and integer panels, else a pandas alias
    origin: pd.Timestamp | None = None  # date axes: the timestamp of index 1
    season_length: int = 1

    @classmethod
    def draw_numbers(cls) -> TimeAxis:
        return cls(DRAW_NUMBER, "1")

    @classmethod
    def integers(cls, step: int = 1, season_length: int = 1) -> TimeAxis:
        return cls(INTEGER, str(int(step)), None, season_length)

    @classmethod
    def dates(cls, freq: str, origin, season_length: int | None = None) -> TimeAxis:
        _offset(freq)
        origin = pd.Timestamp(origin)
        axis = cls(DATE, freq, origin, season_length or season_length_of(freq))
        if axis.grid(1)[0] != origin:
            raise TimeAxisError(f"{origin} is not on the {freq} grid ({freq} would start at {axis.grid(1)[0]})")
        return axis

    @property
    def is_date(self) -> bool:
        return self.kind == DATE

    @property
    def nf_freq(self) -> int | str:
        """What NeuralForecast(freq=...) takes for this axis."""
        return self.freq if self.is_date else int(self.freq)

    def grid(self, periods: int, start: pd.Timestamp | None = None) -> pd.DatetimeIndex:
        return pd.date_range(start=start if start is not None else self.origin, periods=periods, freq=self.freq)

    def describe(self) -> str:
        if self.kind == DRAW_NUMBER:
            return "draw numbers (freq 1)"
        if self.kind == INTEGER:
            return f"integers in steps of {self.freq} (freq {self.freq})"
        return f"dates at frequency {self.freq} from {self.origin:%Y-%m-%d %H:%M}".removesuffix(" 00:00")

    # --- timestamps <-> the stored integer index ---------------------------------------------------------

    def _span(self, first: pd.Timestamp, last: pd.Timestamp) -> tuple[pd.DatetimeIndex, int]:
        """The grid from before `first` to after `last`, and the position of the origin in it."""
        assert self.origin is not None
        before = pd.DatetimeIndex([])
        if first < self.origin:
            before = pd.date_range(start=first, end=self.origin, freq=self.freq)
            before = pd.date_range(end=self.origin, periods=len(before) + 1, freq=self.freq)[:-1]
        after = pd.date_range(start=self.origin, end=max(last, self.origin), freq=self.freq)
        return before.append(after), len(before)

    def index_of(self, times) -> np.ndarray:
        """The stored integer index of each value (dates to grid positions); TimeAxisError names the off-grid ones."""
        if not self.is_date:
            return np.asarray(times, dtype="int64")
        stamps = pd.DatetimeIndex(pd.to_datetime(times))
        if len(stamps) == 0:
            return np.array([], dtype="int64")
        grid, origin_at = self._span(stamps.min(), stamps.max())
        positions = grid.get_indexer(stamps)
        if (positions < 0).any():
            off = sorted({str(stamp) for stamp in stamps[positions < 0]})
            raise TimeAxisError(
                f"{len(off)} timestamp(s) are not on the {self.freq} grid from {self.origin}: {', '.join(off[:5])}"
            )
        return (positions - origin_at + 1).astype("int64")

    def on_grid(self, times) -> np.ndarray:
        """True for each timestamp that lies on the grid."""
        stamps = pd.DatetimeIndex(pd.to_datetime(times))
        if len(stamps) == 0:
            return np.array([], dtype=bool)
        grid, _ = self._span(stamps.min(), stamps.max())
        return grid.get_indexer(stamps) >= 0

    def times_of(self, index) -> pd.DatetimeIndex:
        """The timestamps of stored integer indexes (date axes only)."""
        assert self.is_date, "only a date axis has timestamps"
        index = np.asarray(index, dtype="int64")
        if len(index) == 0:
            return pd.DatetimeIndex([])
        low, high = int(index.min()), int(index.max())
        start = self.origin if low >= 1 else pd.date_range(end=self.origin, periods=2 - low, freq=self.freq)[0]
        first_index = min(low, 1)
        grid = pd.date_range(start=start, periods=high - first_index + 1, freq=self.freq)
        return pd.DatetimeIndex(grid[index - first_index])

    def label(self, index: int) -> str:
        """One index as people read it: a date for date axes, the number otherwise."""
        if not self.is_date:
            return str(index)
        stamp = self.times_of([index])[0]
        return f"{stamp:%Y-%m-%d %H:%M}".removesuffix(" 00:00")

    def describes_same_grid(self, freq: object) -> bool:
        """Whether a plan's `freq` puts timestamps where this axis does (ME and M, 7D and W-<day>, 1 and '1')."""
        if not self.is_date:
            return is_integer_freq(freq) and int(freq) == int(self.freq)
        if is_integer_freq(freq) or not isinstance(freq, str):
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # 'M' for 'ME' and the like: the same grid
                other = pd.date_range(start=self.origin, periods=60, freq=freq)
        except (ValueError, TypeError):
            return False
        return other.equals(self.grid(60))


def from_row(kind: str | None, freq: str | None, origin, season_length: int | None) -> TimeAxis:
    """A dataset's axis from its stored description (marts.mart_datasets, raw.panel_datasets)."""
    if kind == DATE:
        if not freq:
            raise TimeAxisError("the dataset holds dates but no frequency is recorded: ingest it again")
        return TimeAxis(DATE, freq, pd.Timestamp(origin), int(season_length or season_length_of(freq)))
    if kind == INTEGER:
        return TimeAxis.integers(int(freq or 1), int(season_length or 1))
    return TimeAxis.draw_numbers()
