"""Per-position statistics of one cycle, computed only when a consumer asks for them
(MethodConfig.position_stats, or a role listing "positions" in its `needs`).

At every checked position: the drafted token and the target's argmax there, p(x) and
q(x) of the drafted token, the entropies of q and p, and KL(q || p). The distributions
are the models' own (softmax of the raw logits at temperature 1), so the numbers mean
the same at T = 0 and T > 0.
"""
from __future__ import annotations

import torch

from .types import PositionStat, Proposal, Verdict
from .verifiers.base import children_of


def checked_nodes(proposal: Proposal, verdict: Verdict) -> list[int]:
    """The node checked at each depth: the accepted path, then (on a rejection) the
    first child tried below it."""
    nodes = list(verdict.path)
    if len(verdict.outcomes) > len(nodes):
        parent = nodes[-1] if nodes else -1
        nodes.append(parent + 1 if proposal.is_chain else children_of(proposal.parent_list)[parent][0])
    return nodes


def position_stats(proposal: Proposal, verdict: Verdict, target_logits: torch.Tensor) -> tuple[PositionStat, ...]:
    """target_logits (n + 1, V) raw, by row (0 = root, 1 + i = node i)."""
    nodes = checked_nodes(proposal, verdict)
    if not nodes:
        return ()
    parents = proposal.parent_list
    rows = torch.tensor([1 + parents[i] for i in nodes])
    log_p = torch.log_softmax(target_logits[rows].float(), dim=-1)          # (m, V)
    x = torch.tensor([proposal.tokens[i] for i in nodes])                  # (m,)
    m = torch.arange(len(nodes))
    p_x = log_p[m, x].exp()
    h_p = torch.special.entr(log_p.exp()).sum(-1)
    q, log_q = _draft_dist(proposal, nodes)                                # (m, V) or None
    if q is None:  # deterministic draft: q is one-hot on x
        q_x, h_q, kl = torch.ones(len(nodes)), torch.zeros(len(nodes)), [None] * len(nodes)
    else:
        q_x = q[m, x]
        h_q = torch.special.entr(q).sum(-1)
        kl = torch.where(q > 0, q * (log_q - log_p), torch.zeros(())).sum(-1).tolist()
    argmax = target_logits[rows].argmax(-1).tolist()
    return tuple(PositionStat(int(x[j]), int(argmax[j]), float(p_x[j]), float(q_x[j]), float(h_q[j]),
                              float(h_p[j]), kl[j]) for j in range(len(nodes)))


def _draft_dist(proposal: Proposal, nodes: list[int]):
    """(q, log q) at the nodes from the raw draft logits (else the warped q); None for a
    deterministic proposal."""
    idx = torch.tensor(nodes)
    if proposal.draft_logits is not None:
        log_q = torch.log_softmax(proposal.draft_logits[idx].float(), dim=-1)
        return log_q.exp(), log_q
    if proposal.draft_probs is not None:
        q = proposal.draft_probs[idx].float()
        return q, q.log()
    return None, None
