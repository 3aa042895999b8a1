"""The hidden-state (EAGLE-style) draft: exact through the one loop, its incremental KV
cache agrees with the batched training-time forward, and it refuses mismatched pairs."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder, generate
from specdecode.errors import SpecDecodeError
from specdecode.training import features as ft
from test_distribution import V, chi2_pvalue, exact_joint, sample_counts
from test_exact_greedy import N_NEW, PROMPT, reference, reference_greedy, target  # noqa: F401  (fixtures)
from tiny_models import tiny_feature_draft, tiny_lm


def run(target, draft, k, controller="fixed", sampling=SamplingConfig(0.0), n=N_NEW, seed=0):
    method = MethodConfig(proposer="eagle", controller=controller, k=k)
    return generate(target, PROMPT, draft=draft, method=method, sampling=sampling,
                    gen_cfg=GenerationConfig(max_new_tokens=n, seed=seed, stop_at_eos=False))


@pytest.mark.parametrize("controller", ["fixed", "confidence", "heuristic", "auto"])
@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_eagle_is_exact_at_t0(target, reference, controller, k):
    out = run(target, tiny_feature_draft(target), k, controller)
    assert out.output_ids == reference
    assert out.stats["drafted"] > 0


def test_subset_head_is_exact_and_never_drafts_outside(target, reference):
    subset = list(range(0, 24, 2))
    out = run(target, tiny_feature_draft(target, subset=subset), 4)
    assert out.output_ids == reference
    drafted = {t for c in out.cycles for t in c.tokens[: c.accepted]}
    assert drafted <= set(subset)


def test_eagle_matches_target_distribution_at_t1():
    tgt = tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=2.0)
    sampling = SamplingConfig(1.0)
    decoder = SpeculativeDecoder(tgt, MethodConfig(proposer="eagle", k=3), sampling, {"draft": tiny_feature_draft(tgt)})
    p = chi2_pvalue(sample_counts(decoder), exact_joint(tgt, sampling))
    assert p > 1e-3, f"chi-square p = {p:.2e}"


def test_kept_features_are_the_targets_hidden_states(target):
    """After a whole generation the kept features equal a fresh full forward's."""
    draft = tiny_feature_draft(target)
    out = run(target, draft, 4)
    ctx = PROMPT + out.output_ids
    n = len(target.cached)
    assert n == len(ctx) - 1  # the loop's invariant: the last token is pending
    with torch.no_grad():
        full = target.model.base_model(torch.tensor([ctx[:n]])).last_hidden_state[0]
    torch.testing.assert_close(target.features(0, n), full, atol=1e-4, rtol=1e-4)


def test_incremental_drafting_equals_the_unrolled_training_forward(target):
    """The proposer's cached step-by-step drafting gives the logits that the training /
    measurement forward (training.features.unrolled, masked) computes in one pass."""
    draft = tiny_feature_draft(target, seed=9)
    draft.bind(target)
    ids = PROMPT + reference_greedy(target, PROMPT, 12)
    with torch.no_grad():
        feats = target.model.base_model(torch.tensor([ids])).last_hidden_state[0]
    emb = target.model.get_input_embeddings().weight
    outs = ft.unrolled(draft.net, emb, torch.tensor([ids]), feats[None, :-1], steps=3)
    i = 10  # row r reads (ids[r+1], feature r); true rows 0..i-1, then a 3-step chain
    draft.reset()
    draft.step(ids[1:i], feats[: i - 1])                 # true rows 0..i-2
    o, _ = draft.step([ids[i]], feats[i - 1 : i])        # row i-1: draft step 1
    torch.testing.assert_close(o[0], outs[0][0, i - 1], atol=1e-5, rtol=1e-4)
    o2, _ = draft.step([ids[i + 1]], o)                  # row i: step 2 reads its own o
    torch.testing.assert_close(o2[0], outs[1][0, i], atol=1e-5, rtol=1e-4)
    o3, _ = draft.step([ids[i + 2]], o2)                 # row i+1: step 3
    torch.testing.assert_close(o3[0], outs[2][0, i + 1], atol=1e-5, rtol=1e-4)


def test_acceptance_at_k_from_conditional_rates():
    assert ft.acceptance_at_k([0.5] * 4) == pytest.approx(0.5)
    # 1 + 0.8 + 0.8*0.5 evaluated, 0.8 + 0.4 + 0.4*0.25 accepted
    assert ft.acceptance_at_k([0.8, 0.5, 0.25]) == pytest.approx((0.8 + 0.4 + 0.1) / (1 + 0.8 + 0.4))


def test_draft_kind_mismatch_is_a_one_line_error(target):
    with pytest.raises(SpecDecodeError, match="--proposer eagle"):
        SpeculativeDecoder(target, MethodConfig(proposer="draft"), SamplingConfig(0.0), {"draft": tiny_feature_draft(target)})
    with pytest.raises(SpecDecodeError, match="hidden-state draft"):
        SpeculativeDecoder(target, MethodConfig(proposer="eagle"), SamplingConfig(0.0), {"draft": tiny_lm(vocab=24, seed=2)})
    other = tiny_lm(vocab=24, seed=1, hidden=16)
    with pytest.raises(SpecDecodeError, match="features"):
        SpeculativeDecoder(other, MethodConfig(proposer="eagle"), SamplingConfig(0.0), {"draft": tiny_feature_draft(target)})


def test_zoo_tiny_eagle_builds_loads_and_beats_an_untrained_net():
    """zoo:tiny-eagle through the real build -> save -> load path: exact, and training
    made it accept more than the same net untrained."""
    from specdecode import zoo
    from specdecode.models import load_model
    from specdecode.models.feature_draft import FeatureDraft

    target = load_model("zoo:tiny")
    trained = load_model(str(zoo.resolve("tiny-eagle")))
    assert isinstance(trained, FeatureDraft) and zoo.read_manifest("tiny-eagle")["parameters"] > 0
    untrained = tiny_feature_draft(target, subset=trained.subset.tolist())
    prompt = "def __init__(self, name):\n        self.name = name\n    def"
    rates = {}
    for label, draft in (("trained", trained), ("untrained", untrained)):
        outs = [generate(target, prompt, draft=draft, method=MethodConfig(proposer=p, k=4),
                         sampling=SamplingConfig(0.0), gen_cfg=GenerationConfig(max_new_tokens=48))
                for p in ("none", "eagle")]
        assert outs[1].output_ids == outs[0].output_ids
        rates[label] = outs[1].stats["acceptance_rate"]
    assert rates["trained"] > rates["untrained"] + 0.1, rates


@pytest.mark.parametrize("k", [1, 4])
def test_eagle_with_copy_head_is_exact(target, reference, k):
    method = MethodConfig(proposer="eagle", k=k, proposer_params={"copy_n_min": 1, "copy_n_max": 3})
    out = generate(target, PROMPT, draft=tiny_feature_draft(target), method=method, sampling=SamplingConfig(0.0),
                   gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False))
    assert out.output_ids == reference
    plain = run(target, tiny_feature_draft(target), k)
    assert out.stats["accepted"] > plain.stats["accepted"]  # the repetitive text gets copied


def test_eagle_with_copy_head_matches_target_distribution_at_t1():
    tgt = tiny_lm(vocab=V, seed=3, layers=1, hidden=16, scale=2.0)
    sampling = SamplingConfig(1.0)
    method = MethodConfig(proposer="eagle", k=3, proposer_params={"copy_n_min": 1, "copy_n_max": 2})
    decoder = SpeculativeDecoder(tgt, method, sampling, {"draft": tiny_feature_draft(tgt)})
    p = chi2_pvalue(sample_counts(decoder), exact_joint(tgt, sampling))
    assert p > 1e-3, f"chi-square p = {p:.2e}"


def test_eagle_bad_copy_params_are_one_line_errors(target):
    with pytest.raises(SpecDecodeError, match="copy_n_min <= copy_n_max"):
        SpeculativeDecoder(target, MethodConfig(proposer="eagle", proposer_params={"copy_n_min": 5}),
                           SamplingConfig(0.0), {"draft": tiny_feature_draft(target)})
