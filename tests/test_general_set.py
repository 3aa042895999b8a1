"""The general set (suites/general.py): six domains, written apart from the suites and
from the drafts' training pool, each item with a raw text; the held-out suites
general-DOMAIN built from it; and the generalisation figures `zoo measure --general`
derives from per-domain rows."""
import pytest

from specdecode.suites import load_suite
from specdecode.suites.builtin import SUITES as BUILTIN
from specdecode.suites.general import DOMAINS, domain_items, general_items
from specdecode.training.measure import general_prompts, generalisation
from specdecode.training.prompts import SUITES, pool


@pytest.fixture(scope="module")
def items():
    return general_items(8)


def test_every_domain_has_its_items_with_a_raw_text(items):
    by = {}
    for domain, item in items:
        by.setdefault(domain, []).append(item)
        assert item.id.startswith(f"general/{domain}/") and item.meta["raw"].strip()
    assert tuple(by) == DOMAINS and all(len(v) == 8 for v in by.values())
    assert len({it.id for _, it in items}) == len(items)


def test_the_general_set_is_disjoint_from_the_suites_and_the_training_pool(items):
    seen = {it.prompt for name in SUITES for it in load_suite(name, split="all").items}
    seen |= {it.prompt for _, it in pool()}
    texts = {t for _, it in items for t in (it.prompt, it.meta["raw"])}
    assert not texts & seen


def test_raw_code_is_the_bare_function_head(items):
    code = [it for domain, it in items if domain == "code"]
    for it in code:
        assert it.meta["raw"].startswith(("def ", "async def ", "@")) and "```" not in it.meta["raw"]
        assert it.meta["raw"].rstrip() in it.prompt and it.prompt.startswith("Complete")


def test_prompts_come_chat_templated_and_raw():
    class Words:  # a tokenizer stand-in: one id per character
        chat_template = "<user>...<assistant>"

        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": [ord(c) % 97 for c in text]}

        def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
            return "<user>" + messages[-1]["content"] + "<assistant>"

    prompts = general_prompts(Words(), 1, 50)
    labels = [label for label, _ in prompts]
    assert labels == [f"general:{d}" for d in DOMAINS] + [f"raw:{d}" for d in DOMAINS]
    assert all(0 < len(ids) <= 50 for _, ids in prompts)
    (chat_code, raw_code) = [ids for label, ids in prompts if label.endswith(":code")]
    assert chat_code[-11:] == Words()("<assistant>")["input_ids"] and raw_code != chat_code


def test_generalisation_gaps_are_the_suites_mean_minus_the_general_means():
    per = {"code": {"acceptance": 0.8}, "chat": {"acceptance": 0.6},
           "general:code": {"acceptance": 0.5}, "general:chat": {"acceptance": 0.3},
           "raw:code": {"acceptance": 0.2}, "raw:chat": {"acceptance": 0.4}}
    g = generalisation(per, 3)
    assert g["mean_chat"] == pytest.approx(0.4) and g["mean_raw"] == pytest.approx(0.3)
    assert g["gap_chat"] == pytest.approx(0.3) and g["gap_raw"] == pytest.approx(0.4)
    assert set(g["chat"]) == {"code", "chat"} and g["n_per_domain"] == 3
    assert g["domain_gaps_chat"] == pytest.approx({"code": 0.3, "chat": 0.3})
    assert g["domain_gaps_raw"] == pytest.approx({"code": 0.6, "chat": 0.2})


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_is_a_held_out_suite_whose_first_items_are_measures(domain, items):
    name = f"general-{domain}"
    test, full = load_suite(name, split="test"), load_suite(name, split="all")
    assert not load_suite(name, split="dev").items  # nothing of it is for training or tuning
    assert test.items == full.items == tuple(domain_items(domain))
    assert test.version == full.version and test.version.startswith("1+")
    first = [it for d, it in items if d == domain]
    assert list(load_suite(name, n=len(first)).items) == first  # bench's first n = measure's
    assert BUILTIN.get(name).held_out and not BUILTIN.get(domain).held_out


def test_general_summarization_is_scored_against_its_docstring_summary():
    suite = load_suite("general-summarization", n=8)
    assert suite.scorer == "rouge_l" and all(it.reference for it in suite.items)
    assert {load_suite(f"general-{d}").scorer for d in DOMAINS if d != "summarization"} == {"agreement"}
