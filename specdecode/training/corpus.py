"""Local training text for the tiny zoo models (no downloads): the Python standard
library's own top-level sources, a byte-level BPE tokenizer trained on them, and the token
stream. Sorted inputs: a given Python version always yields the same bytes."""
from __future__ import annotations

import sysconfig
from pathlib import Path

import torch

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
