"""`chrf`: chrF (sacrebleu, character n-grams up to 6, beta 2) of the output against the
reference, scaled from sacrebleu's 0..100 to [0, 1]. For translation and data-to-text."""
from __future__ import annotations

from functools import lru_cache

from .base import SCORERS, ReferenceScorer, Score, ScoreInput


@lru_cache(maxsize=1)
def _metric():
    from sacrebleu.metrics import CHRF

    return CHRF()


def chrf(hypothesis: str, reference: str) -> float:
    """chrF in [0, 1]; identical texts (the empty one too) score 1."""
    if hypothesis == reference:
        return 1.0
    score = _metric().sentence_score(hypothesis, [reference]).score / 100.0
    return min(max(score, 0.0), 1.0)


@SCORERS.register("chrf")
class ChrfScorer(ReferenceScorer):
    def score(self, inp: ScoreInput) -> Score:
        return Score(chrf(inp.text, inp.reference))
