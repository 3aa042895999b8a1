"""`rouge_l`: ROUGE-L F-measure (rouge_score, no stemming) of the output against the
reference, in [0, 1]. For summarization."""
from __future__ import annotations

from functools import lru_cache

from .base import SCORERS, ReferenceScorer, Score, ScoreInput


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F in [0, 1]; identical texts score 1 (rouge_score gives 0 to empty ones)."""
    if hypothesis == reference:
        return 1.0
    return float(_scorer().score(reference, hypothesis)["rougeL"].fmeasure)


@SCORERS.register("rouge_l")
class RougeLScorer(ReferenceScorer):
    def score(self, inp: ScoreInput) -> Score:
        return Score(rouge_l(inp.text, inp.reference))
