"""Peers: registered classes with frozen Params, validated through the registry (bench
config included), run by transformers' generate() without deprecation warnings."""
import dataclasses
import warnings

import pytest

from specdecode.bench.config import _method
from specdecode.bench.peers import PEERS, HFAssisted, Peer, make_peer, run_peer
from specdecode.config import GenerationConfig, MethodConfig, SamplingConfig
from specdecode.errors import SpecDecodeError
from tiny_models import tiny_feature_draft, tiny_lm


@pytest.fixture(scope="module")
def pair():
    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    draft = tiny_lm(vocab=24, seed=1, layers=1, hidden=16, scale=3.0, name="tiny-draft")
    return target, draft


def test_registered_peers_and_their_roles():
    assert PEERS.names() == ["hf-assisted", "hf-greedy", "hf-prompt-lookup"]
    assert all(issubclass(PEERS.get(n), Peer) and PEERS.get(n).name == n for n in PEERS.names())
    assert PEERS.get("hf-assisted").model_roles == ("draft",)
    assert PEERS.get("hf-greedy").model_roles == () == PEERS.get("hf-prompt-lookup").model_roles


def test_params_are_frozen_dataclasses():
    peer = make_peer("hf-assisted", 4, {"confidence_threshold": 0, "schedule": "constant"})
    assert peer.params.confidence_threshold == 0.0 and isinstance(peer.params.confidence_threshold, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        peer.params.schedule = "heuristic"
    assert make_peer("hf-prompt-lookup", None, {"max_matching_ngram_size": 3}).params.max_matching_ngram_size == 3


BAD = {
    "unknown peer": (("vlm", None, {}), "Unknown peer 'vlm'. Available: hf-assisted, hf-greedy, hf-prompt-lookup"),
    "typo peer": (("hf-greddy", None, {}), "Did you mean 'hf-greedy'?"),
    "unknown param": (("hf-assisted", 4, {"bogus": 1}),
                      "Unknown parameter 'bogus' for peer 'hf-assisted'. Allowed: confidence_threshold, schedule"),
    "greedy params": (("hf-greedy", None, {"x": 1}), "Unknown parameter 'x' for peer 'hf-greedy'. Allowed: none"),
    "greedy k": (("hf-greedy", 4, {}), "peer hf-greedy takes no k"),
    "k < 1": (("hf-assisted", 0, {}), "k must be an integer >= 1"),
    "bad schedule": (("hf-assisted", 4, {"schedule": "fast"}), "must be one of constant, heuristic"),
    "bad threshold": (("hf-assisted", 4, {"confidence_threshold": 2}), "must be a number in [0, 1]"),
    "bad ngram": (("hf-prompt-lookup", 4, {"max_matching_ngram_size": 0}), "must be an integer >= 1"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_peer_is_one_line(case):
    args, expected = BAD[case]
    with pytest.raises(SpecDecodeError) as err:
        make_peer(*args)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_bench_config_validates_peers_through_the_registry():
    with pytest.raises(SpecDecodeError, match=r"^methods\.m: Unknown parameter 'bogus' for peer 'hf-prompt-lookup'"):
        _method("m", {"peer": "hf-prompt-lookup", "params": {"bogus": 1}})
    with pytest.raises(SpecDecodeError, match=r"^methods\.m: Unknown peer 'vllm'"):
        _method("m", {"peer": "vllm"})
    spec = _method("m", {"peer": "hf-assisted", "k": 2, "params": {"confidence_threshold": 0.0}})
    # the record keeps the method as given
    assert spec.resolved() == {"kind": "peer", "peer": "hf-assisted", "k": 2,
                               "params": {"confidence_threshold": 0.0}}


def test_generate_kwargs(pair):
    target, draft = pair
    peer = make_peer("hf-assisted", 3, {"confidence_threshold": 0.0, "schedule": "constant"})
    assert peer.generate_kwargs(target, {"draft": draft}) == {"assistant_model": draft.model}
    assert peer.config_overrides(target, {"draft": draft}) == [(draft.model.generation_config, {
        "num_assistant_tokens": 3, "num_assistant_tokens_schedule": "constant", "assistant_confidence_threshold": 0.0})]
    assert make_peer("hf-assisted").config_overrides(target, {"draft": draft}) == [(draft.model.generation_config, {})]
    assert make_peer("hf-prompt-lookup").generate_kwargs(target, {}) == {"prompt_lookup_num_tokens": 10}
    with pytest.raises(SpecDecodeError, match="needs a draft model"):
        make_peer("hf-assisted").generate_kwargs(target, {})
    with pytest.raises(SpecDecodeError, match="needs a causal-LM draft"):
        make_peer("hf-assisted").generate_kwargs(target, {"draft": tiny_feature_draft(target)})


def _transformers_deprecations(caught) -> list[str]:
    return [f"{w.category.__name__}: {w.message} ({w.filename})" for w in caught
            if issubclass(w.category, (FutureWarning, DeprecationWarning))]


def test_peers_match_greedy_target_without_deprecation_warnings(pair):
    """At T=0 every peer is target-exact; transformers' generate() paths run without a
    FutureWarning/DeprecationWarning (e.g. `past_key_values` is deprecated: use `cache`)."""
    target, draft = pair
    ids = target.tokenizer("w1 w2 w3 w1 w2")["input_ids"]
    eos = frozenset([target.tokenizer.eos_token_id])
    gen = GenerationConfig(max_new_tokens=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outs = {name: run_peer(name, None if name == "hf-greedy" else 3, {}, target,
                               {"draft": draft} if name == "hf-assisted" else {}, ids, SamplingConfig(), gen, eos)
                for name in PEERS.names()}
        sampled = run_peer("hf-assisted", 2, {}, target, draft, ids, SamplingConfig(0.8), gen, eos)  # bare draft: ok
    assert not _transformers_deprecations(caught), _transformers_deprecations(caught)
    greedy = outs["hf-greedy"].output_ids
    assert len(greedy) == 8 or greedy[-1] in eos
    assert all(r.output_ids == greedy for r in outs.values())
    assert all(r.prefill_s >= 0 and r.decode_s >= 0 for r in outs.values())
    assert 0 < len(sampled.output_ids) <= 8


@pytest.mark.parametrize("proposer", ["draft", "eagle"])
def test_loop_run_has_no_deprecation_warnings(pair, proposer):
    from specdecode import generate

    target, draft = pair
    models = {"draft": draft if proposer == "draft" else tiny_feature_draft(target)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = generate(target, "w1 w2 w3", method=MethodConfig(proposer=proposer, k=3), models=models,
                       gen_cfg=GenerationConfig(max_new_tokens=8))
    assert res.output_ids
    assert not _transformers_deprecations(caught), _transformers_deprecations(caught)


def test_hf_assisted_params_class():
    assert dataclasses.is_dataclass(HFAssisted.Params)
    assert HFAssisted.Params.__dataclass_params__.frozen


def _verify_rows(model) -> tuple[list[int], object]:
    rows = []
    hook = model.register_forward_pre_hook(lambda m, a, kw: rows.append(kw["input_ids"].shape[-1]), with_kwargs=True)
    return rows, hook


@pytest.mark.parametrize("name,k,params", [("hf-assisted", 2, {"confidence_threshold": 0.0, "schedule": "constant"}),
                                           ("hf-assisted", 5, {"confidence_threshold": 0.0, "schedule": "constant"}),
                                           ("hf-prompt-lookup", 2, {})])
def test_peers_draft_the_k_they_are_given(pair, name, k, params):
    """Every target call after the first verifies at most k drafted tokens + 1, and some
    call verifies k (transformers reads the assistant's k from the assistant's own config:
    passed as a generate() kwarg it was ignored and 20 tokens were drafted). The draft's
    config is restored after the call."""
    target, draft = pair
    ids = target.tokenizer("w1 w2 w3 w1 w2 w3 w1 w2 w3 w1")["input_ids"]
    before = draft.model.generation_config.to_dict()
    rows, hook = _verify_rows(target.model)
    try:
        run_peer(name, k, params, target, {"draft": draft} if name == "hf-assisted" else {}, ids,
                 SamplingConfig(), GenerationConfig(max_new_tokens=24, stop_at_eos=False), frozenset())
    finally:
        hook.remove()
    assert rows[0] <= len(ids) + k and max(rows[1:]) == k + 1, rows  # call 1: prompt + first candidates
    assert draft.model.generation_config.to_dict() == before
