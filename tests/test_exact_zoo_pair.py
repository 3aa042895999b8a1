"""T = 0 exactness on the trained tiny zoo pair (real text, realistic acceptance): every
proposer x controller x k reproduces target-only greedy tokens on real suite prompts."""
import pytest

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder
from specdecode.decoder import encode_prompt
from specdecode.models import load_model
from specdecode.suites import load_suite


@pytest.fixture(scope="module")
def pair():
    return load_model("zoo:tiny"), load_model("zoo:tiny-draft")


@pytest.fixture(scope="module")
def prompts(pair):
    target, _ = pair
    items = load_suite("code", n=2).items + load_suite("summarization", n=1).items
    return [encode_prompt(target, it.prompt, chat=True) for it in items]


@pytest.fixture(scope="module")
def reference(pair, prompts):
    target, _ = pair
    dec = SpeculativeDecoder(target, MethodConfig(proposer="none"), SamplingConfig())
    return [dec.generate(p, GenerationConfig(max_new_tokens=48)).output_ids for p in prompts]


@pytest.mark.parametrize("controller", ["fixed", "confidence", "heuristic", "auto"])
@pytest.mark.parametrize("k", [1, 2, 4, 8])
@pytest.mark.parametrize("proposer", ["draft", "ngram"])
def test_zoo_pair_is_exact(pair, prompts, reference, proposer, controller, k):
    target, draft = pair
    dec = SpeculativeDecoder(target, MethodConfig(proposer=proposer, controller=controller, k=k),
                             SamplingConfig(), draft)
    accepted = 0
    for p, ref in zip(prompts, reference):
        out = dec.generate(p, GenerationConfig(max_new_tokens=48))
        assert out.output_ids == ref
        accepted += out.stats["accepted"]
    if proposer == "draft" and controller == "fixed":
        assert accepted > 0  # the trained draft does get tokens accepted
