"""Pick the reader for a path or URL, and name the shipped history of every seeded game."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fcast import settings
from fcast.games import load_games
from fcast.ingest.records import IngestError, ReadResult

HTML_SUFFIXES = (".html", ".htm")


def read_source(spec: str, game_code: str | None = None, suffix: str | None = None) -> ReadResult:
    """Read a local file (CSV, JSON, HTML) or an http(s) URL into draw records. `suffix` (".csv", ".json",
    ".html") says how to read a URL whose name and content type do not."""
    from fcast.ingest.http_fetch import is_url

    if is_url(spec):
        return _read_url(spec, game_code, suffix)
    path = Path(spec)
    if not path.is_file():
        raise IngestError(f"{spec}: no such file")
    return _read_path(path, game_code, data=None, source_name=path.name)


def read_upload(file_name: str, data: bytes, game_code: str | None = None) -> ReadResult:
    """Read the bytes of an uploaded draw file exactly as `fcast ingest` reads that file from disk."""
    return _read_path(Path(Path(file_name).name), game_code, data=data, source_name=Path(file_name).name)


def _read_path(path: Path, game_code: str | None, data: bytes | None, source_name: str) -> ReadResult:
    if path.suffix.lower() in HTML_SUFFIXES:
        from fcast.ingest.html_pages import read_html

        return read_html(path, game_code=game_code, source_name=source_name, data=data)
    from fcast.ingest.tabular import read_tabular

    if data is None:
        return read_tabular(path, game_code=game_code, source_name=source_name)
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / path.name
        local.write_bytes(data)
        return read_tabular(local, game_code=game_code, source_name=source_name)


def _read_url(url: str, game_code: str | None, suffix: str | None = None) -> ReadResult:
    from fcast.ingest.http_fetch import HttpFetcher

    fetched = HttpFetcher(settings.http_cache_dir()).fetch(url)
    name = Path(fetched.suggested_name)
    if suffix and name.suffix.lower() != suffix:
        name = name.with_suffix(suffix)
    elif "html" in (fetched.content_type or "") and name.suffix.lower() not in HTML_SUFFIXES:
        name = name.with_suffix(".html")
    return _read_path(name, game_code, data=fetched.body, source_name=url)


def shipped_history() -> list[tuple[str, Path]]:
    """(game_code, file) for every seeded game that ships a history file in the repository."""
    project = settings.project_dir()
    shipped = []
    for game in load_games().values():
        if not game.history_file:
            continue
        path = project / game.history_file
        if not path.is_file():
            raise IngestError(f"seeds/games.csv names {game.history_file} for {game.code}, but it is missing")
        shipped.append((game.code, path))
    return shipped
