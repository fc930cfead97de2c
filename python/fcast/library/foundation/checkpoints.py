"""Where a foundation model's weights are: the row's `checkpoint`, else its folder under FCAST_TSFM_HOME.

Nothing is downloaded at run time. A missing checkpoint is an error that says where fcast looked and
how to put the weights there (the validator raises the same text before anything trains).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fcast import settings
from fcast.errors import FcastError


class CheckpointMissingError(FcastError, FileNotFoundError):
    pass


class CheckpointChangedError(FcastError, ValueError):
    pass


def default_checkpoint(adapter: type) -> Path:
    return settings.tsfm_home() / adapter.DEFAULT_CHECKPOINT


def checkpoint_problem(adapter: type, checkpoint: str | None) -> str:
    """Why the checkpoint cannot be used, with what to do ('' when it is usable)."""
    if not adapter.CAPABILITIES.needs_checkpoint:
        return ""
    path = Path(checkpoint).expanduser() if checkpoint else default_checkpoint(adapter)
    if path.is_dir() and (path / "config.json").exists():
        return ""
    where = f"checkpoint {path}" if checkpoint else f"the default checkpoint {path} (FCAST_TSFM_HOME)"
    found = "is not a folder" if not path.is_dir() else "has no config.json"
    return (
        f"{adapter.__name__}: {where} {found}. Weights are never downloaded at run time: {adapter.HOW_TO_GET} "
        f"into that folder, or set model_args.checkpoint to a folder holding config.json and the weights."
    )


def resolve_checkpoint(adapter: type, checkpoint: str | None) -> Path:
    problem = checkpoint_problem(adapter, checkpoint)
    if problem:
        raise CheckpointMissingError(problem)
    return Path(checkpoint).expanduser() if checkpoint else default_checkpoint(adapter)


def checkpoint_fingerprint(adapter: type, checkpoint: str | None) -> str:
    """A cheap identity of the weights a row would load (file names, sizes, modification times), '' without any."""
    if not adapter.CAPABILITIES.needs_checkpoint or checkpoint_problem(adapter, checkpoint):
        return ""
    folder = resolve_checkpoint(adapter, checkpoint)
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        status = path.stat()
        digest.update(f"{path.relative_to(folder)}|{status.st_size}|{status.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
