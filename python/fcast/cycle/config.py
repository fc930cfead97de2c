"""The operating cycle's configuration, kept as data in `cycle.yml` (FCAST_CYCLE_CONFIG): per game, where its
new draws come from, which plan forecasts it, and the plan's retrain policy.

    games:
      loto6:
        source: data/lottery/loto6.json   # a draw file, a folder of draw files, or an http(s) URL
        format: auto                      # csv, json, html or auto (the file suffix or content type decides)
        plan: standard                    # a plan file, `standard` (the game's k+1 plan), or none: ingest and score
        retrain_every: 8                  # retrain after this many new draws, else predict with the stored model
        max_steps: 100                    # the standard plan's training steps
        horizon: 1                        # the standard plan's draws ahead
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fcast import settings
from fcast.errors import ConfigurationError

FORMATS = {"csv": (".csv", ".tsv", ".txt"), "json": (".json",), "html": (".html", ".htm")}
STANDARD_PLAN = "standard"
GAME_KEYS = {"source", "format", "plan", "retrain_every", "max_steps", "horizon"}
DEFAULT_RETRAIN_EVERY = 8
DEFAULT_MAX_STEPS = 100


class CycleConfigError(ConfigurationError):
    pass


@dataclass(frozen=True)
class CycleGame:
    game_code: str
    source: str
    format: str = "auto"
    plan: str = ""  # '' = no forecasting: the cycle ingests and scores only
    retrain_every: int = DEFAULT_RETRAIN_EVERY  # 0: never retrain, always predict with the stored model
    max_steps: int = DEFAULT_MAX_STEPS
    horizon: int = 1

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The file suffixes read from a folder source."""
        if self.format == "auto":
            return tuple(suffix for suffixes in FORMATS.values() for suffix in suffixes)
        return FORMATS[self.format]

    def plan_rows(self) -> list[Any]:
        """The plan rows that forecast this game (none without a plan)."""
        if not self.plan:
            return []
        if self.plan == STANDARD_PLAN:
            from fcast.plans.standard import standard_plan

            return standard_plan(self.game_code, horizon=self.horizon, max_steps=self.max_steps)
        from fcast.plans.spec import load_plan_file

        path = settings.in_project(self.plan)
        if not path.is_file():
            raise CycleConfigError(f"{settings.cycle_config_path()}: games.{self.game_code}.plan {path} does not exist")
        rows = load_plan_file(path)
        others = sorted({row.dataset for row in rows} - {self.game_code})
        if others:
            raise CycleConfigError(
                f"{settings.cycle_config_path()}: games.{self.game_code}.plan {path} has rows of {others}; "
                f"a game's cycle plan forecasts that game only"
            )
        return rows


def _integer(entry: dict, key: str, default: int, where: str, minimum: int) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CycleConfigError(f"{where}.{key}: an integer of at least {minimum}, not {value!r}")
    return value


def parse_config(document: Any, path: Path) -> dict[str, CycleGame]:
    from fcast.games import load_games

    games = load_games()
    if not isinstance(document, dict) or not isinstance(document.get("games"), dict):
        raise CycleConfigError(f"{path}: the cycle configuration is a mapping `games:` of game code to its settings")
    configured = {}
    for code, entry in document["games"].items():
        where = f"{path}: games.{code}"
        if code not in games:
            raise CycleConfigError(f"{where}: {code!r} is not a game of the seeds ({', '.join(sorted(games))})")
        if not isinstance(entry, dict) or not entry.get("source"):
            raise CycleConfigError(f"{where}: needs `source:` (a draw file, a folder or an http(s) URL)")
        unknown = sorted(set(entry) - GAME_KEYS)
        if unknown:
            raise CycleConfigError(f"{where}: unknown key(s) {unknown}; a game takes {sorted(GAME_KEYS)}")
        source_format = str(entry.get("format") or "auto")
        if source_format not in {"auto", *FORMATS}:
            raise CycleConfigError(f"{where}.format: one of auto, {', '.join(FORMATS)}; not {source_format!r}")
        plan = entry.get("plan")
        configured[code] = CycleGame(
            game_code=code,
            source=str(entry["source"]),
            format=source_format,
            plan="" if plan in (None, "", "none", False) else str(plan),
            retrain_every=_integer(entry, "retrain_every", DEFAULT_RETRAIN_EVERY, where, 0),
            max_steps=_integer(entry, "max_steps", DEFAULT_MAX_STEPS, where, 1),
            horizon=_integer(entry, "horizon", 1, where, 1),
        )
    return configured


def load_config(path: Path | None = None) -> dict[str, CycleGame]:
    path = path or settings.cycle_config_path()
    if not path.is_file():
        raise CycleConfigError(
            f"{path}: no cycle configuration; copy the project's cycle.yml or set FCAST_CYCLE_CONFIG"
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CycleConfigError(f"{path}: cannot be read as YAML ({error})") from error
    return parse_config(document, path)
