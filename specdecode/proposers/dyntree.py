"""`dyntree`: EAGLE-2-style dynamic tree (arXiv 2406.16858) over a draft LM.

Each depth level, every node of the current frontier gets its top `top_k` ranked
children; the `top_k` children with the best cumulative score (tree_common's `key`)
become the next frontier and are fed to the draft in ONE tree forward. After `depth`
levels (min(k, max_depth)) all created nodes are reranked by key and the best `budget`
are proposed (a tree, because keys never increase down a path).
"""
import math
from dataclasses import dataclass

from .base import PROPOSERS
from .tree_common import ROOT, TreeProposer, check_budget


@dataclass(frozen=True)
class DynTreeParams:
    budget: int = 32     # nodes kept after the rerank
    max_depth: int = 6   # also capped by the controller's k
    top_k: int = 6       # children per expanded node, and frontier width

    def __post_init__(self):
        check_budget("dyntree", self.budget, self.max_depth, top_k=self.top_k)


@PROPOSERS.register("dyntree")
class DynTreeProposer(TreeProposer):
    Params = DynTreeParams
    name = "dyntree"

    def grow(self, tree, depth):
        frontier = [ROOT]
        for level in range(1, depth + 1):
            created = [tree.add_child(v, r) for v in frontier for r in range(self.params.top_k)
                       if tree.rank_key(v, r) > -math.inf]
            if level == depth or not created:
                break
            best = sorted(created, key=lambda i: (-tree.nodes[i].key, i))[: self.params.top_k]
            frontier = sorted(best)  # parents first, for the tree forward
            tree.feed(frontier)      # one draft call per level
        return tree.top(self.params.budget)
