"""Draft-length controllers, registered by name."""
from . import auto, breakeven, confidence, ewma, fixed, heuristic, jointadaspec, random_policy, specdecpp  # noqa: F401  (registration side effects)
from .base import CONTROLLERS, Controller

__all__ = ["CONTROLLERS", "Controller"]
