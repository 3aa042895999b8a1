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
    # candidate solutions (off at 0): a main chain plus branch blocks at uncertain early
    # positions, all verified in the one target call (see TreeLiteProposer)
    candidates: int = 0     # N: most branch blocks per proposal; 0 = the static shape above
    uncertain: float = 0.5  # a main-chain node branches when its top-1 draft probability < this
    block: int = 3          # tokens per branch block: the alternative + a rank-0 chain under it

    def __post_init__(self):
        if self.top_k < 1 or self.branch_depth < 0 or self.max_depth < 1:
            raise SpecDecodeError("treelite needs top_k >= 1, branch_depth >= 0 and max_depth >= 1 "
                                  f"(got {self.top_k}, {self.branch_depth}, {self.max_depth})")
        if self.candidates:
            check_candidates(self)
        elif self.top_k ** min(self.branch_depth, self.max_depth, 9) > 256:  # 2 ** 9 > 256: deeper adds nothing
            levels = min(self.branch_depth, self.max_depth)  # never formatted as top_k ** levels: it may be huge
            raise SpecDecodeError(f"treelite: top_k = {self.top_k} over {levels} branching levels gives more than "
                                  "256 nodes a level; lower top_k or branch_depth")


def check_candidates(p: TreeLiteParams) -> None:
    """One-line errors for treelite's candidate-solution options (candidates != 0)."""
    if p.candidates < 0:
        raise SpecDecodeError(f"treelite needs candidates >= 0 branch blocks (got {p.candidates}); "
                              "0 turns candidate solutions off")
    if not 0 < p.uncertain <= 1:
        raise SpecDecodeError(f"treelite needs 0 < uncertain <= 1 (got {p.uncertain}): the top-1 draft "
                              "probability below which a position branches, e.g. uncertain: 0.5")
    if p.block < 1:
        raise SpecDecodeError(f"treelite needs block >= 1 token per branch block (got {p.block}); e.g. block: 3")
    if p.top_k < 2 or p.branch_depth < 1:
        raise SpecDecodeError(f"treelite candidates need top_k >= 2 and branch_depth >= 1 (got {p.top_k}, "
                              f"{p.branch_depth}): alternatives are ranks 1..top_k-1 at depths < branch_depth")


@PROPOSERS.register("treelite")
class TreeLiteProposer(ShapeProposer):
    """top_k children at the first branch_depth levels, a chain under each after.

    Candidate solutions (candidates = N > 0) grow another shape: a main chain of rank-0
    children to the depth limit and, at each main-chain node of depth < branch_depth (the
    root is depth 0) whose top-1 draft probability is below `uncertain`, alternative
    children at ranks 1..top_k-1, each the head of a branch block of `block` tokens (a
    rank-0 chain under it, within the depth limit). At most N blocks, shallowest position
    first, then by rank. Still ONE draft call per level; events count the blocks and
    their nodes.

    Exact at T > 0: a node's number of children depends on its own row (uncertain? which
    ranks have probability > 0?) and on the blocks its main-chain ancestors took, never on
    its children's tokens (tree_common.py)."""

    Params = TreeLiteParams
    name = "treelite"

    def shape(self):
        return branching(self.params.top_k, self.params.branch_depth, self.params.max_depth)

    def max_depth(self):
        return self.params.max_depth if self.params.candidates else super().max_depth()

    def grow(self, tree, depth):
        if not self.params.candidates:
            return super().grow(tree, depth)     # the static shape, as before
        return self.grow_candidates(tree, depth)

    def grow_candidates(self, tree, depth):
        prm = self.params
        made: list[int] = []           # every node, in creation order (parents first)
        main = ROOT                    # the deepest main-chain node
        tails: dict[int, int] = {}     # a growing block's last node -> tokens in its block so far
        blocks = block_nodes = 0
        for level in range(1, depth + 1):
            # ONE draft call over the level above's nodes that get children now (ROOT's row exists)
            tree.feed(sorted(([] if main == ROOT else [main]) + list(tails)))
            if tree.rank_key(main, 0) == -math.inf:
                break                  # no support left (cannot happen for a real distribution)
            parent, main = main, tree.add_child(main, 0)
            made.append(main)
            grown: dict[int, int] = {}  # this level's block nodes -> tokens in their block
            if level - 1 < prm.branch_depth and self.is_uncertain(tree, parent):
                for r in range(1, prm.top_k):     # alternatives, by rank, while blocks remain
                    if blocks == prm.candidates or tree.rank_key(parent, r) == -math.inf:
                        break
                    c = tree.add_child(parent, r)
                    made.append(c)
                    blocks, block_nodes, grown[c] = blocks + 1, block_nodes + 1, 1
            for tail, n in tails.items():         # every short block grows by its tail's rank-0 child
                if tree.rank_key(tail, 0) > -math.inf:
                    c = tree.add_child(tail, 0)
                    made.append(c)
                    block_nodes, grown[c] = block_nodes + 1, n + 1
            tails = {t: n for t, n in grown.items() if n < prm.block}
        self.events = {"candidate_blocks": blocks, "candidate_nodes": block_nodes}
        return made

    def is_uncertain(self, tree, v: int) -> bool:
        """Node v (fed; ROOT = the last committed token) is uncertain: the top-1 probability
        of its scoring distribution (its children's law) is below `uncertain`."""
        return math.exp(float(tree.log_s[v][tree.order[v][0]])) < self.params.uncertain


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
