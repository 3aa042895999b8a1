"""Verifiers, registered by name. Importing this package registers the built-ins."""
from . import auto, fsd, fuzzy, greedy, match, multidraft, rejection, topk, typical  # noqa: F401  (registration side effects)
from .base import VERIFIERS, Verifier

__all__ = ["VERIFIERS", "Verifier"]
