"""Prompts for training drafts: every suite's dev split, plus extra prompts of the same
kinds from the same offline sources, none of which is in any suite's test split; and the
test-split prompts measure.py evaluates drafts on.

Drafts are data-limited: the 1-layer hidden-state draft reached teacher-forced acceptance
0.91 on its training sequences against 0.47 on the test split (520 dev prompts). The dev
splits hold only 46 code and 19 chat prompts, so the extras add
- code: stdlib functions as HumanEval-style prompts (signature + docstring, complete it),
  from stdlib files the summarization suite does not read;
- math: more reasoning-gym gsm_symbolic problems (another seed; GSM8K-style);
- summarization: "summarize this function" over those other stdlib files;
- chat: templated English writing requests (kind x subject; synthetic), and (extra_writing)
  WritingBench's shortest English requests (inspect-evals; written apart from the chat
  suite's LongBench-Write), the "broader data" of the real-pair issue.
Disjointness is checked, not assumed: an extra whose text equals a test prompt is dropped.
"""
from __future__ import annotations

import ast
import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from random import Random

from ..suites.types import SuiteItem

# The domain suites every draft trains on and is measured on (recipes hash this tuple).
SUITES = ("code", "math", "translation", "summarization", "data-to-text", "chat")
CHAT_KINDS = ("a blog post", "a short story", "an essay", "a letter to a friend", "a speech",
              "a news article", "a product description", "a travel guide", "a poem",
              "a how-to guide", "a review", "a diary entry")
CHAT_SUBJECTS = ("autumn in the mountains", "learning to cook", "a city at night", "the history of tea",
                 "remote work", "a lost dog finding its way home", "the first day at a new school",
                 "electric cars", "the importance of sleep", "a museum visit", "gardening on a balcony",
                 "the ocean", "a childhood friend", "public libraries", "running a marathon",
                 "a small bakery", "space exploration", "a rainy weekend", "learning a new language",
                 "volunteering", "an old photograph", "the village market", "a train journey",
                 "saving money", "a thunderstorm", "the life of bees", "a family recipe",
                 "climbing a volcano", "a robot that learns to paint", "winter holidays",
                 "a community garden", "the invention of the printing press", "a football match",
                 "time management", "a forest walk", "moving to a new country", "jazz music",
                 "a lighthouse keeper", "recycling", "a birthday surprise")


WRITING_MAX_CHARS = 1500  # default cap; most requests carry pages of material (a compute-bound prefill)


@dataclass(frozen=True)
class PoolConfig:
    extra_code: int = 300
    extra_math: int = 200
    extra_summarization: int = 100
    extra_chat: int = 160
    extra_writing: int = 0             # WritingBench requests, domain "chat"
    writing_max_chars: int = WRITING_MAX_CHARS  # ... of at most this many characters
    math_seed: int = 7919              # the math suite uses seed 42
    code_salt: str = "draft-extra-code-v1"


def pool(cfg: PoolConfig = PoolConfig(), suites: tuple[str, ...] = SUITES,
         dev_cap: int | None = None) -> list[tuple[str, SuiteItem]]:
    """(domain, item): the first dev_cap dev items of each suite (all when None), then
    the extras, in a fixed order."""
    from ..suites import load_suite

    out = [(name, it) for name in suites for it in load_suite(name, split="dev", n=dev_cap).items]
    test = {it.prompt for name in SUITES for it in load_suite(name, split="test").items}
    extras = {"code": (_extra_code,), "math": (_extra_math,), "summarization": (_extra_summarization,),
              "chat": (_extra_chat, _extra_writing)}
    for name in suites:
        for make in extras.get(name, ()):
            out += [(name, it) for it in make(cfg) if it.prompt not in test]
    return out


def _extra_math(cfg: PoolConfig) -> list[SuiteItem]:
    from ..suites.math_gsm import MathConfig, build

    return build(MathConfig(seed=cfg.math_seed, size=cfg.extra_math))


def _other_stdlib_functions() -> list[tuple[str, ast.AST, list[str]]]:
    """(module:qualname, node, source lines) of documented functions in the stdlib files
    that the summarization suite does NOT read."""
    from ..suites.splits import unit_hash
    from ..suites.summarization_stdlib import SummarizationConfig, functions

    scfg = SummarizationConfig()
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in scfg.skip_dirs and not d.startswith("config-"))
        for name in sorted(filenames):
            rel = Path(dirpath, name).relative_to(root).as_posix()
            if not name.endswith(".py") or unit_hash(rel, scfg.salt) < scfg.file_fraction:
                continue
            try:
                source = (root / rel).read_text(encoding="utf-8")
                tree = ast.parse(source)
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            lines = source.splitlines()
            for qualname, node in functions(tree):
                if ast.get_docstring(node) and len(node.body) >= 2 and node.body[0].lineno > node.lineno:
                    found.append((f"{rel}:{qualname}", node, lines))
    return found


def _extra_code(cfg: PoolConfig) -> list[SuiteItem]:
    """HumanEval-style: the function's signature and docstring; the model completes it.
    Functions with a hash in the lower half of the pool (the upper half feeds summarization)."""
    from ..suites.code_humaneval import CodeConfig
    from ..suites.splits import unit_hash
    from ..suites.summarization_stdlib import unindent

    items = []
    for key, node, lines in _other_stdlib_functions():
        if unit_hash(key, cfg.code_salt) >= 0.5 or node.name.startswith("_"):
            continue
        doc = node.body[0]
        head = lines[node.lineno - 1 : doc.end_lineno]
        code = "\n".join(unindent(ln, node.col_offset) for ln in head)
        if len(code) > 1200 or node.end_lineno - node.lineno > 60:
            continue
        prompt = f"{CodeConfig().instruction}\n\n```python\n{code}\n```"
        items.append(SuiteItem(f"code-extra/{key}", prompt, None, {"raw": code + "\n"}))
    items.sort(key=lambda it: unit_hash(it.id, cfg.code_salt))
    return items[: cfg.extra_code]


def _extra_summarization(cfg: PoolConfig) -> list[SuiteItem]:
    from ..suites.splits import unit_hash
    from ..suites.summarization_stdlib import SummarizationConfig, summary_item

    scfg = SummarizationConfig()
    items = []
    for key, node, lines in _other_stdlib_functions():
        if unit_hash(key, cfg.code_salt) < 0.5:
            continue
        it = summary_item(key.split(":")[0], key.split(":")[1], node, lines, scfg)
        if it is not None:  # id "summarization/<file>.py:<qualname>": the order hashes it
            items.append(it)
    items.sort(key=lambda it: unit_hash(it.id, cfg.code_salt))
    return items[: cfg.extra_summarization]


def _extra_chat(cfg: PoolConfig) -> list[SuiteItem]:
    rng = Random(cfg.code_salt)
    pairs = [(k, s) for k in CHAT_KINDS for s in CHAT_SUBJECTS]
    rng.shuffle(pairs)
    items = []
    for i, (kind, subject) in enumerate(pairs[: cfg.extra_chat]):
        words = rng.choice((300, 500, 800, 1000, 1500))
        prompt = f"Write {kind} about {subject}, about {words} words long."
        items.append(SuiteItem(f"chat-extra/{i}", prompt, None, {}))
    return items


WRITINGBENCH = ("inspect_evals", "inspect-evals", "0.26.0")  # module, dist, pin (MIT)
WRITING_FILE = "writingbench/benchmark_all.jsonl"


def _extra_writing(cfg: PoolConfig) -> list[SuiteItem]:
    """WritingBench's English requests (>= 95% ASCII; the set is half Chinese) of at most
    cfg.writing_max_chars characters, in hash order: the first cfg.extra_writing."""
    if cfg.extra_writing <= 0:
        return []
    import json

    from ..suites.pkgdata import package_file
    from ..suites.splits import unit_hash

    path = package_file(*WRITINGBENCH[:2], WRITINGBENCH[2], WRITING_FILE)
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = row["query"].strip()
        if len(text) <= cfg.writing_max_chars and sum(c.isascii() for c in text) >= 0.95 * len(text):
            items.append(SuiteItem(f"chat-writingbench/{row['index']}", text, None, {"source": "WritingBench"}))
    items.sort(key=lambda it: unit_hash(it.id, cfg.code_salt))
    return items[: cfg.extra_writing]


RAW_SALT = "draft-raw-v1"


def encoded(tokenizer, recipe) -> list[tuple[str, list[int]]]:
    """(domain, ids) of the pool for a draft recipe: at most recipe.prompts_per_suite dev
    items per suite plus recipe.extra_* extras, chat-rendered, except that the items whose
    id hashes below recipe.raw_share are fed raw (plain completion: meta["raw"] where the
    item has one, else its prompt; no template); prompts longer than
    recipe.max_prompt_tokens keep their last tokens."""
    from ..suites.splits import unit_hash

    cfg = PoolConfig(extra_code=recipe.extra_code, extra_math=recipe.extra_math,
                     extra_summarization=recipe.extra_summarization, extra_chat=recipe.extra_chat,
                     extra_writing=recipe.extra_writing, writing_max_chars=recipe.writing_max_chars)
    out = []
    for domain, item in pool(cfg, recipe.suites, recipe.prompts_per_suite):
        raw = unit_hash(item.id, RAW_SALT) < recipe.raw_share
        ids = raw_ids(tokenizer, item, recipe.max_prompt_tokens) if raw else \
            prompt_ids(tokenizer, item, recipe.max_prompt_tokens)
        out.append((domain, ids))
    return out


def suite_prompts(tokenizer, suites: tuple[str, ...], split: str, n: int | None,
                  max_tokens: int) -> list[tuple[str, list[int]]]:
    """(suite, chat-rendered prompt ids) for the first n items of each suite's split."""
    from ..suites import load_suite

    return [(name, prompt_ids(tokenizer, item, max_tokens))
            for name in suites for item in load_suite(name, split=split, n=n).items]


def prompt_ids(tokenizer, item: SuiteItem, max_tokens: int) -> list[int]:
    """The item's prompt, chat-rendered and tokenized; a longer prompt keeps its last
    max_tokens tokens (the question sits at the end)."""
    from ..suites import render_prompt

    ids = tokenizer(render_prompt(item, tokenizer), add_special_tokens=False)["input_ids"]
    return ids[-max_tokens:]


def raw_ids(tokenizer, item: SuiteItem, max_tokens: int) -> list[int]:
    """The item as plain text to continue, without a chat template: meta["raw"] where the
    item carries one (a code extra: the bare signature and docstring), else its prompt;
    a longer one keeps its last max_tokens tokens."""
    text = item.meta.get("raw", item.prompt)
    return tokenizer(text, add_special_tokens=False)["input_ids"][-max_tokens:]
