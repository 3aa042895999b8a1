"""`static`: a fixed tree shape given as data (shapes.py: paths of child ranks, compiled
once); each level is filled from the draft's children of the level above (the rank-r
token at T = 0, iid samples of q at T > 0), ONE draft tree call per level.
`treelite` and `multiround` are static shapes generated from their parameters."""
import math
from dataclasses import dataclass

from ..errors import SpecDecodeError
from .base import PROPOSERS
from .shapes import as_paths, branching, compile_shape
from .tree_common import ROOT, TreeProposer

DEFAULT_SHAPE = ((0,), (1,), (2,), (0, 0), (0, 1), (1, 0), (0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0),
                 (0, 0, 0, 0), (0, 0, 0, 0, 0))


@dataclass(frozen=True)
class StaticParams:
    paths: list | None = None   # [[0], [1], [0, 0], ...]; None = DEFAULT_SHAPE (12 nodes, depth 5)

    def __post_init__(self):
        if self.paths is not None:  # checked to be a tree; stored as a tuple of tuples
            object.__setattr__(self, "paths", as_paths(self.paths, "static tree shape"))


class ShapeProposer(TreeProposer):
    """Fills a compiled shape level by level; nodes deeper than the depth limit are cut."""

    def shape(self) -> tuple[tuple[int, ...], ...]:
        raise NotImplementedError

    def max_depth(self) -> int:
        return max(len(p) for p in self.shape())

    def grow(self, tree, depth):
        plan = compile_shape(self.shape())          # (parent, rank, depth) per shape node
        parents = {par for par, _, _ in plan}
        made: dict[int, int] = {}                   # shape node -> tree node
        for level in range(1, depth + 1):
            # one draft call: the previous level's nodes that have children in the shape
            tree.feed(sorted(made[j] for j in made if plan[j][2] == level - 1 and j in parents))
            for j, (par, rank, d) in enumerate(plan):
                if d != level or (par >= 0 and par not in made):
                    continue                        # another level, or its parent was cut
                v = made[par] if par >= 0 else ROOT
                if tree.rank_key(v, rank) > -math.inf:  # rank within the draft's support
                    made[j] = tree.add_child(v, rank)
        return sorted(made.values())


@PROPOSERS.register("static")
class StaticTreeProposer(ShapeProposer):
    Params = StaticParams
    name = "static"

    def shape(self):
        return DEFAULT_SHAPE if self.params.paths is None else self.params.paths


@dataclass(frozen=True)
class TreeLiteParams:
    top_k: int = 2          # children per node at the first branch_depth levels
    branch_depth: int = 2   # levels that branch (m); a chain under each after
    max_depth: int = 8      # also capped by the controller's k

    def __post_init__(self):
        if self.top_k < 1 or self.branch_depth < 0 or self.max_depth < 1:
            raise SpecDecodeError("treelite needs top_k >= 1, branch_depth >= 0 and max_depth >= 1 "
                                  f"(got {self.top_k}, {self.branch_depth}, {self.max_depth})")
        if self.top_k ** min(self.branch_depth, self.max_depth) > 256:
            raise SpecDecodeError(f"treelite: top_k ** branch_depth = {self.top_k ** self.branch_depth} leaves "
                                  "exceeds 256 nodes a level; lower top_k or branch_depth")


@PROPOSERS.register("treelite")
class TreeLiteProposer(ShapeProposer):
    Params = TreeLiteParams
    name = "treelite"

    def shape(self):
        return branching(self.params.top_k, self.params.branch_depth, self.params.max_depth)


@dataclass(frozen=True)
class MultiRoundParams:
    rounds: int = 3       # r independent drafts (chains) sharing the root
    max_depth: int = 6    # chain length, also capped by the controller's k

    def __post_init__(self):
        if not 1 <= self.rounds <= 64 or self.max_depth < 1:
            raise SpecDecodeError(f"multiround needs 1 <= rounds <= 64 and max_depth >= 1 "
                                  f"(got {self.rounds}, {self.max_depth})")


@PROPOSERS.register("multiround")
class MultiRoundProposer(ShapeProposer):
    """r draft chains from the same root: at T > 0 r independent samples of the whole
    chain (SpecTr / SpecInfer multi-draft), at T = 0 the r best first tokens, each
    continued greedily. Verified by the multi-draft rule (verifiers/multidraft.py)."""

    Params = MultiRoundParams
    name = "multiround"

    def shape(self):
        return branching(self.params.rounds, 1, self.params.max_depth)
