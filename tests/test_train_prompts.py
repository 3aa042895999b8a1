"""The drafts' training pool: dev splits plus extras, deterministic, and disjoint from
every suite's test split (the extras come from the suites' own sources)."""
import ast
import dataclasses
from collections import Counter

import pytest

from specdecode.suites import load_suite
from specdecode.training.prompts import SUITES, PoolConfig, pool

SMALL = PoolConfig(extra_code=40, extra_math=30, extra_summarization=20, extra_chat=10)


def test_pool_is_deterministic_and_never_holds_a_test_prompt():
    a, b = pool(SMALL), pool(SMALL)
    assert [(d, it.id, it.prompt) for d, it in a] == [(d, it.id, it.prompt) for d, it in b]
    test = {it.prompt for name in SUITES for it in load_suite(name, split="test").items}
    assert not any(it.prompt in test for _, it in a)
    dev = sum(len(load_suite(name, split="dev").items) for name in SUITES)
    extra = ("-extra/", ".py:", "math/gsm_symbolic_s7919")  # summarization extras: "summarization/<file>.py:f"
    counts = Counter(d for d, it in a if any(mark in it.id for mark in extra))
    assert counts == {"code": 40, "math": 30, "summarization": 20, "chat": 10}
    assert len(a) == dev + 100


def test_extra_code_is_humaneval_style_and_from_files_summarization_does_not_read():
    from specdecode.suites.summarization_stdlib import SummarizationConfig, build

    summarized = {it.meta["module"] for it in build(SummarizationConfig())}
    extras = [it for d, it in pool(SMALL, ("code",)) if it.id.startswith("code-extra/")]
    assert len(extras) == 40
    for it in extras:
        assert it.prompt.startswith("Complete the following Python function.")
        code = it.prompt.split("```python\n", 1)[1].rsplit("\n```", 1)[0]
        fn = ast.parse(code + "\n    pass").body[0]  # signature + docstring, body left out
        assert ast.get_docstring(fn) and len(fn.body) == 2
        module = it.id.split("/", 1)[1].split(":")[0][:-3].replace("/", ".").removesuffix(".__init__")
        assert module not in summarized


def test_dev_cap():
    capped = pool(PoolConfig(0, 0, 0, 0), ("translation",), dev_cap=5)
    assert len(capped) == 5


@pytest.mark.parametrize("max_chars", [1500, 700])
def test_extra_writing_is_short_english_writingbench_in_a_fixed_order(max_chars):
    cfg = PoolConfig(0, 0, 0, 0, extra_writing=12, writing_max_chars=max_chars)
    got = [it for d, it in pool(cfg, ("chat",)) if it.id.startswith("chat-writingbench/")]
    assert len(got) == 12
    assert [it.id for it in got] == [it.id for _, it in pool(cfg, ("chat",)) if it.id.startswith("chat-writingbench/")]
    for it in got:
        assert len(it.prompt) <= max_chars
        assert sum(c.isascii() for c in it.prompt) >= 0.95 * len(it.prompt)
    none = pool(PoolConfig(0, 0, 0, 0), ("chat",))
    assert not any(it.id.startswith("chat-writingbench/") for _, it in none)


class CharTokenizer:
    """Characters as token ids, with a visible chat template: enough for prompt rendering."""

    chat_template = "<user>{content}<assistant>"

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return f"<user>{messages[0]['content']}<assistant>"


def test_raw_share_feeds_that_share_of_the_pool_raw_and_code_extras_as_bare_code():
    """recipe.raw_share: items whose id hashes below it are fed without the chat template
    (plain completion; a code extra as its bare signature + docstring), the rest
    chat-rendered; the choice is fixed by the id, so a larger share keeps the raw ones."""
    from specdecode.training.prompts import encoded
    from specdecode.training.recipe import TeacherRecipe

    tok = CharTokenizer()
    base = TeacherRecipe(suites=("code", "math"), prompts_per_suite=10, extra_code=20, extra_math=10,
                         extra_summarization=0, extra_chat=0, max_prompt_tokens=4000)
    items = pool(PoolConfig(20, 10, 0, 0), base.suites, 10)

    def raw_flags(share):
        got = encoded(tok, dataclasses.replace(base, raw_share=share))
        assert [d for d, _ in got] == [d for d, _ in items]
        flags = []
        for (_, ids), (_, item) in zip(got, items):
            text = "".join(map(chr, ids))
            assert text in (f"<user>{item.prompt}<assistant>", item.meta.get("raw", item.prompt))
            flags.append(not text.startswith("<user>"))
            if flags[-1] and item.id.startswith("code-extra/"):
                assert text.startswith("def ") and "Complete the following" not in text
        return flags

    none, some, more, every = raw_flags(0.0), raw_flags(0.3), raw_flags(0.6), raw_flags(1.0)
    assert not any(none) and all(every)
    assert 0.1 * len(items) < sum(some) < sum(more) < 0.9 * len(items)
    assert all(m for s, m in zip(some, more) if s)
    assert raw_flags(0.3) == some
