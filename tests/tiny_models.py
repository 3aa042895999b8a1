"""Randomly initialised tiny llama models over a small word-level vocabulary, built in
memory in milliseconds: the fixtures of the exactness tests."""
from __future__ import annotations

import copy

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, Qwen2Config,
                          Qwen2ForCausalLM)

from specdecode.models.wrapper import CausalLM


def word_tokenizer(vocab: int) -> PreTrainedTokenizerFast:
    words = {f"w{i}": i for i in range(vocab - 1)}
    words["</s>"] = vocab - 1
    tok = Tokenizer(models.WordLevel(words, unk_token="w0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="w0")


def char_tokenizer(words: PreTrainedTokenizerFast) -> PreTrainedTokenizerFast:
    """The text space of a word tokenizer split differently: one token per character of
    its words and the space, with " w" merged into one token ("w12 w3" -> w 1 2 " w" 3),
    and its EOS kept whole. A cross-tokenizer draft's tokenizer."""
    eos = words.eos_token
    chars = sorted({c for t in words.get_vocab() if t != eos for c in t} | {" "})
    vocab = {c: i for i, c in enumerate(chars)}
    vocab[" w"], vocab[eos] = len(chars), len(chars) + 1
    tok = Tokenizer(models.BPE(vocab, [(" ", "w")]))
    tok.decoder = decoders.Fuse()  # concatenate: no spaces between characters
    tok.add_special_tokens([eos])
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos)


ARCHS = {"llama": (LlamaConfig, LlamaForCausalLM),
         # the real pair's architecture (zoo:qwen2.5-coder-*): q/k/v biases, GQA, untied head
         "qwen2": (Qwen2Config, Qwen2ForCausalLM)}


def tiny_lm(vocab: int = 24, seed: int = 0, layers: int = 2, hidden: int = 32, max_len: int = 256,
            scale: float = 1.0, name: str = "tiny", arch: str = "llama") -> CausalLM:
    """scale multiplies the LM head: > 1 sharpens the distribution (less random text)."""
    torch.manual_seed(seed)
    config_cls, model_cls = ARCHS[arch]
    cfg = config_cls(vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
                     num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                     max_position_embeddings=max_len, eos_token_id=vocab - 1, bos_token_id=0,
                     tie_word_embeddings=False)
    model = model_cls(cfg).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(scale)
    return CausalLM(model, word_tokenizer(vocab), name=name, identity=f"{name}-{seed}")


def tiny_char_lm(target: CausalLM, seed: int = 9, layers: int = 1, hidden: int = 32,
                 max_len: int = 1024, scale: float = 1.0) -> CausalLM:
    """A random causal LM over char_tokenizer(target's tokenizer): a draft with another
    tokenizer over the same text (proposer `xtok`)."""
    tok = char_tokenizer(target.tokenizer)
    torch.manual_seed(seed)
    vocab = len(tok)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=max_len, eos_token_id=tok.eos_token_id,
                      bos_token_id=tok.eos_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(scale)
    return CausalLM(model, tok, name=f"{target.name}-chars", identity=f"chars-{seed}")


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


def tiny_feature_draft(target: CausalLM, seed: int = 5, subset=None, layers: int = 1):
    """A randomly initialised hidden-state (EAGLE-style) draft for `target`: its head rows
    are the target's LM-head rows for `subset` (default: the whole vocabulary)."""
    from specdecode.models.feature_draft import FeatureDraft, FeatureDraftNet, body_config

    torch.manual_seed(seed)
    vocab = target.vocab_size
    subset = torch.arange(vocab) if subset is None else torch.as_tensor(subset)
    cfg = target.model.config
    net = FeatureDraftNet(body_config(cfg, layers), len(subset)).eval()
    with torch.no_grad():
        net.head.copy_(target.model.get_output_embeddings().weight[subset])
    return FeatureDraft(net, target.tokenizer, name=f"{target.name}-eagle", identity=f"eagle-{seed}",
                        subset=subset, vocab_size=vocab, target_hidden=cfg.hidden_size)


def with_copy_head(lm: CausalLM, head: tuple[int, int]) -> CausalLM:
    """The same draft model (own cache) with a copy head (n_min, n_max)."""
    draft = CausalLM(lm.model, lm.tokenizer, name=lm.name + "-copyhead", identity=lm.identity + "-c")
    draft.copy_head = head
    return draft


def models_for(proposer: str, target: CausalLM, sampling=None) -> dict:
    """Named models that let a registered proposer bind to `target`: for each role it
    reads, the first tiny stand-in (a causal LM with another tokenizer, a perturbed causal
    LM, a hidden-state draft) it accepts. New proposers are thus tested without editing a list."""
    from specdecode.config import MethodConfig, SamplingConfig
    from specdecode.decoder import resolve_method
    from specdecode.errors import SpecDecodeError
    from specdecode.proposers import PROPOSERS

    candidates = [lambda: tiny_char_lm(target), lambda: perturbed(target, 0.3),
                  lambda: tiny_feature_draft(target)]
    models: dict = {}
    for role in PROPOSERS.get(proposer).model_roles:
        for make in candidates:
            trial = {**models, role: make()}
            try:
                resolve_method(MethodConfig(proposer=proposer), sampling or SamplingConfig(), trial, target)
            except SpecDecodeError:
                continue
            models = trial
            break
    return models
