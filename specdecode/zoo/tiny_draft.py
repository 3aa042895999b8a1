"""Builder for `zoo:tiny-draft`: a 1-layer Llama distilled from `zoo:tiny`.

Same contract as every zoo builder (RECIPE, SOURCE, LICENCE, build). deps["tiny"] is the
built target directory: its tokenizer files are copied byte for byte (one shared
vocabulary) and its next-token distributions are the training targets (KL distillation
on the same stdlib text), which is what raises greedy agreement with the target.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from . import training

TARGET = "tiny"
TOKENIZER_GLOBS = ("tokenizer*", "special_tokens_map.json", "chat_template.*", "vocab.json",
                   "merges.txt", "added_tokens.json")


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
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    recipe = RECIPE  # read at call time so a test can substitute a smaller recipe
    target_dir = Path(deps[TARGET])
    with training.build_threads():
        tok = AutoTokenizer.from_pretrained(target_dir)
        target = AutoModelForCausalLM.from_pretrained(target_dir).eval()
        texts = training.stdlib_corpus(recipe.corpus_bytes, recipe.file_bytes)
        stream = training.encode_corpus(tok, texts)
        config = training.llama_config(
            tok, recipe.layers, recipe.hidden, recipe.heads, recipe.intermediate,
            recipe.max_positions,
        )
        torch.manual_seed(seed)
        draft = LlamaForCausalLM(config)
        training.train_loop(
            draft, training.batches(stream, recipe.batch, recipe.context, seed),
            _distill_loss(target), recipe.steps, recipe.lr, recipe.warmup,
            recipe.weight_decay, desc="zoo:tiny-draft distil",
        )
        training.save_model(draft, tok, Path(out_dir))
    copy_tokenizer(target_dir, Path(out_dir))


def _distill_loss(target: torch.nn.Module):
    """KL(p_target || q_draft) per token, averaged. window: (B, T + 1)."""

    def loss(draft: torch.nn.Module, window: torch.Tensor) -> torch.Tensor:
        inputs = window[:, :-1]
        with torch.no_grad():
            log_p = F.log_softmax(target(input_ids=inputs).logits, dim=-1).flatten(0, 1)
        log_q = F.log_softmax(draft(input_ids=inputs).logits, dim=-1).flatten(0, 1)
        return F.kl_div(log_q, log_p, log_target=True, reduction="batchmean")

    return loss


def copy_tokenizer(src: Path, dst: Path) -> None:
    """Copy the tokenizer files unchanged, so both models share identical files."""
    for pattern in TOKENIZER_GLOBS:
        for path in sorted(src.glob(pattern)):
            shutil.copy2(path, dst / path.name)
