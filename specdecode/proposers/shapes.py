"""Tree shapes as data: a list of paths of child ranks, e.g. [[0], [1], [0, 0], [0, 1],
[1, 0]] = the root's best two children, two children under the first, one under the
second. Compiled once (cached) into nodes in depth order, parents before children."""
from __future__ import annotations

from functools import lru_cache

from ..errors import SpecDecodeError

FIX = "list each node as its path of child ranks, its parent's path earlier, e.g. [[0], [1], [0, 0]]"


def as_paths(value, where: str) -> tuple[tuple[int, ...], ...]:
    """A YAML/JSON list of paths -> a tuple of tuples, checked to be a tree."""
    if not isinstance(value, (list, tuple)) or not value:
        raise SpecDecodeError(f"{where}: the tree shape must be a non-empty list of paths; {FIX}")
    paths = []
    for p in value:
        if (not isinstance(p, (list, tuple)) or not p
                or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in p)):
            raise SpecDecodeError(f"{where}: path {p!r} is not a non-empty list of ranks >= 0; {FIX}")
        paths.append(tuple(p))
    check_tree(tuple(paths), where)
    return tuple(paths)


def check_tree(paths: tuple[tuple[int, ...], ...], where: str) -> None:
    """Every path's parent path comes earlier; no path twice (a node once, so no cycle)."""
    seen: set[tuple[int, ...]] = set()
    index = {p: i for i, p in reversed(list(enumerate(paths)))}
    for i, p in enumerate(paths):
        if p in seen:
            raise SpecDecodeError(f"{where}: path {list(p)} is listed twice (a node appears once); {FIX}")
        parent = p[:-1]
        if parent and parent not in index:
            raise SpecDecodeError(f"{where}: path {list(p)} has no parent path {list(parent)}; {FIX}")
        if parent and parent not in seen:
            raise SpecDecodeError(f"{where}: path {list(p)} comes before its parent {list(parent)}; {FIX}")
        seen.add(p)


@lru_cache(maxsize=64)
def compile_shape(paths: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, int, int], ...]:
    """-> (parent node index or -1, rank, depth) per node, ordered by depth (stable),
    so parents come before children and siblings keep their listed order."""
    order = sorted(paths, key=len)
    where = {p: i for i, p in enumerate(order)}
    return tuple((where[p[:-1]] if len(p) > 1 else -1, p[-1], len(p)) for p in order)


def branching(top_k: int, branch_depth: int, depth: int) -> tuple[tuple[int, ...], ...]:
    """top_k children per node at depths 1..branch_depth, then a chain under each: treelite."""
    level = [()]
    paths = []
    for d in range(1, depth + 1):
        width = top_k if d <= branch_depth else 1
        level = [p + (r,) for p in level for r in range(width)]
        paths += level
    return tuple(paths)
