"""Verifier protocol: verify(proposal, p, gen) -> Verdict.

p is (k+1, V): the warped target distribution at each draft position plus the bonus row,
all from ONE batched target call. Verifiers never call a model.
"""
from __future__ import annotations

import torch

from ..config import SamplingConfig
from ..registry import Registry
from ..types import Proposal, Verdict

VERIFIERS: Registry[type["Verifier"]] = Registry("verifier")


class Verifier:
    exact = True

    def __init__(self, sampling: SamplingConfig):
        self.sampling = sampling

    def check(self, deterministic_proposer: bool) -> None:
        """Raise SpecDecodeError when this verifier cannot serve that setting."""

    def verify(self, proposal: Proposal, p: torch.Tensor, gen: torch.Generator) -> Verdict:
        raise NotImplementedError


def match_prefix(drafted: list[int], chosen: list[int]) -> Verdict:
    """Accept draft tokens while they equal the target's choice at their position
    (argmax at T = 0, a sample otherwise); emit the first differing choice, or the bonus
    choice after the last draft. drafted (k,), chosen (k+1,)."""
    outcomes = []
    for i, x in enumerate(drafted):
        outcomes.append(x == chosen[i])
        if not outcomes[-1]:
            return Verdict(i, chosen[i], tuple(outcomes))
    return Verdict(len(drafted), chosen[len(drafted)], tuple(outcomes))
