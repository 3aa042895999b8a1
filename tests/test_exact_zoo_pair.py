"""T = 0 exactness on the trained tiny zoo pair (real text, realistic acceptance): every
proposer x controller x k gives tokens identical to target-only greedy decoding on real
suite prompts. The reference is computed independently here: a plain loop of full
forward passes of the Hugging Face model over the whole sequence, argmax of the last
row, no KV cache, no specdecode loop."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
from specdecode.decoder import encode_prompt
from specdecode.models import load_model
from specdecode.suites import load_suite

N_NEW = 48


def reference_greedy(lm, prompt: list[int], n: int) -> list[int]:
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            logits = lm.model(torch.tensor([ids])).logits  # (1, len(ids), V)
            ids.append(int(logits[0, -1].argmax()))
    return ids[len(prompt):]


@pytest.fixture(scope="module")
def target():
    return load_model("zoo:tiny")


@pytest.fixture(scope="module")
def drafts():
    return {"draft": load_model("zoo:tiny-draft"), "eagle": load_model("zoo:tiny-eagle"), "ngram": None}


@pytest.fixture(scope="module")
def prompts(target):
    items = load_suite("code", n=2).items + load_suite("summarization", n=1).items
    return [encode_prompt(target, it.prompt, chat=True) for it in items]


@pytest.fixture(scope="module")
def reference(target, prompts):
    return [reference_greedy(target, p, N_NEW) for p in prompts]


def run(target, prompt, method, draft=None):
    return generate(target, prompt, draft=draft, method=method, sampling=SamplingConfig(temperature=0.0),
                    gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))


def test_target_only_matches_reference(target, prompts, reference):
    for p, ref in zip(prompts, reference):
        assert run(target, p, MethodConfig(proposer="none")).output_ids == ref


@pytest.mark.parametrize("controller", ["fixed", "confidence", "heuristic", "auto"])
@pytest.mark.parametrize("k", [1, 2, 4, 8])
@pytest.mark.parametrize("proposer", ["draft", "eagle", "ngram"])
def test_zoo_pair_is_exact(target, drafts, prompts, reference, proposer, controller, k):
    method = MethodConfig(proposer=proposer, controller=controller, k=k)
    accepted = 0
    for p, ref in zip(prompts, reference):
        out = run(target, p, method, drafts[proposer])
        assert out.output_ids == ref
        accepted += out.stats["accepted"]
    if proposer in ("draft", "eagle") and controller == "fixed":
        assert accepted > 0  # the trained drafts do get tokens accepted
