"""Deterministic dev/test assignment and content hashing.

An item's split depends only on its id (a salted SHA-256), so it is the same on every
machine and does not move when other items are added or removed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .types import SuiteItem


@dataclass(frozen=True)
class SplitConfig:
    dev_fraction: float = 0.3  # share of items used for tuning / draft training
    salt: str = "specdecode-suite-split-v1"  # changing it reshuffles every suite


SPLIT = SplitConfig()


def unit_hash(text: str, salt: str = "") -> float:
    """A stable number in [0, 1) from a string (first 8 bytes of SHA-256)."""
    digest = hashlib.sha256(f"{salt}\x00{text}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(item_id: str, cfg: SplitConfig = SPLIT) -> str:
    return "dev" if unit_hash(item_id, cfg.salt) < cfg.dev_fraction else "test"


def short_hash(text: str, n: int = 10) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def content_hash(items: list[SuiteItem] | tuple[SuiteItem, ...]) -> str:
    """8 hex digits over every item (id, prompt, reference, meta) in order."""
    h = hashlib.sha256()
    for it in items:
        row = [it.id, it.prompt, it.reference, it.meta]
        h.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()[:8]
