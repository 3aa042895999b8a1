"""Shared machinery of the draft-LM token-tree proposers (specexec, dyntree, static,
treelite, multiround): a `DraftTree` grown one depth level per draft call.

Growing. The root is the last committed token; `logits_for(ctx, 1)` gives its row (and
leaves ctx in the draft cache). `feed(nodes)` then runs ONE draft forward over a batch of
new nodes with an ancestor-only mask against the nodes already fed: the KV rows of
earlier levels are reused, never recomputed. `release()` crops the draft cache back to
ctx; commit() rolls it back to the common prefix with the committed tokens.

Children and exactness. A node v's children are drawn at ranks 0, 1, ...: at T = 0 rank r
is the draft's r-th most likely token (distinct children); at T > 0 every child is an
independent sample (with replacement) of the warped q_v, so v's children are an iid
sequence and the multi-draft rule (verifiers/multidraft.py) verifies them exactly. Its
proof needs the NUMBER of v's children to be decided without looking at those children's
own tokens. So every selection and pruning uses a node's `key`, which depends on its
parent and its rank, never on its own token:

    key(child of v at rank r) = min(key(v), score(v) + log s_v[r])

s_v: v's scoring distribution sorted descending (softmax of the raw draft logits at
T = 0, the warped q at T > 0); score(v) = the actual cumulative log s of v's path. At
T = 0 the rank-r token is the one with that probability, so key = cumulative log q
exactly. Keys never increase down a path and siblings' keys never increase with rank;
ties break by creation order (parents and lower ranks first), so any top-N set by
(key desc, creation order) is a tree whose kept children are a prefix of each iid
sequence.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from ..models.wrapper import common_prefix
from ..sampling import warp
from ..types import Proposal
from .base import Proposer, check_same_tokenizer, fit_width, require_model

ROOT = -1


@dataclass
class Node:
    token: int
    parent: int      # node index, ROOT for a child of the root
    depth: int       # 1 for a child of the root
    rank: int        # its place among its parent's children
    key: float       # selection key (see the module docstring), monotone down a path
    score: float     # cumulative log s of its own path's tokens


class DraftTree:
    """One proposal's tree over a bound draft CausalLM. Rows of the draft distribution:
    `raw[v]` (V,) raw logits, `q[v]` (V,) warped q, `s_sorted[v]` (B,) sorted scoring probs,
    for every fed node v (ROOT included)."""

    def __init__(self, draft, fed_ids, ctx: list[int], sampling, gen: torch.Generator, width: int):
        self.draft, self.fed_ids, self.sampling, self.gen, self.V = draft, fed_ids, sampling, gen, width
        self.base = len(ctx)           # cache column of the first fed node
        self.nodes: list[Node] = []
        self.col: dict[int, int] = {}  # fed node -> its draft cache column
        self.raw: dict[int, torch.Tensor] = {}
        self.q: dict[int, torch.Tensor] = {}
        self.order: dict[int, torch.Tensor] = {}  # fed node -> token ids by rank (T = 0)
        self.log_s: dict[int, torch.Tensor] = {}  # fed node -> (V,) log scoring distribution
        self.calls = 0
        out = draft.logits_for(fed_ids(ctx), 1)   # the root's row; the cache now holds ctx
        self.calls += 1
        self._store(ROOT, fit_width(out.logits, width)[0])

    # -- the draft's distributions ------------------------------------------------------
    def _store(self, v: int, raw: torch.Tensor) -> None:
        """raw (V,) logits after node v (ROOT: after ctx)."""
        self.raw[v] = raw
        q = warp(raw[None], self.sampling)[0]                            # (V,)
        s = torch.softmax(raw.float(), -1) if self.sampling.greedy else q  # scoring law
        self.q[v] = q
        self.log_s[v] = s.clamp_min(1e-30).log().masked_fill(s <= 0, -math.inf)
        self.order[v] = torch.argsort(s, descending=True, stable=True)

    def rank_key(self, v: int, r: int) -> float:
        """key of v's child at rank r (-inf when rank r has probability 0)."""
        lp = float(self.log_s[v][self.order[v][r]]) if r < self.V else -math.inf
        if v == ROOT:
            return lp
        node = self.nodes[v]
        return min(node.key, node.score + lp)

    def fed(self, v: int) -> bool:
        return v in self.raw

    # -- growing -------------------------------------------------------------------------
    def add_child(self, v: int, r: int) -> int:
        """Create v's child at rank r (v fed); returns its node index."""
        if self.sampling.greedy:
            tok = int(self.order[v][r])
        else:  # an independent sample of q_v: children are an iid sequence
            tok = int(torch.multinomial(self.q[v], 1, generator=self.gen)[0])
        depth = 1 if v == ROOT else self.nodes[v].depth + 1
        score = (0.0 if v == ROOT else self.nodes[v].score) + float(self.log_s[v][tok])
        self.nodes.append(Node(tok, v, depth, r, self.rank_key(v, r), score))
        return len(self.nodes) - 1

    def feed(self, ids: list[int]) -> None:
        """ONE draft forward over nodes `ids` (every ancestor fed or in ids, parents first)."""
        if not ids:
            return
        cached, m = len(self.draft.cached), len(ids)
        for j, i in enumerate(ids):
            self.col[i] = cached + j
        mask = torch.zeros(m, cached + m, dtype=torch.bool)  # (m, cached + m), True = may attend
        mask[:, : self.base] = True                           # the committed context
        for j, i in enumerate(ids):
            a = i
            while a != ROOT:                                  # itself and its ancestors
                mask[j, self.col[a]] = True
                a = self.nodes[a].parent
        pos = torch.tensor([self.base - 1 + self.nodes[i].depth for i in ids])  # (m,) root = base - 1
        out = self.draft.forward(self.fed_ids([self.nodes[i].token for i in ids]), attention_mask=mask,
                                 position_ids=pos)
        self.calls += 1
        logits = fit_width(out.logits, self.V)               # (m, V)
        for j, i in enumerate(ids):
            self._store(i, logits[j])

    def release(self) -> None:
        """Drop every node's KV rows: the draft cache holds ctx again."""
        self.draft.rollback_to(self.base)

    # -- the proposal ----------------------------------------------------------------------
    def top(self, n: int) -> list[int]:
        """The n best nodes by (key desc, creation order): a tree (see the docstring)."""
        best = sorted(range(len(self.nodes)), key=lambda i: (-self.nodes[i].key, i))[:n]
        return sorted(i for i in best if self.nodes[i].key > -math.inf)

    def proposal(self, keep: list[int]) -> Proposal:
        """Proposal over nodes `keep` (creation order; closed under parents)."""
        if not keep:
            return Proposal(tokens=[])
        new = {old: j for j, old in enumerate(keep)}
        new[ROOT] = -1
        nodes = [self.nodes[i] for i in keep]
        parents = tuple(new[n.parent] for n in nodes)
        # each node's rows are its parent's: the law it was drawn from
        raw = torch.stack([self.raw[n.parent] for n in nodes])                          # (n, V)
        if self.sampling.greedy:  # q is one-hot on the picked token
            q = torch.zeros(len(nodes), self.V).scatter_(1, torch.tensor([[n.token] for n in nodes]), 1.0)
        else:
            q = torch.stack([self.q[n.parent] for n in nodes])                          # (n, V)
        return Proposal(tokens=[n.token for n in nodes], parents=parents, draft_probs=q, draft_logits=raw)


class TreeProposer(Proposer):
    """Base of the draft-LM tree proposers: binds the draft, keeps its cache a prefix of
    the committed tokens, and calls `grow(tree, depth)` once per proposal. The tree's
    depth is at most min(k, max depth): the controller's k is the depth limit (so the
    loop's room for new tokens holds), the node budget is a separate parameter."""

    name = "tree"     # the registered name, for messages
    model_roles = ("draft",)
    tree = True  # proposes token trees: chain-only verifiers refuse it

    def max_depth(self) -> int:
        return self.params.max_depth

    def bind(self, target, models):
        super().bind(target, models)
        name = self.name
        self.draft = require_model(models, "draft", "lm", name)
        check_same_tokenizer(target, self.draft)
        if self.max_depth() >= target.max_length:
            raise SpecDecodeError(f"proposer '{name}': tree depth {self.max_depth()} exceeds the target's context "
                                  f"({target.max_length} tokens); lower max_depth")
        rows = self.draft.model.get_input_embeddings().weight.shape[0]
        unk = getattr(self.draft.tokenizer, "unk_token_id", None)
        self.embeds = rows if rows < target.vocab_size else None
        self.placeholder = unk if isinstance(unk, int) and 0 <= unk < rows else 0

    def _fed(self, seq: list[int]) -> list[int]:
        """seq as the draft reads it: ids beyond its embedding table -> a placeholder."""
        if self.embeds is None:
            return seq
        return [t if t < self.embeds else self.placeholder for t in seq]

    def reset(self):
        super().reset()
        self.draft.reset()

    def prefill(self, ctx):
        self.draft.logits_for(self._fed(ctx), 1)
        return None

    def propose(self, ctx, k, sampling, gen, stop=None):
        # stop hooks are ignored: a tree's size is the budget's business, not a chain stop
        depth = min(k, self.max_depth(), self.draft.max_length - len(ctx))
        if depth < 1:
            return Proposal(tokens=[])
        tree = DraftTree(self.draft, self._fed, ctx, sampling, gen, self.vocab_size)
        self.events: dict[str, int] = {}  # grow() may count what an optional feature did
        try:
            keep = self.grow(tree, depth)
        finally:
            tree.release()
            self.calls += tree.calls
        proposal = tree.proposal(keep)
        # Proposal.events -> the cycle record; left None (no events) when grow counted nothing
        return dataclasses.replace(proposal, events=dict(self.events)) if self.events else proposal

    def grow(self, tree: DraftTree, depth: int) -> list[int]:
        """Grow `tree` to at most `depth` levels; return the node indices to propose.
        It may set counters in `self.events` ({name: count}), which become Proposal.events."""
        raise NotImplementedError

    def commit(self, ctx):
        self.draft.rollback_to(min(common_prefix(self.draft.cached, self._fed(ctx)), len(ctx) - 1))


def check_budget(name: str, budget: int, max_depth: int, **others: int) -> None:
    """One-line errors for a tree's sizes: budget, max_depth and any other named width
    (top_k, max_branch, ...) must each be >= 1."""
    if budget < 1:
        raise SpecDecodeError(f"{name} needs budget >= 1 node (got {budget}); e.g. budget: 32")
    for field, value in {"max_depth": max_depth, **others}.items():
        if value < 1:
            raise SpecDecodeError(f"{name} needs {field} >= 1 (got {value})")
