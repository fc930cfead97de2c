"""HttpFetcher against a real local HTTP server: caching, retries, timeouts and the polite delay."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from fcast.ingest.http_fetch import FetchError, FetchResult, HttpFetcher, is_url
from fcast.ingest.records import IngestError

pytestmark = pytest.mark.fast

DRAWS_CSV = b"draw_no,draw_date,n1,n2,n3,n4,n5,n6\n1,2024-01-06,1,2,3,4,5,6\n"
LAST_MODIFIED = "Sat, 06 Jan 2024 10:00:00 GMT"


@dataclass
class ServerState:
    """What the handlers serve and what they saw; shared between the test and the server threads."""

    etag: str = '"v1"'
    body: bytes = DRAWS_CSV
    hits: dict[str, int] = field(default_factory=dict)
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int:
        with self.lock:
            self.hits[key] = self.hits.get(key, 0) + 1
            return self.hits[key]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that time out leave broken pipes behind; they are expected here."""


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        with state.lock:
            state.seen_headers.append(dict(self.headers.items()))
        if parts.path == "/data/draws.csv":
            self._conditional(state)
        elif parts.path == "/flaky":
            self._flaky(state, query)
        elif parts.path == "/slow":
            state.release.wait(timeout=2.0)
            self._send(200, b"late", "text/plain")
        else:
            self._send(404, b"not here", "text/plain")

    def _conditional(self, state: ServerState) -> None:
        if self.headers.get("If-None-Match") == state.etag:
            self._send(304, b"", None, {"ETag": state.etag})
            return
        extra = {"ETag": state.etag, "Last-Modified": LAST_MODIFIED}
        self._send(200, state.body, "text/csv; charset=utf-8", extra)

    def _flaky(self, state: ServerState, query: dict[str, str]) -> None:
        count = state.hit(self.path)
        if count <= int(query.get("fails", "0")):
            extra = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
            self._send(int(query.get("status", "503")), b"busy", "text/plain", extra)
            return
        self._send(200, b"ok after %d" % count, "text/plain")

    def _send(self, status: int, body: bytes, content_type: str | None, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[tuple[str, ServerState]]:
    httpd = _Server(("127.0.0.1", 0), Handler)
    httpd.state = ServerState()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield f"http://{host}:{port}", httpd.state
    finally:
        httpd.state.release.set()
        httpd.shutdown()
        httpd.server_close()


class FakeClock:
    """A monotonic clock that only moves when the fetcher sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False  # no proxy from the environment for 127.0.0.1
        yield http


def make_fetcher(tmp_path: Path, session: requests.Session, clock: FakeClock, **overrides: float | int) -> HttpFetcher:
    options: dict[str, float | int] = {
        "timeout_s": 2.0,
        "max_retries": 3,
        "backoff_s": 0.5,
        "polite_delay_s": 0.0,
    }
    options.update(overrides)
    return HttpFetcher(
        tmp_path / "cache",
        session=session,
        sleep=clock.sleep,
        clock=clock,
        timeout_s=float(options["timeout_s"]),
        max_retries=int(options["max_retries"]),
        backoff_s=float(options["backoff_s"]),
        polite_delay_s=float(options["polite_delay_s"]),
    )


def test_first_fetch_returns_body_and_writes_cache(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, state = server
    result = make_fetcher(tmp_path, session, clock).fetch(f"{base}/data/draws.csv")

    assert result.status == 200
    assert result.body == DRAWS_CSV
    assert result.content_type == "text/csv; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == LAST_MODIFIED
    assert result.from_cache is False
    assert result.attempts == 1
    assert result.fetched_at.tzinfo == dt.UTC
    assert state.seen_headers[0]["User-Agent"].startswith("fcast/")
    assert "If-None-Match" not in state.seen_headers[0]

    cache_files = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert cache_files == [".body", ".json"]
    (body_file,) = (tmp_path / "cache").glob("*.body")
    (meta_file,) = (tmp_path / "cache").glob("*.json")
    assert body_file.read_bytes() == DRAWS_CSV
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    assert meta["etag"] == '"v1"'
    assert meta["last_modified"] == LAST_MODIFIED
    assert meta["content_type"] == "text/csv; charset=utf-8"
    assert meta["url"] == f"{base}/data/draws.csv"


def test_second_fetch_is_conditional_and_served_from_cache(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, state = server
    url = f"{base}/data/draws.csv"
    make_fetcher(tmp_path, session, clock).fetch(url)

    # A new fetcher on the same cache directory: the cache is on disk, not in memory.
    result = make_fetcher(tmp_path, session, clock).fetch(url)

    assert state.seen_headers[1]["If-None-Match"] == '"v1"'
    assert state.seen_headers[1]["If-Modified-Since"] == LAST_MODIFIED
    assert result.status == 304
    assert result.from_cache is True
    assert result.body == DRAWS_CSV
    assert result.content_type == "text/csv; charset=utf-8"
    assert result.etag == '"v1"'


def test_changed_resource_replaces_cache(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, state = server
    url = f"{base}/data/draws.csv"
    fetcher = make_fetcher(tmp_path, session, clock)
    fetcher.fetch(url)
    state.etag, state.body = '"v2"', DRAWS_CSV + b"2,2024-01-13,7,8,9,10,11,12\n"

    changed = fetcher.fetch(url)
    again = fetcher.fetch(url)

    assert state.seen_headers[1]["If-None-Match"] == '"v1"'
    assert (changed.status, changed.from_cache, changed.etag) == (200, False, '"v2"')
    assert changed.body == state.body
    assert state.seen_headers[2]["If-None-Match"] == '"v2"'
    assert (again.status, again.from_cache, again.body) == (304, True, state.body)
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_503_twice_then_ok_follows_exponential_backoff(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, state = server
    result = make_fetcher(tmp_path, session, clock, backoff_s=0.5).fetch(f"{base}/flaky?fails=2")

    assert result.status == 200
    assert result.body == b"ok after 3"
    assert result.attempts == 3
    assert clock.sleeps == [0.5, 1.0]
    assert state.hits["/flaky?fails=2"] == 3


def test_retry_after_header_is_honoured_and_capped(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, _ = server
    fetcher = make_fetcher(tmp_path, session, clock, backoff_s=0.5)

    result = fetcher.fetch(f"{base}/flaky?fails=2&retry_after=3")
    assert result.attempts == 3
    assert clock.sleeps == [3.0, 3.0]

    clock.sleeps.clear()
    result = fetcher.fetch(f"{base}/flaky?fails=1&retry_after=600&status=429")
    assert result.attempts == 2
    assert clock.sleeps == [60.0]


def test_retries_exhausted_raise_fetch_error(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, _ = server
    url = f"{base}/flaky?fails=10"
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, session, clock, max_retries=2, backoff_s=1.0).fetch(url)

    assert caught.value.attempts == 3
    assert caught.value.status == 503
    assert clock.sleeps == [1.0, 2.0]
    message = str(caught.value)
    assert url in message
    assert "3 attempt(s)" in message
    assert "HTTP 503" in message
    assert "fcast ingest PATH" in message


def test_404_fails_at_once(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, state = server
    url = f"{base}/missing.csv"
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, session, clock).fetch(url)

    assert isinstance(caught.value, IngestError)
    assert caught.value.attempts == 1
    assert caught.value.status == 404
    assert "HTTP 404" in str(caught.value)
    assert "1 attempt(s)" in str(caught.value)
    assert url in str(caught.value)
    assert len(state.seen_headers) == 1
    assert clock.sleeps == []


def test_timeout_is_retried_then_reported(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, state = server
    fetcher = make_fetcher(tmp_path, session, clock, timeout_s=0.2, max_retries=1, backoff_s=0.25)
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(f"{base}/slow")

    assert caught.value.attempts == 2
    assert caught.value.status is None
    assert "timed out after 0.2s" in str(caught.value)
    assert clock.sleeps == [0.25]
    assert len(state.seen_headers) == 2


def test_connection_refused_is_retried(tmp_path: Path, session: requests.Session, clock: FakeClock) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens on this port any more
    url = f"http://127.0.0.1:{port}/draws.csv"
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, session, clock, max_retries=1, backoff_s=0.1).fetch(url)

    assert caught.value.attempts == 2
    assert "ConnectionError" in str(caught.value)
    assert clock.sleeps == [0.1]


def test_polite_delay_between_requests_to_same_host(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session, clock: FakeClock
) -> None:
    base, _ = server
    fetcher = make_fetcher(tmp_path, session, clock, polite_delay_s=1.5)

    fetcher.fetch(f"{base}/data/draws.csv")
    assert clock.sleeps == []
    fetcher.fetch(f"{base}/flaky")
    assert clock.sleeps == [1.5]

    clock.now += 1.0  # time passes between fetches: only the remainder is slept
    fetcher.fetch(f"{base}/flaky?again=1")
    assert clock.sleeps == [1.5, pytest.approx(0.5)]

    clock.now += 5.0
    fetcher.fetch(f"{base}/flaky?later=1")
    assert len(clock.sleeps) == 2


def test_polite_delay_with_real_clock(
    server: tuple[str, ServerState], tmp_path: Path, session: requests.Session
) -> None:
    base, _ = server
    sleeps: list[float] = []
    fetcher = HttpFetcher(tmp_path / "cache", polite_delay_s=0.3, session=session, sleep=sleeps.append)

    fetcher.fetch(f"{base}/data/draws.csv")
    fetcher.fetch(f"{base}/flaky")

    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 0.3


@pytest.mark.parametrize("url", ["ftp://example.com/draws.csv", "file:///tmp/draws.csv", "draws.csv", ""])
def test_non_http_url_fails_at_once(url: str, tmp_path: Path, session: requests.Session, clock: FakeClock) -> None:
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, session, clock).fetch(url)
    assert caught.value.attempts == 0
    assert "only http:// and https://" in str(caught.value)
    assert clock.sleeps == []


def test_is_url() -> None:
    assert is_url("https://example.com/results/lotto.html")
    assert is_url("  HTTP://example.com ")
    assert not is_url("ftp://example.com/a.csv")
    assert not is_url("data/draws.csv")
    assert not is_url("C:\\draws.csv")
    assert not is_url("http://")


def _result(url: str, content_type: str) -> FetchResult:
    return FetchResult(
        url=url,
        status=200,
        body=b"",
        content_type=content_type,
        etag=None,
        last_modified=None,
        from_cache=False,
        fetched_at=dt.datetime.now(dt.UTC),
        attempts=1,
    )


@pytest.mark.parametrize(
    ("url", "content_type", "expected"),
    [
        ("https://example.com/data/draws.csv?year=2024", "text/csv", "draws.csv"),
        ("https://example.com/results/", "text/html; charset=utf-8", "index.html"),
        ("https://example.com", "", "index.html"),
        ("https://example.com/api/", "application/json", "index.json"),
        ("https://example.com/results/lotto", "text/html", "lotto.html"),
        ("https://example.com/export/history", "text/csv", "history.csv"),
        ("https://example.com/files/lotto%20history.xlsx", "application/octet-stream", "lotto_history.xlsx"),
    ],
)
def test_suggested_name(url: str, content_type: str, expected: str) -> None:
    assert _result(url, content_type).suggested_name == expected
