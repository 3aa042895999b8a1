"""Builder for `zoo:tiny`: a small Llama target trained from scratch in ~30 s on one CPU core.

Contract shared by every zoo builder (registry.py): RECIPE, SOURCE, LICENCE and
build(out_dir, deps, seed). Its tokenizer (byte-level BPE on Python stdlib sources) is
reused unchanged by `zoo:tiny-draft`, so the pair shares one vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..training import checkpoint, corpus, losses
from ..training.batching import random_windows
from ..training.optimise import build_threads, train_on_stream


@dataclass(frozen=True)
class TinyRecipe:
    corpus_bytes: int = 3_000_000  # stdlib text the tokenizer and model see, at most
    file_bytes: int = 16_000  # the head of each module only: more modules, more variety
    vocab_size: int = 1024  # small: shorter, more predictable tokens, a cheaper LM head
    layers: int = 2
    hidden: int = 128
    heads: int = 4
    intermediate: int = 384
    max_positions: int = 2048  # RoPE positions declared in config.json
    context: int = 128  # training window, tokens
    batch: int = 4  # small batches, many steps: the best loss for ~30 s of one core
    steps: int = 1000
    lr: float = 3e-3
    warmup: int = 30
    weight_decay: float = 0.1


RECIPE = TinyRecipe()
SOURCE = "trained locally from scratch on CPython stdlib sources (no download)"
LICENCE = "Apache-2.0 (weights); corpus: PSF-2.0 (CPython stdlib)"


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """Train the tokenizer and the target model, write an HF directory to out_dir."""
    recipe = RECIPE  # read at call time so a test can substitute a smaller recipe
    with build_threads():
        texts = corpus.stdlib_corpus(recipe.corpus_bytes, recipe.file_bytes)
        tok = corpus.train_tokenizer(texts, recipe.vocab_size)
        tok.model_max_length = recipe.max_positions
        stream = corpus.encode_corpus(tok, texts)
        model = checkpoint.new_llama(tok, recipe, seed)
        windows = random_windows(stream, recipe.batch, recipe.context, seed)
        train_on_stream(model, windows, losses.next_token_loss, recipe, "zoo:tiny train")
        checkpoint.save_model(model, tok, Path(out_dir))
        tok.save_pretrained(Path(out_dir))
