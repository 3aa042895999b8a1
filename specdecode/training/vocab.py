"""The draft's vocabulary subset (FR-Spec): the draft scores only the tokens the target
predicts most often, so its LM head costs a fraction of the full one (q = 0 elsewhere, so
verification stays exact). V full vocabulary, V' subset size, d hidden width."""
from __future__ import annotations

from collections import Counter

import torch
import torch.nn.functional as F

from .teacher import TeacherSeq


def choose_subset(seqs: list[TeacherSeq], size: int, vocab_size: int, always=(0, 1, 2)) -> torch.Tensor:
    """The `size` token ids the target predicts most often (argmax at every position,
    counting continuation tokens twice); ties and leftovers go to low ids (BPE merge
    order roughly follows corpus frequency). Returns sorted LongTensor (size,)."""
    counts: Counter[int] = Counter()
    for s in seqs:
        counts.update(s.top_idx[:, 0].tolist())
        counts.update(s.ids[s.n_prompt :].tolist())
    return most_frequent(counts, size, vocab_size, always)


def most_frequent(counts: Counter[int], size: int, vocab_size: int, always=()) -> torch.Tensor:
    """`always` first, then ids by falling count, then the lowest unused ids (BPE merge
    order roughly follows corpus frequency) up to `size` (at most the vocabulary).
    Sorted LongTensor (size,)."""
    size = min(size, vocab_size)
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    chosen = list(dict.fromkeys(list(always) + ranked))[:size]
    taken = set(chosen)
    filler = (t for t in range(vocab_size) if t not in taken)
    while len(chosen) < size:
        chosen.append(next(filler))
    return torch.tensor(sorted(chosen), dtype=torch.long)


def subset_map(subset: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(V,) full id -> position in the subset, -1 outside it."""
    m = torch.full((vocab_size,), -1, dtype=torch.long)
    m[subset] = torch.arange(len(subset))
    return m


def inside_mask(subset: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(V,) bool, True for the subset's ids (coverage counts)."""
    inside = torch.zeros(vocab_size, dtype=torch.bool)
    inside[subset] = True
    return inside


class SubsetHead(torch.nn.Module):
    """The draft's LM-head rows for the subset: h (.., d) -> logits (.., V')."""

    def __init__(self, weight: torch.Tensor, subset: torch.Tensor, trainable: bool):
        super().__init__()
        self.weight = torch.nn.Parameter(weight[subset].detach().clone(), requires_grad=trainable)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(h, self.weight)
