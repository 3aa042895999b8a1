"""The multi-draft rule (verifiers/multidraft.py) emits exactly the target's law, checked
without models: a synthetic target p and draft q over V = 6 tokens, token trees drawn from
q (iid children per node, duplicates allowed), one verify, then target-only sampling up
to two tokens; the joint law of (y1, y2) against P0(y1) P1[y1](y2) by chi-square.
Skipping the residual update r <- norm(max(0, r - q_j)) must fail the same test."""
import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from specdecode.config import SamplingConfig
from specdecode.params import NoParams
from specdecode.types import Proposal, VerifyInput
from specdecode.verifiers.multidraft import MultiDraftVerifier

V, SAMPLES = 6, 12000


def laws(seed, sharp=1.5):
    g = torch.Generator().manual_seed(seed)
    p0 = torch.softmax(torch.randn(V, generator=g) * sharp, -1)         # (V,)
    p1 = torch.softmax(torch.randn(V, V, generator=g) * sharp, -1)      # (V, V): row x = law after x
    return p0, p1


P0, P1 = laws(0)
Q0, Q1 = laws(1)


def draw_tree(gen, widths, deterministic=False):
    """widths (w1, w2): w1 iid root children ~ Q0, w2 iid children ~ Q1[x] under each."""
    tokens, parents, q = [], [], []
    for _ in range(widths[0]):
        x = int(torch.multinomial(Q0, 1, generator=gen))
        tokens.append(x), parents.append(-1), q.append(Q0)
        me = len(tokens) - 1
        for _ in range(widths[1]):
            tokens.append(int(torch.multinomial(Q1[x], 1, generator=gen))), parents.append(me), q.append(Q1[x])
    probs = None if deterministic else torch.stack(q)
    return Proposal(tokens=tokens, parents=tuple(parents), draft_probs=probs)


def target_rows(prop):
    """p rows: root, then each node's law of the next token (depth 2: uniform, unused for y2)."""
    rows = [P0]
    for i, par in enumerate(prop.parents):
        rows.append(P1[prop.tokens[i]] if par == -1 else torch.full((V,), 1.0 / V))
    p = torch.stack(rows)
    return VerifyInput(p=p, logits=p.log())


def first_two(verifier, gen, widths, deterministic=False, proposal_fn=draw_tree):
    prop = proposal_fn(gen, widths, deterministic)
    verdict = verifier.verify(prop, target_rows(prop), gen)
    out = [prop.tokens[i] for i in verdict.path] + [verdict.next_token]
    if len(out) < 2:  # the loop's next step: the target alone
        out.append(int(torch.multinomial(P1[out[0]], 1, generator=gen)))
    return out[0], out[1]


def pvalue(verifier, widths, deterministic=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    counts = np.zeros((V, V))
    for _ in range(SAMPLES):
        a, b = first_two(verifier, gen, widths, deterministic)
        counts[a, b] += 1
    expected = (P0[:, None] * P1).double().numpy() * SAMPLES
    big = expected >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    return chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


class SkipsResidual(MultiDraftVerifier):
    """Broken on purpose: keeps r after a rejection instead of norm(max(0, r - q_j))."""

    @staticmethod
    def update(r, q):
        return r


def verifier(cls=MultiDraftVerifier):
    return cls(NoParams(), SamplingConfig(1.0))


@pytest.mark.parametrize("widths", [(1, 1), (3, 2), (4, 0)])
def test_multidraft_emits_the_target_law(widths):
    assert pvalue(verifier(), widths) > 1e-3


def test_multidraft_with_deterministic_children_is_exact():
    # draft_probs None: q_j is one-hot on x_j (a rejected token's mass leaves r)
    assert pvalue(verifier(), (3, 2), deterministic=True) > 1e-3


def test_skipping_the_residual_update_fails():
    assert pvalue(verifier(SkipsResidual), (3, 2)) < 1e-3


def test_multidraft_at_t0_is_greedy_matching():
    one_hot = torch.eye(V)
    prop = Proposal(tokens=[4, 2, 1, 3], parents=(-1, -1, 1, 1), draft_probs=torch.full((4, V), 1.0 / V))
    p = torch.stack([one_hot[2], one_hot[0], one_hot[3], one_hot[5], one_hot[1]])  # root, nodes 0..3
    verdict = MultiDraftVerifier(NoParams(), SamplingConfig(0.0)).verify(prop, VerifyInput(p=p, logits=p),
                                                                          torch.Generator().manual_seed(0))
    assert verdict.path == (1, 3) and verdict.next_token == 1 and verdict.outcomes == (True, True)
