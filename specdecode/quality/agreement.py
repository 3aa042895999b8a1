"""Agreement with target-only, for every suite, and the `agreement` scorer for suites
without references (chat), whose quality IS agreement with the baseline's output.

    prefix_match  tokens up to the first divergence / baseline tokens (1.0 when identical;
                  0.0 when the baseline is empty and the output is not)
    chrf          chrF of the output text against the baseline's text, in [0, 1]

The `agreement` scorer's score is that chrF (graded; prefix_match stays in the record):
one early divergence makes prefix_match near 0 even when the rest reads the same.
"""
from __future__ import annotations

from .base import SCORERS, Score, ScoreInput, Scorer
from .chrf import chrf


def prefix_match(ids, baseline_ids) -> float:
    ids, base = list(ids), list(baseline_ids)
    if ids == base:
        return 1.0
    if not base:
        return 0.0
    n = 0
    for a, b in zip(ids, base):
        if a != b:
            break
        n += 1
    return n / len(base)


def agreement(baseline: str, text: str, ids, baseline_text: str, baseline_ids) -> dict:
    """The record's quality.agreement object against the baseline method's output."""
    return {"baseline": baseline, "prefix_match": prefix_match(ids, baseline_ids),
            "chrf": chrf(text, baseline_text)}


@SCORERS.register("agreement")
class AgreementScorer(Scorer):
    needs = "the baseline's output in the same group"

    def score(self, inp: ScoreInput) -> Score | None:
        if inp.agreement is None:
            return None  # no baseline output to agree with: quality is null
        return Score(inp.agreement["chrf"])
