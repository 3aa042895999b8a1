"""Token buffers searched for their longest match with the context's tail, and the
continuation trie of the matches: the model-free index behind proposer `suffix`.

A buffer is a growing int64 array (appends are O(1) amortised). `longest_match` finds
every earlier position where the context's last L tokens occur, for the largest
L <= n_max that occurs, by narrowing the occurrences of the last token one step back at
a time (numpy, O(hits * L)); equivalent to walking a suffix tree to the deepest node
matching the context's suffix. Segments of a buffer are separated by -1 (never a token).
"""
from __future__ import annotations

import numpy as np

SEP = -1


class TokenBuffer:
    def __init__(self):
        self.data = np.full(256, SEP, dtype=np.int64)
        self.doc = np.full(256, -1, dtype=np.int64)  # segment id per position (global index)
        self.n = 0

    def extend(self, tokens, doc: int = 0) -> None:
        m = len(tokens)
        if self.n + m > len(self.data):
            size = max(2 * len(self.data), self.n + m)
            self.data = np.concatenate([self.data, np.full(size - len(self.data), SEP, dtype=np.int64)])
            self.doc = np.concatenate([self.doc, np.full(size - len(self.doc), -1, dtype=np.int64)])
        self.data[self.n : self.n + m] = tokens
        self.doc[self.n : self.n + m] = doc
        self.n += m

    def longest_match(self, tail: list[int], n_max: int, skip_docs=(), last: int | None = None):
        """tail: the context's last tokens. -> (L, end positions) of the longest match of
        tail[-L:] ending before `last` (default: the buffer's end) and outside segments
        `skip_docs`; (0, []) when even the last token never occurs."""
        stop = self.n if last is None else last
        if stop <= 0 or not tail:
            return 0, np.empty(0, dtype=np.int64)
        data = self.data[:stop]
        ends = np.flatnonzero(data == tail[-1])        # (hits,) positions of the last token
        if len(skip_docs):
            ends = ends[~np.isin(self.doc[ends], list(skip_docs))]
        length = 1 if ends.size else 0
        for j in range(1, min(n_max, len(tail))):
            prev = ends - j
            ok = prev >= 0
            ok[ok] = data[prev[ok]] == tail[-1 - j]
            if not ok.any():
                break
            ends, length = ends[ok], j + 1
        return length, ends

    def continuation(self, end: int, depth: int) -> list[int]:
        """Up to `depth` tokens after position `end`, cut at a segment separator."""
        seg = self.data[end + 1 : min(end + 1 + depth, self.n)].tolist()
        return seg[: seg.index(SEP)] if SEP in seg else seg


def continuation_tree(conts: list[list[int]], budget: int, min_prob: float):
    """The continuations as a trie; keep the `budget` nodes of highest frequency
    count(node) / len(conts) (= the product of count / parent count down its path), those
    of frequency >= min_prob. -> (tokens, parents) in creation order (parents first)."""
    if not conts:
        return [], []
    tokens, parents, counts, index = [], [], [], {}
    for cont in conts:
        node = -1
        for tok in cont:
            child = index.get((node, tok))
            if child is None:
                child = index[(node, tok)] = len(tokens)
                tokens.append(tok)
                parents.append(node)
                counts.append(0)
            counts[child] += 1
            node = child
    total = len(conts)
    order = sorted(range(len(tokens)), key=lambda i: (-counts[i], i))  # counts never grow down a path
    keep = sorted(i for i in order[:budget] if counts[i] / total >= min_prob)
    new = {old: j for j, old in enumerate(keep)}
    new[-1] = -1
    return [tokens[i] for i in keep], [new[parents[i]] for i in keep]
