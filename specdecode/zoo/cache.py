"""Where zoo models live on disk, and how they get (re)built there.

Layout under the cache root ($SPECDECODE_CACHE, else the user cache dir + /specdecode):
    zoo/NAME/           a complete entry: HF files + zoo-manifest.json (+ stamp)
    zoo/.tmp/NAME-*/    a build in progress; renamed to zoo/NAME/ only when complete
    zoo/.locks/NAME.lock  fcntl lock held while checking or building NAME

The recipe hash is sha256 of canonical JSON {recipe: asdict(RECIPE), seed, builder module,
deps: {dep name: dep weights hash}}; a draft is rebuilt when the target it was distilled
from changes. Recipe fields declared with recipes.added_field are hashed only once set
away from their defaults, so a new knob does not rebuild every cached model.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from ..errors import SpecDecodeError
from ..recipes import hashed_recipe
from . import integrity as ig
from . import registry

ENV_VAR = "SPECDECODE_CACHE"
DEFAULT_SEED = 0
MANIFEST_VERSION = 1
VERSIONED = ("torch", "transformers", "tokenizers", "safetensors", "numpy", "specdecode")


def cache_root() -> Path:
    """$SPECDECODE_CACHE, else the platform's user cache directory + /specdecode."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "specdecode"


def entry_dir(name: str) -> Path:
    return cache_root() / "zoo" / registry.strip_prefix(name)


def read_manifest(name: str) -> dict[str, Any] | None:
    return ig.read_json(entry_dir(name) / ig.MANIFEST)


def recipe_hash(builder: ModuleType, seed: int, dep_hashes: dict[str, str]) -> str:
    payload = {
        "recipe": hashed_recipe(builder.RECIPE),
        "seed": seed,
        "builder": builder.__name__,
        "deps": dep_hashes,
    }
    return ig.canonical_sha256(payload)


def resolve(name: str, build: bool = True, seed: int | None = None, force: bool = False) -> Path:
    """The built directory of zoo entry `name` ("tiny" or "zoo:tiny").

    Builds it (dependencies first) when missing, when its recipe or a dependency changed,
    or when a file fails verification. seed=None accepts whatever seed the cached build
    used (DEFAULT_SEED for a fresh build); force=True rebuilds regardless.
    build=False raises SpecDecodeError instead of building.
    """
    item = registry.entry(name)
    builder = registry.load_builder(item)
    deps = {dep: resolve(dep, build=build) for dep in item.deps}
    dep_hashes = {dep: read_manifest(dep)["weights_hash"] for dep in item.deps}
    with _locked(item.name):
        manifest = read_manifest(item.name)
        problem = "forced rebuild" if force else _problem(item.name, builder, seed, dep_hashes)
        if problem is None:
            return entry_dir(item.name)
        if not build:
            raise SpecDecodeError(
                f"zoo:{item.name} {problem}; run `specdecode zoo build {item.name}`"
            )
        if manifest is not None:
            print(f"zoo:{item.name} {problem}; rebuilding", file=sys.stderr)  # one line
        if seed is None:
            seed = manifest["seed"] if manifest and "seed" in manifest else DEFAULT_SEED
        _build(item, builder, seed, deps, dep_hashes)
    return entry_dir(item.name)


def identity(name: str) -> dict[str, str]:
    """{"name": "zoo:NAME", "hash": short weights hash}, for result records."""
    item = registry.entry(name)
    resolve(item.name)
    return {"name": registry.ZOO_PREFIX + item.name, "hash": read_manifest(item.name)["weights_hash"]}


def _problem(name: str, builder: ModuleType, seed: int | None, dep_hashes: dict[str, str]) -> str | None:
    """Why the cached entry cannot be used as is, or None when it can."""
    manifest = read_manifest(name)
    if manifest is None:
        return "is not built"
    if manifest.get("manifest_version") != MANIFEST_VERSION:
        return "has an old manifest format"
    if seed is not None and seed != manifest.get("seed"):
        return f"was built with seed {manifest.get('seed')}, not {seed}"
    if manifest.get("deps") != dep_hashes:
        return "dependency changed"
    if manifest.get("recipe_hash") != recipe_hash(builder, manifest.get("seed"), dep_hashes):
        return "recipe changed"
    corrupt = ig.find_corruption(entry_dir(name), manifest["files"])
    return None if corrupt is None else f"cache corrupted ({corrupt})"


def _build(item: registry.ZooEntry, builder: ModuleType, seed: int,
           deps: dict[str, Path], dep_hashes: dict[str, str]) -> None:
    """Build into zoo/.tmp/NAME-*, write the manifest, then rename into place."""
    final = entry_dir(item.name)
    tmp_parent = final.parent / ".tmp"
    tmp_parent.mkdir(parents=True, exist_ok=True)
    for stale in tmp_parent.glob(f"{item.name}-*"):  # left by an interrupted build
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{item.name}-", dir=tmp_parent))
    print(f"zoo:{item.name}: building (seed {seed}) into {final}", file=sys.stderr)
    try:
        start = time.perf_counter()
        builder.build(tmp, dict(deps), seed)
        seconds = time.perf_counter() - start
        manifest = _manifest(item, builder, seed, dep_hashes, tmp, seconds)
        ig.write_json(tmp / ig.MANIFEST, manifest)
        _swap_into_place(tmp, final)
        ig.write_stamp(final, manifest["files"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"zoo:{item.name}: built in {seconds:.1f} s, {manifest['parameters']} parameters",
          file=sys.stderr)


def _manifest(item, builder, seed, dep_hashes, built: Path, seconds: float) -> dict[str, Any]:
    files = ig.file_table(built)
    if not files:
        raise RuntimeError(f"builder {item.module} wrote no files")
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": registry.ZOO_PREFIX + item.name,
        "builder": builder.__name__,
        "recipe": dataclasses.asdict(builder.RECIPE),
        "seed": seed,
        "recipe_hash": recipe_hash(builder, seed, dep_hashes),
        "deps": dep_hashes,
        "source": builder.SOURCE,
        "licence": builder.LICENCE,
        "files": files,
        "size_bytes": sum(f["size"] for f in files.values()),
        "parameters": ig.safetensors_parameters(built),
        "weights_hash": ig.weights_hash(files),
        "build_seconds": round(seconds, 3),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[dist] = metadata.version(dist)
    return found


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Replace `final` by `tmp`. A crash between the renames leaves no entry (a rebuild),
    never a half-written one that looks complete."""
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{final.name}-old-", dir=tmp.parent))
        os.rename(final, old / final.name)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)


def _locked(name: str):
    """Exclusive lock on zoo/.locks/NAME.lock (one builder per entry across processes)."""
    return build_lock("zoo", name, f"zoo:{name}")


@contextlib.contextmanager
def build_lock(area: str, key: str, label: str) -> Iterator[None]:
    """Exclusive fcntl lock on CACHE/AREA/.locks/KEY.lock, held while checking or building
    one cached entry (the zoo's models, the time-series models); a second process says once
    that it waits, then waits."""
    lock_dir = cache_root() / area / ".locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{key}.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{label}: waiting for another process to finish building it", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
