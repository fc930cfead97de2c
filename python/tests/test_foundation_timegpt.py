"""TimeGPT through fcast's own REST client, against a local server that speaks the API (nixtla 0.9.0 shapes):
the requests it sends, the forecasts it reads back, fine-tuning, saving, and the errors a user sees."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from fcast.errors import ConfigurationError, FcastError
from fcast.library.foundation import adapter_class, timegpt
from fcast.library.foundation.forecaster import FoundationForecast
from fcast.library.foundation.timegpt import (
    TimeGPT,
    TimeGPTApiError,
    TimeGPTArgumentError,
    TimeGPTKeyMissingError,
    api_key_problem,
)

from .timegpt_server import HORIZON, INPUT_SIZE, TimeGPTServer, expected_bounds, expected_mean, timegpt_api

pytestmark = pytest.mark.fast

LENGTH = 30
KEY = "fcast-test-key"
FORECAST_FIELDS = {
    "series",
    "model",
    "h",
    "freq",
    "clean_ex_first",
    "level",
    "finetune_steps",
    "finetune_depth",
    "finetune_loss",
    "finetuned_model_id",
    "feature_contributions",
    "multivariate",
}


def draws() -> pd.DataFrame:
    """Two series indexed by draw number (integer ds), with different levels and slopes."""
    ds = np.arange(1, LENGTH + 1)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], LENGTH),
            "ds": np.concatenate([ds, ds]),
            "y": np.concatenate([np.arange(LENGTH) * 1.5, 100 - np.arange(LENGTH) * 2.0]),
        }
    )


def values_of(frame: pd.DataFrame, unique_id: str) -> np.ndarray:
    return frame.loc[frame["unique_id"] == unique_id, "y"].to_numpy(dtype=np.float32)


def sent_series(record) -> list[np.ndarray]:
    series = record.body["series"]
    return np.split(np.asarray(series["y"], dtype=np.float32), np.cumsum(series["sizes"])[:-1])


@pytest.fixture
def api() -> Iterator[TimeGPTServer]:
    with timegpt_api(api_key=KEY) as server:
        yield server


def test_cross_validation_sends_every_window_in_one_request_and_reads_the_answer_back(api):
    df = draws()
    cv = FoundationForecast([TimeGPT(h=2)], freq=1).cross_validation(df, n_windows=3, step_size=1, level=[80])

    assert [r.path for r in api.requests] == ["/model_params", "/v2/forecast"]
    assert api.requests[0].query == {"model": "timegpt-1", "freq": "MS"}  # integer ds: the client's "MS"
    body = api.calls("v2/forecast")[0].body
    keep = 3 * INPUT_SIZE + max(HORIZON, 2)  # intervals asked: the client sends 3 inputs and a horizon
    ends = [LENGTH - 4, LENGTH - 3, LENGTH - 2]  # the first tested position of each window
    windows = [values_of(df, uid)[:end][-keep:] for uid in ("a", "b") for end in ends]
    assert body["series"]["sizes"] == [len(w) for w in windows] == [26, 27, 28] * 2
    for sent, window in zip(sent_series(api.calls("v2/forecast")[0]), windows, strict=True):
        np.testing.assert_array_equal(sent, window)
    assert (body["h"], body["freq"], body["level"], body["model"]) == (2, "MS", [80], "timegpt-1")

    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "TimeGPT", "TimeGPT-lo-80", "TimeGPT-hi-80"]
    means = np.concatenate([expected_mean(window, 2) for window in windows])
    np.testing.assert_allclose(cv["TimeGPT"], means, rtol=1e-6)
    lows, highs = zip(*(expected_bounds(expected_mean(w, 2), 80) for w in windows), strict=True)
    np.testing.assert_allclose(cv["TimeGPT-lo-80"], np.concatenate(lows), rtol=1e-6)
    np.testing.assert_allclose(cv["TimeGPT-hi-80"], np.concatenate(highs), rtol=1e-6)
    assert cv["cutoff"].tolist() == [end for _ in "ab" for end in ends for _ in range(2)]
    assert cv["ds"].tolist() == [end + 1 + step for _ in "ab" for end in ends for step in range(2)]
    np.testing.assert_array_equal(
        cv["y"], [values_of(df, uid)[end + step] for uid in "ab" for end in ends for step in (0, 1)]
    )


def test_the_request_has_the_clients_fields_headers_and_key(api):
    forecaster = FoundationForecast([TimeGPT(h=2)], freq=1).fit(draws())
    forecaster.predict()
    forecaster.predict(level=[80])

    assert len(api.calls("model_params")) == 1, "model params are asked once per model and freq"
    first, second = api.calls("v2/forecast")
    assert set(first.body) == FORECAST_FIELDS
    assert set(first.body["series"]) == {"y", "sizes", "X", "X_future"}
    assert first.body["series"]["X"] is None and first.body["series"]["X_future"] is None
    assert first.body["clean_ex_first"] is True and first.body["finetune_steps"] == 0
    assert first.body["finetuned_model_id"] is None and first.body["multivariate"] is False
    assert first.body["level"] is None, "no interval asked: the median is the mean"
    assert first.body["series"]["sizes"] == [INPUT_SIZE, INPUT_SIZE], "no intervals: only input_size is sent"
    assert second.body["series"]["sizes"] == [3 * INPUT_SIZE + HORIZON] * 2
    for record in api.requests:
        assert record.headers["authorization"] == f"Bearer {KEY}"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["nixtla-model"] == "timegpt-1"


def test_fit_then_predict_with_levels_and_quantiles(api):
    df = draws()
    forecaster = FoundationForecast([TimeGPT(h=2, alias="gpt")], freq=1).fit(df)
    frame = forecaster.predict(level=[80], quantiles=[0.05, 0.5, 0.95])

    body = api.calls("v2/forecast")[0].body
    assert body["level"] == [80, 90], "quantiles 0.05 and 0.95 are asked as the 90% interval"
    assert frame["ds"].tolist() == [31, 32, 31, 32]
    tails = [values_of(df, uid)[-(3 * INPUT_SIZE + HORIZON) :] for uid in "ab"]
    means = np.concatenate([expected_mean(t, 2) for t in tails])
    np.testing.assert_allclose(frame["gpt"], means, rtol=1e-6)
    np.testing.assert_allclose(frame["gpt_ql0.5"], frame["gpt"])
    for level, low, high in ((80, "gpt-lo-80", "gpt-hi-80"), (90, "gpt_ql0.05", "gpt_ql0.95")):
        lows, highs = zip(*(expected_bounds(expected_mean(t, 2), level) for t in tails), strict=True)
        np.testing.assert_allclose(frame[low], np.concatenate(lows), rtol=1e-6)
        np.testing.assert_allclose(frame[high], np.concatenate(highs), rtol=1e-6)


def test_a_shorter_context_length_cuts_what_is_sent(api):
    FoundationForecast([TimeGPT(h=2, context_length=5)], freq=1).fit(draws()).predict(level=[80])
    assert api.calls("v2/forecast")[0].body["series"]["sizes"] == [5, 5]


def test_missing_values_are_sent_as_null_as_the_client_sends_them(api):
    df = draws()
    df.loc[(df["unique_id"] == "a") & (df["ds"] == LENGTH - 4), "y"] = np.nan
    frame = FoundationForecast([TimeGPT(h=2)], freq=1).fit(df).predict()
    sent = api.calls("v2/forecast")[0].body["series"]["y"]
    assert sent[:INPUT_SIZE] == [*values_of(df, "a")[-INPUT_SIZE:-5].tolist(), None, *values_of(df, "a")[-4:].tolist()]
    assert np.isfinite(frame["TimeGPT"]).all()


def test_save_and_load_forecast_the_same(api, tmp_path):
    adapter = TimeGPT(h=2, model="timegpt-1-long-horizon", clean_ex_first=False, timeout_s=5, retry_interval_s=0)
    forecaster = FoundationForecast([adapter], freq=1).fit(draws())
    before = forecaster.predict(level=[80])
    forecaster.save(str(tmp_path / "saved"))

    loaded = FoundationForecast.load(str(tmp_path / "saved"))
    assert isinstance(loaded.adapter, TimeGPT)
    assert loaded.adapter.arguments() == adapter.arguments()
    after = loaded.predict(level=[80])

    pd.testing.assert_frame_equal(before, after)
    first, second = api.calls("v2/forecast")
    assert first.body == second.body
    assert second.body["model"] == "timegpt-1-long-horizon" and second.body["clean_ex_first"] is False


def test_fine_tuning_goes_through_the_api_and_its_model_survives_save_and_load(api, tmp_path):
    df = draws()
    adapter = TimeGPT(h=2, fine_tune_steps=5, finetune_depth=2, finetune_loss="mae")
    forecaster = FoundationForecast([adapter], freq=1).fit(df)

    (finetune,) = api.calls("v2/finetune")
    assert finetune.body["finetune_steps"] == 5 and finetune.body["finetune_depth"] == 2
    assert finetune.body["finetune_loss"] == "mae" and finetune.body["output_model_id"] is None
    assert finetune.body["series"]["sizes"] == [LENGTH, LENGTH]
    before = forecaster.predict()
    assert api.calls("v2/forecast")[0].body["finetuned_model_id"] == "ft-1"
    np.testing.assert_allclose(
        before["TimeGPT"][:2], expected_mean(values_of(df, "a")[-INPUT_SIZE:], 2, finetune_steps=5), rtol=1e-6
    )

    forecaster.save(str(tmp_path / "tuned"))
    loaded = FoundationForecast.load(str(tmp_path / "tuned"))
    shutil.rmtree(tmp_path / "tuned")  # a loaded model needs its folder no more (the store may hand a copy)
    pd.testing.assert_frame_equal(loaded.predict(), before)
    assert len(api.calls("v2/finetune")) == 1, "a loaded model is not fine-tuned again"
    assert api.calls("v2/forecast")[-1].body["finetuned_model_id"] == "ft-1"


def test_cross_validation_fine_tunes_on_the_draws_before_the_first_window_then_forgets_it(api):
    df = draws()
    forecaster = FoundationForecast([TimeGPT(h=2, fine_tune_steps=3)], freq=1)
    cv = forecaster.cross_validation(df, n_windows=3, step_size=1)

    (finetune,) = api.calls("v2/finetune")
    span = 2 + 2  # h + step_size * (n_windows - 1)
    assert finetune.body["series"]["sizes"] == [LENGTH - span] * 2 and finetune.body["finetuned_model_id"] is None
    assert api.calls("v2/forecast")[0].body["finetuned_model_id"] == "ft-1"
    first_window = values_of(df, "a")[: LENGTH - span][-INPUT_SIZE:]
    np.testing.assert_allclose(cv["TimeGPT"][:2], expected_mean(first_window, 2, finetune_steps=3), rtol=1e-6)
    assert forecaster.adapter.model.finetuned_model_id is None, "after cross-validation: the pre-trained model"

    forecaster.fit(df).predict()
    assert api.calls("v2/finetune")[-1].body["series"]["sizes"] == [LENGTH, LENGTH]
    assert api.calls("v2/forecast")[-1].body["finetuned_model_id"] == "ft-2"


def test_a_missing_key_says_to_set_nixtla_api_key_and_sends_nothing(api, monkeypatch):
    monkeypatch.setenv("NIXTLA_API_KEY", "")
    assert "NIXTLA_API_KEY" in api_key_problem()
    forecaster = FoundationForecast([TimeGPT(h=2)], freq=1).fit(draws())
    with pytest.raises(TimeGPTKeyMissingError, match="set NIXTLA_API_KEY") as raised:
        forecaster.predict()
    assert isinstance(raised.value, ConfigurationError) and isinstance(raised.value, FcastError)
    assert api.requests == []
    monkeypatch.setenv("NIXTLA_API_KEY", KEY)
    assert api_key_problem() == ""


def test_an_http_error_names_the_status_and_the_apis_detail_and_is_not_retried(api):
    api.fail(500, "the model server fell over")
    forecaster = FoundationForecast([TimeGPT(h=2, retry_interval_s=0)], freq=1).fit(draws())
    with pytest.raises(TimeGPTApiError, match=r"HTTP 500.*the model server fell over") as raised:
        forecaster.predict()
    assert isinstance(raised.value, FcastError) and raised.value.status == 500
    assert "/v2/forecast" in str(raised.value) and KEY not in str(raised.value)
    assert len(api.calls("v2/forecast")) == 1


def test_a_refused_key_is_a_401_with_the_apis_detail():
    with timegpt_api(api_key="wrong-key", server_key=KEY) as server:
        with pytest.raises(TimeGPTApiError, match=r"HTTP 401.*Invalid API key"):
            FoundationForecast([TimeGPT(h=2, retry_interval_s=0)], freq=1).fit(draws()).predict()
        assert len(server.requests) == 1, "a refused key is not retried"


def test_rate_limits_are_retried_and_retries_end(api):
    api.fail(429, "Too many requests", times=2)
    forecaster = FoundationForecast([TimeGPT(h=2, retry_interval_s=0)], freq=1).fit(draws())
    frame = forecaster.predict()
    assert len(api.calls("v2/forecast")) == 3 and len(frame) == 4

    api.fail(503, "maintenance", times=5)
    tired = FoundationForecast([TimeGPT(h=2, retry_interval_s=0, max_retries=2)], freq=1).fit(draws())
    with pytest.raises(TimeGPTApiError, match=r"HTTP 503 \(after 2 attempts\): maintenance"):
        tired.predict()


def test_an_unreachable_api_is_a_clear_error(monkeypatch):
    with TimeGPTServer(KEY) as server:
        url = server.url  # the port is free again once the server is gone
    monkeypatch.setenv("NIXTLA_API_KEY", KEY)
    monkeypatch.setenv("NIXTLA_BASE_URL", url)
    forecaster = FoundationForecast([TimeGPT(h=2, retry_interval_s=0, max_retries=2)], freq=1).fit(draws())
    with pytest.raises(TimeGPTApiError, match=r"could not be reached \(after 2 attempts\)"):
        forecaster.predict()


def test_a_body_over_the_limit_goes_as_partitions_of_whole_series(api, monkeypatch):
    df = draws()
    whole = FoundationForecast([TimeGPT(h=2)], freq=1).cross_validation(df, n_windows=3, level=[80])
    monkeypatch.setattr(timegpt, "MAX_BODY_BYTES", 1000)
    parted = FoundationForecast([TimeGPT(h=2)], freq=1).cross_validation(df, n_windows=3, level=[80])

    calls = api.calls("v2/forecast")
    assert len(calls) > 2
    assert [size for call in calls[1:] for size in call.body["series"]["sizes"]] == calls[0].body["series"]["sizes"]
    pd.testing.assert_frame_equal(whole, parted)


def test_an_azure_deployment_and_a_data_wrapped_answer():
    with timegpt_api(api_key=KEY, prefix="/models.ai.azure", wrap_data=True) as server:
        frame = FoundationForecast([TimeGPT(h=2)], freq=1).fit(draws()).predict(level=[80])
    params, forecast = server.requests
    assert (params.method, params.path, params.body) == (
        "POST",
        "/models.ai.azure/model_params",
        {"model": "azureai", "freq": "MS"},
    )
    assert forecast.path == "/models.ai.azure/v2/forecast" and forecast.body["model"] == "azureai"
    assert frame["TimeGPT-lo-80"].notna().all()


def test_the_adapter_is_registered_and_its_arguments_are_checked():
    assert adapter_class("TimeGPT") is TimeGPT
    capabilities = TimeGPT.CAPABILITIES
    assert not capabilities.needs_checkpoint and not capabilities.embeddings and capabilities.fine_tuning
    assert (capabilities.quantile_min, capabilities.quantile_max) == (0.01, 0.99)
    assert TimeGPT(h=1, freq="D").api_freq == "D" and TimeGPT(h=1).api_freq == "MS"
    with pytest.raises(NotImplementedError):
        TimeGPT(h=1).embed([np.arange(5.0)])
    with pytest.raises(TimeGPTArgumentError, match="finetune_depth"):
        TimeGPT(h=1, finetune_depth=7)
    unsaved = TimeGPT(h=1, checkpoint="/nonexistent/weights")  # constructing reads nothing, as for any adapter
    with pytest.raises(FcastError, match=r"no timegpt_finetuned\.json"):
        unsaved.saved_model_id()
