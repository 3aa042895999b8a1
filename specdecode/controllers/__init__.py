"""Draft-length controllers, registered by name."""
from . import auto, confidence, fixed, heuristic  # noqa: F401  (registration side effects)
from .base import CONTROLLERS, Controller

__all__ = ["CONTROLLERS", "Controller"]
