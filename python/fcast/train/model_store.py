"""The model store: trained NeuralForecast objects on disk, saved atomically and loaded only when intact.

A model is saved into a temporary folder beside its final place, hashed, then renamed into place,
so a crash never leaves half a model under a recorded path. Loading recomputes the hash of the
files and refuses a folder that differs from the record: neuralforecast's loaders deserialise what
they find, so a changed file must never reach them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcast import settings
from fcast.errors import FcastError


class ModelStoreError(FcastError, RuntimeError):
    pass


class ArtifactMissingError(ModelStoreError):
    pass


class ArtifactTamperedError(ModelStoreError):
    pass


@dataclass(frozen=True)
class SavedModel:
    path: Path
    files_hash: str
    file_count: int
    size_bytes: int


def files_hash(folder: Path) -> tuple[str, int, int]:
    """(sha256 over every file's relative path and content, file count, total bytes)."""
    digest = hashlib.sha256()
    count = size = 0
    for file in sorted(path for path in folder.rglob("*") if path.is_file()):
        relative = file.relative_to(folder).as_posix()
        digest.update(relative.encode() + b"\0")
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        digest.update(b"\0")
        count += 1
    return digest.hexdigest(), count, size


def artifact_dir(dataset: str, run_id: str) -> Path:
    return settings.model_store_dir() / dataset / run_id


def save_model(neuralforecast: Any, destination: Path) -> SavedModel:
    """NeuralForecast.save into a temporary sibling folder, hash it, then rename it into place."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        raise ModelStoreError(f"{destination} already exists; a stored model is never overwritten")
    staging = destination.parent / f".{destination.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        neuralforecast.save(path=str(staging), save_dataset=False, overwrite=True)
        digest, count, size = files_hash(staging)
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SavedModel(destination, digest, count, size)


def verify(path: Path, expected_hash: str) -> None:
    if not path.is_dir():
        raise ArtifactMissingError(f"the stored model {path} is missing")
    digest, _, _ = files_hash(path)
    if digest != expected_hash:
        raise ArtifactTamperedError(
            f"the files of {path} do not match the recorded hash (recorded {expected_hash[:12]}…, found "
            f"{digest[:12]}…): they changed after the model was saved, so it is not loaded. Retrain it "
            "(`fcast retrain RUN_ID`) or restore the original files."
        )


def load_verified(path: Path, expected_hash: str) -> Any:
    """Copy the folder aside, check the copy's hash, and load the copy (nothing can change in between)."""
    import tempfile

    from fcast.library.build import load_forecaster

    verify(path, expected_hash)
    with tempfile.TemporaryDirectory(prefix="fcast-model-") as scratch:
        copy = Path(scratch) / path.name
        shutil.copytree(path, copy)
        verify(copy, expected_hash)
        return load_forecaster(str(copy))
