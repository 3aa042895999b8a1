"""Registries: roles (proposers, verifiers, controllers, peers, model kinds, ...) are
chosen by name.

    PROPOSERS = Registry("proposer")
    @PROPOSERS.register("ngram")
    class NgramProposer: ...
    PROPOSERS.get("ngarm")  # SpecDecodeError: Unknown proposer 'ngarm'. Did you mean 'ngram'? Available: ...

The first lookup in any registry (get, names, `in`) loads the plug-ins once
(specdecode/plugins.py), so names registered by plug-in modules are found everywhere:
the CLI, YAML configs and Python alike.

ROLES says where each role's registry lives, so `names_of("proposer")` and the CLI help
can list a role's names without the caller importing every role package.
"""
from __future__ import annotations

import difflib
import importlib
from pathlib import Path
from typing import Callable, Generic, Iterator, TypeVar

from .errors import SpecDecodeError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, role: str):
        self.role = role
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.role} '{name}' registered twice")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        _plugins()
        if not isinstance(name, str):
            raise SpecDecodeError(f"{self.role} must be a name (got {name!r}). Available: {', '.join(self.names())}")
        if name not in self._items:
            hint = difflib.get_close_matches(name, self.names(), n=1)
            maybe = f" Did you mean '{hint[0]}'?" if hint else ""
            raise SpecDecodeError(
                f"Unknown {self.role} '{name}'.{maybe} Available: {', '.join(self.names()) or 'none'}"
            )
        return self._items[name]

    def names(self) -> list[str]:
        _plugins()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        _plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def _plugins() -> None:
    from .plugins import load_plugins  # imported here: plugins.py imports nothing heavy

    load_plugins()


# Model-id schemes: "SCHEME:REST" -> a local directory. The zoo registers "zoo" when it is
# imported (a built-in plug-in, see plugins.py); models/loading.py only consults this
# registry, so the models package never imports the zoo.
MODEL_SCHEMES: Registry[Callable[[str], Path]] = Registry("model scheme")

# role -> (module, attribute) of its registry; imported on demand.
ROLES: dict[str, tuple[str, str]] = {
    "proposer": ("specdecode.proposers", "PROPOSERS"),
    "verifier": ("specdecode.verifiers", "VERIFIERS"),
    "controller": ("specdecode.controllers", "CONTROLLERS"),
    "peer": ("specdecode.bench.peers", "PEERS"),
    "model kind": ("specdecode.models.loading", "MODEL_KINDS"),
    "model scheme": ("specdecode.registry", "MODEL_SCHEMES"),
    "suite": ("specdecode.suites", "SUITES"),
}


def registry_of(role: str) -> Registry:
    module, attr = ROLES[role]
    return getattr(importlib.import_module(module), attr)


def names_of(role: str) -> list[str]:
    return registry_of(role).names()


class NamesOf:
    """A role's registered names, computed when first turned into text: put one on an
    argparse action (`action.registered = NamesOf("proposer")`) and write
    `%(registered)s` in its help, so the help lists plug-ins and building the parser
    imports no role package (torch loads only when a help text is shown)."""

    def __init__(self, role: str):
        self.role = role

    def __str__(self) -> str:
        return ", ".join(names_of(self.role))
