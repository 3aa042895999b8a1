"""Options of the chain `draft` proposer (DraftParams.recycle, .refine; docs/draft-options.md):
identical to target-only greedy at T = 0, the target's distribution at T = 1 (chi-square,
with a deliberately broken variant that must fail it), the events they count, the draft
cache invariant, refinement = autoregressive drafting at S = k - 1, one-line errors."""
import dataclasses

import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.decoder import resolve_method
from specdecode.errors import SpecDecodeError
from specdecode.proposers.base import fit_width
from specdecode.proposers.draft import DraftModelProposer, DraftParams
from specdecode.proposers.draft_options import GUESS_NGRAM, Hints, initial_guesses, rejected_tail
from specdecode.sampling import warp
from specdecode.types import CycleRecord
import test_distribution as dist  # exact_joint, sample_counts, chi2_pvalue
from test_cache import assert_cache_consistent
from test_exact_greedy import PROMPT, reference_greedy
from tiny_models import copy_of, perturbed, tiny_lm, with_copy_head

OPTIONS = {"dense": {"recycle": "dense"}, "sparse": {"recycle": "sparse"},
           "refine1": {"refine": 1}, "refine2": {"refine": 2}}
EVENT = {"dense": "recycled", "sparse": "recycled", "refine1": "refine_steps", "refine2": "refine_steps"}
N_NEW = 60
GREEDY, T1 = SamplingConfig(0.0), SamplingConfig(1.0)


@pytest.fixture(scope="module")
def pair():
    """A target and a draft that often disagrees with it (rejections every few tokens)."""
    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    return target, perturbed(target, 0.8)


@pytest.fixture(scope="module")
def reference(pair):
    """Target-only greedy continuation of PROMPT (full recompute, no cache)."""
    return reference_greedy(pair[0], PROMPT, N_NEW)


def decoder(target, draft, params, sampling=GREEDY, k=4, controller="fixed"):
    method = MethodConfig(proposer="draft", k=k, controller=controller, proposer_params=params)
    return SpeculativeDecoder(target, method, sampling, {"draft": draft})


def bound(params, target, draft):
    """A draft proposer used directly (no loop): bound, reset, prompt not yet fed."""
    proposer = DraftModelProposer(DraftParams(**params))
    proposer.bind(target, {"draft": draft})
    proposer.reset()
    return proposer


# -- T = 0: identical tokens, events ------------------------------------------------------

@pytest.mark.parametrize("controller", ["fixed", "auto", "confidence"])
@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_greedy_identity_and_events(pair, reference, name, controller):
    target, draft = pair
    out = decoder(target, draft, OPTIONS[name], controller=controller).generate(
        PROMPT, GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))
    assert out.output_ids == reference
    if controller == "fixed":
        assert any(c.kind == "recovered" for c in out.cycles)  # rejections happened
        fired = [c.events[EVENT[name]] for c in out.cycles if c.events and EVENT[name] in c.events]
        assert fired and max(fired) > 0, f"{name}: no {EVENT[name]} event"


def test_defaults_count_no_events(pair):
    out = decoder(*pair, {}).generate(PROMPT, GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))
    assert all(c.events is None for c in out.cycles)


# -- the rules ------------------------------------------------------------------------------

def test_hint_rules():
    assert rejected_tail([5, 6, 7, 8], [5, 9]) == [6, 7, 8]   # x_2 = 6 rejected, 9 recovered
    assert rejected_tail([5, 6], [5, 6, 1]) == []             # all accepted: no hints
    assert rejected_tail([5, 6, 7], [5]) == []                # cut short (EOS / budget)
    dense = Hints("dense", [6, 7, 8])
    assert [dense.take(0), dense.take(3), dense.take(3)] == [7, 8, None]  # the tail as a run
    sparse = Hints("sparse", [6, 7, 6, 9])                   # pairs (6, 7), (7, 6), (6, 9)
    assert sparse.take(1) is None
    assert [sparse.take(6), sparse.take(7), sparse.take(6), sparse.take(6)] == [7, 6, 9, None]


def test_dense_proposal_starts_with_the_rejected_tail(pair):
    target, draft = pair
    proposer = bound({"recycle": "dense"}, target, draft)
    ctx = list(PROMPT)
    proposer.prefill(ctx)
    first = proposer.propose(ctx, 4, T1, torch.Generator().manual_seed(0))
    x1 = first.tokens[0]
    ctx += [x1, (first.tokens[1] + 1) % 24]     # x_1 accepted, x_2 rejected, a recovered token
    proposer.commit(ctx)
    second = proposer.propose(ctx, 4, T1, torch.Generator().manual_seed(1))
    assert second.tokens[:2] == first.tokens[2:]  # x_3, x_4 right after the recovered token
    assert second.events == {"recycled": 2}
    assert torch.equal(second.draft_probs[:2], torch.nn.functional.one_hot(torch.tensor(first.tokens[2:]), 24).float())
    proposer.commit(ctx + second.tokens + [0])  # all accepted: no hints left
    assert not proposer.hints


@pytest.mark.parametrize("k", [2, 4, 6])
def test_refine_reaches_the_autoregressive_greedy_draft(pair, reference, k):
    """After S Jacobi steps the first S + 1 tokens are the autoregressive greedy draft's;
    with S = k - 1 all of them, with the same raw draft rows."""
    target, draft = pair
    plain = bound({}, target, copy_of(draft))
    refined = {s: bound({"refine": s}, target, copy_of(draft)) for s in range(1, k)}
    committed = PROMPT + reference[:20]
    for n in range(len(PROMPT), len(committed), 3):
        ctx = committed[:n]
        want = plain.propose(ctx, k, GREEDY, torch.Generator())
        for s, proposer in refined.items():
            got = proposer.propose(ctx, k, GREEDY, torch.Generator())
            assert got.tokens[: s + 1] == want.tokens[: s + 1]
            assert 1 <= got.events["refine_steps"] <= s
            assert proposer.draft.cached == ctx  # the block was dropped
            if s == k - 1:
                assert got.tokens == want.tokens
                torch.testing.assert_close(got.draft_logits, want.draft_logits, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("temperature", [0.0, 1.0])
@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_draft_cache_is_a_prefix_of_the_committed_tokens(name, temperature):
    target = tiny_lm(vocab=24, seed=0, scale=2.0)
    draft = perturbed(target, 0.8)
    committed = list(PROMPT)
    dec = decoder(target, draft, OPTIONS[name], SamplingConfig(temperature))
    for event in dec.stream(PROMPT, GenerationConfig(max_new_tokens=40, seed=5, stop_at_eos=False)):
        if hasattr(event, "tokens"):
            committed += event.tokens
        if isinstance(event, CycleRecord):
            assert_cache_consistent(draft, committed)


# -- T = 1: the target's distribution -------------------------------------------------------

# Runs of DIST_NEW new tokens; the chi-square compares the law of the last 4 (y2..y5, all
# that the cycles emit: y1 is the prefill's own sample of the target) with the target's
# exact marginal law. Why not test_distribution's 4 tokens: after the prefill's token they
# leave the first cycle room for k = 2 only, and a 2-block has nothing to refine. Why not
# the joint of 5: 3125 sequences are too many bins for 3000 runs.
DIST_NEW, TAIL = 5, 4


def tail_law(law: dict) -> dict:
    """{(y1..yN): mass} -> {(y_{N-TAIL+1}..yN): mass}, the marginal of the last TAIL tokens."""
    out = {}
    for seq, mass in law.items():
        out[seq[-TAIL:]] = out.get(seq[-TAIL:], 0) + mass
    return out


@pytest.fixture(scope="module")
def dist_pair():
    """A sharp target (rows that depend on the context) and a noisy copy of it (most
    tokens accepted, so cycles reach the later positions, yet rejections are frequent),
    with the target's exact law of the last TAIL of DIST_NEW new tokens. A flat target or
    a rarely accepted draft hides the deliberately wrong variant below (measured).
    test_distribution's helpers read N_NEW at call time: DIST_NEW for this module only."""
    target = tiny_lm(vocab=dist.V, seed=3, layers=1, hidden=16, scale=8.0)
    draft = perturbed(target, 1.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dist, "N_NEW", DIST_NEW)
        yield target, draft, tail_law(dist.exact_joint(target, T1))


def chi2_tail(dec, law) -> float:
    return dist.chi2_pvalue(tail_law(dist.sample_counts(dec)), law)


def events_total(dec, key, runs=50):
    gen_cfg = lambda seed: GenerationConfig(max_new_tokens=DIST_NEW, seed=seed, stop_at_eos=False)  # noqa: E731
    return sum((c.events or {}).get(key, 0) for seed in range(runs)
               for c in dec.generate(dist.PROMPT, gen_cfg(seed)).cycles)


@pytest.mark.parametrize("name", ["dense", "sparse", "refine2"])
def test_options_keep_the_target_distribution(dist_pair, name):
    target, draft, law = dist_pair
    dec = decoder(target, draft, OPTIONS[name], T1, k=3)
    assert dec.exact
    p = chi2_tail(dec, law)
    assert p > 1e-3, f"{name}: chi-square p = {p:.2e}"
    assert events_total(dec, EVENT[name]) > 0  # the option did fire in these runs


def claim_first_step_rows(proposer):
    """Broken on purpose: q of d_2..d_k becomes the FIRST refinement step's rows (those
    computed from the initial guesses), not the LAST step's, which the tokens were drawn
    from. (The tiny draft shares the target's vocabulary: ctx is fed as is.)"""
    honest = proposer.propose

    def propose(ctx, k, sampling, gen, stop=None):
        prop = honest(ctx, k, sampling, gen, stop)
        if len(prop.tokens) < 3:  # a 1- or 2-block has one step's rows only
            return prop
        d1 = prop.tokens[0]
        block = [d1] + initial_guesses(ctx, d1, k, proposer.head or GUESS_NGRAM)[:-1]
        rows = fit_width(proposer.draft.logits_for(ctx + block, k - 1).logits, proposer.vocab_size)
        proposer.draft.rollback_to(len(ctx))
        return dataclasses.replace(prop, draft_probs=torch.cat([prop.draft_probs[:1], warp(rows, sampling)]))

    proposer.propose = propose


def test_the_test_detects_q_from_the_wrong_refinement_step(dist_pair):
    target, draft, law = dist_pair
    dec = decoder(target, draft, {"refine": 2}, T1, k=3)
    claim_first_step_rows(dec.proposer)
    p = chi2_tail(dec, law)
    assert p < 1e-3  # the threshold the honest options must stay above


# -- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params,needle", [
    ({"recycle": "yes"}, "recycle"), ({"recycle": 1}, "recycle"), ({"refine": -1}, "refine"),
    ({"refine": 1.5}, "refine"), ({"recycle": "dense", "refine": 2}, "cannot be combined")])
def test_bad_params_give_one_line_errors(params, needle):
    with pytest.raises(SpecDecodeError) as err:
        resolve_method(MethodConfig(proposer="draft", proposer_params=params), GREEDY)
    assert needle in str(err.value) and "\n" not in str(err.value)


# -- the stop hook after a copied token -------------------------------------------------

class _Hook:
    """A stop hook that records (position, argmax of the row it is shown) and stops at `at`."""

    def __init__(self, at, wants_hidden=False):
        self.at, self.wants_hidden, self.seen = at, wants_hidden, []

    def __call__(self, i, logits, hidden=None):
        self.seen.append((i, int(logits.argmax())))
        return i == self.at


CYCLIC = [1, 2, 3, 1, 2, 3, 1, 2]  # every unigram recurs: a 1-gram copy head fires at each step


def test_the_stop_hook_ends_a_copied_draft_at_its_position(pair):
    """A policy table's window ends the draft at its position even when the copy head,
    not the LM, drafted the tokens (the hook sees q's one-hot row)."""
    target, draft = pair
    proposer = bound({}, target, with_copy_head(copy_of(draft), (1, 1)))
    proposer.prefill(CYCLIC)
    hook = _Hook(at=1)
    got = proposer.propose(list(CYCLIC), 6, GREEDY, torch.Generator(), hook)
    assert got.tokens == [3, 1]
    assert hook.seen == [(0, 3), (1, 1)]
    assert proposer.calls == 0  # both copied: no LM step


def test_a_hook_that_reads_the_hidden_state_is_not_asked_about_copied_tokens(pair):
    target, draft = pair
    proposer = bound({}, target, with_copy_head(copy_of(draft), (1, 1)))
    proposer.prefill(CYCLIC)
    hook = _Hook(at=0, wants_hidden=True)
    got = proposer.propose(list(CYCLIC), 6, GREEDY, torch.Generator(), hook)
    assert got.tokens == [3, 1, 2, 3, 1, 2] and hook.seen == []
