"""Registries: roles (proposers, verifiers, controllers, ...) are chosen by name.

    PROPOSERS = Registry("proposer")
    @PROPOSERS.register("ngram")
    class NgramProposer: ...
    PROPOSERS.get("ngarm")  # SpecDecodeError: Unknown proposer 'ngarm'. Available: ...
"""
from __future__ import annotations

import difflib
from typing import Callable, Generic, TypeVar

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
        if name not in self._items:
            hint = difflib.get_close_matches(name, self.names(), n=1)
            maybe = f" Did you mean '{hint[0]}'?" if hint else ""
            raise SpecDecodeError(
                f"Unknown {self.role} '{name}'.{maybe} Available: {', '.join(self.names())}"
            )
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
