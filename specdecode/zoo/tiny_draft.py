"""Builder for `zoo:tiny-draft`: a 1-layer Llama distilled from `zoo:tiny`.

deps["tiny"] is the built target directory: its tokenizer files are copied byte for byte
(one shared vocabulary) and its next-token distributions are the training targets (KL
distillation on the same stdlib text), which is what raises greedy agreement with the
target.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..training import checkpoint, corpus, losses
from ..training.batching import random_windows
from ..training.optimise import build_threads, train_on_stream
from ..training.teacher import load_teacher

TARGET = "tiny"


@dataclass(frozen=True)
class TinyDraftRecipe:
    corpus_bytes: int = 3_000_000
    file_bytes: int = 16_000
    layers: int = 1
    hidden: int = 64
    heads: int = 2
    intermediate: int = 192
    max_positions: int = 2048
    context: int = 128
    batch: int = 4
    steps: int = 600
    lr: float = 3e-3
    warmup: int = 30
    weight_decay: float = 0.1


RECIPE = TinyDraftRecipe()
SOURCE = "distilled locally from zoo:tiny on CPython stdlib sources (no download)"
LICENCE = "Apache-2.0 (weights); corpus: PSF-2.0 (CPython stdlib)"


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """Distil a small draft from deps["tiny"]; write an HF directory to out_dir."""
    recipe = RECIPE  # read at call time so a test can substitute a smaller recipe
    target_dir = Path(deps[TARGET])
    with build_threads():
        target, tok = load_teacher(target_dir)
        texts = corpus.stdlib_corpus(recipe.corpus_bytes, recipe.file_bytes)
        stream = corpus.encode_corpus(tok, texts)
        draft = checkpoint.new_llama(tok, recipe, seed)
        windows = random_windows(stream, recipe.batch, recipe.context, seed)
        train_on_stream(draft, windows, losses.kl_distill_loss(target), recipe, "zoo:tiny-draft distil")
        checkpoint.save_model(draft, tok, Path(out_dir))
    checkpoint.copy_tokenizer(target_dir, Path(out_dir))
