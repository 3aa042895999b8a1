"""`specexec`: best-first token tree (SpecExec, arXiv 2406.02532) over a draft LM.

Candidates are (node, rank) pairs keyed by cumulative log q (tree_common's `key`). Each
round adds the best candidates of the whole pool, at any depth, to the tree; the next
round feeds them to the draft in ONE tree forward and adds their top `max_branch` ranks
to the pool. Rounds <= depth = min(k, max_depth), and round i adds
ceil(remaining budget / remaining rounds) nodes, so the tree ends with <= `budget` nodes
after at most depth draft calls (plus the root's). At T > 0 children are iid samples
of q (see tree_common), verified by the multi-draft rule.
"""
import heapq
import math
from dataclasses import dataclass

from .base import PROPOSERS
from .tree_common import ROOT, TreeProposer, check_budget


@dataclass(frozen=True)
class SpecExecParams:
    budget: int = 32      # nodes per tree (16..256 are the useful sizes)
    max_depth: int = 8    # also capped by the controller's k
    max_branch: int = 8   # children considered per node

    def __post_init__(self):
        check_budget("specexec", self.budget, self.max_depth, max_branch=self.max_branch)


@PROPOSERS.register("specexec")
class SpecExecProposer(TreeProposer):
    Params = SpecExecParams
    name = "specexec"

    def grow(self, tree, depth):
        pool, seq = [], 0  # heap of (-key, seq, parent, rank); seq breaks ties in creation order

        def offer(v):
            nonlocal seq
            for r in range(self.params.max_branch):
                key = tree.rank_key(v, r)
                if key == -math.inf:
                    break  # ranks beyond the support (sorted: the rest are 0 too)
                heapq.heappush(pool, (-key, seq, v, r))
                seq += 1

        offer(ROOT)
        new: list[int] = []
        for rnd in range(depth):
            tree.feed([i for i in new if tree.nodes[i].depth < depth])  # one draft call
            for i in new:
                if tree.fed(i):
                    offer(i)
            room = self.params.budget - len(tree.nodes)
            take = math.ceil(room / (depth - rnd))
            new = [tree.add_child(v, r) for _, _, v, r in (heapq.heappop(pool) for _ in range(min(take, len(pool))))]
            if not new:
                break
        return list(range(len(tree.nodes)))
