"""A dataset's time axis: frequency inference (with gaps), the stored integer index and back, season lengths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fcast.time_axis import (
    TimeAxis,
    TimeAxisError,
    from_row,
    infer_date_freq,
    season_length_of,
)

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("freq", "start"),
    [
        ("ME", "1949-01-31"),
        ("MS", "2020-01-01"),
        ("W-SUN", "2024-01-07"),
        ("W-SAT", "1958-03-29"),
        ("D", "2024-02-27"),
        ("h", "2024-03-30 22:00"),
        ("QS-OCT", "1959-01-01"),
        ("YS", "1935-01-01"),
        ("B", "2024-01-05"),
        ("15min", "2024-01-01 23:30"),
    ],
)
def test_dates_map_to_their_grid_position_and_back_for_every_frequency(freq, start):
    dates = pd.date_range(start, periods=40, freq=freq)
    axis = TimeAxis.dates(freq, dates[0])
    index = axis.index_of(dates)
    assert index.tolist() == list(range(1, 41))
    assert axis.times_of(index).equals(pd.DatetimeIndex(dates, freq=None))
    earlier = pd.date_range(end=dates[0], periods=4, freq=freq)[:-1]  # before the origin: 0, -1, -2
    assert axis.index_of(earlier).tolist() == [-2, -1, 0]
    assert axis.times_of([-2, -1, 0]).equals(pd.DatetimeIndex(earlier, freq=None))


def test_a_date_off_the_grid_is_named():
    axis = TimeAxis.dates("ME", "1949-01-31")
    assert axis.on_grid(pd.to_datetime(["1949-02-28", "1949-02-15"])).tolist() == [True, False]
    with pytest.raises(TimeAxisError, match="1949-02-15"):
        axis.index_of(pd.to_datetime(["1949-02-28", "1949-02-15"]))


def test_an_origin_off_the_frequency_is_refused():
    with pytest.raises(TimeAxisError, match="not on the W-SUN grid"):
        TimeAxis.dates("W-SUN", "2024-01-01")  # a Monday


@pytest.mark.parametrize(
    ("freq", "start", "drop"),
    [
        ("D", "2023-12-20", [5]),  # a daily panel with one missing day
        ("ME", "1949-01-31", [3, 30, 31]),
        ("W-SAT", "1958-03-29", [2, 10, 11, 12]),
        ("h", "2024-01-01", [7]),
        ("MS", "2001-01-01", []),
    ],
)
def test_frequency_inference_sees_through_gaps(freq, start, drop):
    dates = pd.Series(pd.date_range(start, periods=60, freq=freq)).drop(drop)
    other_series = pd.Series(pd.date_range(start, periods=30, freq=freq)).drop([1])
    assert infer_date_freq([dates, other_series]) == freq


def test_no_frequency_is_inferred_from_random_dates():
    rng = np.random.default_rng(1)
    dates = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(np.sort(rng.choice(400, 30, False)), unit="D"))
    assert infer_date_freq([dates]) is None


@pytest.mark.parametrize(
    ("freq", "season"),
    [("ME", 12), ("MS", 12), ("QS-OCT", 4), ("W-SUN", 52), ("D", 7), ("B", 5), ("h", 24), ("15min", 96), ("YS", 1)],
)
def test_season_lengths_follow_the_frequency(freq, season):
    assert season_length_of(freq) == season
    assert TimeAxis.dates(freq, pd.date_range("2024-01-01", periods=1, freq=freq)[0]).season_length == season


def test_a_plan_freq_is_accepted_only_when_it_describes_the_same_grid():
    monthly = TimeAxis.dates("ME", "1949-01-31")
    assert monthly.describes_same_grid("ME") and monthly.describes_same_grid("M")
    assert not monthly.describes_same_grid("MS") and not monthly.describes_same_grid(1)
    weekly = TimeAxis.dates("W-SUN", "2024-01-07")
    assert weekly.describes_same_grid("7D") and not weekly.describes_same_grid("W-MON")
    assert TimeAxis.draw_numbers().describes_same_grid(1) and not TimeAxis.draw_numbers().describes_same_grid("D")
    assert TimeAxis.integers(5).describes_same_grid("5") and not TimeAxis.integers(5).describes_same_grid(1)


def test_axes_come_back_from_their_stored_description():
    assert from_row("draw_number", "1", None, 1).nf_freq == 1
    assert from_row("integer", "5", None, None).nf_freq == 5
    monthly = from_row("date", "ME", "1949-01-31", 12)
    assert monthly.nf_freq == "ME" and monthly.label(13) == "1950-01-31"
    with pytest.raises(TimeAxisError, match="no frequency is recorded"):
        from_row("date", None, None, 1)
