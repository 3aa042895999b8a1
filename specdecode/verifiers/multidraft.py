"""`multidraft`: exact verification of token trees at any temperature (SpecInfer
arXiv 2305.09781, SpecTr arXiv 2310.15141; METHODS.md item 3).

From the root down: at node v the residual starts as r = p (v's row). Its children
x_1, x_2, ... (proposal order) are tried in turn: accept x_j with probability
min(1, r(x_j) / q_j(x_j)), where q_j is the law x_j was drawn from (draft_probs; one-hot
on x_j for a deterministic proposal); on a rejection r <- norm(max(0, r - q_j)). The
first accepted child becomes v and the walk goes on; when every child is rejected the
recovered token is a sample of r; below a leaf the bonus is a sample of p there.

Exact when v's children are independent samples x_j ~ q_j given the path to v and the
number of children is not decided by their own values (proposers/tree_common.py). A
chain is the one-child case: speculative sampling. At T = 0 (one-hot p) it accepts
exactly the argmax, so it is greedy matching."""
import torch

from ..sampling import residual, sample
from ..types import Verdict
from .base import VERIFIERS, Verifier, children_of


@VERIFIERS.register("multidraft")
class MultiDraftVerifier(Verifier):
    def verify(self, proposal, inp, gen):
        kids = children_of(proposal.parent_list)
        node, path, outcomes = -1, [], []
        while kids.get(node):
            hit, r = self.try_children(proposal, kids[node], inp.p[node + 1], gen)
            outcomes.append(hit is not None)
            if hit is None:
                return Verdict(tuple(path), int(sample(r[None], gen)[0]), tuple(outcomes))
            path.append(hit)
            node = hit
        return Verdict(tuple(path), int(sample(inp.p[node + 1 : node + 2], gen)[0]), tuple(outcomes))

    def try_children(self, proposal, children, p_row, gen):
        """-> (accepted child or None, the residual after the rejections). p_row (V,)."""
        r = p_row
        for c in children:
            x = proposal.tokens[c]
            q = self.q_row(proposal, c, r)
            u = float(torch.rand(1, generator=gen))
            if q[x] > 0 and u < min(1.0, float(r[x] / q[x])):
                return c, r
            r = self.update(r, q)
        return None, r

    @staticmethod
    def q_row(proposal, c, like):
        """(V,) the law node c was drawn from: draft_probs, or one-hot on its token."""
        if proposal.draft_probs is not None:
            return proposal.draft_probs[c]
        return torch.zeros_like(like).index_fill_(0, torch.tensor([proposal.tokens[c]]), 1.0)

    @staticmethod
    def update(r, q):
        """The residual after rejecting a draw of q: norm(max(0, r - q))."""
        return residual(r, q)
