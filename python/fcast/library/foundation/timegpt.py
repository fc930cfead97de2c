"""TimeGPT (Nixtla's hosted API) through fcast's own small REST client: no `nixtla` package needed.

The official client cannot be installed beside fcast's pins (nixtla 0.9.0 wants pyarrow<24), so this
module speaks the API itself, with the request and response shapes of **nixtla 0.9.0** (its
`nixtla_client.py`, `_payloads.py`, `_preprocessing.py` and `_http.py`):

- every call: `Authorization: Bearer <NIXTLA_API_KEY>`, `Content-Type: application/json`, against
  `NIXTLA_BASE_URL` (default https://api.nixtla.io); a POST also sends the header `nixtla-model`.
- `GET /model_params?model=&freq=` answers `{"detail": {"input_size", "horizon"}}` (asked once per model
  and freq). Each series is then cut to its last `input_size` values, or `3 * input_size + max(horizon, h)`
  when intervals are asked (the client's `_restrict_input_samples`); an `h` past `horizon` is logged.
- `POST v2/forecast` with `{"series": {"y", "sizes", "X": null, "X_future": null}, "model", "h", "freq",
  "clean_ex_first", "level", "finetune_steps", "finetune_depth", "finetune_loss", "finetuned_model_id",
  "feature_contributions", "multivariate"}`: every series in one request, `y` the series one after the
  other and `sizes` their lengths. It answers `{"mean": [n*h], "intervals": {"lo-80": [n*h], "hi-80":
  [n*h], ...} or null}`, series after series (a body wrapped in `"data"` is unwrapped, as the client does).
- quantiles are asked as levels, as the client does: q -> `|100 - 200 q|` (a lower quantile is that level's
  `lo-`, an upper one its `hi-`), and 0.5 is the point forecast `mean` (the API gives no median).
- integer `ds` (draw numbers, fcast's `freq=1`) is sent as `freq="MS"` with no `start_datetime`: the
  client's `_standardize_freq` sends "MS" for any integer freq.
- fine-tuning: `POST v2/finetune` with `{"series": {"y", "sizes"}, "model", "freq", "finetune_steps",
  "finetune_depth", "finetune_loss", "output_model_id", "finetuned_model_id"}` answers
  `{"finetuned_model_id"}`; later forecasts name that id (the client's `finetune()` then
  `forecast(finetuned_model_id=...)`). The fine-tuned model is kept by Nixtla, on the key's account.
- errors: any status but 200/202 is an error whose JSON body's `detail` says why. HTTP 408, 409, 429,
  502, 503, 504 and connection failures or timeouts are retried: `max_retries` attempts in all,
  `retry_interval_s` apart, within `max_wait_s` (the client's defaults: 6, 10 s, 360 s).
- a body over 200 MB is split into partitions of whole series (the client's `num_partitions`).
- an Azure deployment (`ai.azure` in the base URL) is asked for model `azureai`, its params by POST.

Left out: zstd compression of bodies over 1 MB (an optimisation; plain JSON is accepted), exogenous
features, `add_history`, and the client's thread pool for partitions (they are sent one after another).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np
import requests

from fcast import settings
from fcast.errors import ConfigurationError, FcastError
from fcast.library.foundation.base import DEFAULT_BATCH_SIZE, BaseTSFMAdapter, Capabilities, Forecast
from fcast.library.foundation.checkpoints import CheckpointMissingError

log = logging.getLogger(__name__)

NIXTLA_CLIENT_VERSION = "0.9.0"  # the official client whose request shapes this module follows
FORECAST_ENDPOINT = "v2/forecast"
FINETUNE_ENDPOINT = "v2/finetune"
MODEL_PARAMS_ENDPOINT = "/model_params"
INTEGER_FREQ = "MS"  # what the client sends as `freq` for integer ds
RETRIABLE_STATUSES = frozenset(
    {
        HTTPStatus.REQUEST_TIMEOUT,
        HTTPStatus.CONFLICT,
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.BAD_GATEWAY,
        HTTPStatus.SERVICE_UNAVAILABLE,
        HTTPStatus.GATEWAY_TIMEOUT,
    }
)
MAX_BODY_BYTES = 200 * 2**20  # the client refuses larger bodies; here they are partitioned
FINETUNE_LOSSES = ("default", "mae", "mse", "rmse", "mape", "smape", "poisson")
FINETUNED_FILE = "timegpt_finetuned.json"  # in a saved model's `weights/`: the fine-tuned model's id
KEY_MISSING = (
    "TimeGPT needs a Nixtla API key: set NIXTLA_API_KEY (from dashboard.nixtla.io) in the environment of the "
    "fcast command; NIXTLA_BASE_URL sets the API address (default https://api.nixtla.io)."
)


class TimeGPTKeyMissingError(ConfigurationError):
    """NIXTLA_API_KEY is not set."""


class TimeGPTArgumentError(FcastError, ValueError):
    """A TimeGPT model argument the API would refuse."""


class TimeGPTApiError(FcastError):
    """The API answered an error (or could not be reached); the message names the status and its `detail`."""

    def __init__(self, method: str, url: str, status: int | None, detail: str, attempts: int = 1) -> None:
        self.method, self.url, self.status, self.detail, self.attempts = method, url, status, detail, attempts
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        if status is None:
            message = f"TimeGPT API: {method} {url} could not be reached{tries}: {detail}"
        else:
            message = f"TimeGPT API: {method} {url} answered HTTP {status}{tries}: {detail}"
        super().__init__(message)


class TimeGPTResponseError(TimeGPTApiError):
    """A successful answer that does not hold what was asked."""


def api_key_problem() -> str:
    """Why TimeGPT cannot be called ('' when NIXTLA_API_KEY is set)."""
    return "" if settings.value("NIXTLA_API_KEY").strip() else KEY_MISSING


def standard_freq(freq: Any) -> str:
    """The `freq` the API is sent, as the client's `_standardize_freq`: any integer freq is "MS"."""
    if isinstance(freq, bool):
        raise TimeGPTArgumentError(f"TimeGPT freq must be a pandas frequency or an integer, not {freq!r}")
    if isinstance(freq, int | np.integer):
        return INTEGER_FREQ
    if isinstance(freq, str) and freq:
        return freq
    freqstr = getattr(freq, "freqstr", None)
    if isinstance(freqstr, str):
        return freqstr
    raise TimeGPTArgumentError(f"TimeGPT freq must be a pandas frequency or an integer, not {freq!r}")


def input_samples(input_size: int, horizon: int, h: int, with_intervals: bool) -> int:
    """How many of a series' last values the client sends (`_restrict_input_samples`): intervals are
    conformal, so they need three input windows and a horizon more."""
    return 3 * input_size + max(horizon, h) if with_intervals else input_size


def level_of(quantile: float) -> tuple[str, float]:
    """('lo' | 'hi', level) of a quantile other than 0.5: q -> |100 - 200 q|, as the client converts."""
    if not 0.0 < quantile < 1.0 or quantile == 0.5:
        raise TimeGPTArgumentError(f"TimeGPT answers quantiles strictly between 0 and 1 other than 0.5, not {quantile}")
    return ("lo" if quantile < 0.5 else "hi"), round(abs(100.0 - 200.0 * quantile), 6)


def api_levels(levels: list[float]) -> list[int | float] | None:
    """The request's `level` for these quantiles (None when only the median is wanted)."""
    wanted = sorted({level_of(q)[1] for q in levels if q != 0.5})
    return [int(value) if float(value).is_integer() else value for value in wanted] or None


def _values(array: np.ndarray) -> list[float | None]:
    """JSON numbers of an array as the client encodes them: float32, NaN as null, infinities at float32's ends."""
    limit = np.finfo(np.float32)
    values = np.nan_to_num(np.asarray(array, dtype=np.float32), nan=np.nan, posinf=limit.max, neginf=limit.min)
    return [None if math.isnan(value) else value for value in values.tolist()]


def _series(windows: list[np.ndarray]) -> dict[str, Any]:
    return {"y": [value for window in windows for value in _values(window)], "sizes": [len(w) for w in windows]}


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _detail(response: requests.Response) -> str:
    """The API's `detail` (FastAPI's error field), else the body's start."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason or "no body"
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return detail if isinstance(detail, str) else json.dumps(detail)
    return json.dumps(body)[:500]


@dataclass
class TimeGPTClient:
    """The few API calls fcast makes, with the client's headers, retries and error reading; `finetuned_model_id`
    is the fine-tuned model its forecasts name (None: the base model), so a fine-tuned adapter's loaded model
    is a copy of its client naming another id."""

    api_key: str = field(repr=False)
    base_url: str
    finetuned_model_id: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 6
    retry_interval_s: float = 10.0
    max_wait_s: float = 360.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    model_params_cache: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.session.headers.update({"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"})

    @property
    def is_azure(self) -> bool:
        return "ai.azure" in self.base_url

    def url(self, endpoint: str) -> str:
        """`endpoint` under the base URL, path joined as httpx's `base_url` joins it."""
        return f"{self.base_url.rstrip('/')}/{endpoint.lstrip('/')}"

    def post(self, endpoint: str, payload: dict[str, Any] | bytes, model: str | None = None) -> Any:
        """POST a JSON body; the answer, unwrapped from `data` when the API wraps it."""
        body = payload if isinstance(payload, bytes) else _encode(payload)
        headers = {"nixtla-model": model} if model else {}
        answer = self._send("POST", endpoint, (HTTPStatus.OK, HTTPStatus.ACCEPTED), data=body, headers=headers)
        return answer["data"] if isinstance(answer, dict) and "data" in answer else answer

    def get(self, endpoint: str, params: dict[str, Any]) -> Any:
        return self._send("GET", endpoint, (HTTPStatus.OK,), params=params)

    def model_params(self, model: str, freq: str) -> tuple[int, int]:
        """(input_size, horizon) of a model at a frequency, asked once."""
        key = (model, freq)
        if key not in self.model_params_cache:
            query = {"model": model, "freq": freq}
            if self.is_azure:
                answer = self.post(MODEL_PARAMS_ENDPOINT.lstrip("/"), query)
            else:
                answer = self.get(MODEL_PARAMS_ENDPOINT, query)
            try:
                params = answer["detail"]
                self.model_params_cache[key] = (int(params["input_size"]), int(params["horizon"]))
            except (KeyError, TypeError, ValueError):
                method = "POST" if self.is_azure else "GET"
                what = f"no detail.input_size/horizon in {answer!r:.300}"
                raise TimeGPTResponseError(method, self.url(MODEL_PARAMS_ENDPOINT), 200, what) from None
        return self.model_params_cache[key]

    def _send(self, method: str, endpoint: str, expected: tuple[int, ...], **kwargs: Any) -> Any:
        """One call with the client's retry strategy: retriable failures again, `retry_interval_s` apart."""
        url = self.url(endpoint)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            cause: Exception | None = None
            try:
                response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                failure = TimeGPTApiError(method, url, None, f"{type(error).__name__}: {error}", attempt)
                retriable, cause = True, error
            else:
                if response.status_code in expected:
                    try:
                        return response.json()
                    except ValueError:
                        raise TimeGPTResponseError(
                            method, url, response.status_code, f"not JSON: {response.text[:300]!r}", attempt
                        ) from None
                failure = TimeGPTApiError(method, url, response.status_code, _detail(response), attempt)
                retriable = response.status_code in RETRIABLE_STATUSES
            elapsed = time.monotonic() - started
            if not retriable or attempt >= self.max_retries or elapsed >= self.max_wait_s:
                raise failure from cause
            log.warning("TimeGPT attempt %d failed, retrying: %s", attempt, failure)
            time.sleep(max(0.0, min(self.retry_interval_s, self.max_wait_s - elapsed)))


class TimeGPT(BaseTSFMAdapter):
    """TimeGPT through Nixtla's API: a mean forecast and conformal intervals at any level, fine-tuning by the API.

    Beyond the base arguments: `model` (the API's model name), `freq` (sent to the API: an integer, fcast's
    draw numbers, is sent as "MS" like the client does), `clean_ex_first`, `finetune_depth` (1-5) and
    `finetune_loss` (used when `fine_tune_steps` > 0), `finetuned_model_id` (an already fine-tuned model to
    forecast with, or to fine-tune further), and the client's `timeout_s`, `max_retries`, `retry_interval_s`,
    `max_wait_s`. A `checkpoint` is only ever a saved model's `weights/` folder (the fine-tuned model's id).
    `device`, `batch_size` and `random_seed` do not apply to a hosted model: every window goes in one request.
    """

    LIBRARY = "fcast"  # fcast's own client, not the `nixtla` distribution
    # The API has no documented context or horizon limit: the client cuts each series to what the model
    # uses (`input_samples`, from GET /model_params) and forecasts any h, only warning past the model's
    # horizon. 8192 caps what fcast keeps; 512 steps is fcast's conservative cap on one call's horizon.
    CAPABILITIES = Capabilities(
        needs_checkpoint=False,
        embeddings=False,
        quantile_min=0.01,
        quantile_max=0.99,
        max_context=8192,
        max_horizon=512,
        fine_tuning=True,
    )
    HOW_TO_GET = "nothing to download: TimeGPT is Nixtla's hosted API; set NIXTLA_API_KEY"

    def __init__(
        self,
        h: int,
        checkpoint: str | None = None,
        context_length: int | None = None,
        alias: str | None = None,
        device: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        fine_tune_steps: int = 0,
        random_seed: int = 1,
        model: str = "timegpt-1",
        freq: int | str = 1,
        clean_ex_first: bool = True,
        finetune_depth: int = 1,
        finetune_loss: str = "default",
        finetuned_model_id: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 6,
        retry_interval_s: float = 10.0,
        max_wait_s: float = 360.0,
    ) -> None:
        super().__init__(h, checkpoint, context_length, alias, device, batch_size, fine_tune_steps, random_seed)
        if int(finetune_depth) not in range(1, 6):
            raise TimeGPTArgumentError(f"TimeGPT finetune_depth is 1 to 5, not {finetune_depth}")
        if finetune_loss not in FINETUNE_LOSSES:
            raise TimeGPTArgumentError(f"TimeGPT finetune_loss is one of {', '.join(FINETUNE_LOSSES)}")
        if int(max_retries) < 1:
            raise TimeGPTArgumentError(f"TimeGPT max_retries counts attempts: at least 1, not {max_retries}")
        self.api_model = str(model)
        self.api_freq = standard_freq(freq)
        self.freq = freq if isinstance(freq, int | str) else self.api_freq  # as given, or its pandas alias
        self.clean_ex_first = bool(clean_ex_first)
        self.finetune_depth = int(finetune_depth)
        self.finetune_loss = str(finetune_loss)
        self.finetuned_model_id = finetuned_model_id
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.retry_interval_s = float(retry_interval_s)
        self.max_wait_s = float(max_wait_s)

    def saved_model_id(self) -> str | None:
        """The fine-tuned model's id kept in `checkpoint` (a saved model's `weights/`)."""
        path = Path(str(self.checkpoint)).expanduser() / FINETUNED_FILE
        if not path.is_file():
            raise CheckpointMissingError(
                f"TimeGPT: checkpoint {path.parent} holds no {FINETUNED_FILE}. TimeGPT has no local weights: leave "
                "model_args.checkpoint unset, or set model_args.finetuned_model_id to a model fine-tuned on Nixtla."
            )
        return json.loads(path.read_text(encoding="utf-8"))["finetuned_model_id"]

    def start_model_id(self) -> str | None:
        """The fine-tuned model a newly loaded client forecasts with: the saved one, else `finetuned_model_id`."""
        return self.saved_model_id() if self.checkpoint else self.finetuned_model_id

    def request_model(self, client: TimeGPTClient) -> str:
        """The `model` sent: an Azure deployment serves only `azureai`, as the client overrides."""
        if client.is_azure and self.api_model != "azureai":
            log.warning("Azure endpoint detected, setting TimeGPT model to 'azureai'.")
            return "azureai"
        return self.api_model

    def load_model(self) -> TimeGPTClient:
        """A client of the API (no weights: the checkpoint, when set, names a fine-tuned model)."""
        model_id = self.start_model_id()
        problem = api_key_problem()
        if problem:
            raise TimeGPTKeyMissingError(problem)
        return TimeGPTClient(
            api_key=settings.value("NIXTLA_API_KEY").strip(),
            base_url=settings.value("NIXTLA_BASE_URL"),
            finetuned_model_id=model_id,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            retry_interval_s=self.retry_interval_s,
            max_wait_s=self.max_wait_s,
        )

    def predict_windows(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> Forecast:
        """Every window in one request whatever its length (the API takes `sizes`), as the client sends series."""
        if not contexts:
            return Forecast(np.empty((0, h)), np.empty((0, h, len(levels))), levels)
        return self.forecast_contexts([self.window(values) for values in contexts], h, levels)

    def forecast_contexts(self, contexts: list[np.ndarray], h: int, levels: list[float]) -> Forecast:
        client: TimeGPTClient = self.model
        model = self.request_model(client)
        input_size, horizon = client.model_params(model, self.api_freq)
        if h > horizon:
            log.warning(
                "TimeGPT: h=%d exceeds %s's horizon of %d at freq %s; this may lead to less accurate forecasts",
                h,
                model,
                horizon,
                self.api_freq,
            )
        level = api_levels(levels)
        keep = input_samples(input_size, horizon, h, with_intervals=level is not None)
        windows = [np.asarray(values, dtype=np.float32)[-keep:] for values in contexts]
        mean, bounds = self._request_forecast(client, model, windows, h, level)
        quantiles = np.empty((len(windows), h, len(levels)))
        for index, quantile in enumerate(levels):
            quantiles[:, :, index] = mean if quantile == 0.5 else bounds[level_of(quantile)]
        return Forecast(mean, quantiles, levels)

    def forecast_payload(
        self, client: TimeGPTClient, model: str, windows: list[np.ndarray], h: int, level: list | None
    ) -> dict[str, Any]:
        """The body of POST v2/forecast, field for field as the nixtla client builds it."""
        return {
            "series": {**_series(windows), "X": None, "X_future": None},
            "model": model,
            "h": int(h),
            "freq": self.api_freq,
            "clean_ex_first": self.clean_ex_first,
            "level": level,
            "finetune_steps": 0,  # fine-tuning is done once, at fit, by v2/finetune
            "finetune_depth": self.finetune_depth,
            "finetune_loss": self.finetune_loss,
            "finetuned_model_id": client.finetuned_model_id,
            "feature_contributions": False,
            "multivariate": False,
        }

    def _request_forecast(
        self, client: TimeGPTClient, model: str, windows: list[np.ndarray], h: int, level: list | None
    ) -> tuple[np.ndarray, dict[tuple[str, float], np.ndarray]]:
        """(mean (n, h), {(side, level): (n, h)}); a body past the API's limit goes as partitions of whole series."""
        body = _encode(self.forecast_payload(client, model, windows, h, level))
        if len(body) > MAX_BODY_BYTES:
            if len(windows) == 1:
                raise TimeGPTArgumentError(
                    f"TimeGPT: one series makes a {len(body) / 2**20:.0f} MB request, over the API's "
                    f"{MAX_BODY_BYTES / 2**20:.0f} MB: lower model_args.context_length"
                )
            size = math.ceil(len(windows) / math.ceil(len(body) / MAX_BODY_BYTES))
            parts = [
                self._request_forecast(client, model, windows[start : start + size], h, level)
                for start in range(0, len(windows), size)
            ]
            means = np.concatenate([mean for mean, _ in parts])
            return means, {key: np.concatenate([bounds[key] for _, bounds in parts]) for key in parts[0][1]}
        answer = client.post(FORECAST_ENDPOINT, body, model=model)
        return _read_forecast(answer, client.url(FORECAST_ENDPOINT), len(windows), h, level)

    def fine_tune(self, contexts: list[np.ndarray], steps: int) -> None:
        """POST v2/finetune on these windows, from the loaded model; the loaded model becomes the one it answers."""
        if any(len(values) < 2 for values in contexts):
            raise TimeGPTArgumentError("TimeGPT fine-tuning needs at least 2 observations in every series")
        client: TimeGPTClient = self.model
        model = self.request_model(client)
        payload = {
            "series": _series([np.asarray(values, dtype=np.float32) for values in contexts]),
            "model": model,
            "freq": self.api_freq,
            "finetune_steps": int(steps),
            "finetune_depth": self.finetune_depth,
            "finetune_loss": self.finetune_loss,
            "output_model_id": None,
            "finetuned_model_id": client.finetuned_model_id,
        }
        answer = client.post(FINETUNE_ENDPOINT, payload, model=model)
        model_id = answer.get("finetuned_model_id") if isinstance(answer, dict) else None
        if not isinstance(model_id, str) or not model_id:
            raise TimeGPTResponseError(
                "POST", client.url(FINETUNE_ENDPOINT), 200, f"no finetuned_model_id in {answer!r:.300}"
            )
        self._loaded = replace(client, finetuned_model_id=model_id)

    def save_weights(self, folder: Path) -> None:
        """The fine-tuned model lives at Nixtla: keep its id, so a loaded model forecasts with it."""
        folder.mkdir(parents=True, exist_ok=True)
        loaded: TimeGPTClient | None = self._loaded
        state = {
            "finetuned_model_id": loaded.finetuned_model_id if loaded is not None else self.start_model_id(),
            "model": self.api_model,
            "finetune_steps": self.fine_tune_steps,
            "finetune_depth": self.finetune_depth,
            "finetune_loss": self.finetune_loss,
            "base_finetuned_model_id": self.finetuned_model_id,
            "nixtla_client_shape": NIXTLA_CLIENT_VERSION,
        }
        (folder / FINETUNED_FILE).write_text(json.dumps(state), encoding="utf-8")

    def arguments(self) -> dict[str, Any]:
        return {
            **super().arguments(),
            "model": self.api_model,
            "freq": self.freq,
            "clean_ex_first": self.clean_ex_first,
            "finetune_depth": self.finetune_depth,
            "finetune_loss": self.finetune_loss,
            "finetuned_model_id": self.finetuned_model_id,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "retry_interval_s": self.retry_interval_s,
            "max_wait_s": self.max_wait_s,
        }


def _read_forecast(
    answer: Any, url: str, n: int, h: int, level: list | None
) -> tuple[np.ndarray, dict[tuple[str, float], np.ndarray]]:
    """`mean` and `intervals` of a v2/forecast answer as (n, h) arrays, checked against what was asked."""

    def broken(what: str) -> TimeGPTResponseError:
        return TimeGPTResponseError("POST", url, 200, what)

    if not isinstance(answer, dict) or "mean" not in answer:
        raise broken(f"no `mean` in the answer {answer!r:.300}")
    mean = np.asarray(answer["mean"], dtype=float)
    if mean.shape != (n * h,):
        raise broken(f"`mean` has {mean.size} values for {n} series of h={h} ({n * h} expected)")
    bounds: dict[tuple[str, float], np.ndarray] = {}
    for key, values in (answer.get("intervals") or {}).items():
        side, _, number = str(key).partition("-")
        try:
            bounds[(side, round(float(number), 6))] = np.asarray(values, dtype=float).reshape(n, h)
        except ValueError:
            raise broken(f"interval {key!r} is not {n * h} numbers") from None
    for value in level or []:
        for side in ("lo", "hi"):
            if (side, round(float(value), 6)) not in bounds:
                raise broken(
                    f"no `{side}-{value}` interval in the answer (got {sorted(answer.get('intervals') or {})})"
                )
    return mean.reshape(n, h), bounds
