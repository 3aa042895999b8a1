"""Frozen configuration dataclasses. Every knob lives here, validated on construction,
so a bad value fails with one line that names the fix before any model is loaded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import SpecDecodeError


@dataclass(frozen=True)
class SamplingConfig:
    """How a distribution is drawn from logits; applied to target AND draft alike.
    temperature 0 means greedy (argmax); top_k 0 means no top-k cut."""

    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0

    def __post_init__(self):
        if self.temperature < 0:
            raise SpecDecodeError(f"temperature must be >= 0 (got {self.temperature}); use 0 for greedy")
        if self.top_k < 0:
            raise SpecDecodeError(f"top-k must be >= 0 (got {self.top_k}); use 0 to disable it")
        if not 0 < self.top_p <= 1:
            raise SpecDecodeError(f"top-p must be in (0, 1] (got {self.top_p}); use 1 to disable it")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class GenerationConfig:
    """Stopping rules and the seed of one generation."""

    max_new_tokens: int = 128
    seed: int = 0
    stop_strings: tuple[str, ...] = ()
    stop_at_eos: bool = True

    def __post_init__(self):
        if self.max_new_tokens < 0:
            raise SpecDecodeError(
                f"max_new_tokens must be >= 0 (got {self.max_new_tokens}); use e.g. --max-new-tokens 128"
            )


@dataclass(frozen=True)
class MethodConfig:
    """A method = proposer + verifier + controller, each chosen by registry name, plus
    their parameters. `k` is the (initial / maximum) draft length."""

    proposer: str = "none"
    verifier: str = "auto"
    controller: str = "fixed"
    k: int = 4
    proposer_params: dict[str, Any] = field(default_factory=dict)
    controller_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.k, int) or self.k < 1:
            raise SpecDecodeError(f"k must be an integer >= 1 (got {self.k!r}); use e.g. --k 4")
