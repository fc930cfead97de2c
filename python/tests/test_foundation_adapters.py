"""The foundation-model adapters on tiny random checkpoints written from each library's own config class:
neuralforecast's rolling-origin windows with no look-ahead, the same answer after save and load, checkpoints
that are missing or changed, embeddings that do not depend on their batch, fine-tuning that leaves the
pre-trained weights alone."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from fcast.library.foundation import adapter_class
from fcast.library.foundation.base import interpolate_quantiles
from fcast.library.foundation.checkpoints import CheckpointChangedError, CheckpointMissingError
from fcast.library.foundation.forecaster import FoundationForecast, UnsupportedCall
from fcast.library.foundation.tiny import write_tiny_checkpoints

from .conftest import environment

pytestmark = pytest.mark.fast

LOCAL_MODELS = ("Chronos2", "ChronosBolt", "TimesFM")


@pytest.fixture(scope="module")
def tsfm_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("tsfm")
    write_tiny_checkpoints(home)
    with environment({"FCAST_TSFM_HOME": str(home)}):
        yield home


def draws(length: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.concat(
        pd.DataFrame({"unique_id": uid, "ds": np.arange(1, length + 1), "y": rng.integers(1, 44, length).astype(float)})
        for uid in ("loto6_N1", "loto6_N2")
    )


@pytest.mark.parametrize("model", LOCAL_MODELS)
def test_cross_validation_windows_follow_neuralforecast_and_see_only_their_past(tsfm_home, model):
    df = draws()
    forecaster = FoundationForecast([adapter_class(model)(h=2, context_length=32)], freq=1)
    cv = forecaster.cross_validation(df=df, n_windows=3, step_size=1, level=[80])
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", model, f"{model}-lo-80", f"{model}-hi-80"]
    # neuralforecast's rolling origin: the last h + step_size * (n_windows - 1) = 4 draws are tested
    assert sorted(cv["cutoff"].unique()) == [56, 57, 58]
    assert len(cv) == 2 * 3 * 2 and (cv["ds"] - cv["cutoff"]).between(1, 2).all()
    merged = cv.merge(df, on=["unique_id", "ds"], suffixes=("", "_actual"))
    assert (merged["y"] == merged["y_actual"]).all()
    for cutoff, window in cv.groupby("cutoff"):
        seen = FoundationForecast([adapter_class(model)(h=2, context_length=32)], freq=1)
        alone = seen.predict(df=df[df["ds"] <= cutoff], level=[80])
        assert np.allclose(window[model].to_numpy(), alone[model].to_numpy(), atol=1e-5), cutoff
        assert alone["ds"].tolist() == window["ds"].tolist()


@pytest.mark.parametrize("model", LOCAL_MODELS)
def test_a_saved_model_forecasts_the_same_and_refuses_changed_weights(tsfm_home, tmp_path, model):
    df = draws()
    forecaster = FoundationForecast([adapter_class(model)(h=1)], freq=1).fit(df=df)
    before = forecaster.predict(quantiles=[0.2, 0.5])
    assert before["ds"].tolist() == [61, 61] and f"{model}_ql0.2" in before.columns
    forecaster.save(str(tmp_path / "saved"))
    after = FoundationForecast.load(str(tmp_path / "saved")).predict(quantiles=[0.2, 0.5])
    pd.testing.assert_frame_equal(before, after)
    with pytest.raises(UnsupportedCall, match="no insample"):
        forecaster.predict_insample()
    checkpoint = tsfm_home / adapter_class(model).DEFAULT_CHECKPOINT
    copy = tmp_path / "weights_copy"
    shutil.copytree(checkpoint, copy)
    try:
        (checkpoint / "config.json").write_text((checkpoint / "config.json").read_text() + "\n")
        with pytest.raises(CheckpointChangedError, match="now holds other weights"):
            FoundationForecast.load(str(tmp_path / "saved"))
    finally:
        shutil.rmtree(checkpoint)
        shutil.copytree(copy, checkpoint)


def test_a_missing_checkpoint_says_where_fcast_looked_and_how_to_get_it(tmp_path):
    with environment({"FCAST_TSFM_HOME": str(tmp_path)}):
        adapter = adapter_class("Chronos2")(h=1)
        with pytest.raises(CheckpointMissingError) as raised:
            adapter.predict_windows([np.ones(10, dtype=np.float32)], 1, [0.5])
    message = str(raised.value)
    assert str(tmp_path / "chronos-2") in message and "hf download amazon/chronos-2" in message


@pytest.mark.parametrize("model", LOCAL_MODELS)
def test_embeddings_do_not_depend_on_the_batch_they_are_computed_in(tsfm_home, model):
    values = draws()["y"].to_numpy(dtype=np.float32)
    adapter = adapter_class(model)(h=1, context_length=24, batch_size=3)
    windows = [values[: end + 1] for end in range(5, 40)]  # short windows first, then full 24-draw windows
    together = adapter.embed(windows)
    assert together.shape == (len(windows), 32) and np.isfinite(together).all()
    for index in (0, 7, 30):
        assert np.allclose(adapter.embed([windows[index]])[0], together[index], atol=1e-5)


def test_fine_tuning_cross_validates_on_the_past_and_keeps_the_pretrained_weights(tsfm_home):
    df = draws(80)
    zero_shot = FoundationForecast([adapter_class("Chronos2")(h=1)], freq=1).cross_validation(df=df, n_windows=2)
    tuned = FoundationForecast([adapter_class("Chronos2")(h=1, fine_tune_steps=2)], freq=1)
    pretrained = tuned.adapter.model
    tuned_cv = tuned.cross_validation(df=df, n_windows=2)
    assert tuned.adapter.model is pretrained
    assert not np.allclose(tuned_cv["Chronos2"], zero_shot["Chronos2"])


def test_quantiles_between_grid_points_are_interpolated():
    grid = [0.1, 0.5, 0.9]
    values = np.array([[[1.0, 5.0, 9.0]]])
    found = interpolate_quantiles(values, grid, [0.05, 0.1, 0.3, 0.5, 0.8, 0.95])
    assert np.allclose(found, [[[1.0, 1.0, 3.0, 5.0, 8.0, 9.0]]])  # clipped at the grid's ends
