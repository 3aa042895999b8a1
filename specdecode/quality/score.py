"""The record's `quality` object for one ok item, and the bench config's scorer check.

    quality = {"scorer": name, "score": [0, 1], "binary": bool, "detail": str | None,
               "agreement": None | {"baseline": method, "prefix_match": [0, 1], "chrf": [0, 1]}}

quality is None when the scorer cannot score the item (the `agreement` scorer without
the baseline's output in the item's group: the baseline failed, or on resume its record
was written by an earlier run).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecDecodeError
from .agreement import agreement
from .base import SCORERS, ScoreInput


@dataclass(frozen=True)
class BaselineOutput:
    method: str
    text: str
    ids: tuple[int, ...]


def quality(scorer: str, reference: str | None, meta: dict, text: str, ids,
            baseline: BaselineOutput | None) -> dict | None:
    """Score one output with the named scorer, and its agreement with the baseline."""
    agree = None if baseline is None else agreement(baseline.method, text, ids, baseline.text, baseline.ids)
    impl = SCORERS.get(scorer)()
    score = impl.score(ScoreInput(text, tuple(ids), reference, dict(meta), agree))
    if score is None:
        return None
    return {"scorer": scorer, "score": float(score.value), "binary": bool(impl.binary),
            "detail": score.detail, "agreement": agree}


def check_items(suite: str, scorer: str, items) -> None:
    """One-line error when the scorer is unknown or some item lacks what it needs."""
    impl = SCORERS.get(scorer)()  # unknown: "Unknown scorer 'x'. Available: ..."
    for item in items:
        why = impl.missing(item.reference, item.meta)
        if why:
            raise SpecDecodeError(
                f"scorers.{suite}: scorer '{scorer}' needs {impl.needs}, but item '{item.id}' has {why}; "
                "use scorer agreement (or chrf / rouge_l with references)")
