"""Builder for `zoo:tiny-eagle`: a hidden-state (EAGLE-style) draft for `zoo:tiny`, trained
in seconds, so tests and CI exercise the whole build -> save -> load -> decode path of
proposer `eagle` (the real one is zoo:smollm2-135m-eagle).

Data: windows of CPython stdlib text; the target's top-k logits and post-norm features at
every position (teacher-forced on the text, no generation). Training: the same
unrolled-step loss as the SmolLM2 one (training/features.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..models import feature_draft
from ..training import checkpoint, corpus, features
from ..training.optimise import build_threads
from ..training.teacher import load_teacher, window_seqs
from ..training.vocab import choose_subset

TARGET = "tiny"


@dataclass(frozen=True)
class TinyEagleRecipe:
    corpus_bytes: int = 400_000
    file_bytes: int = 16_000
    windows: int = 128
    window_tokens: int = 128
    teacher_topk: int = 8
    n_layers: int = 1
    vocab_subset_size: int = 1024
    epochs: int = 10
    train_steps: int = 2
    reg_weight: float = 1.0
    batch_tokens: int = 1024
    max_seq_tokens: int = 128
    lr: float = 3e-3
    warmup_steps: int = 10
    prompt_weight: float = 1.0
    hard_weight: float = 0.5
    bf16: bool = False


RECIPE = TinyEagleRecipe()
SOURCE = "trained locally on zoo:tiny's hidden states over CPython stdlib sources (no download)"
LICENCE = "Apache-2.0 (weights); corpus: PSF-2.0 (CPython stdlib)"


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """Train the net on deps["tiny"]'s features; write it, its metadata and the target's
    tokenizer files to out_dir."""
    recipe = RECIPE  # read at call time so a test can substitute a smaller recipe
    target_dir = Path(deps[TARGET])
    with build_threads():
        target, tok = load_teacher(target_dir)
        vocab_size = target.config.vocab_size
        stream = corpus.encode_corpus(tok, corpus.stdlib_corpus(recipe.corpus_bytes, recipe.file_bytes))
        seqs = window_seqs(target, stream, recipe.windows, recipe.window_tokens, recipe.teacher_topk)
        subset = choose_subset(seqs, min(recipe.vocab_subset_size, vocab_size), vocab_size)
        torch.manual_seed(seed)
        net = features.make_net(target, subset, recipe.n_layers)
        features.train(net, target.get_input_embeddings().weight.detach(), seqs, subset, recipe, seed)
    feature_draft.save(Path(out_dir), net, subset, target.config.hidden_size, vocab_size,
                       {"seed": seed, "windows": len(seqs)})
    checkpoint.copy_tokenizer(target_dir, Path(out_dir))
