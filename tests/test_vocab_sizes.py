"""A draft whose embedding table / head is smaller or larger than the target's (same
tokenizer, padded differently) never changes the target's output: T = 0 tokens equal
target-only greedy even where the target emits ids the draft lacks, and at T > 0 the
joint law of the first tokens passes the chi-square test."""
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.models.wrapper import CausalLM
from test_distribution import V, chi2_pvalue, exact_joint, sample_counts
from tiny_models import tiny_lm


def resized_draft(target: CausalLM, rows: int, seed: int = 11) -> CausalLM:
    """A random draft with `rows` embedding and head rows and the target's tokenizer."""
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=rows, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(2.0)
    return CausalLM(model, target.tokenizer, name=f"draft-{rows}", identity=f"draft-{rows}")


def greedy(lm, prompt, n):
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(lm.model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(prompt):]


@pytest.mark.parametrize("rows", [16, 30])
def test_t0_tokens_equal_target_only_with_a_resized_draft(rows):
    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    prompt = [1, 2, 20, 22, 3, 23, 1, 2]  # ids 20-23 lie beyond a 16-row draft's table
    ref = greedy(target, prompt, 40)
    assert max(ref) >= 16 or rows > 24  # the target emits ids the small draft lacks
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=3), SamplingConfig(0.0),
                                 {"draft": resized_draft(target, rows)})
    out = decoder.generate(prompt, GenerationConfig(max_new_tokens=40, stop_at_eos=False))
    assert out.output_ids == ref
    assert out.stats["drafted"] > 0


@pytest.mark.parametrize("rows", [V - 1, V + 2])
def test_t1_distribution_with_a_resized_draft(rows):
    target = tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=2.0)
    sampling = SamplingConfig(1.0)
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=3), sampling,
                                 {"draft": resized_draft(target, rows)})
    p = chi2_pvalue(sample_counts(decoder), exact_joint(target, sampling))
    assert p > 1e-3, f"chi-square p = {p:.2e}"
