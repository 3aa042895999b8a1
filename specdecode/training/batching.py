"""What one optimiser step sees: random windows of a token stream (the tiny models), or
length-bucketed groups of whole sequences (the distilled drafts)."""
from __future__ import annotations

from typing import Iterator

import torch


def random_windows(stream: torch.Tensor, batch: int, context: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless random windows of context + 1 tokens of stream (N,). Yields (batch, context + 1):
    inputs [:, :-1], next-token targets [:, 1:]."""
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.arange(context + 1)
    high = len(stream) - context - 1
    while True:
        starts = torch.randint(0, high, (batch,), generator=gen)
        yield stream[starts[:, None] + offsets]


def length_buckets(lengths: list[int], batch_tokens: int, gen: torch.Generator) -> list[list[int]]:
    """Indices of sequences grouped by length, at most batch_tokens padded tokens a group
    (sorting first keeps padding small); the groups in an order shuffled by `gen`."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    buckets, cur = [], []
    for i in order:
        if cur and lengths[i] * (len(cur) + 1) > batch_tokens:
            buckets.append(cur)
            cur = []
        cur.append(i)
    if cur:
        buckets.append(cur)
    perm = torch.randperm(len(buckets), generator=gen).tolist()
    return [buckets[p] for p in perm]
