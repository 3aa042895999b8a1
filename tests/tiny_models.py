"""Randomly initialised tiny llama models over a small word-level vocabulary, built in
memory in milliseconds: the fixtures of the exactness tests."""
from __future__ import annotations

import copy

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from specdecode.models.wrapper import CausalLM


def word_tokenizer(vocab: int) -> PreTrainedTokenizerFast:
    words = {f"w{i}": i for i in range(vocab - 1)}
    words["</s>"] = vocab - 1
    tok = Tokenizer(models.WordLevel(words, unk_token="w0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="w0")


def tiny_lm(vocab: int = 24, seed: int = 0, layers: int = 2, hidden: int = 32, max_len: int = 256,
            scale: float = 1.0, name: str = "tiny") -> CausalLM:
    """scale multiplies the LM head: > 1 sharpens the distribution (less random text)."""
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=max_len, eos_token_id=vocab - 1, bos_token_id=0,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(scale)
    return CausalLM(model, word_tokenizer(vocab), name=name, identity=f"{name}-{seed}")


def perturbed(lm: CausalLM, noise: float, seed: int = 1) -> CausalLM:
    """A copy of lm with Gaussian noise on every weight: a draft that mostly agrees."""
    model = copy.deepcopy(lm.model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * noise * p.std())
    return CausalLM(model, lm.tokenizer, name=lm.name + "-perturbed", identity=f"{lm.identity}-p{seed}")


def copy_of(lm: CausalLM) -> CausalLM:
    return CausalLM(lm.model, lm.tokenizer, name=lm.name + "-copy", identity=lm.identity)
