"""The scorer seam: what a scorer reads (ScoreInput), what it returns (Score), and the
SCORERS registry. A scorer is a class with `binary`, `needs` and two methods:

    missing(reference, meta) -> str | None   why an item cannot be scored (None: it can);
                                             the bench config check calls it before any
                                             model loads
    score(inp) -> Score | None               None: not scorable here (agreement without
                                             a baseline output)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import Registry


@dataclass(frozen=True)
class ScoreInput:
    text: str                       # the method's output text (special tokens skipped)
    ids: tuple[int, ...]            # its output token ids
    reference: str | None           # the suite item's reference
    meta: dict = field(default_factory=dict, hash=False)  # the suite item's meta
    agreement: dict | None = None   # {baseline, prefix_match, chrf} vs target-only, or None


@dataclass(frozen=True)
class Score:
    value: float                    # in [0, 1]
    detail: str | None = None       # one short line: why (binary scorers), or None


class Scorer:
    binary: bool = False
    needs: str = "nothing"          # what an item must carry, for error messages

    def missing(self, reference: str | None, meta: dict) -> str | None:
        return None

    def score(self, inp: ScoreInput) -> Score | None:
        raise NotImplementedError


class ReferenceScorer(Scorer):
    """A scorer that compares the output with the item's reference text."""

    needs = "a reference"

    def missing(self, reference: str | None, meta: dict) -> str | None:
        return None if reference else "no reference"


SCORERS: Registry[type[Scorer]] = Registry("scorer")
