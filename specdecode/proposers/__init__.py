"""Proposers, registered by name. Importing this package registers the built-ins."""
from . import draft, dyntree, eagle, ngram, none, specexec, static, suffix, xtok  # noqa: F401  (registration side effects)
from .base import PROPOSERS, Proposer

__all__ = ["PROPOSERS", "Proposer"]
