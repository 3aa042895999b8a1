"""Token-tree proposers (specexec, dyntree, static, treelite, multiround, suffix) through
the one loop: identical tokens to target-only greedy at T = 0 with every tree-aware
verifier, both KV caches equal to a fresh prefill after every cycle, the suffix indexes,
and one-line errors for bad shapes and budgets."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder, generate
from specdecode.decoder import resolve_method
from specdecode.errors import SpecDecodeError
from specdecode.proposers.shapes import as_paths, compile_shape
from specdecode.types import CycleRecord
from test_trees import assert_cache_is_fresh
from tiny_models import perturbed, tiny_lm

PROMPT = [1, 2, 3, 4, 5, 1, 2, 3, 6, 7]
N_NEW = 40
DRAFTED = ["specexec", "dyntree", "static", "treelite", "multiround"]
SMALL = {"specexec": {"budget": 12}, "dyntree": {"budget": 12, "top_k": 3}, "static": {},
         "treelite": {"top_k": 2, "branch_depth": 2}, "multiround": {"rounds": 3}, "suffix": {}}


@pytest.fixture(scope="module")
def target():
    return tiny_lm(vocab=24, seed=0, scale=3.0)


@pytest.fixture(scope="module")
def draft(target):
    return perturbed(target, 0.8)


@pytest.fixture(scope="module")
def reference(target):
    ids = list(PROMPT)
    with torch.no_grad():
        for _ in range(N_NEW):
            ids.append(int(target.model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(PROMPT):]


def method(name, k, verifier="auto", **extra):
    return MethodConfig(proposer=name, k=k, verifier=verifier, proposer_params={**SMALL[name], **extra})


@pytest.mark.parametrize("verifier", ["auto", "multidraft", "match"])
@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("name", DRAFTED + ["suffix"])
def test_tree_proposers_are_exact_at_t0(target, draft, reference, name, k, verifier):
    out = generate(target, PROMPT, draft=draft, method=method(name, k, verifier), sampling=SamplingConfig(0.0),
                   gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))
    assert out.output_ids == reference
    assert out.stats["drafted"] > 0
    assert all(c.depth <= k for c in out.cycles)


@pytest.mark.parametrize("name", DRAFTED)
def test_trees_branch_with_one_draft_call_per_level(target, draft, name):
    decoder = SpeculativeDecoder(target, method(name, 4), SamplingConfig(0.0), {"draft": draft})
    out = decoder.generate(PROMPT, GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))
    assert any(c.drafted > c.depth for c in out.cycles)          # a real tree, not a chain
    assert all(c.draft_calls <= 4 for c in out.cycles)            # root + one tree call per level < k


@pytest.mark.parametrize("temperature", [0.0, 1.0])
@pytest.mark.parametrize("name", ["specexec", "dyntree", "static"])
def test_both_caches_stay_fresh(target, draft, name, temperature):
    decoder = SpeculativeDecoder(target, method(name, 4), SamplingConfig(temperature), {"draft": draft})
    out = []
    for event in decoder.stream(PROMPT, GenerationConfig(max_new_tokens=24, stop_at_eos=False, seed=3)):
        if hasattr(event, "tokens"):
            out += event.tokens
        if isinstance(event, CycleRecord):
            assert_cache_is_fresh(target)
            assert_cache_is_fresh(draft)
            assert target.cached == (PROMPT + out)[:-1]
            assert draft.cached == (PROMPT + out)[: len(draft.cached)]


def test_budget_caps_the_nodes(target, draft):
    for name, params in [("specexec", {"budget": 5}), ("dyntree", {"budget": 5}), ("suffix", {"budget": 5})]:
        decoder = SpeculativeDecoder(target, MethodConfig(proposer=name, k=6, proposer_params=params),
                                     SamplingConfig(0.0), {"draft": draft})
        out = decoder.generate(PROMPT, GenerationConfig(max_new_tokens=30, stop_at_eos=False))
        assert max(c.drafted for c in out.cycles) <= 5


# -- suffix --------------------------------------------------------------------------------
def test_suffix_global_index_reads_earlier_outputs_but_not_its_own_prompt(target):
    decoder = SpeculativeDecoder(target, MethodConfig(proposer="suffix", k=8), SamplingConfig(0.0))
    gen_cfg = GenerationConfig(max_new_tokens=30, stop_at_eos=False)
    first = decoder.generate(PROMPT, gen_cfg)
    other = [9, 8, 10] + first.output_ids[:3]                   # a new prompt that meets the old output
    decoder.generate(other, gen_cfg)
    prop = decoder.proposer
    assert len(prop.docs) == 1 and prop.docs[0][1] == first.output_ids
    tail = first.output_ids[:3]
    assert prop.glob.longest_match(tail, 8)[0] == 3                       # found for another prompt
    assert prop.glob.longest_match(tail, 8, skip_docs=(hash(tuple(PROMPT)),))[0] == 0  # never for its own
    again = decoder.generate(PROMPT, gen_cfg)                   # the same prompt: the same tokens
    assert again.output_ids == first.output_ids


def test_suffix_proposes_a_frequency_tree():
    from specdecode.proposers.suffix_index import continuation_tree

    conts = [[5, 6, 7], [5, 6, 8], [5, 9], [5, 6, 7], [4]]
    tokens, parents = continuation_tree(conts, budget=4, min_prob=0.3)
    # counts: 5:4, 6:3, 7:2, 8:1, 9:1, 4:1 of 5 -> keep 5 (0.8), 6 (0.6), 7 (0.4)
    assert tokens == [5, 6, 7] and parents == [-1, 0, 1]
    tokens, parents = continuation_tree(conts, budget=6, min_prob=0.2)
    assert tokens == [5, 6, 7, 8, 9, 4] and parents == [-1, 0, 1, 1, 0, -1]


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params,match", [
    ("specexec", {"budget": 0}, "budget >= 1"),
    ("dyntree", {"budget": 0}, "budget >= 1"),
    ("suffix", {"budget": 0}, "budget >= 1"),
    ("static", {"paths": [[0, 0], [0]]}, r"path \[0, 0\] comes before its parent \[0\]"),
    ("static", {"paths": [[0], [1, 0]]}, r"path \[1, 0\] has no parent path \[1\]"),
    ("static", {"paths": [[0], [0]]}, "listed twice"),
    ("static", {"paths": [[0], [-1]]}, "ranks >= 0"),
    ("static", {"paths": []}, "non-empty list of paths"),
    ("treelite", {"top_k": 2, "branch_depth": 9, "max_depth": 9}, "more than 256 nodes a level"),
    # found by hypothesis: the message once formatted 36 ** 2763, past Python's int-to-str limit
    ("treelite", {"top_k": 36, "branch_depth": 2763}, "top_k = 36 over 8 branching levels"),
    ("treelite", {"top_k": 3, "branch_depth": 10 ** 9, "max_depth": 10 ** 9}, "more than 256 nodes a level"),
])
def test_bad_params_are_one_line_errors(name, params, match):
    with pytest.raises(SpecDecodeError, match=match) as err:
        resolve_method(MethodConfig(proposer=name, proposer_params=params), SamplingConfig(0.0))
    assert "\n" not in str(err.value)


def test_treelite_at_256_leaves_is_allowed():
    resolve_method(MethodConfig(proposer="treelite", proposer_params={"top_k": 2, "branch_depth": 8}), SamplingConfig(0.0))
    resolve_method(MethodConfig(proposer="treelite", proposer_params={"top_k": 1, "branch_depth": 10 ** 9}),
                   SamplingConfig(0.0))


def test_depth_over_the_context_is_an_error(target, draft):
    for name, params in [("specexec", {"max_depth": 300}), ("treelite", {"max_depth": 300}),
                         ("static", {"paths": [[0] * (i + 1) for i in range(300)]})]:
        with pytest.raises(SpecDecodeError, match="exceeds the target's context"):
            SpeculativeDecoder(target, MethodConfig(proposer=name, proposer_params=params), SamplingConfig(0.0),
                               {"draft": draft})


def test_chain_only_verifiers_refuse_trees():
    for verifier in ("rejection", "fuzzy"):
        with pytest.raises(SpecDecodeError, match="drafts token trees; use --verifier multidraft"):
            resolve_method(MethodConfig(proposer="specexec", verifier=verifier), SamplingConfig(1.0))


def test_shapes_compile_parents_first():
    paths = as_paths([[0], [1], [0, 0], [0, 1], [1, 0]], "t")
    assert compile_shape(paths) == ((-1, 0, 1), (-1, 1, 1), (0, 0, 2), (0, 1, 2), (1, 0, 2))
