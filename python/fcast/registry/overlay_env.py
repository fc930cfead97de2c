"""A throwaway interpreter with another release of one library over this environment's other packages.

`fcast registry scan LIB --version V` uses it to scan an older (or newer) release beside the
installed one: a venv without pip whose site-packages holds only LIB==V and a .pth file that
appends this environment's site-packages, so torch and the rest are shared, not downloaded again.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from fcast import settings
from fcast.errors import FcastError


class OverlayEnvironmentError(FcastError, RuntimeError):
    pass


def overlay_folder(library: str, version: str) -> Path:
    return settings.beside_warehouse("registry_envs") / f"{library}-{version}"


def _interpreter(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def overlay_python(library: str, version: str) -> Path:
    """The interpreter of the overlay for library==version, created (once) when missing."""
    folder = overlay_folder(library, version)
    python = _interpreter(folder)
    marker = folder / "fcast-overlay.txt"
    if marker.exists() and python.exists():
        return python
    venv.EnvBuilder(with_pip=False, clear=True).create(folder)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "fcast_base_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            purelib,
            f"{library}=={version}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        raise OverlayEnvironmentError(
            f"could not install {library}=={version} into {folder}: {install.stderr.strip()[-1500:]}"
        )
    marker.write_text(f"{library}=={version}\n")
    return python
