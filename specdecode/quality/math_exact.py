"""`math_exact`: 1 when the output's final number equals the reference answer, else 0.

The final number is the one after the last `#### ` marker when there is one, else the
last number in the output ("1,234" reads as 1234). The answer is meta["answer"], else
the number after `#### ` in the reference (GSM8K style). Compared as numbers.
"""
from __future__ import annotations

import math
import re

from .base import SCORERS, Score, ScoreInput, Scorer

_NUMBER = r"-?\d+(?:,\d{3})*(?:\.\d+)?"
_MARKED = re.compile(r"####\s*\$?\s*(" + _NUMBER + ")")


def final_number(text: str) -> float | None:
    """The number after the last `####`, else the last number, else None."""
    marked = _MARKED.findall(text)
    numbers = marked or re.findall(_NUMBER, text)
    return float(numbers[-1].replace(",", "")) if numbers else None


def answer_of(reference: str | None, meta: dict) -> float | None:
    if meta.get("answer") is not None:
        return final_number(str(meta["answer"]))
    marked = _MARKED.findall(reference or "")
    return float(marked[-1].replace(",", "")) if marked else None


@SCORERS.register("math_exact")
class MathExactScorer(Scorer):
    binary = True
    needs = "meta answer or a '#### N' reference"

    def missing(self, reference: str | None, meta: dict) -> str | None:
        return None if answer_of(reference, meta) is not None else "no meta answer nor '#### N' reference"

    def score(self, inp: ScoreInput) -> Score:
        expected, got = answer_of(inp.reference, inp.meta), final_number(inp.text)
        if got is None:
            return Score(0.0, "no number in the output")
        ok = math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
        return Score(float(ok), f"{'correct' if ok else 'wrong'}: {got:g} (expected {expected:g})")
