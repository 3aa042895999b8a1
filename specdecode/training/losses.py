"""The training losses. B batch, T / L positions, V vocabulary, V' subset, k teacher top-k,
d hidden width."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def next_token_loss(model: torch.nn.Module, window: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of next-token prediction. window: (B, T + 1)."""
    logits = model(input_ids=window[:, :-1]).logits  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), window[:, 1:].flatten())


def kl_distill_loss(target: torch.nn.Module) -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
    """loss(draft, window (B, T + 1)): KL(p_target || q_draft) per token, averaged; the
    target's full next-token distributions are the labels."""

    def loss(draft: torch.nn.Module, window: torch.Tensor) -> torch.Tensor:
        inputs = window[:, :-1]
        with torch.no_grad():
            log_p = F.log_softmax(target(input_ids=inputs).logits, dim=-1).flatten(0, 1)  # (B*T, V)
        log_q = F.log_softmax(draft(input_ids=inputs).logits, dim=-1).flatten(0, 1)
        return F.kl_div(log_q, log_p, log_target=True, reduction="batchmean")

    return loss


def weighted_mean(per: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
    """sum(per * wt) / sum(wt); an all-zero weight (all padding) gives 0, not nan."""
    return (per * wt).sum() / wt.sum().clamp(min=1e-6)


def topk_distill_loss(logits, tidx, tval, wt, hard_weight: float) -> torch.Tensor:
    """logits (B, L, V') draft over the subset; tidx/tval (B, L, k) teacher top-k in subset
    coordinates (-1 = outside the subset); wt (B, L). Soft CE against the teacher's top-k
    softmax restricted to the subset, plus hard CE on the teacher argmax (if inside the
    subset), mixed (1 - hard_weight) : hard_weight."""
    logq = logits.float().log_softmax(-1)
    inside = tidx >= 0
    tv = tval.masked_fill(~inside, float("-inf"))
    p = tv.softmax(-1).nan_to_num(0.0)  # (B, L, k); all-outside rows become 0
    lq = logq.gather(-1, tidx.clamp(min=0)) * inside
    soft = -(p * lq).sum(-1)
    hard = -lq[..., 0] * inside[..., 0]
    per = (1 - hard_weight) * soft + hard_weight * hard
    return weighted_mean(per, wt)


def feature_loss(o: torch.Tensor, feats: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
    """Smooth-L1 between a hidden-state draft's outputs o (B, L, d) and the target's
    features feats (B, L, d), averaged over d, weighted by wt (B, L)."""
    per = F.smooth_l1_loss(o.float(), feats, reduction="none").mean(-1)
    return weighted_mean(per, wt)
