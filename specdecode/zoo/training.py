"""Helpers that train the tiny zoo models from scratch on local text (no downloads).

The corpus is the Python standard library's own top-level sources, read in sorted order
so a given Python version always yields the same bytes. Everything here is deterministic
for a given seed on a given machine: sorted inputs, one seeded torch.Generator for batch
sampling, and torch.manual_seed before model construction.
"""
from __future__ import annotations

import contextlib
import math
import sysconfig
from pathlib import Path
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

# Special tokens of every tiny tokenizer. EOS separates source files in the corpus.
EOS = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [EOS, IM_START, IM_END]

# A minimal ChatML-style template, so chat rendering works on the tiny models too.
CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def stdlib_corpus(max_bytes: int, file_bytes: int) -> list[str]:
    """Top-level stdlib .py files in sorted order, each cut to its first `file_bytes`
    (at a line end, so every module contributes its imports, docstrings and first
    definitions), until `max_bytes` in total."""
    root = Path(sysconfig.get_paths()["stdlib"])
    texts, total = [], 0
    for path in sorted(root.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) > file_bytes:
            text = text[: text.rfind("\n", 0, file_bytes) + 1]
        texts.append(text)
        total += len(text.encode("utf-8"))
        if total >= max_bytes:
            break
    return texts


def train_tokenizer(texts: list[str], vocab_size: int):
    """Byte-level BPE over `texts`, wrapped as a transformers fast tokenizer."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    bpe.train_from_iterator(
        texts, vocab_size=vocab_size, min_frequency=2,
        special_tokens=SPECIAL_TOKENS, show_progress=False,
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer,
        bos_token=EOS, eos_token=EOS, pad_token=EOS, unk_token=None,
        additional_special_tokens=[IM_START, IM_END],
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def encode_corpus(tok, texts: list[str]) -> torch.Tensor:
    """One long stream of token ids, files separated by EOS. Shape (N,).
    Encodes with the backend tokenizer: whole files exceed model_max_length on purpose."""
    eos = tok.convert_tokens_to_ids(EOS)
    ids: list[int] = []
    for enc in tok.backend_tokenizer.encode_batch(texts, add_special_tokens=False):
        ids.extend(enc.ids)
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.long)


def batches(stream: torch.Tensor, batch: int, context: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless random windows of context+1 tokens. Yields (batch, context + 1)."""
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.arange(context + 1)
    high = len(stream) - context - 1
    while True:
        starts = torch.randint(0, high, (batch,), generator=gen)
        yield stream[starts[:, None] + offsets]


def lr_at(step: int, steps: int, warmup: int, peak: float) -> float:
    """Linear warm-up, then cosine decay to 10% of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def train_loop(
    model: torch.nn.Module,
    data: Iterator[torch.Tensor],
    loss_fn: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor],
    steps: int, lr: float, warmup: int, weight_decay: float, desc: str,
) -> float:
    """AdamW with a warm-up/cosine schedule and a tqdm bar. Returns the last loss."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    model.train()
    loss_val = float("nan")
    with tqdm(range(steps), desc=desc, unit="step", leave=False) as bar:
        for step in bar:
            for group in opt.param_groups:
                group["lr"] = lr_at(step, steps, warmup, lr)
            loss = loss_fn(model, next(data))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            loss_val = loss.item()
            bar.set_postfix(loss=f"{loss_val:.3f}")
    model.eval()
    return loss_val


def next_token_loss(model: torch.nn.Module, window: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of next-token prediction. window: (B, T + 1)."""
    logits = model(input_ids=window[:, :-1]).logits  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), window[:, 1:].flatten())


@contextlib.contextmanager
def build_threads(threads: int = 1):
    """Train on one thread, then restore. Tiny matmuls gain little from a second thread
    (21 vs 32 ms/step idle), lose 5-10x when the CPU is shared (OpenMP spin-waits), and
    one thread makes the weights independent of the machine's thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def llama_config(tok, layers: int, hidden: int, heads: int, intermediate: int, max_positions: int):
    """A small LlamaConfig whose special-token ids match `tok`. Tied input/output embeddings."""
    from transformers import LlamaConfig

    eos = tok.convert_tokens_to_ids(EOS)
    return LlamaConfig(
        vocab_size=len(tok), hidden_size=hidden, intermediate_size=intermediate,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
        max_position_embeddings=max_positions, tie_word_embeddings=True,
        bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
    )


def save_model(model, tok, out_dir: Path) -> None:
    """Write config.json, generation_config.json (special ids from `tok`), model.safetensors."""
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.bos_token_id = tok.bos_token_id
    model.save_pretrained(out_dir)
