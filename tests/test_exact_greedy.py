"""At T = 0 every proposer x controller x k gives tokens identical to target-only greedy,
computed independently here (full recompute, no KV cache, no specdecode loop). Proposers,
controllers and verifiers come from the registries, so a new role is tested here as
soon as it is registered."""
import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
from specdecode.controllers import CONTROLLERS
from specdecode.decoder import resolve_method
from specdecode.errors import SpecDecodeError
from specdecode.proposers import PROPOSERS
from specdecode.verifiers import VERIFIERS
from tiny_models import copy_of, models_for, perturbed, tiny_lm, with_copy_head

# Controllers that read a file (`reads_files`: jointadaspec needs a solved policy table)
# are left out here; tests/test_policy.py runs these exactness cases on them with
# fixture-built tables (every draft kind, the copy head, several windows).
CONTROLLER_NAMES = [n for n in CONTROLLERS.names() if not getattr(CONTROLLERS.get(n), "reads_files", False)]

N_NEW = 40
PROMPT = [1, 2, 3, 4, 5, 1, 2, 3, 6, 7]


def reference_greedy(lm, prompt, n):
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(lm.model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(prompt):]


@pytest.fixture(scope="module")
def target():
    return tiny_lm(vocab=24, seed=0, scale=3.0)


@pytest.fixture(scope="module")
def reference(target):
    return reference_greedy(target, PROMPT, N_NEW)


@pytest.fixture(scope="module")
def drafts(target):
    return {"different": tiny_lm(vocab=24, seed=7, layers=1, hidden=16, scale=3.0),
            "perturbed": perturbed(target, 0.3), "identical": copy_of(target)}


def run(target, method, draft=None, verifier="auto", models=None):
    method = MethodConfig(**{**method, "verifier": verifier})
    return generate(target, PROMPT, draft=draft, method=method, sampling=SamplingConfig(0.0),
                    gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False), models=models)


@pytest.mark.parametrize("controller", CONTROLLER_NAMES)
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("proposer", PROPOSERS.names())
def test_every_registered_proposer_is_exact(target, reference, proposer, controller, k):
    out = run(target, {"proposer": proposer, "controller": controller, "k": k},
              models=models_for(proposer, target))
    assert out.output_ids == reference


def test_target_only_matches_reference(target, reference):
    out = run(target, {"proposer": "none"})
    assert out.output_ids == reference
    assert out.stats["target_calls"] == N_NEW - 1  # one call per token after the prefill


@pytest.mark.parametrize("controller", CONTROLLER_NAMES)
@pytest.mark.parametrize("k", [1, 2, 4, 8])
@pytest.mark.parametrize("which", ["different", "perturbed", "identical"])
def test_draft_proposer_is_exact(target, reference, drafts, controller, k, which):
    out = run(target, {"proposer": "draft", "controller": controller, "k": k}, drafts[which])
    assert out.output_ids == reference
    if which == "identical" and controller in ("fixed", "heuristic"):
        assert out.stats["acceptance_rate"] == 1.0  # the all-accepted bonus path every cycle


@pytest.mark.parametrize("controller", CONTROLLER_NAMES)
@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_draft_with_copy_head_is_exact(target, reference, drafts, controller, k):
    out = run(target, {"proposer": "draft", "controller": controller, "k": k},
              with_copy_head(drafts["different"], (1, 3)))
    assert out.output_ids == reference
    if controller == "fixed":  # some draft tokens came from the copy head, with no LM call
        assert out.stats["drafted"] > out.stats["draft_calls"]


def test_copy_param_false_uses_the_lm_alone(target, reference, drafts):
    method = {"proposer": "draft", "k": 4, "proposer_params": {"copy": False}}
    out = run(target, method, with_copy_head(drafts["different"], (1, 3)))
    assert out.output_ids == reference
    assert out.stats["drafted"] == out.stats["draft_calls"]  # one LM call per draft token


@pytest.mark.parametrize("controller", CONTROLLER_NAMES)
@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_ngram_proposer_is_exact(target, reference, controller, k):
    out = run(target, {"proposer": "ngram", "controller": controller, "k": k})
    assert out.output_ids == reference
    assert out.stats["drafted"] > 0  # the repetitive greedy text gives lookups to verify


def exact_pairings(sampling):
    """(verifier, proposer, verifier_params) for every registered verifier, with each
    proposer it accepts at this setting; a verifier's EXACT_PARAMS (if it has them) are
    the parameters under which it claims to be exact."""
    pairs = []
    for v in VERIFIERS.names():
        declared = hasattr(VERIFIERS.get(v), "EXACT_PARAMS")
        params = getattr(VERIFIERS.get(v), "EXACT_PARAMS", {})
        for p in ("draft", "ngram"):
            try:
                resolved = resolve_method(MethodConfig(proposer=p, verifier=v, verifier_params=params), sampling)
            except SpecDecodeError:
                continue
            assert resolved.exact or not declared, f"verifier {v} with {params} does not claim exactness"
            if resolved.exact:  # lossy-only verifiers are tested by tests/test_lossy.py
                pairs.append((v, p, params))
    return pairs


@pytest.mark.parametrize("verifier,proposer,params", exact_pairings(SamplingConfig(0.0)))
def test_every_verifier_is_exact_at_t0(target, reference, verifier, proposer, params):
    out = run(target, {"proposer": proposer, "k": 4, "verifier_params": params}, verifier=verifier,
              models=models_for(proposer, target))
    assert out.output_ids == reference


def test_tau_counts_bonus_and_recovered(target, drafts):
    out = run(target, {"proposer": "draft", "k": 4}, drafts["identical"])
    # identical draft: every cycle accepts 4 and adds a bonus token -> tau = 5 except the tail
    assert out.stats["tau_hist"][5] >= 6
    assert out.stats["bonus"] == out.stats["cycles"] and out.stats["recovered"] == 0
    assert sum(len(c.tokens) for c in out.cycles) == out.stats["new_tokens"] - 1


@pytest.mark.parametrize("proposer", ["none", "draft", "ngram"])
def test_stop_string_and_eos_cut_the_same_place(target, reference, drafts, proposer):
    """A stop string ends generation at the token that completes it, whatever the method
    (a cycle that commits several tokens is truncated there)."""
    stop_tok = reference[6]
    first = reference.index(stop_tok)
    method = MethodConfig(proposer=proposer, k=4)
    out = generate(target, PROMPT, draft=drafts["identical"], method=method, sampling=SamplingConfig(0.0),
                   gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False, stop_strings=(f"w{stop_tok}",)))
    assert out.finish_reason == "stop"
    assert out.output_ids == reference[: first + 1]
