"""N-gram lookup over a token sequence: the neutral helper behind prompt lookup
(proposer `ngram`), the drafts' copy head (proposers `draft`, `eagle`) and the draft
trainers, which must predict exactly what the copy head will propose."""
from __future__ import annotations

import numpy as np


def lookup(ctx: np.ndarray, n: int, k: int) -> list[int]:
    """ctx (L,) int64. The k tokens after the latest earlier match of ctx[-n:], or []."""
    if len(ctx) <= n:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(ctx[:-1], n)  # (L-n, n), excludes the suffix itself
    hits = np.flatnonzero((windows == ctx[-n:]).all(axis=1))
    if hits.size == 0:
        return []
    start = int(hits[-1]) + n
    return ctx[start : start + k].tolist()


def longest_match(seq: list[int], n_min: int, n_max: int, k: int) -> tuple[int, list[int]]:
    """(n, lookup()) for the longest n in n_max..n_min that matches; (0, []) when none does."""
    arr = np.asarray(seq, dtype=np.int64)
    for n in range(n_max, n_min - 1, -1):
        found = lookup(arr, n, k)
        if found:
            return n, found
    return 0, []


def longest_lookup(seq: list[int], n_min: int, n_max: int, k: int) -> list[int]:
    """lookup() for the longest n in n_max..n_min that matches; [] when none does."""
    return longest_match(seq, n_min, n_max, k)[1]


def copy_token(seq: list[int], n_min: int, n_max: int) -> int | None:
    """The copy head's token: the one after the latest earlier occurrence of seq's last
    n tokens, for the longest n in n_max..n_min that occurs; None when none does."""
    found = longest_lookup(seq, n_min, n_max, 1)
    return found[0] if found else None
