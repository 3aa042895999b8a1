"""After any sequence of propose / verify / rollback, both KV caches hold a prefix of the
committed tokens and give the same logits as a fresh prefill of those tokens."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.types import CycleRecord
from tiny_models import perturbed, tiny_lm


def fresh_logits(lm, ids):
    with torch.no_grad():
        return lm.model(torch.tensor([ids])).logits[0, -1]


def assert_cache_consistent(lm, committed):
    assert lm.cached == committed[: len(lm.cached)], "cache is not a prefix of the committed tokens"
    assert lm.cache.get_seq_length() == len(lm.cached)
    cached = lm.logits_for(committed, 1).logits[0]  # reuses the cache, feeds the rest
    torch.testing.assert_close(cached, fresh_logits(lm, committed), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("temperature", [0.0, 1.0])
@pytest.mark.parametrize("controller", ["fixed", "heuristic", "auto", "confidence"])
def test_caches_match_fresh_prefill(temperature, controller):
    target = tiny_lm(vocab=24, seed=0, scale=2.0)
    draft = perturbed(target, 0.15 if temperature == 0 else 1.0)
    prompt = [1, 2, 3, 4, 5, 6]
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="draft", controller=controller, k=3),
                                 SamplingConfig(temperature), {"draft": draft})
    committed = list(prompt)
    kinds = set()
    for event in decoder.stream(prompt, GenerationConfig(max_new_tokens=60, seed=5, stop_at_eos=False)):
        if hasattr(event, "tokens"):
            committed += event.tokens
        if isinstance(event, CycleRecord):
            kinds.add(event.kind)
            assert_cache_consistent(target, committed)
            assert_cache_consistent(draft, committed)
    assert {"bonus", "recovered"} <= kinds  # both commit paths were exercised


def test_rollback_then_extend_matches_prefill():
    lm = tiny_lm(vocab=24, seed=1)
    ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    lm.logits_for(ids, 1)
    lm.rollback_to(4)
    assert lm.cached == ids[:4] and lm.cache.get_seq_length() == 4
    other = ids[:4] + [7, 7, 8]
    torch.testing.assert_close(lm.logits_for(other, 1).logits[0], fresh_logits(lm, other), atol=1e-4, rtol=1e-4)


def test_custom_mask_and_positions_reproduce_causal_forward():
    """An explicit causal mask + position ids (the tree-attention path) equals the default."""
    lm = tiny_lm(vocab=24, seed=2)
    ids = [1, 2, 3, 4, 5, 6, 7, 8]
    lm.forward(ids[:5])
    m, past = 3, 5
    mask = torch.ones(m, past + m, dtype=torch.bool).tril(diagonal=past)
    out = lm.forward(ids[5:], attention_mask=mask, position_ids=torch.arange(past, past + m))
    with torch.no_grad():
        ref = lm.model(torch.tensor([ids])).logits[0, 5:]
    torch.testing.assert_close(out.logits, ref, atol=1e-4, rtol=1e-4)


def test_hidden_states_of_chosen_layers():
    lm = tiny_lm(vocab=24, seed=2, layers=2, hidden=32)
    out = lm.forward([1, 2, 3], hidden_layers=(0, 2))
    assert set(out.hidden) == {0, 2} and out.hidden[2].shape == (3, 32)


def test_vocab_subset_head_is_exact_and_restricted():
    """A draft with a vocabulary subset (FR-Spec head): logits are the full head's on the
    subset and -inf elsewhere, and speculative decoding with it stays exact at T = 0."""
    from specdecode.models.wrapper import CausalLM

    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    base = perturbed(target, 0.1)
    subset = torch.tensor([0, 2, 3, 5, 7, 8, 11, 13, 17, 19, 23])
    draft = CausalLM(base.model, base.tokenizer, "subset-draft", "x", vocab_subset=subset)
    ids = [1, 2, 3, 4]
    got = draft.logits_for(ids, 2).logits
    with torch.no_grad():
        full = base.model(torch.tensor([ids])).logits[0, -2:]
    torch.testing.assert_close(got[:, subset], full[:, subset], atol=1e-4, rtol=1e-4)
    outside = torch.ones(24, dtype=torch.bool)
    outside[subset] = False
    assert torch.isinf(got[:, outside]).all()
    ref = SpeculativeDecoder(target, MethodConfig(), SamplingConfig()).generate(ids, GenerationConfig(40, stop_at_eos=False))
    out = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=4), SamplingConfig(), {"draft": draft}).generate(
        ids, GenerationConfig(40, stop_at_eos=False))
    assert out.output_ids == ref.output_ids


def test_padded_short_calls_match_unpadded():
    """min_rows pads 2..min_rows-1-token calls (a CPU BLAS speed trick): same logits, and the
    pad positions never stay in the cache; decoding stays exact."""
    a, b = tiny_lm(vocab=24, seed=4), tiny_lm(vocab=24, seed=4)
    b.min_rows = 4
    ids = [1, 2, 3, 4, 5, 6, 7]
    a.logits_for(ids[:4], 1), b.logits_for(ids[:4], 1)
    ra, rb = a.logits_for(ids, 3).logits, b.logits_for(ids, 3).logits  # a 3-token call
    torch.testing.assert_close(ra, rb, atol=1e-5, rtol=1e-5)
    assert b.cached == ids and b.cache.get_seq_length() == len(ids)
    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    ref = SpeculativeDecoder(target, MethodConfig(), SamplingConfig()).generate(ids, GenerationConfig(40, stop_at_eos=False))
    target.min_rows = 4
    out = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=2), SamplingConfig(), {"draft": perturbed(target, 0.15)}).generate(
        ids, GenerationConfig(40, stop_at_eos=False))
    assert out.output_ids == ref.output_ids
