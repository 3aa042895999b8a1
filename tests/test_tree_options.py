"""treelite's candidate solutions (candidates / uncertain / block): a main chain plus up
to N branch blocks at uncertain early positions, in one packed verify call. Off by
default; on, it is exact at T = 0 (identical tokens to target-only greedy) and at T = 1
(chi-square against the target's law), keeps both caches fresh, counts its blocks in
the cycle records' events, and rejects bad params with one-line errors."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder, generate
from specdecode.decoder import resolve_method
from specdecode.errors import SpecDecodeError
from specdecode.proposers.tree_common import ROOT
from specdecode.types import CycleRecord
from test_distribution import PROMPT as DIST_PROMPT
from test_distribution import V
from test_exact_greedy import N_NEW, PROMPT, reference_greedy
from test_tree_distribution import tree_pvalue
from test_tree_methods import draft, target  # noqa: F401  (module fixtures: the same tiny pair)
from test_trees import assert_cache_is_fresh
from tiny_models import tiny_lm

# 3 blocks of 2 tokens: two at the root (ranks 1, 2), one under the first main node
CAND = {"top_k": 3, "branch_depth": 2, "candidates": 3, "block": 2}


@pytest.fixture(scope="module")
def reference(target):
    return reference_greedy(target, PROMPT, N_NEW)


def method(k=4, verifier="auto", **extra):
    return MethodConfig(proposer="treelite", k=k, verifier=verifier, proposer_params={**CAND, **extra})


def run(target, draft, temperature, k=4, **extra):
    decoder = SpeculativeDecoder(target, method(k, **extra), SamplingConfig(temperature), {"draft": draft})
    return decoder.generate(PROMPT, GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False, seed=1))


def propose(target, draft, temperature, k=4, seed=0, sampling=None, **extra):
    """One proposal straight from a bound treelite proposer -> (Proposal, {node: children})."""
    sampling = sampling or SamplingConfig(temperature)
    decoder = SpeculativeDecoder(target, method(k, **extra), sampling, {"draft": draft})
    prop = decoder.proposer.propose(PROMPT, k, sampling, torch.Generator().manual_seed(seed))
    kids = {}
    for i, par in enumerate(prop.parent_list):
        kids.setdefault(par, []).append(i)
    return prop, kids


def blocks_fired(out) -> int:
    return sum((c.events or {}).get("candidate_blocks", 0) for c in out.cycles)


# -- exactness at T = 0 ---------------------------------------------------------------------
@pytest.mark.parametrize("verifier", ["auto", "multidraft"])
@pytest.mark.parametrize("k", [1, 4])
def test_candidates_are_exact_at_t0(target, draft, reference, verifier, k):
    out = generate(target, PROMPT, draft=draft, method=method(k, verifier, candidates=2, uncertain=0.9),
                   sampling=SamplingConfig(0.0), gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))
    assert out.output_ids == reference
    assert blocks_fired(out) > 0                                  # the option did something
    assert all(c.depth <= k and c.draft_calls <= k for c in out.cycles)  # root + one call per level


# -- the shape --------------------------------------------------------------------------------
def test_blocks_go_shallowest_first_then_by_rank(target, draft):
    prop, kids = propose(target, draft, 0.0, uncertain=1.0)
    # creation order: level 1 main 0, blocks 1, 2 (ranks 1, 2 at the root); level 2 main 3,
    # block 4 (rank 1 under node 0), tails 5, 6; level 3 main 7, tail 8; level 4 main 9
    assert prop.parent_list == (-1, -1, -1, 0, 0, 1, 2, 3, 4, 7)
    assert len(kids[ROOT]) == 3                                   # main + ranks 1, 2
    main1 = kids[ROOT][0]
    assert len(kids[main1]) == 2                                  # main + rank 1: the third block
    assert len(prop.tokens) == 4 + 3 * 2                          # chain of 4 + 3 blocks of 2
    assert prop.events == {"candidate_blocks": 3, "candidate_nodes": 6}
    with torch.no_grad():
        top3 = draft.model(torch.tensor([PROMPT])).logits[0, -1].topk(3).indices.tolist()
    assert [prop.tokens[i] for i in kids[ROOT]] == top3           # T = 0: the draft's top ranks, distinct
    for alt in kids[ROOT][1:] + kids[main1][1:]:                  # each block: the alternative + 1 token
        assert len(kids.get(alt, [])) == 1 and not kids.get(kids[alt][0])


def test_budget_depth_and_certainty_limit_the_blocks(target, draft):
    _, kids = propose(target, draft, 0.0, uncertain=1.0, candidates=1)
    assert len(kids[ROOT]) == 2 and len(kids[kids[ROOT][0]]) == 1  # the one block goes to the root
    prop, kids = propose(target, draft, 0.0, k=1, uncertain=1.0, block=3)
    assert len(prop.tokens) == 3 and kids == {ROOT: [0, 1, 2]}      # blocks cut at the depth limit
    prop, _ = propose(target, draft, 0.0, uncertain=1e-9)
    assert prop.parent_list == (-1, 0, 1, 2)                        # nothing uncertain: the main chain
    assert prop.events == {"candidate_blocks": 0, "candidate_nodes": 0}
    prop, _ = propose(target, draft, 1.0, uncertain=1.0)            # T = 1: iid children, the same shape
    assert len(prop.tokens) == 10 and prop.draft_probs.shape == (10, 24)
    prop, kids = propose(target, draft, 1.0, uncertain=1.0, sampling=SamplingConfig(1.0, top_k=2))
    assert len(kids[ROOT]) == 2 and len(kids[kids[ROOT][0]]) == 2   # rank 2 has q = 0: skipped
    assert prop.events == {"candidate_blocks": 2, "candidate_nodes": 4} and len(prop.tokens) == 8


# -- events ----------------------------------------------------------------------------------
@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_events_count_the_blocks_and_their_nodes(target, draft, temperature):
    out = run(target, draft, temperature, uncertain=1.0)
    cycles = [c for c in out.cycles if c.drafted]
    assert cycles and all(c.events is not None for c in cycles)
    for c in cycles:  # every node is on the main chain (depth nodes) or in a block
        assert c.drafted == c.depth + c.events["candidate_nodes"]
        assert c.events["candidate_blocks"] <= 3 and c.events["candidate_nodes"] <= 2 * c.events["candidate_blocks"]
    assert any(c.drafted > c.depth for c in cycles)                 # more nodes than the plain chain
    off = run(target, draft, temperature, candidates=0)
    assert all(c.events is None for c in off.cycles)


def test_default_treelite_is_the_static_shape(target, draft):
    prop, kids = propose(target, draft, 0.0, top_k=2, branch_depth=2, candidates=0)
    assert prop.events is None
    assert len(kids[ROOT]) == 2 and all(len(kids[c]) == 2 for c in kids[ROOT])  # 2 x 2, chains after
    assert len(prop.tokens) == 2 + 4 + 4 * 2


# -- caches ----------------------------------------------------------------------------------
@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_both_caches_stay_fresh_with_candidates(target, draft, temperature):
    decoder = SpeculativeDecoder(target, method(4, uncertain=1.0), SamplingConfig(temperature), {"draft": draft})
    out, cycles = [], 0
    for event in decoder.stream(PROMPT, GenerationConfig(max_new_tokens=24, stop_at_eos=False, seed=3)):
        if hasattr(event, "tokens"):
            out += event.tokens
        if isinstance(event, CycleRecord):
            cycles += 1
            assert_cache_is_fresh(target)
            assert_cache_is_fresh(draft)
            assert target.cached == (PROMPT + out)[:-1]
            assert draft.cached == (PROMPT + out)[: len(draft.cached)]
    assert cycles > 0


# -- the target's law at T = 1 ---------------------------------------------------------------
DIST = {"top_k": 3, "branch_depth": 2, "candidates": 3, "block": 2, "uncertain": 1.0}


def test_candidates_match_the_target_distribution():
    # test_tree_distribution's target (a head 10x sharper than the draft's): against the
    # near-uniform draft about a third of the first cycles accept a block's alternative, so the blocks are tested
    target = tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=20.0)
    draft = tiny_lm(vocab=V, seed=11, layers=1, hidden=16, scale=2.0)  # tree_pvalue's draft
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="treelite", k=3, proposer_params=DIST),
                                 SamplingConfig(1.0), {"draft": draft})
    firsts = [decoder.generate(DIST_PROMPT, GenerationConfig(max_new_tokens=4, stop_at_eos=False, seed=s)).cycles[0]
              for s in range(40)]
    assert all(c.events["candidate_blocks"] == 3 for c in firsts)  # the trees tested have their blocks
    assert sum(bool(c.path) and c.path[0] != 0 for c in firsts) >= 4  # and alternatives get accepted
    assert tree_pvalue(target, "treelite", "auto", DIST, SamplingConfig(1.0))[0] > 1e-3


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("params,match", [
    ({"candidates": -1}, "candidates >= 0"),
    ({"candidates": 2, "uncertain": 0.0}, "0 < uncertain <= 1"),
    ({"candidates": 2, "uncertain": 1.5}, "0 < uncertain <= 1"),
    ({"candidates": 2, "block": 0}, "block >= 1"),
    ({"candidates": 2, "top_k": 1}, "top_k >= 2 and branch_depth >= 1"),
    ({"candidates": 2, "branch_depth": 0}, "top_k >= 2 and branch_depth >= 1"),
])
def test_bad_candidate_params_are_one_line_errors(params, match):
    with pytest.raises(SpecDecodeError, match=match) as err:
        resolve_method(MethodConfig(proposer="treelite", proposer_params=params), SamplingConfig(0.0))
    assert "\n" not in str(err.value)
