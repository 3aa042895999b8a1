"""The offline model zoo: models addressed as `zoo:NAME` wherever a model id is accepted.

    from specdecode import zoo
    path = zoo.resolve("tiny")           # built HF directory (built on first use)
    zoo.identity("tiny")                 # {"name": "zoo:tiny", "hash": "..."} for records
    zoo.local_path("zoo:tiny-draft")     # zoo ids -> directory; other ids pass through

The build system: registry.py (entries and the builder contract), cache.py (where builds
live, when they are rebuilt, locking), integrity.py (hashes, manifest, verification).
The other modules are builders: thin recipe files (a frozen RECIPE, SOURCE, LICENCE,
build()) over specdecode.training, which holds everything they train with.
"""
from __future__ import annotations

from ..registry import MODEL_SCHEMES
from .cache import cache_root, entry_dir, identity, read_manifest, resolve
from .registry import ZOO, ZOO_PREFIX, ZooEntry, entry, names

__all__ = [
    "ZOO", "ZOO_PREFIX", "ZooEntry", "cache_root", "entry", "entry_dir", "identity",
    "is_zoo_id", "local_path", "names", "read_manifest", "resolve",
]


def is_zoo_id(model_id: str) -> bool:
    return str(model_id).startswith(ZOO_PREFIX)


def local_path(model_id: str, build: bool = True) -> str:
    """`zoo:NAME` -> its built directory (building it if needed); anything else unchanged."""
    if is_zoo_id(model_id):
        return str(resolve(model_id, build=build))
    return model_id


# `zoo:NAME` model ids, wherever load_model accepts an id: models/ consults MODEL_SCHEMES
# and never imports the zoo (plugins.py imports this package as a built-in plug-in).
MODEL_SCHEMES.register("zoo")(resolve)
