"""The real pair's architecture (Qwen2: q/k/v biases, GQA, untied head) through the loop,
on tiny random stand-ins: exact at T = 0 in fp32, tree scoring equal to chain scoring,
and the bf16 exactness audit (audit.py) telling a near-tie from a planted real bug.
The real zoo:qwen2.5-coder-* models are exercised by tests/test_real_pair.py (-m slow)."""
import copy

import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
from specdecode.audit import REL_TOLERANCE, classify
from specdecode.models.wrapper import CausalLM
from specdecode.types import Proposal
from specdecode.verifiers import greedy as greedy_module
from test_exact_greedy import reference_greedy
from tiny_models import perturbed, tiny_lm

N_NEW = 40
PROMPTS = [[1, 2, 3, 4, 5, 1, 2, 3, 6, 7], [9, 8, 7, 6, 5, 4], [3, 3, 4, 4, 5, 5, 6], [11, 2, 17, 5]]


@pytest.fixture(scope="module")
def target():
    return tiny_lm(vocab=24, seed=0, scale=3.0, arch="qwen2", name="tiny-qwen2")


def in_bf16(lm: CausalLM) -> CausalLM:
    return CausalLM(copy.deepcopy(lm.model).to(torch.bfloat16), lm.tokenizer, name=lm.name + "-bf16",
                    identity=lm.identity + "-bf16")


def run(target, prompt, proposer="none", k=4, draft=None):
    models = {"draft": draft} if draft is not None else {}
    method = MethodConfig(proposer=proposer, k=k)
    return generate(target, prompt, method=method, sampling=SamplingConfig(0.0), models=models,
                    gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False)).output_ids


def test_biases_are_real(target):
    """The stand-in has the q/k/v biases that set Qwen2 apart from Llama."""
    assert target.model.model.layers[0].self_attn.q_proj.bias is not None


@pytest.mark.parametrize("proposer", ["draft", "ngram"])
@pytest.mark.parametrize("k", [1, 4])
def test_exact_in_fp32(target, proposer, k):
    draft = perturbed(target, 0.3) if proposer == "draft" else None
    for prompt in PROMPTS[:2]:
        assert run(target, prompt, proposer, k, draft) == reference_greedy(target, prompt, N_NEW)


def test_tree_scoring_equals_chain_scoring(target):
    """Two branches scored in one call give each branch the logits a chain call gives it."""
    ctx = PROMPTS[0]
    tree = Proposal(tokens=[4, 9, 5, 10], parents=(-1, 0, -1, 2))  # branches [4, 9] and [5, 10]
    target.reset()
    both = target.score(ctx, tree).logits
    for branch, rows in (([4, 9], [0, 1, 2]), ([5, 10], [0, 3, 4])):
        target.reset()
        chain = target.score(ctx, Proposal(tokens=branch)).logits
        assert torch.allclose(both[rows], chain, atol=1e-4)


def test_bf16_divergences_are_near_ties(target):
    """bf16 draft SD against bf16 target-only: every divergence the audit finds has a
    margin under the bf16 tolerance (or there is none)."""
    t16 = in_bf16(target)
    d16 = in_bf16(perturbed(target, 0.3))
    for prompt in PROMPTS:
        base = run(t16, prompt)
        found = classify(t16, prompt, base, run(t16, prompt, "draft", 4, d16))
        assert found is None or found.numerical, found


def test_planted_off_by_one_is_caught_in_bf16(target, monkeypatch):
    """A greedy verifier that reads the wrong row (chosen[i + 1] for node i) must show up
    as a real mismatch in bf16, never be excused as a near-tie."""
    real_match = greedy_module.match_path
    monkeypatch.setattr(greedy_module, "match_path",
                        lambda proposal, chosen: real_match(proposal, chosen[1:] + chosen[-1:]))
    t16 = in_bf16(target)
    d16 = in_bf16(perturbed(target, 0.3))
    verdicts = [classify(t16, p, run(t16, p), run(t16, p, "draft", 4, d16)) for p in PROMPTS]
    assert any(v is not None and not v.numerical for v in verdicts), verdicts
    assert all(v.margin is None or v.margin >= 0 for v in verdicts if v is not None)


def test_fp32_tolerance_is_zero(target):
    """In fp32 nothing is excused: any divergence is real."""
    assert REL_TOLERANCE["float32"] == 0.0
    prompt = PROMPTS[0]
    base = run(target, prompt)
    wrong = base[:5] + [(base[5] + 1) % 24] + base[6:]
    verdict = classify(target, prompt, base, wrong)
    assert verdict.position == 5 and not verdict.numerical and verdict.gap != 0 and verdict.tolerance == 0
