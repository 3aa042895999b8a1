"""The data types of a prompt suite: one item, one loaded split, one registered recipe."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

SPLITS = ("dev", "test", "all")


@dataclass(frozen=True)
class SuiteItem:
    id: str  # stable, unique within the suite, e.g. "code/HumanEval_0"
    prompt: str  # the user message text (no chat template applied)
    reference: str | None
    meta: dict = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Suite:
    name: str
    version: str  # "<recipe version>+<content hash>": changes whenever any item changes
    description: str
    source: str
    licence: str
    split: str  # "dev" | "test" | "all"
    items: tuple[SuiteItem, ...]
    scorer: str = "agreement"  # quality scorer (specdecode.quality.SCORERS); agreement needs no reference

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class SuiteSpec:
    """A built-in suite: its labels plus a builder that returns every item (both splits).

    `version` is bumped by hand when the recipe changes; the loaded Suite appends a hash
    of the content, so data drift (another package or Python version) shows up too.
    """

    name: str
    version: str
    description: str
    source: str
    licence: str
    build: Callable[[], list[SuiteItem]]
    scorer: str = "agreement"  # quality scorer; the default needs no reference
    held_out: bool = False  # every item is a test item (a set nothing trains or tunes on)


@dataclass(frozen=True)
class SuiteInfo:
    """What `list_suites` reports for one suite: labels and counts per split."""

    name: str
    version: str
    description: str
    source: str
    licence: str
    n_dev: int
    n_test: int

    @property
    def n_total(self) -> int:
        return self.n_dev + self.n_test
