"""Proposer `xtok` (cross-tokenizer drafting): exact at T = 0 and T > 0 with a draft whose
tokenizer splits the same text differently (tiny_models.char_tokenizer), its drafts
accepted when the draft agrees in text space, its draft cache reused across cycles, the
alignment rule, and its one-line refusals."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder, generate
from specdecode.decoder import check_method
from specdecode.errors import SpecDecodeError
from specdecode.proposers.xtok import overlap_end
from test_distribution import PROMPT as DIST_PROMPT
from test_distribution import RUNS, V, chi2_pvalue, exact_joint
from test_exact_greedy import reference_greedy
from tiny_models import copy_of, tiny_char_lm, tiny_feature_draft, tiny_lm

N_NEW = 40
PROMPTS = {"repeats": [1, 2, 3, 4, 5, 1, 2, 3, 6, 7], "short": [12], "mixed": [20, 3, 17, 9, 9, 0, 15]}


@pytest.fixture(scope="module")
def target():
    return tiny_lm(vocab=24, seed=0, scale=3.0)


def run(target, prompt, draft, k=4, verifier="auto", sampling=SamplingConfig(0.0), n=N_NEW, **params):
    method = MethodConfig(proposer="xtok", k=k, verifier=verifier, proposer_params=params)
    return generate(target, prompt, draft=draft, method=method, sampling=sampling,
                    gen_cfg=GenerationConfig(max_new_tokens=n, stop_at_eos=False))


def trained_char_draft(target, prompt, steps=300):
    """A character-level draft fitted to the text of the target's greedy continuation of
    `prompt`: a draft that agrees with the target in text space (not in tokens)."""
    draft = tiny_char_lm(target, layers=2, hidden=64)
    text = target.tokenizer.decode(prompt + reference_greedy(target, prompt, N_NEW))
    ids = torch.tensor([draft.tokenizer(text)["input_ids"]])
    torch.manual_seed(0)
    opt = torch.optim.Adam(draft.model.parameters(), lr=3e-3)
    draft.model.train()
    for _ in range(steps):
        loss = draft.model(ids, labels=ids).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    draft.model.eval()
    assert loss.item() < 0.05, f"the draft did not fit the text (loss {loss.item():.3f})"
    return draft


@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("prompt", sorted(PROMPTS))
def test_t0_is_target_greedy(target, prompt, k):
    ids = PROMPTS[prompt]
    out = run(target, ids, tiny_char_lm(target), k=k)
    assert out.output_ids == reference_greedy(target, ids, N_NEW)


@pytest.mark.parametrize("params", [{"window_tokens": 6}, {"lookbehind": 1}, {"steps_per_token": 6.0}])
def test_t0_is_target_greedy_with_other_params(target, params):
    ids = PROMPTS["repeats"]
    out = run(target, ids, tiny_char_lm(target), k=3, **params)
    assert out.output_ids == reference_greedy(target, ids, N_NEW)


def test_draft_context_longer_than_the_drafts_window_is_cut(target):
    """A draft with a 32-position context: the window halves until it fits; still exact."""
    ids = PROMPTS["repeats"]
    out = run(target, ids, tiny_char_lm(target, max_len=32), k=4)
    assert out.output_ids == reference_greedy(target, ids, N_NEW)


def test_the_other_way_round_word_draft_for_a_char_target(target):
    """Target with the character tokenizer, draft with the word one: target tokens merge
    across the draft's words (" w"), so the incomplete-last-token rule matters."""
    char_target = tiny_char_lm(target, seed=4, layers=2, scale=3.0)
    ids = char_target.tokenizer("w1 w2 w3 w1 w2")["input_ids"]
    out = run(char_target, ids, target, k=4)
    assert out.output_ids == reference_greedy(char_target, ids, N_NEW)


def test_identical_tokenizer_and_model_accept_everything(target):
    """The text round trip is the identity: every drafted token is accepted; the last
    target token is held back (it may be incomplete), so k + 1 draft steps per cycle."""
    out = run(target, PROMPTS["repeats"], copy_of(target), k=4)
    assert out.output_ids == reference_greedy(target, PROMPTS["repeats"], N_NEW)
    assert out.stats["acceptance_rate"] == 1.0
    assert all(c.draft_calls == c.drafted + 1 for c in out.cycles if c.drafted == 4)


def test_an_agreeing_draft_is_accepted_and_its_cache_reused(target):
    ids = PROMPTS["repeats"]
    draft = trained_char_draft(target, ids)
    fed = []  # tokens fed to the draft per forward call
    forward = draft.forward

    def counting(new_ids, **kw):
        fed.append(len(new_ids))
        return forward(new_ids, **kw)

    draft.forward = counting
    out = run(target, ids, draft, k=4, steps_per_token=5.0)
    assert out.output_ids == reference_greedy(target, ids, N_NEW)
    assert out.stats["accepted"] >= N_NEW // 2, out.stats  # most tokens came from the draft
    text = target.tokenizer.decode(ids + out.output_ids)
    total = len(draft.tokenizer(text)["input_ids"])
    prompt_len = fed[0]  # the prefill: the prompt's draft ids
    assert all(n < prompt_len for n in fed[1:]), fed  # no cycle re-prefills the context
    # each committed character once, one token per draft step, a little re-encoding slack
    assert sum(fed) <= total + sum(c.draft_calls for c in out.cycles) + 2 * len(out.cycles)


def test_t1_matches_target_distribution():
    """xtok + match at T = 1: chi-square of the first 2 tokens (test_distribution's helpers;
    the law is the marginal of its exact 4-token law), drafts accepted on many runs.
    `auto` and the other exact verifiers: test_distribution's registry cases."""
    target = tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=2.0)
    sampling = SamplingConfig(1.0)
    method = MethodConfig(proposer="xtok", verifier="match", k=3, proposer_params={"steps_per_token": 3.0})
    # the draft: the target itself, reached through the text round trip (so drafts are
    # often accepted at T = 1); a random character-level draft is the registry case of
    # test_distribution.py, where acceptance is rare
    decoder = SpeculativeDecoder(target, method, sampling, {"draft": copy_of(target)})
    assert decoder.exact
    law: dict = {}
    for seq, mass in exact_joint(target, sampling).items():
        law[seq[:2]] = law.get(seq[:2], 0.0) + mass
    counts, accepted = {}, 0
    for seed in range(RUNS):
        # 3 tokens so the cycle after the prefill's token drafts (its budget is then 2);
        # the first 2 tokens' law does not depend on what follows them
        out = decoder.generate(DIST_PROMPT, GenerationConfig(max_new_tokens=3, seed=seed, stop_at_eos=False))
        first = tuple(out.output_ids[:2])
        counts[first] = counts.get(first, 0) + 1
        accepted += out.stats["accepted"]
    assert accepted > RUNS // 20  # the test saw accepted drafts, not only target-only steps
    p = chi2_pvalue(counts, law)
    assert p > 1e-3, f"chi-square p = {p:.2e}"


def test_rejection_is_refused_before_any_model_loads():
    with pytest.raises(SpecDecodeError) as err:
        check_method(MethodConfig(proposer="xtok", verifier="rejection"), SamplingConfig(1.0))
    msg = str(err.value)
    assert "\n" not in msg and "cross-tokenizer" in msg and "--verifier match (or auto)" in msg


def test_bind_refusals(target):
    with pytest.raises(SpecDecodeError, match="needs a draft model; pass --draft MODEL"):
        SpeculativeDecoder(target, MethodConfig(proposer="xtok"), SamplingConfig(0.0), {})
    with pytest.raises(SpecDecodeError, match="cannot use draft .* use a causal-LM draft"):
        SpeculativeDecoder(target, MethodConfig(proposer="xtok"), SamplingConfig(0.0),
                           {"draft": tiny_feature_draft(target)})
    with pytest.raises(SpecDecodeError, match="window_tokens >= 2"):
        check_method(MethodConfig(proposer="xtok", proposer_params={"window_tokens": 1}), SamplingConfig(0.0))
    with pytest.raises(SpecDecodeError, match="steps_per_token > 0"):
        check_method(MethodConfig(proposer="xtok", proposer_params={"steps_per_token": 0.0}), SamplingConfig(0.0))


@pytest.mark.parametrize("tail,full,end", [
    ([1, 2, 3], [1, 2, 3, 7, 8], 3),         # the tail re-encodes as itself
    ([1, 2, 3], [9, 2, 3, 7], 3),            # the window's first token re-encodes differently
    ([1, 2, 3], [1, 2, 3, 4, 1, 2, 3], 3),   # a repeat later in the draft text: the earliest
    ([1, 2, 3], [1, 2, 5, 7], None),         # the last token merged with the draft text
    ([5, 6, 7, 8], [9, 9, 7, 8, 1], 4),      # half the tail is enough
    ([5, 6, 7, 8], [9, 9, 9, 8, 1], None),   # ... less is not
])
def test_overlap_end(tail, full, end):
    assert overlap_end(tail, full) == end
