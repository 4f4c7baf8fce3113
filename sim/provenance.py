"""Provenance of results: which code, which environment."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "mesa",
    "numpy",
    "numba",
    "llvmlite",
    "pandas",
    "pyarrow",
    "pydantic",
    "scipy",
    "matplotlib",
)


def wlsim_version() -> str:
    """Installed version of wlsim ("unknown" when run from an uninstalled tree)."""
    try:
        return metadata.version("wlsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """Commit of the wlsim source tree, with "+dirty" if it has changes; None outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}+dirty" if dirty else sha


def provenance() -> dict[str, Any]:
    """Versions of wlsim, Python and the packages that shape results, and the git commit."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "wlsim_version": wlsim_version(),
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
    }
