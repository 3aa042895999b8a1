"""Builder for `zoo:tiny-eagle`: a hidden-state (EAGLE-style) draft for `zoo:tiny`, trained
in seconds, so tests and CI exercise the whole build -> save -> load -> decode path of
proposer `eagle` (the real one is zoo:smollm2-135m-eagle).

Data: windows of CPython stdlib text; the target's top-k logits and post-norm features at
every position (teacher-forced on the text, no generation). Training: the same
unrolled-step loss as the SmolLM2 draft (feature_training.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from . import feature_training as ft
from . import training
from .smollm2_draft import TeacherSeq, choose_subset
from .tiny_draft import copy_tokenizer


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


@torch.inference_mode()
def corpus_seqs(target, stream: torch.Tensor, recipe: TinyEagleRecipe) -> list[TeacherSeq]:
    """Consecutive windows of the token stream with the target's top-k and features."""
    seqs = []
    for w in range(recipe.windows):
        ids = stream[w * recipe.window_tokens : (w + 1) * recipe.window_tokens]
        if len(ids) < recipe.window_tokens:
            break
        h = target.model(input_ids=ids[None]).last_hidden_state[0]  # (T, d)
        vals, idx = target.lm_head(h).topk(recipe.teacher_topk, dim=-1)
        seqs.append(TeacherSeq("stdlib", ids, 1, idx[:-1].int(), vals[:-1].half(), h[:-1].half()))
    return seqs


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..models import feature_draft
    from .smollm2_eagle import make_net

    recipe = RECIPE  # read at call time so a test can substitute a smaller recipe
    target_dir = Path(deps["tiny"])
    with training.build_threads():
        tok = AutoTokenizer.from_pretrained(target_dir)
        target = AutoModelForCausalLM.from_pretrained(target_dir).eval()
        stream = training.encode_corpus(tok, training.stdlib_corpus(recipe.corpus_bytes, recipe.file_bytes))
        seqs = corpus_seqs(target, torch.as_tensor(stream), recipe)
        subset = choose_subset(seqs, min(recipe.vocab_subset_size, target.config.vocab_size),
                               target.config.vocab_size)
        torch.manual_seed(seed)
        net = make_net(target, subset, recipe)
        ft.train(net, target.get_input_embeddings().weight.detach(), seqs, subset, recipe, seed)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    feature_draft.save(Path(out_dir), net, subset, target.config.hidden_size, target.config.vocab_size,
                       {"seed": seed, "windows": len(seqs)})
    copy_tokenizer(target_dir, Path(out_dir))
