"""Plug-ins: modules that register roles (proposers, verifiers, controllers, peers, model
kinds, model-id schemes, ...) when imported. Found automatically, in this order:

1. BUILTIN: in-tree plug-ins (the zoo registers the `zoo:` model scheme);
2. the Python entry points of group `specdecode.plugins`, e.g. in a package's pyproject:
       [project.entry-points."specdecode.plugins"]
       mymethod = "mypackage.specdecode_plugin"
3. the environment variable SPECDECODE_PLUGINS: comma-separated module names.

A plug-in module registers what it adds at import time, e.g.

    from specdecode.proposers import PROPOSERS, Proposer

    @PROPOSERS.register("my-proposer")
    class MyProposer(Proposer): ...

load_plugins() runs once per process: on the first lookup in any registry
(registry.Registry) and at CLI start-up. A module that fails to import is a one-line
SpecDecodeError naming it, never a silently missing method.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

from .errors import SpecDecodeError

ENTRY_POINT_GROUP = "specdecode.plugins"
ENV_VAR = "SPECDECODE_PLUGINS"
BUILTIN = ("specdecode.zoo",)


@dataclass(frozen=True)
class Plugin:
    module: str
    source: str  # "builtin" | "entry point NAME (DIST)" | ENV_VAR


_loaded: list[Plugin] | None = None  # None: not loaded yet


def discover() -> list[Plugin]:
    """Every plug-in module to import, without importing any of them."""
    from importlib.metadata import entry_points

    found = [Plugin(m, "builtin") for m in BUILTIN]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(getattr(ep, "dist", None), "name", None)
        found.append(Plugin(ep.value.split(":")[0].strip(), f"entry point {ep.name}" + (f" ({dist})" if dist else "")))
    for name in os.environ.get(ENV_VAR, "").split(","):
        if name.strip():
            found.append(Plugin(name.strip(), ENV_VAR))
    seen, out = set(), []
    for p in found:
        if p.module not in seen:
            seen.add(p.module)
            out.append(p)
    return out


def load_plugins(reload: bool = False) -> list[Plugin]:
    """Import every plug-in module once (reload=True: discover again; modules already
    imported are not re-executed). Returns the plug-ins loaded."""
    global _loaded
    if _loaded is not None and not reload:
        return _loaded
    _loaded = []  # set first: a plug-in's own registry lookups must not recurse
    for plugin in discover():
        try:
            importlib.import_module(plugin.module)
        except Exception as exc:  # noqa: BLE001 - any failure is reported, in one line
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            _loaded = None  # every later lookup reports it again, never a silent gap
            raise SpecDecodeError(
                f"plug-in module '{plugin.module}' (from {plugin.source}) failed to import: "
                f"{type(exc).__name__}{': ' + msg if msg else ''}; fix or remove it"
                + (f" (unset {ENV_VAR})" if plugin.source == ENV_VAR else "")
            ) from None
        _loaded.append(plugin)
    return _loaded


def loaded() -> list[Plugin]:
    """The plug-ins imported so far (loads them first if needed)."""
    return load_plugins()
