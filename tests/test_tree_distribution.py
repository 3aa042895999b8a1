"""Tree proposers at T > 0 through the whole loop emit the target's law: the joint law
of new tokens 2 and 3 (the first cycle's tree emits them; token 1 comes from the
prefill) against seeded runs, marginalised from test_distribution.py's exact
enumeration of 4 tokens, by chi-square. Fewer runs than there (each file < 90 s on 2
cores): this is the end-to-end check; tests/test_multidraft.py tests the rule itself with 12000
draws, and test_distribution.py's registry test runs every tree proposer x verifier
with 3000.

The target's head is 10x sharper than the draft's (scale 20 against 2): against a near-
uniform target about 94% of first cycles accepted the first child, so the branches were
barely tested; with it an alternative child is accepted in ~30-45% of first cycles
(measured over 200 seeds), and the tests check that share."""
import dataclasses

import numpy as np
import pytest
from scipy.stats import chisquare

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.params import NoParams
from test_distribution import N_NEW, PROMPT, V, exact_joint
from test_multidraft import SkipsResidual
from tiny_models import tiny_lm

RUNS = 1500
CASES = {
    "multiround-auto-T1": ("multiround", "auto", {"rounds": 3}, SamplingConfig(1.0)),
    "specexec-multidraft-warped": ("specexec", "multidraft", {"budget": 8}, SamplingConfig(0.8, top_k=4, top_p=0.9)),
}


@pytest.fixture(scope="module")
def target():
    return tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=20.0)


def pvalue(counts, law, runs):
    keys = sorted(law, key=law.get, reverse=True)
    assert set(counts) <= set(keys), "emitted a sequence the target gives probability 0"
    expected = np.array([law[k] * runs for k in keys])
    observed = np.array([counts.get(k, 0) for k in keys], dtype=float)
    big = expected >= 5  # pool the tail: every bin expects >= 5 draws
    exp_b = np.append(expected[big], expected[~big].sum())
    obs_b = np.append(observed[big], observed[~big].sum())
    if exp_b[-1] == 0:
        exp_b, obs_b = exp_b[:-1], obs_b[:-1]
    return chisquare(obs_b, exp_b * obs_b.sum() / exp_b.sum()).pvalue


def tree_pvalue(target, proposer, verifier, params, sampling, broken=False):
    """(chi-square p of tokens 2 and 3 against the target's law, share of first cycles
    that accepted a child other than the first)."""
    draft = tiny_lm(vocab=V, seed=11, layers=1, hidden=16, scale=2.0)
    decoder = SpeculativeDecoder(target, MethodConfig(proposer=proposer, verifier=verifier, k=3,
                                                      proposer_params=params), sampling, {"draft": draft})
    if broken:
        decoder.resolved = dataclasses.replace(decoder.resolved, verifier=SkipsResidual(NoParams(), sampling))
    counts, alternatives = {}, 0
    for seed in range(RUNS):
        out = decoder.generate(PROMPT, GenerationConfig(max_new_tokens=N_NEW, seed=seed, stop_at_eos=False))
        key = tuple(out.output_ids[1:3])
        counts[key] = counts.get(key, 0) + 1
        path = out.cycles[0].path
        alternatives += bool(path) and path[0] != 0
    law = {}
    for seq, mass in exact_joint(target, sampling).items():
        law[seq[1:3]] = law.get(seq[1:3], 0.0) + mass
    return pvalue(counts, law, RUNS), alternatives / RUNS


@pytest.mark.parametrize("case", sorted(CASES))
def test_tree_methods_match_the_target_distribution(target, case):
    p, alternatives = tree_pvalue(target, *CASES[case])
    assert p > 1e-3
    assert alternatives >= 0.15  # the branches were exercised


def test_the_test_detects_a_skipped_residual_update(target):
    assert tree_pvalue(target, "multiround", "multidraft", {"rounds": 3}, SamplingConfig(1.0), broken=True)[0] < 1e-3
