"""Lossy verifiers do what their knob claims. On a tiny target/draft pair the exact law
of the first two new tokens is computed by enumeration (token 1 from the prefill, token 2
from one k = 1 cycle under the rule); its total-variation distance from the target's
law must grow monotonically as the knob loosens (K, T, threshold, delta), from 0 at the
exact setting. A Monte Carlo run through verify() itself must match the enumerated law."""
import math

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from specdecode.config import SamplingConfig
from specdecode.errors import SpecDecodeError
from specdecode.params import build_params
from specdecode.sampling import sample, warp
from specdecode.types import Proposal, VerifyInput
from specdecode.verifiers import VERIFIERS
from specdecode.verifiers.fuzzy import GRID
from specdecode.verifiers.rule import Row
from tiny_models import tiny_lm

V = 5
PROMPT = [1, 2, 3, 1, 2]
KNOBS = {  # verifier -> (param, values from exact / tightest to loosest)
    "topk": ("top_k", [1, 2, 3, 4, 0]),
    "fuzzy": ("threshold", list(GRID)),
    "fsd": ("threshold", [0.0, 0.02, 0.05, 0.1, 0.2, 0.4, math.log(2)]),
    "typical": ("delta", [8.0, 2.0, 1.0, 0.6, 0.3, 0.1, 0.0]),
}
FIXED = {"typical": {"eps": 1.0}}  # so that delta * exp(-H(p)) is the binding threshold on 5 tokens


@pytest.fixture(scope="module")
def pair():
    return tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=2.0), tiny_lm(vocab=V, seed=11, layers=1, hidden=16, scale=2.0)


def logits(lm, ids):
    with torch.no_grad():
        return lm.model(torch.tensor([ids])).logits[0, -1].float()


def verifier(name, value, sampling):
    cls = VERIFIERS.get(name)
    return cls(build_params(cls.Params, {**FIXED.get(name, {}), KNOBS[name][0]: value}, name), sampling)


def second_token_law(rule, lp, lq, sampling):
    """Law of the token a k = 1 cycle emits first: accepted draft token or recovery."""
    p, q = warp(lp[None], sampling)[0], warp(lq[None], sampling)[0]
    law = torch.zeros(V, dtype=torch.float64)
    for x in range(V):
        if q[x] == 0:
            continue
        row = Row(x, p, q, lp, lq)
        rule._t = getattr(rule.params, "threshold", None)  # fuzzy: this cycle's T
        a = rule.accept_prob(row)
        law[x] += float(q[x]) * a
        law += float(q[x]) * (1 - a) * rule.recovery(row).double()
    return law


def tv_from_target(rule, target, draft, sampling):
    p1 = warp(logits(target, PROMPT)[None], sampling)[0].double()
    tv = 0.0
    for y1 in range(V):
        if p1[y1] == 0:
            continue
        lp, lq = logits(target, PROMPT + [y1]), logits(draft, PROMPT + [y1])
        p2 = warp(lp[None], sampling)[0].double()
        tv += 0.5 * float(p1[y1]) * float((second_token_law(rule, lp, lq, sampling) - p2).abs().sum())
    return tv


@pytest.mark.parametrize("name", sorted(KNOBS))
def test_tv_grows_monotonically_with_the_knob(pair, name):
    target, draft = pair
    sampling = SamplingConfig(1.0)
    param, values = KNOBS[name]
    tvs = [tv_from_target(verifier(name, v, sampling), target, draft, sampling) for v in values]
    assert all(b >= a - 1e-12 for a, b in zip(tvs, tvs[1:])), f"{name} {param}: TV {tvs}"
    assert tvs[-1] > tvs[0] + 1e-3, f"{name}: the loosest setting must move away from the target"
    if name in ("fuzzy", "fsd", "typical"):  # their first setting is exact here (typical: threshold >= 1 on 5 tokens)
        assert tvs[0] < 1e-6  # float32 rounding of p and q


@pytest.mark.parametrize("name", sorted(KNOBS))
def test_verify_realises_the_enumerated_law(pair, name):
    """verify() on many 1-node proposals x ~ q emits tokens with the enumerated law."""
    target, draft = pair
    sampling = SamplingConfig(1.0)
    rule = verifier(name, KNOBS[name][1][len(KNOBS[name][1]) // 2], sampling)
    lp, lq = logits(target, PROMPT), logits(draft, PROMPT)
    p, q = warp(lp[None], sampling)[0], warp(lq[None], sampling)[0]
    inp = VerifyInput(p=torch.stack([p, p]), logits=torch.stack([lp, lp]))
    gen, runs, counts = torch.Generator().manual_seed(0), 4000, np.zeros(V)
    for _ in range(runs):
        x = int(sample(q[None], gen)[0])
        verdict = rule.verify(Proposal([x], draft_probs=q[None], draft_logits=lq[None]), inp, gen)
        counts[x if verdict.path else verdict.next_token] += 1
    expected = second_token_law(rule, lp, lq, sampling).numpy() * runs
    keep = expected > 0
    assert counts[~keep].sum() == 0
    assert chisquare(counts[keep], expected[keep] * counts[keep].sum() / expected[keep].sum()).pvalue > 1e-3


def test_mismatches_count_what_the_exact_rule_rejects(pair):
    target, draft = pair
    sampling = SamplingConfig(0.0)
    lp, lq = logits(target, PROMPT), logits(draft, PROMPT)
    p = warp(lp[None], sampling)[0]
    wrong = int(torch.argsort(lp, descending=True)[1])  # the target's 2nd choice
    inp = VerifyInput(p=torch.stack([p, p]), logits=torch.stack([lp, lp]))
    prop = Proposal([wrong], draft_probs=torch.nn.functional.one_hot(torch.tensor([wrong]), V).float(),
                    draft_logits=lq[None])
    loose = verifier("topk", 2, sampling).verify(prop, inp, torch.Generator())
    exact = verifier("topk", 1, sampling).verify(prop, inp, torch.Generator())
    assert loose.path == (0,) and loose.mismatches == 1
    assert exact.path == () and exact.mismatches == 0


@pytest.mark.parametrize("name,params,match", [
    ("topk", {"top_k": -1}, "top_k >= 1"),
    ("fuzzy", {"threshold": 0.5}, "T >= 1"),
    ("fuzzy", {"threshold": float("nan")}, "finite number"),
    ("fsd", {"threshold": 0.9}, r"\[0, 0.6931\]"),
    ("fsd", {"divergence": "hellinger"}, "one of js, kl, tv"),
    ("typical", {"eps": 2.0}, r"in \[0, 1\]"),
    ("typical", {"delta": -1.0}, "finite number >= 0"),
])
def test_bad_knobs_are_one_line_errors(name, params, match):
    cls = VERIFIERS.get(name)
    with pytest.raises(SpecDecodeError, match=match):
        build_params(cls.Params, params, name)
