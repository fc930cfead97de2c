"""A local stand-in for Nixtla's TimeGPT API, for fcast's TimeGPT client (request shapes of nixtla 0.9.0).

It answers `GET /model_params`, `POST v2/forecast`, `POST v2/finetune` (and Azure's `POST model_params`,
under any path prefix), checks `Authorization: Bearer <key>` (401 with `{"detail": ...}` otherwise),
refuses malformed bodies with 422 like the API's FastAPI, records every request, and can be told to fail.
Its forecasts are deterministic, so a test can compute them (`expected_mean`, `expected_bounds`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from fcast.throwaway import scoped_environment

INPUT_SIZE = 8  # what GET /model_params answers (small, so tests see the client cut series)
HORIZON = 4
TAIL = 3  # the mean forecast is the mean of a series' last TAIL values, plus STEP per step ahead
STEP = 0.5


def expected_mean(values: np.ndarray, h: int, finetune_steps: int = 0) -> np.ndarray:
    """The server's `mean` for one series: its last values' mean, STEP more per step, + a fine-tuned model's steps."""
    base = float(np.mean(np.asarray(values, dtype=np.float32)[-TAIL:]))
    return base + STEP * np.arange(h) + finetune_steps


def expected_bounds(mean: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the server's interval at `level`: symmetric, level / 100 * (1 + step) around the mean."""
    half = float(level) / 100 * (1 + np.arange(len(mean)))
    return mean - half, mean + half


@dataclass
class Recorded:
    """One request the server got, and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any
    status: int = 0
    answer: Any = None


@dataclass
class Failure:
    status: int
    detail: str
    times: int
    endpoint: str


@dataclass
class ServerState:
    api_key: str
    input_size: int = INPUT_SIZE
    horizon: int = HORIZON
    wrap_data: bool = False  # answer POSTs as {"data": ...} (older API bodies; the client unwraps them)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    finetuned: dict[str, int] = field(default_factory=dict)  # fine-tuned model id -> its finetune_steps
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = Recorded(
            method=method,
            path=parts.path,
            query={key: values[0] for key, values in parse_qs(parts.query).items()},
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        with state.lock:
            state.requests.append(record)
        record.status, record.answer = self._answer(state, method, parts.path, record)
        payload = json.dumps(record.answer).encode()
        self.send_response(record.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _answer(self, state: ServerState, method: str, path: str, record: Recorded) -> tuple[int, Any]:
        if record.headers.get("authorization") != f"Bearer {state.api_key}":
            return 401, {"detail": "Invalid API key"}
        endpoint = next((name for name in ("model_params", "v2/forecast", "v2/finetune") if path.endswith(name)), "")
        with state.lock:
            failure = next((f for f in state.failures if f.times > 0 and endpoint.endswith(f.endpoint)), None)
            if failure is not None:
                failure.times -= 1
                return failure.status, {"detail": failure.detail}
        if endpoint == "model_params":
            query = record.query if method == "GET" else (record.body or {})
            if not query.get("model") or not query.get("freq"):
                return 422, {"detail": "model and freq are required"}
            return 200, {"detail": {"input_size": state.input_size, "horizon": state.horizon}}
        if method != "POST" or not endpoint:
            return 404, {"detail": "Not Found"}
        if not isinstance(record.body, dict):
            return 422, {"detail": "the body must be a JSON object"}
        problem, series = _series(record.body)
        if problem:
            return 422, {"detail": problem}
        if endpoint == "v2/finetune":
            answer = _finetune(state, record.body)
        else:
            status, answer = _forecast(state, record.body, series)
            if status != 200:
                return status, answer
        return 200, ({"data": answer} if state.wrap_data else answer)


def _series(body: dict[str, Any]) -> tuple[str, list[np.ndarray]]:
    """('', the series) of a body's `series` {y, sizes}, or (what is wrong, [])."""
    series = body.get("series")
    if (
        not isinstance(series, dict)
        or not isinstance(series.get("y"), list)
        or not isinstance(series.get("sizes"), list)
    ):
        return "series.y and series.sizes are required lists", []
    sizes = series["sizes"]
    if not sizes or any(not isinstance(size, int) or size < 1 for size in sizes) or sum(sizes) != len(series["y"]):
        return f"series.sizes {sizes} do not add up to the {len(series['y'])} values of series.y", []
    y = np.asarray([np.nan if value is None else value for value in series["y"]], dtype=float)
    return "", np.split(y, np.cumsum(sizes)[:-1])


def _finetune(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    steps = body.get("finetune_steps")
    with state.lock:
        model_id = body.get("output_model_id") or f"ft-{len(state.finetuned) + 1}"
        state.finetuned[model_id] = int(steps) if isinstance(steps, int) else 10
    return {"finetuned_model_id": model_id}


def _forecast(state: ServerState, body: dict[str, Any], series: list[np.ndarray]) -> tuple[int, Any]:
    h, level = body.get("h"), body.get("level")
    if not isinstance(h, int) or h < 1:
        return 422, {"detail": f"h must be a positive integer, not {h!r}"}
    if level is not None and (
        not isinstance(level, list) or any(not isinstance(v, int | float) or not 0 < v < 100 for v in level)
    ):
        return 422, {"detail": f"level must be a list of numbers between 0 and 100, not {level!r}"}
    model_id = body.get("finetuned_model_id")
    if model_id is not None and model_id not in state.finetuned:
        return 404, {"detail": f"Fine-tuned model {model_id} not found"}
    shift = state.finetuned.get(model_id, 0) if model_id else 0
    means = [expected_mean(values, h, shift) for values in series]
    intervals = None
    if level:
        intervals = {}
        for value in level:
            lows, highs = zip(*(expected_bounds(mean, value) for mean in means), strict=True)
            intervals[f"lo-{value}"] = np.concatenate(lows).tolist()
            intervals[f"hi-{value}"] = np.concatenate(highs).tolist()
    answer = {
        "mean": np.concatenate(means).tolist(),
        "intervals": intervals,
        "weights_x": None,
        "feature_contributions": None,
    }
    return 200, answer


class TimeGPTServer:
    """The stand-in API on 127.0.0.1 (a free port), in a thread, while used as a context manager."""

    def __init__(self, api_key: str, input_size: int = INPUT_SIZE, horizon: int = HORIZON, wrap_data: bool = False):
        self.state = ServerState(api_key=api_key, input_size=input_size, horizon=horizon, wrap_data=wrap_data)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.state = self.state
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> TimeGPTServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def fail(self, status: int, detail: str, times: int = 1, endpoint: str = "v2/forecast") -> None:
        """Answer the next `times` calls of `endpoint` with `status` and `{"detail": detail}`."""
        with self.state.lock:
            self.state.failures.append(Failure(status, detail, times, endpoint))

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)

    def calls(self, endpoint: str) -> list[Recorded]:
        """The requests to `endpoint` (e.g. "v2/forecast", "model_params"), in order."""
        return [record for record in self.requests if record.path.endswith(endpoint)]


@contextmanager
def timegpt_api(
    api_key: str = "fcast-test-key",
    server_key: str | None = None,
    prefix: str = "",
    input_size: int = INPUT_SIZE,
    horizon: int = HORIZON,
    wrap_data: bool = False,
) -> Iterator[TimeGPTServer]:
    """A running stand-in API, with NIXTLA_BASE_URL (+ `prefix`) and NIXTLA_API_KEY set for the block.

    The server accepts `server_key` (default: `api_key`), so a different one tests a refused key.
    """
    with (
        TimeGPTServer(server_key or api_key, input_size, horizon, wrap_data) as server,
        scoped_environment({"NIXTLA_API_KEY": api_key, "NIXTLA_BASE_URL": server.url + prefix}),
    ):
        yield server
