"""Verifier protocol: verify(proposal, VerifyInput, gen) -> Verdict.

VerifyInput rows come from ONE target call over the proposal: row 0 is the root (the
last committed token), row 1 + i is node i, for chains and trees alike. `p` is the warped
target distribution, `logits` the raw logits, `hidden` the target's last hidden states
when the verifier lists "hidden" in `needs`. Verifiers never call a model.

A verifier is a registered class with frozen `Params`, built as Cls(params, sampling).
Whether it is exact is a property of the configured instance (`exact`): top-k with K = 1
at T = 0 is exact, with K = 4 it is not.
"""
from __future__ import annotations

import torch

from ..config import SamplingConfig
from ..errors import SpecDecodeError
from ..params import NoParams
from ..registry import Registry
from ..types import Proposal, Verdict, VerifyInput

VERIFIERS: Registry[type["Verifier"]] = Registry("verifier")


class Verifier:
    Params = NoParams
    needs: frozenset[str] = frozenset()  # what the target call must also return: {"hidden"}
    reads_control: frozenset[str] = frozenset()  # VerifyInput.control keys it obeys, e.g. {"T"}

    def __init__(self, params, sampling: SamplingConfig):
        self.params = params
        self.sampling = sampling

    @property
    def exact(self) -> bool:
        """True when the emitted tokens follow exactly the target's distribution."""
        return True

    def check(self, proposer) -> None:
        """Raise SpecDecodeError when this verifier cannot serve that proposer here."""

    def verify(self, proposal: Proposal, inp: VerifyInput, gen: torch.Generator) -> Verdict:
        raise NotImplementedError


def refuse_trees(name: str, proposer) -> None:
    """For chain-only verifiers' check(): a proposer that drafts token trees (`tree`)
    needs a tree-aware verifier."""
    if getattr(proposer, "tree", False):
        raise SpecDecodeError(f"the {name} verifier checks chains, and this proposer drafts token trees; "
                              "use --verifier multidraft (or auto, match, greedy)")


def children_of(parents: tuple[int, ...]) -> dict[int, list[int]]:
    """parent index (-1 = root) -> its children's node indices, in proposal order."""
    kids: dict[int, list[int]] = {}
    for i, par in enumerate(parents):
        kids.setdefault(par, []).append(i)
    return kids


def match_path(proposal: Proposal, chosen: list[int]) -> Verdict:
    """Walk down from the root while some child's token equals the target's choice at
    the current row (argmax at T = 0, a sample otherwise); emit the first choice no child
    matches, or the bonus choice below the last accepted node. chosen (n + 1,) by row.
    For a chain this is: accept while x_i == chosen[i]."""
    tokens = proposal.tokens
    if proposal.is_chain:  # the common case, without building the children map
        outcomes = []
        for i, x in enumerate(tokens):
            outcomes.append(x == chosen[i])
            if not outcomes[-1]:
                return Verdict(tuple(range(i)), chosen[i], tuple(outcomes))
        return Verdict(tuple(range(len(tokens))), chosen[len(tokens)], tuple(outcomes))
    kids = children_of(proposal.parent_list)
    node, path, outcomes = -1, [], []
    while kids.get(node):
        y = chosen[node + 1]
        hit = next((c for c in kids[node] if tokens[c] == y), None)
        outcomes.append(hit is not None)
        if hit is None:
            return Verdict(tuple(path), y, tuple(outcomes))
        path.append(hit)
        node = hit
    return Verdict(tuple(path), chosen[node + 1], tuple(outcomes))
