"""Loading suites by name or path, listing them, and rendering an item for a model."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..errors import SpecDecodeError
from . import user_jsonl
from .builtin import SUITES
from .splits import content_hash, split_of
from .types import SPLITS, Suite, SuiteInfo, SuiteItem, SuiteSpec


def load_suite(name_or_path: str, split: str = "test", n: int | None = None) -> Suite:
    """A built-in suite by name, or a user JSONL file by path; `n` = first n items of the split."""
    if split not in SPLITS:
        raise SpecDecodeError(f"Unknown split '{split}'. Available: {', '.join(SPLITS)}")
    if n is not None and n < 1:
        raise SpecDecodeError(f"n must be >= 1 (got {n}); leave it out for the whole split")
    if name_or_path in SUITES or not user_jsonl.looks_like_path(name_or_path):
        spec = SUITES.get(name_or_path)  # unknown names list the available suites
        items, forced = _built(spec.name), {}
    else:
        path = Path(name_or_path)
        items, forced = user_jsonl.read_items(path)
        spec = _user_spec(path, user_jsonl.default_scorer(items))
    chosen = tuple(it for it in items if split == "all" or _split(it, spec, forced) == split)
    return Suite(spec.name, f"{spec.version}+{content_hash(items)}", spec.description,
                 spec.source, spec.licence, split, chosen[:n] if n else chosen, spec.scorer)


def list_suites() -> list[SuiteInfo]:
    """Every built-in suite with its labels, full version and dev/test counts."""
    out = []
    for name in SUITES.names():
        spec, items = SUITES.get(name), _built(name)
        n_dev = sum(_split(it, spec) == "dev" for it in items)
        out.append(SuiteInfo(name, f"{spec.version}+{content_hash(items)}", spec.description,
                             spec.source, spec.licence, n_dev, len(items) - n_dev))
    return out


def render_prompt(item: SuiteItem, tokenizer, chat: bool = True) -> str:
    """The text to feed the model: the chat template with a generation prompt when asked
    for and the tokenizer has one, else the bare prompt."""
    if chat and getattr(tokenizer, "chat_template", None):
        messages = [{"role": "user", "content": item.prompt}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return item.prompt


@lru_cache(maxsize=None)
def _built(name: str) -> tuple[SuiteItem, ...]:
    """All items of a built-in suite (both splits), built once per process."""
    items = tuple(SUITES.get(name).build())
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"suite '{name}' produced duplicate ids")  # a bug, not user error
    return items


def _split(item: SuiteItem, spec: SuiteSpec, forced: dict[str, str] | None = None) -> str:
    """The one rule for an item's split: every item of a held-out suite is a test item; a
    user file may fix an item's split; otherwise the content hash of its id decides."""
    if spec.held_out:
        return "test"
    return (forced or {}).get(item.id) or split_of(item.id)


def _user_spec(path: Path, scorer: str) -> SuiteSpec:
    return SuiteSpec(name=path.stem, version="user", description=f"user prompts from {path.name}",
                     source=str(path), licence="unknown (user file)", build=lambda: [], scorer=scorer)
