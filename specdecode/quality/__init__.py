"""Task-quality scorers, registered by name in SCORERS (one small file each), and the
record's `quality` object (score.py). Importing this package registers the built-ins:
math_exact, humaneval (sandboxed, sandbox.py), chrf, rouge_l, agreement."""
from . import agreement, chrf, humaneval, math_exact, rouge_l  # noqa: F401  (registration)
from .base import SCORERS, Score, ScoreInput, Scorer
from .score import BaselineOutput, check_items, quality

__all__ = ["SCORERS", "BaselineOutput", "Score", "ScoreInput", "Scorer", "check_items", "quality"]
