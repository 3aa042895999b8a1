"""Small Llama models for the tiny zoo entries, and what a builder writes to disk."""
from __future__ import annotations

import shutil
from pathlib import Path

import torch

from .corpus import EOS

TOKENIZER_GLOBS = ("tokenizer*", "special_tokens_map.json", "chat_template.*", "vocab.json",
                   "merges.txt", "added_tokens.json")


def new_llama(tok, shape, seed: int):
    """A randomly initialised LlamaForCausalLM (seeded) whose special-token ids match `tok`,
    tied input/output embeddings. shape: anything with layers, hidden, heads,
    intermediate and max_positions (a tiny recipe)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    eos = tok.convert_tokens_to_ids(EOS)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=shape.hidden, intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers, num_attention_heads=shape.heads,
        num_key_value_heads=shape.heads, max_position_embeddings=shape.max_positions,
        tie_word_embeddings=True, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def save_model(model, tok, out_dir: Path) -> None:
    """Write config.json, generation_config.json (special ids from `tok`), model.safetensors."""
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.bos_token_id = tok.bos_token_id
    model.save_pretrained(out_dir)


def copy_tokenizer(src: Path, dst: Path) -> None:
    """Copy the tokenizer files unchanged, so a draft and its target share identical files."""
    for pattern in TOKENIZER_GLOBS:
        for path in sorted(Path(src).glob(pattern)):
            shutil.copy2(path, Path(dst) / path.name)
