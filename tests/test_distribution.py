"""At T > 0 speculative decoding emits exactly the target's distribution: the joint law
of the first 4 new tokens (exactly computed from the target by enumeration) against many
seeded runs, with a chi-square test. A deliberately biased verifier must fail it."""
import dataclasses
import itertools

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.decoder import resolve_method
from specdecode.errors import SpecDecodeError
from specdecode.params import NoParams
from specdecode.proposers import PROPOSERS
from specdecode.sampling import warp
from specdecode.types import Verdict
from specdecode.verifiers import VERIFIERS
from specdecode.verifiers.base import Verifier
from specdecode.verifiers.multidraft import MultiDraftVerifier
from tiny_models import copy_of, models_for, perturbed, tiny_lm, with_copy_head

V, N_NEW, RUNS = 5, 4, 3000
PROMPT = [1, 2, 3, 1, 2, 3, 1, 2]


def exact_joint(lm, sampling):
    """P(y1..y4 | PROMPT) for every sequence, by enumeration over the vocabulary."""
    law = {}

    def expand(prefix, mass):
        if len(prefix) == N_NEW:
            law[tuple(prefix)] = mass
            return
        with torch.no_grad():
            logits = lm.model(torch.tensor([PROMPT + prefix])).logits[0, -1:]
        p = warp(logits, sampling)[0].double()
        for v in range(V):
            if p[v] > 0:
                expand(prefix + [v], mass * float(p[v]))

    expand([], 1.0)
    return law


def sample_counts(decoder):
    counts = {}
    for seed in range(RUNS):
        out = decoder.generate(PROMPT, GenerationConfig(max_new_tokens=N_NEW, seed=seed, stop_at_eos=False))
        key = tuple(out.output_ids)
        counts[key] = counts.get(key, 0) + 1
    return counts


def chi2_pvalue(counts, law):
    keys = sorted(law, key=law.get, reverse=True)
    assert set(counts) <= set(keys), "emitted a sequence the target gives probability 0"
    expected = np.array([law[k] * RUNS for k in keys])
    observed = np.array([counts.get(k, 0) for k in keys], dtype=float)
    # pool the tail so that every bin expects >= 5 draws
    big = expected >= 5
    exp_b = np.append(expected[big], expected[~big].sum())
    obs_b = np.append(observed[big], observed[~big].sum())
    if exp_b[-1] == 0:
        exp_b, obs_b = exp_b[:-1], obs_b[:-1]
    return chisquare(obs_b, exp_b * obs_b.sum() / exp_b.sum()).pvalue


@pytest.fixture(scope="module")
def target():
    """Peaked enough (next-token law after PROMPT ~ 0.42 / 0.31 / 0.16 / 0.09 / 0.03) that a
    wrong residual shows: at scale 2 (~0.23 / 0.22 / 0.20 / 0.19 / 0.16) a tree verifier
    without the residual update passed the test (p = 0.98)."""
    return tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=15.0)


CASES = {
    "draft-identical-T1": ("draft", "identical", SamplingConfig(1.0)),
    "draft-different-warped": ("draft", "different", SamplingConfig(0.8, top_k=4, top_p=0.9)),
    "draft-copyhead-T1": ("draft", "copyhead", SamplingConfig(1.0)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_speculative_sampling_matches_target_distribution(target, case):
    proposer, which, sampling = CASES[case]
    drafts = {"perturbed": perturbed(target, 0.5), "identical": copy_of(target),
              "different": tiny_lm(vocab=V, seed=11, layers=1, hidden=16, scale=2.0)}
    drafts["copyhead"] = with_copy_head(drafts["different"], (1, 2))
    method = MethodConfig(proposer=proposer, k=3, proposer_params={"n_min": 1} if proposer == "ngram" else {})
    decoder = SpeculativeDecoder(target, method, sampling, {"draft": drafts[which]} if which in drafts else {})
    counts = sample_counts(decoder)
    p = chi2_pvalue(counts, exact_joint(target, sampling))
    assert p > 1e-3, f"{case}: chi-square p = {p:.2e}"


class AcceptEverything(Verifier):
    """Broken on purpose: keeps every draft token (draft-only decoding)."""

    def verify(self, proposal, inp, gen):
        k = len(proposal.tokens)
        return Verdict(tuple(range(k)), int(torch.multinomial(inp.p[k], 1, generator=gen)), (True,) * k)


def registry_cases(sampling):
    """Every registered verifier (with its EXACT_PARAMS) x every drafting proposer it
    accepts at T > 0: a newly registered role is tested without editing a list."""
    cases = []
    for v in VERIFIERS.names():
        params = getattr(VERIFIERS.get(v), "EXACT_PARAMS", {})
        for p in PROPOSERS.names():
            if not PROPOSERS.get(p).drafts:
                continue
            try:
                resolved = resolve_method(MethodConfig(proposer=p, verifier=v, verifier_params=params), sampling)
            except SpecDecodeError:
                continue
            if resolved.exact:  # lossy configurations: tests/test_lossy.py
                cases.append(pytest.param(v, p, params, id=f"{v}-{p}"))
    return cases


@pytest.mark.parametrize("verifier,proposer,params", registry_cases(SamplingConfig(1.0)))
def test_every_registered_pairing_matches_target_distribution(target, verifier, proposer, params):
    sampling = SamplingConfig(1.0)
    method = MethodConfig(proposer=proposer, verifier=verifier, verifier_params=params, k=3,
                          proposer_params={"n_min": 1} if proposer == "ngram" else {})
    decoder = SpeculativeDecoder(target, method, sampling, models_for(proposer, target, sampling))
    assert decoder.exact
    p = chi2_pvalue(sample_counts(decoder), exact_joint(target, sampling))
    assert p > 1e-3, f"{verifier} x {proposer}: chi-square p = {p:.2e}"


def test_the_test_detects_a_biased_verifier(target):
    sampling = SamplingConfig(1.0)
    draft = tiny_lm(vocab=V, seed=11, layers=1, hidden=16, scale=2.0)
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=3), sampling, {"draft": draft})
    decoder.resolved = dataclasses.replace(decoder.resolved, verifier=AcceptEverything(NoParams(), sampling))
    p = chi2_pvalue(sample_counts(decoder), exact_joint(target, sampling))
    assert p < 1e-3  # the same threshold the exact methods must stay above


class NoResidual(MultiDraftVerifier):
    """Broken on purpose, the classic multi-draft slip: after a rejected child the next
    child is tested against p again instead of the residual norm(max(0, p - q))."""

    @staticmethod
    def update(r, q):
        return r


@pytest.mark.parametrize("proposer", ["static", "dyntree"])
def test_the_test_detects_a_tree_verifier_without_the_residual(target, proposer):
    """The tree cases above pass on this target; a tree verifier that skips the residual
    update must not (same target, same threshold), so they can fail."""
    sampling = SamplingConfig(1.0)
    method = MethodConfig(proposer=proposer, verifier="multidraft", k=3)
    decoder = SpeculativeDecoder(target, method, sampling, models_for(proposer, target, sampling))
    decoder.resolved = dataclasses.replace(decoder.resolved, verifier=NoResidual(NoParams(), sampling))
    p = chi2_pvalue(sample_counts(decoder), exact_joint(target, sampling))
    assert p < 1e-3


def test_same_seed_same_tokens(target):
    draft = perturbed(target, 0.5)
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=3), SamplingConfig(1.0), {"draft": draft})
    cfg = GenerationConfig(max_new_tokens=30, seed=123, stop_at_eos=False)
    a, b = decoder.generate(PROMPT, cfg), decoder.generate(PROMPT, cfg)
    c = decoder.generate(PROMPT, GenerationConfig(max_new_tokens=30, seed=124, stop_at_eos=False))
    assert a.output_ids == b.output_ids
    assert a.output_ids != c.output_ids
