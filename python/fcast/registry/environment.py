"""The environment key: a library version plus the Python, torch and accelerator that shape behaviour.

Runs inside the scan worker (standard library, plus torch when it is installed).
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import sys


def distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def detect_accelerator() -> str:
    """cuda:<device> when torch sees a GPU, mps on Apple silicon, else cpu (torch absent: cpu)."""
    if distribution_version("torch") is None:
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def version_sort_key(version: str) -> str:
    """A text key that sorts like the version: 3.10.0 after 3.9.1; a pre-release before its release."""
    release = re.match(r"(\d+(?:\.\d+)*)", version)
    numbers = [int(part) for part in release.group(1).split(".")] if release else [0]
    numbers = [*numbers, 0, 0, 0][:4]
    suffix = version[release.end() :] if release else version
    return ".".join(f"{number:05d}" for number in numbers) + ("~" if not suffix else f"-{suffix}")


def environment_facts(library: str) -> dict:
    version = distribution_version(library)
    python_version = platform.python_version()
    torch_version = distribution_version("torch") or "none"
    accelerator = detect_accelerator()
    shown_version = version or "not-installed"
    return {
        "env_key": f"{library}=={shown_version}|py{python_version}|torch{torch_version}|{accelerator}",
        "library": library,
        "library_version": shown_version,
        "version_sort_key": version_sort_key(version or "0"),
        "python_version": python_version,
        "torch_version": torch_version,
        "accelerator": accelerator,
        "interpreter": sys.executable,
        "status": "scanned" if version else "not_installed",
    }
