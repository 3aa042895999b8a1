"""User suites: a JSONL file of prompts given by path.

Each non-blank line is an object {"id"?: str, "prompt": str, "reference"?: str,
"split"?: "dev" | "test", ...}; any other keys go to meta. Without "id" an item is
named "<file stem>/<hash of its prompt>", so ids (and the hash-based split) do not move
when lines are added or reordered. An explicit "split" overrides the hash.
Quality: scorer `chrf` when every line has a reference, else `agreement` (with the
target-only output); a bench config may override it (`scorers:`).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import SpecDecodeError
from .splits import short_hash
from .types import SuiteItem

KNOWN_KEYS = ("id", "prompt", "reference", "split")


def looks_like_path(name: str) -> bool:
    return name.endswith((".jsonl", ".json")) or "/" in name or "\\" in name or Path(name).exists()


def read_items(path: Path) -> tuple[list[SuiteItem], dict[str, str]]:
    """Items in file order, and {id: split} for lines that name their split."""
    if not path.is_file():
        raise SpecDecodeError(
            f"suite file '{path}' not found; give an existing JSONL file or a built-in suite name "
            "(see `specdecode suites list`)")
    items, forced, ids = [], {}, set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            item, split = _parse_line(path, lineno, line)
            if item.id in ids:
                raise SpecDecodeError(
                    f"{path}, line {lineno}: duplicate id '{item.id}'; make ids unique")
            ids.add(item.id)
            items.append(item)
            if split:
                forced[item.id] = split
    if not items:
        raise SpecDecodeError(
            f"suite file '{path}' has no prompts; add lines like {{\"prompt\": \"...\"}}")
    return items, forced


def default_scorer(items: list[SuiteItem]) -> str:
    """chrf against the references when every item has one, else agreement."""
    return "chrf" if all(it.reference for it in items) else "agreement"


def _parse_line(path: Path, lineno: int, line: str) -> tuple[SuiteItem, str | None]:
    where = f"{path}, line {lineno}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SpecDecodeError(
            f"{where}: bad JSON ({exc.msg}); write one JSON object per line") from None
    if not isinstance(row, dict):
        raise SpecDecodeError(f'{where}: expected a JSON object like {{"prompt": "..."}}')
    if "prompt" not in row:
        raise SpecDecodeError(
            f'{where}: missing "prompt" key; every line needs {{"prompt": "..."}}')
    prompt, ref, split = row["prompt"], row.get("reference"), row.get("split")
    if not isinstance(prompt, str) or not prompt.strip():
        raise SpecDecodeError(f'{where}: "prompt" must be a non-empty string')
    if ref is not None and not isinstance(ref, str):
        raise SpecDecodeError(f'{where}: "reference" must be a string or absent')
    if split not in (None, "dev", "test"):
        raise SpecDecodeError(f'{where}: "split" must be "dev" or "test", not {split!r}')
    item_id = row.get("id", f"{path.stem}/{short_hash(prompt)}")
    if not isinstance(item_id, str) or not item_id:
        raise SpecDecodeError(f'{where}: "id" must be a non-empty string')
    meta = {k: v for k, v in row.items() if k not in KNOWN_KEYS}
    return SuiteItem(item_id, prompt, ref, meta), split
