"""Position-wise acceptance rules for chains: the common walk of the lossy verifiers.

A rule decides each draft position on its own: accept x_i with probability
accept_prob(row) (1 or 0 for deterministic rules), and at the first rejection emit a
sample of recovery(row); if every position is accepted, emit the bonus from p_{k+1}.
One uniform u_i per position serves both the rule and the exact rule (speculative
sampling, accept iff u_i < min(1, p(x)/q(x))), so `Verdict.mismatches` counts exactly the
accepted tokens the exact rule would have rejected with the same randomness.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch

from ..errors import SpecDecodeError
from ..sampling import sample
from ..types import Verdict
from .base import Verifier, refuse_trees


@dataclass
class Row:
    """One draft position: x, the warped p and q rows (V,), and lazily the models' own
    distributions, softmax of the raw logits (informative at T = 0 too)."""

    x: int
    p: torch.Tensor
    q: torch.Tensor
    logits_p: torch.Tensor
    logits_q: torch.Tensor | None

    @cached_property
    def p_raw(self) -> torch.Tensor:
        return torch.softmax(self.logits_p.float(), -1)

    @cached_property
    def q_raw(self) -> torch.Tensor:
        return self.q if self.logits_q is None else torch.softmax(self.logits_q.float(), -1)


class PositionRule(Verifier):
    def check(self, proposer):
        refuse_trees(type(self).__name__.removesuffix("Verifier").lower(), proposer)

    def accept_prob(self, row: Row) -> float:
        raise NotImplementedError

    def recovery(self, row: Row) -> torch.Tensor:
        """(V,) distribution of the token emitted at a rejection; default: the target's p."""
        return row.p

    def verify(self, proposal, inp, gen):
        if not proposal.is_chain:
            raise SpecDecodeError(f"verifier {type(self).__name__} checks chains; a tree needs a multi-draft verifier")
        tokens, k = proposal.tokens, len(proposal.tokens)
        u = torch.rand(k, generator=gen).tolist()
        outcomes, mismatches = [], 0
        for i, x in enumerate(tokens):
            row = self._row(proposal, inp, i, x)
            ok = u[i] < self.accept_prob(row)
            exact_ok = u[i] < min(1.0, float(row.p[x] / row.q[x])) if row.q[x] > 0 else False
            mismatches += ok and not exact_ok
            outcomes.append(ok)
            if not ok:
                y = int(sample(self.recovery(row)[None], gen)[0])
                return Verdict(tuple(range(i)), y, tuple(outcomes), mismatches)
        return Verdict(tuple(range(k)), int(sample(inp.p[k:k + 1], gen)[0]), tuple(outcomes), mismatches)

    @staticmethod
    def _row(proposal, inp, i, x) -> Row:
        if proposal.draft_probs is not None:
            q = proposal.draft_probs[i]
        else:  # deterministic proposer: q is one-hot on x
            q = torch.zeros_like(inp.p[i]).index_fill_(0, torch.tensor([x]), 1.0)
        raw_q = proposal.draft_logits[i] if proposal.draft_logits is not None else None
        return Row(x, inp.p[i], q, inp.logits[i], raw_q)
