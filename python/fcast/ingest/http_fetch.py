"""Fetch draw-history resources over HTTP: polite, retrying, and cached with conditional requests.

`HttpFetcher.fetch(url)` returns a `FetchResult` whose body can be handed to the file and HTML readers.
Every URL's last body is kept in ``cache_dir`` with a JSON sidecar holding its validators
(ETag, Last-Modified), so a later fetch of the same URL asks the server "has it changed?" and reuses
the cached body on ``304 Not Modified``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import mimetypes
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from fcast import __version__
from fcast.ingest.records import IngestError

DEFAULT_USER_AGENT = f"fcast/{__version__} (+lottery history ingest)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 60.0
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class FetchError(IngestError):
    """A URL that could not be fetched: not http(s), a non-retryable status, or retries exhausted."""

    def __init__(self, url: str, attempts: int, reason: str, status: int | None = None) -> None:
        self.url = url
        self.attempts = attempts
        self.reason = reason
        self.status = status
        super().__init__(
            f"Could not fetch {url} after {attempts} attempt(s): {reason}. "
            "Check the URL and your network connection, or download the file by hand "
            "and run `fcast ingest PATH`."
        )


@dataclass
class FetchResult:
    """One fetched resource. ``from_cache`` is True when the server answered 304 and the body is cached."""

    url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    from_cache: bool
    fetched_at: dt.datetime
    attempts: int

    @property
    def suggested_name(self) -> str:
        """A safe file name for the resource, from the URL's last path segment or its content type."""
        segment = PurePosixPath(unquote(urlsplit(self.url).path)).name
        if not segment or urlsplit(self.url).path.endswith("/"):
            return _directory_name(self.content_type)
        name = _UNSAFE_NAME_CHARS.sub("_", segment).strip("._") or "download"
        if "." not in name:
            name += _extension_for(self.content_type)
        return name


@dataclass
class _CacheEntry:
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


@dataclass
class _Attempt:
    """The outcome of one request: a response, or the exception that ended it."""

    response: requests.Response | None = None
    error: requests.RequestException | None = None

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def describe(self, timeout_s: float) -> str:
        if self.response is not None:
            return _describe_status(self.response)
        return _describe_error(self.error, timeout_s)


def is_url(text: str) -> bool:
    """True when ``text`` is an absolute http(s) URL with a host."""
    parts = urlsplit(text.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


class HttpFetcher:
    """Fetches URLs with timeouts, retries with backoff, a per-host polite delay and a conditional cache."""

    def __init__(
        self,
        cache_dir: Path,
        timeout_s: float = 20.0,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        polite_delay_s: float = 1.0,
        user_agent: str = DEFAULT_USER_AGENT,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.backoff_s = backoff_s
        self.polite_delay_s = polite_delay_s
        self.user_agent = user_agent
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._last_request: dict[str, float] = {}

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this fetcher created it."""
        if self._owns_session:
            self.session.close()

    def fetch(self, url: str) -> FetchResult:
        """Fetch ``url``, reusing the cached body when the server says it has not changed."""
        if not is_url(url):
            raise FetchError(url, 0, "only http:// and https:// URLs can be fetched")
        cached = self._load_cache(url)
        headers = self._request_headers(cached)
        max_attempts = self.max_retries + 1
        for attempt in range(1, max_attempts + 1):
            outcome = self._attempt(url, headers)
            if outcome.response is not None and outcome.response.status_code not in RETRY_STATUSES:
                return self._finish(url, outcome.response, cached, attempt)
            if outcome.error is not None and not isinstance(outcome.error, _TRANSIENT_ERRORS):
                raise FetchError(url, attempt, outcome.describe(self.timeout_s))
            if attempt < max_attempts:
                self._sleep(self._retry_delay(attempt - 1, outcome.response))
        raise FetchError(url, max_attempts, outcome.describe(self.timeout_s), outcome.status)

    # --- requests -------------------------------------------------------------------------------

    def _request_headers(self, cached: _CacheEntry | None) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        return headers

    def _attempt(self, url: str, headers: dict[str, str]) -> _Attempt:
        host = _host_key(url)
        self._wait_for_host(host)
        try:
            response = self.session.get(url, headers=headers, timeout=(self.timeout_s, self.timeout_s))
            return _Attempt(response=response)
        except requests.RequestException as exc:
            return _Attempt(error=exc)
        finally:
            self._last_request[host] = self._clock()

    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is None:
            return
        remaining = self.polite_delay_s - (self._clock() - last)
        if remaining > 0:
            self._sleep(remaining)

    def _retry_delay(self, attempt: int, response: requests.Response | None) -> float:
        retry_after = _retry_after_s(response) if response is not None else None
        delay = retry_after if retry_after is not None else self.backoff_s * 2**attempt
        return min(delay, MAX_BACKOFF_S)

    def _finish(self, url: str, response: requests.Response, cached: _CacheEntry | None, attempts: int) -> FetchResult:
        status = response.status_code
        if status == 304 and cached is not None:
            return self._from_cache(url, response, cached, attempts)
        if status == 304:
            raise FetchError(url, attempts, "HTTP 304 Not Modified but nothing is cached for it", status)
        if not 200 <= status < 300:
            raise FetchError(url, attempts, _describe_status(response), status)
        result = FetchResult(
            url=url,
            status=status,
            body=response.content,
            content_type=response.headers.get("Content-Type", DEFAULT_CONTENT_TYPE),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            from_cache=False,
            fetched_at=_utc_now(),
            attempts=attempts,
        )
        self._store_cache(result)
        return result

    def _from_cache(self, url: str, response: requests.Response, cached: _CacheEntry, attempts: int) -> FetchResult:
        result = FetchResult(
            url=url,
            status=304,
            body=cached.body,
            content_type=cached.content_type,
            etag=response.headers.get("ETag", cached.etag),
            last_modified=response.headers.get("Last-Modified", cached.last_modified),
            from_cache=True,
            fetched_at=_utc_now(),
            attempts=attempts,
        )
        self._write_sidecar(result)
        return result

    # --- cache ----------------------------------------------------------------------------------

    def _cache_paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.cache_dir / f"{key}.body", self.cache_dir / f"{key}.json"

    def _load_cache(self, url: str) -> _CacheEntry | None:
        body_path, meta_path = self._cache_paths(url)
        try:
            meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("url") != url:
            return None
        return _CacheEntry(
            body=body,
            content_type=str(meta.get("content_type") or DEFAULT_CONTENT_TYPE),
            etag=meta.get("etag"),
            last_modified=meta.get("last_modified"),
        )

    def _store_cache(self, result: FetchResult) -> None:
        body_path, _ = self._cache_paths(result.url)
        _atomic_write(body_path, result.body)
        self._write_sidecar(result)

    def _write_sidecar(self, result: FetchResult) -> None:
        _, meta_path = self._cache_paths(result.url)
        meta = {
            "url": result.url,
            "etag": result.etag,
            "last_modified": result.last_modified,
            "content_type": result.content_type,
            "fetched_at": result.fetched_at.isoformat(),
        }
        _atomic_write(meta_path, json.dumps(meta, indent=2, sort_keys=True).encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _retry_after_s(response: requests.Response) -> float | None:
    """The Retry-After header in seconds, or None when absent or not a number of seconds."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _describe_status(response: requests.Response) -> str:
    reason = f" {response.reason}" if response.reason else ""
    return f"HTTP {response.status_code}{reason}"


def _describe_error(error: requests.RequestException | None, timeout_s: float) -> str:
    if isinstance(error, requests.Timeout):
        return f"timed out after {timeout_s:g}s ({type(error).__name__})"
    return f"{type(error).__name__}: {error}"


def _directory_name(content_type: str) -> str:
    extension = _extension_for(content_type)
    return "index.html" if extension in ("", ".html") else f"index{extension}"


def _extension_for(content_type: str) -> str:
    """A file extension for a MIME type ('' when unknown); '.htm' and friends normalised."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in ("", DEFAULT_CONTENT_TYPE):
        return ""
    if mime in ("text/html", "application/xhtml+xml"):
        return ".html"
    if mime in ("text/csv", "application/csv"):
        return ".csv"
    return mimetypes.guess_extension(mime) or ""
