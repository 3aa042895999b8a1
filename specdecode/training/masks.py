"""Which rows a loss counts, and which keys an unrolled draft step may attend to."""
from __future__ import annotations

import torch


def continuation_weights(n: int, first: int, prompt_weight: float) -> torch.Tensor:
    """(n,) loss weights: prompt_weight for rows before `first`, 1 from `first` on (the rows
    that predict continuation tokens, which is what decoding drafts)."""
    w = torch.full((n,), prompt_weight)
    w[first:] = 1.0
    return w


def step_mask(L: int, s: int, device=None) -> torch.Tensor:
    """(L, s*L) bool, True = may attend: the step-s query at position i over the keys
    [step-1 rows (L) | step-2 rows (L) | ... | step-s rows (L)]. Step-1 rows of positions
    <= i-s+1 (the true features behind the chain) and the chain's own rows at steps 2..s:
    the KV cache a hidden-state draft has when it drafts its s-th token."""
    i = torch.arange(L, device=device)[:, None]
    j = torch.arange(L, device=device)[None]
    parts = [j <= i - s + 1] + [j == i - s + t for t in range(2, s + 1)]
    mask = torch.cat(parts, 1)
    mask[torch.arange(L), (s - 1) * L + torch.arange(L)] = True  # itself (also rows i < s-1)
    return mask
