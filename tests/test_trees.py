"""Token trees through the one loop: a hand-written 2-branch tree proposal goes through
the target's tree forward, verification and keep(path). At T = 0 the tokens equal
target-only greedy, and after every cycle both KV caches (target and draft) equal a
fresh prefill of the tokens they claim to hold."""
import dataclasses

import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.errors import SpecDecodeError
from specdecode.models.wrapper import common_prefix, compile_tree
from specdecode.proposers.base import Proposer, require_model
from specdecode.types import CycleRecord, Proposal
from tiny_models import perturbed, tiny_lm

PROMPT = [1, 2, 3, 4, 5, 1, 2, 3, 6, 7]


class TwoBranch(Proposer):
    """Drafts the draft's top-2 tokens at depth 1 and one greedy child under each: one
    draft tree call, so the draft's cache goes through keep() too."""

    model_roles = ("draft",)

    def bind(self, target, models):
        super().bind(target, models)
        self.draft = require_model(models, "draft", "lm", "two-branch")

    def reset(self):
        super().reset()
        self.draft.reset()

    def prefill(self, ctx):
        self.draft.logits_for(ctx, 1)

    def propose(self, ctx, k, sampling, gen, stop=None):
        a, b = self.draft.logits_for(ctx, 1).logits[0].topk(2).indices.tolist()
        out = self.draft.score(ctx, Proposal([a, b], parents=(-1, -1)))  # rows: root, a, b
        a2, b2 = int(out.logits[1].argmax()), int(out.logits[2].argmax())
        self.draft.keep(())  # drop both speculative nodes; the cache holds ctx
        self.calls += 2
        return Proposal([a, b, a2, b2], parents=(-1, -1, 0, 1))

    def commit(self, ctx):
        self.draft.rollback_to(min(common_prefix(self.draft.cached, ctx), len(ctx) - 1))


def reference_greedy(lm, n):
    ids = list(PROMPT)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(lm.model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(PROMPT):]


def assert_cache_is_fresh(lm):
    """The cache's keys/values equal those of one fresh forward over lm.cached."""
    with torch.no_grad():
        fresh = lm.model(torch.tensor([lm.cached]), use_cache=True).past_key_values
    for mine, ref in zip(lm.cache.layers, fresh.layers):
        assert mine.keys.shape == ref.keys.shape
        assert torch.allclose(mine.keys, ref.keys, atol=1e-5)
        assert torch.allclose(mine.values, ref.values, atol=1e-5)


@pytest.mark.parametrize("noise", [0.0, 0.3, 1.5])
def test_two_branch_tree_is_exact_and_keeps_both_caches_fresh(noise):
    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    draft = perturbed(target, noise)
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=2), SamplingConfig(0.0), {"draft": draft})
    proposer = TwoBranch(None)
    proposer.bind(target, {"draft": draft})
    decoder.resolved = dataclasses.replace(decoder.resolved, proposer=proposer)
    out, second_branch = [], 0
    for event in decoder.stream(PROMPT, GenerationConfig(max_new_tokens=40, stop_at_eos=False)):
        if hasattr(event, "tokens"):
            out += event.tokens
        if isinstance(event, CycleRecord):
            assert_cache_is_fresh(target)
            assert_cache_is_fresh(draft)
            assert target.cached == (PROMPT + out)[:-1]
            second_branch += event.path[:1] == (1,)
    assert out == reference_greedy(target, 40)
    if noise == 0.0:  # the draft is the target: its top-1 branch always wins
        assert second_branch == 0
    elif noise == 1.5:  # a poor draft: the target's choice is sometimes its 2nd-best token
        assert second_branch > 0


def test_keep_gathers_a_non_prefix_path():
    target = tiny_lm(vocab=24, seed=0)
    ctx = PROMPT
    target.logits_for(ctx, 1)
    prop = Proposal([4, 6, 8, 2, 11], parents=(-1, -1, 0, 1, 2))
    out = target.score(ctx, prop)
    fresh = tiny_lm(vocab=24, seed=0)
    for i, branch in {0: [4], 1: [6], 2: [4, 8], 3: [6, 2], 4: [4, 8, 11]}.items():
        fresh.reset()
        assert torch.allclose(out.logits[1 + i], fresh.logits_for(ctx + branch, 1).logits[0], atol=1e-5)
    target.keep((1, 3))
    assert target.cached == ctx + [6, 2]
    assert_cache_is_fresh(target)


def test_compile_tree_rejects_a_parent_after_its_child():
    with pytest.raises(ValueError, match="parents must come before"):
        compile_tree((-1, 2, 0))
    tree = compile_tree((-1, -1, 0, 1, 2))
    assert tree.depth.tolist() == [1, 1, 2, 2, 3]
    assert tree.ancestors[4].tolist() == [True, False, True, False, True]


class SecondDraft(Proposer):
    """A composite role: drafts with an inner `draft` proposer bound to the model named
    draft2, built through the same resolver as every top-level proposer."""

    model_roles = ("draft2",)

    def bind(self, target, models):
        from specdecode.decoder import build_proposer

        super().bind(target, models)
        self.inner = build_proposer("draft", {"copy": False}, target, {"draft": models.get("draft2")})

    def reset(self):
        super().reset()
        self.inner.reset()

    def prefill(self, ctx):
        return self.inner.prefill(ctx)

    def propose(self, ctx, k, sampling, gen, stop=None):
        proposal = self.inner.propose(ctx, k, sampling, gen, stop)
        self.calls = self.inner.calls
        return proposal

    def commit(self, ctx):
        self.inner.commit(ctx)


def test_a_composite_role_builds_its_inner_role_from_named_models():
    from specdecode.proposers import PROPOSERS

    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    PROPOSERS.register("test-second-draft")(SecondDraft)
    try:
        with pytest.raises(SpecDecodeError, match="needs a draft model"):
            SpeculativeDecoder(target, MethodConfig(proposer="test-second-draft"), SamplingConfig(0.0), {})
        decoder = SpeculativeDecoder(target, MethodConfig(proposer="test-second-draft", k=3), SamplingConfig(0.0),
                                     {"draft2": perturbed(target, 0.3)})
        out = decoder.generate(PROMPT, GenerationConfig(max_new_tokens=30, stop_at_eos=False))
        assert out.output_ids == reference_greedy(target, 30)
        assert out.stats["drafted"] > 0
    finally:
        PROPOSERS._items.pop("test-second-draft")
