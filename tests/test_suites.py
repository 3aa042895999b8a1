"""Prompt suites: offline, deterministic, disjoint dev/test splits, user JSONL files, CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from specdecode import cli
from specdecode.errors import SpecDecodeError
from specdecode.suites import SUITES, SuiteItem, list_suites, load_suite, render_prompt
from specdecode.suites.splits import content_hash

NAMES = SUITES.names()
DOMAINS = ("code", "math", "translation", "summarization", "data-to-text", "chat")
SPLIT_BY_HASH = [n for n in NAMES if not SUITES.get(n).held_out]


def test_all_six_domains_are_registered_with_their_general_sets():
    assert set(SPLIT_BY_HASH) == set(DOMAINS)
    assert set(NAMES) == set(DOMAINS) | {f"general-{d}" for d in DOMAINS}


@pytest.mark.parametrize("name", SPLIT_BY_HASH)
def test_dev_and_test_are_disjoint_nonempty_and_cover_the_suite(name):
    dev, test, full = (load_suite(name, split=s) for s in ("dev", "test", "all"))
    dev_ids, test_ids = {it.id for it in dev.items}, {it.id for it in test.items}
    assert dev_ids and test_ids
    assert not dev_ids & test_ids
    assert dev_ids | test_ids == {it.id for it in full.items}
    assert len({it.id for it in full.items}) == len(full.items)  # ids unique
    assert dev.version == test.version == full.version
    for suite in (dev, test, full):
        assert suite.name == name and suite.source and suite.licence and suite.description


@pytest.mark.parametrize("name", NAMES)
def test_rebuilding_gives_the_same_items_in_the_same_order(name):
    cached = load_suite(name, split="all").items
    rebuilt = tuple(SUITES.get(name).build())  # bypasses the in-process cache
    assert rebuilt == cached
    assert all(isinstance(it, SuiteItem) and it.prompt.strip() for it in rebuilt)


def test_content_does_not_depend_on_the_process_hash_seed():
    code = ("from specdecode.suites import list_suites\n"
            "print(' '.join(f'{s.name}={s.version}' for s in list_suites()))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    here = [f"{s.name}={s.version}" for s in list_suites()]
    assert out == here


def test_dev_share_is_about_thirty_percent():
    infos = [s for s in list_suites() if s.name in SPLIT_BY_HASH]
    total = sum(s.n_total for s in infos)
    dev = sum(s.n_dev for s in infos)
    assert 0.25 < dev / total < 0.35


def test_code_is_all_of_humaneval_with_tests_in_meta():
    items = load_suite("code", split="all").items
    assert len(items) == 164
    first = items[0]
    assert first.id == "code/HumanEval_0"
    assert first.meta["entry_point"] in first.prompt
    assert "def check(" in first.meta["test"]
    assert first.meta["code_prompt"].rstrip() in first.prompt


def test_math_is_labelled_gsm8k_style_and_references_end_in_the_answer():
    suite = load_suite("math", split="all")
    assert len(suite.items) >= 200
    assert "GSM8K-style (reasoning-gym gsm_symbolic), not GSM8K" in suite.description
    for it in suite.items:
        assert it.reference.splitlines()[-1] == f"#### {it.meta['answer']}"
    assert len({it.prompt for it in suite.items}) > 0.9 * len(suite.items)


def test_math_does_not_import_reasoning_gym_or_leave_aliases():
    load_suite("math")
    assert "reasoning_gym" not in sys.modules
    assert "reasoning_gym.utils" not in sys.modules


def test_translation_pairs_have_five_english_words_and_both_languages():
    suite = load_suite("translation", split="all")
    assert suite.description.startswith("proxy (short UI strings)")
    langs = {it.meta["tgt_lang"] for it in suite.items}
    assert langs == {"fr", "de"}
    for it in suite.items:
        assert len(it.meta["src"].split()) >= 5
        assert it.prompt.endswith(it.meta["src"])
        assert it.reference and it.reference != it.meta["src"]


def test_short_prompts_and_labels_of_the_other_suites():
    for name in ("chat", "summarization"):
        assert all(len(it.prompt) <= 1500 for it in load_suite(name, split="all").items)
    summ = load_suite("summarization", split="all")
    assert all(it.reference.strip() and it.reference not in it.prompt for it in summ.items)
    d2t = load_suite("data-to-text", split="all")
    assert "synthetic" in d2t.description
    assert all(it.prompt.startswith("Describe this record in one sentence: {") for it in d2t.items)
    chat = load_suite("chat", split="all")
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in it.prompt) for it in chat.items)


def test_n_takes_the_first_items_of_the_split():
    full = load_suite("math", split="dev")
    assert load_suite("math", split="dev", n=5).items == full.items[:5]


@pytest.mark.parametrize("kwargs, match", [
    ({"name_or_path": "maths"}, "Unknown suite 'maths'.*Available: .*math"),
    ({"name_or_path": "math", "split": "train"}, "Unknown split 'train'"),
    ({"name_or_path": "math", "n": 0}, "n must be >= 1"),
])
def test_bad_names_splits_and_sizes_are_user_errors(kwargs, match):
    with pytest.raises(SpecDecodeError, match=match):
        load_suite(**kwargs)


def _write(tmp_path, lines: list[str]):
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_user_jsonl_suite(tmp_path):
    rows = [{"id": "a", "prompt": "Say hi.", "reference": "hi", "split": "dev"},
            {"prompt": "Count to three.", "lang": "en"}]
    rows += [{"prompt": f"Question {i}?"} for i in range(40)]
    path = _write(tmp_path, [json.dumps(r) for r in rows] + [""])
    full = load_suite(str(path), split="all")
    assert [it.prompt for it in full.items] == [r["prompt"] for r in rows]
    assert full.items[0].id == "a" and full.items[0].reference == "hi"
    assert full.items[1].id.startswith("mine/") and full.items[1].meta == {"lang": "en"}
    dev, test = load_suite(str(path), split="dev"), load_suite(str(path), split="test")
    assert "a" in {it.id for it in dev.items}
    assert dev.items and test.items and len(dev.items) + len(test.items) == len(rows)
    assert load_suite(str(path), split="all").version == full.version


@pytest.mark.parametrize("lines, match", [
    (None, "not found"),
    (['{"prompt": "ok"}', '{"prompt": "broken"'], "line 2: bad JSON"),
    (['{"prompt": "ok"}', '{"reference": "x"}'], 'line 2: missing "prompt"'),
    (['["a list"]'], "expected a JSON object"),
    (['{"id": "x", "prompt": "a"}', '{"id": "x", "prompt": "b"}'], "duplicate id 'x'"),
    (['', '  '], "no prompts"),
])
def test_user_jsonl_errors_are_one_line(tmp_path, lines, match):
    path = tmp_path / "absent.jsonl" if lines is None else _write(tmp_path, lines)
    with pytest.raises(SpecDecodeError, match=match) as info:
        load_suite(str(path))
    assert "\n" not in str(info.value)


class _FakeTokenizer:
    chat_template = "{{ messages }}"

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert tokenize is False and add_generation_prompt is True
        return f"<user>{messages[0]['content']}</user><assistant>"


def test_render_prompt_applies_the_chat_template_only_when_asked_and_available():
    item = load_suite("chat", n=1).items[0]
    assert render_prompt(item, _FakeTokenizer()) == f"<user>{item.prompt}</user><assistant>"
    assert render_prompt(item, _FakeTokenizer(), chat=False) == item.prompt
    bare = _FakeTokenizer()
    bare.chat_template = None
    assert render_prompt(item, bare) == item.prompt


def test_render_prompt_with_a_real_transformers_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel({"[UNK]": 0, "hi": 1}, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]")
    tok.chat_template = ("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
                         "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    item = SuiteItem("x/1", "Write a haiku.", None, {})
    assert render_prompt(item, tok) == "<|user|>Write a haiku.\n<|assistant|>"


def test_content_hash_changes_with_content():
    a = (SuiteItem("x/1", "p", None, {}),)
    b = (SuiteItem("x/1", "p2", None, {}),)
    assert content_hash(a) != content_hash(b)


def test_cli_list_and_show(capsys):
    assert cli.main(["suites", "list"]) == 0
    out = capsys.readouterr().out
    for info in list_suites():
        assert info.name in out and info.version in out and info.licence in out
    assert cli.main(["suites", "show", "math", "--split", "dev", "--n", "2"]) == 0
    out = capsys.readouterr().out
    for item in load_suite("math", split="dev", n=2).items:
        assert f"=== {item.id}" in out and item.prompt in out and item.reference in out
    assert cli.main(["suites", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["name"] for r in rows} == set(NAMES)


def test_cli_unknown_suite_exits_2_with_one_line(capsys):
    assert cli.main(["suites", "show", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Unknown suite 'nope'") and err.count("\n") == 1


def test_po_reader_handles_multiline_escapes_and_skips_fuzzy_and_plural(tmp_path):
    from specdecode.suites.pofile import read_po

    po = tmp_path / "x.po"
    po.write_text('\n'.join([
        'msgid ""', 'msgstr ""', '"Language: fr\\n"', '',
        '#: a.py:1', '#, python-format', 'msgid ""', '"Hello %(name)s, "', '"say \\"hi\\"\\n"',
        'msgstr "Bonjour %(name)s, dis \\"salut\\"\\n"', '',
        '#, fuzzy', 'msgid "Guess me"', 'msgstr "Devine"', '',
        'msgid "one file"', 'msgid_plural "%d files"', 'msgstr[0] "un"', 'msgstr[1] "des"', '',
        'msgctxt "menu"', 'msgid "Open"', 'msgstr "Ouvrir"',
        'msgid "Untranslated"', 'msgstr ""', '',
        '#~ msgid "Old"', '#~ msgstr "Vieux"',
    ]) + '\n', encoding="utf-8")
    entries = read_po(po)
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in entries] == [
        (None, 'Hello %(name)s, say "hi"\n', 'Bonjour %(name)s, dis "salut"\n'),
        ("menu", "Open", "Ouvrir"),
    ]
    assert "python-format" in entries[0].flags
