"""zoo:smollm2-135m-draft — a 2-layer draft distilled from SmolLM2-135M, with a copy head.

Design, and why (numbers: 2 CPU threads, fp32, measured on a shared, loaded machine):
- Cost. A target 1-token call costs ~41 ms at a 300-token context; the draft must cost
  <= 10% of that. SmolLM2's 49,152 x 576 LM head alone costs ~7 ms per token, so the
  draft keeps a *vocabulary subset* (FR-Spec): the `vocab_subset_size` tokens the target
  predicts most often on the training prompts, written to `specdecode_draft.json`; the
  model wrapper computes logits for those LM-head rows only (q = 0 elsewhere: still
  exact). Per call: ~1.3 ms floor + ~1 ms per decoder layer + ~0.35 ms per 1k subset
  rows, so 2 layers + 6k rows (~4 ms, c ~0.095); 3 layers or 8k rows measured c ~0.11.
- Architecture. A standard LlamaForCausalLM (also usable as a transformers
  assistant_model) with SmolLM2's tokenizer, frozen input embeddings and final norm, and
  decoder layers initialised from target layers (0, 1) (GPU sweep: init (0, 1) 0.41,
  (0, 29) 0.37, one layer 0.37, three layers 0.42 but too slow). Untied head, subset rows
  trained.
- Data. On-policy self-distillation: the target (bf16 for speed) greedily continues the
  training prompts (training/prompts.py: every suite's dev split plus 760 extras from the
  same sources, never a test prompt; 1,688 in all) in one batched, KV-cached loop that
  keeps its top-16 logits at every position; the draft learns them (soft CE on the top-k
  + hard CE on the argmax, prompt positions weighted 0.3), AdamW with warm-up and cosine
  decay. The draft is data-limited (a 1-layer head reached 0.91 on its own training
  sequences, 0.47 on test): going from 520 to 1,688 prompts took the LM's mean test
  acceptance from 0.46 to 0.50.
- Copy head (specdecode/lookup.py; `copy_head` in specdecode_draft.json). Where the last
  4 (else 3) tokens occurred before, the token that followed is proposed without an LM
  step. `specdecode zoo measure` on the test splits: where the copy head fires its token
  is right 0.75-0.96 of the time, the LM's 0.31-0.71; copying needs capacity a 2-layer
  draft lacks.
- `zoo measure` (training/measure.py) reports teacher-forced greedy acceptance on the suites' TEST splits (the
  draft's prediction == the target's greedy token along the target's own greedy
  continuation: what greedy speculative decoding accepts per position), with and without
  the copy head, subset coverage and the cost ratio c. The README lists the figures.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..models.loading import DRAFT_META
from ..training import lm_draft
from ..training.optimise import build_precision, build_threads
from ..training.recipe import TeacherRecipe
from ..training.teacher import data_summary, dev_data, load_teacher
from ..training.vocab import choose_subset

SOURCE = "distilled locally from zoo:smollm2-135m on its own greedy outputs (dev splits + extras, no test prompt)"
LICENCE = "Apache-2.0 (derived from SmolLM2-135M-Instruct)"
TARGET = "smollm2-135m"


@dataclass(frozen=True)
class DraftRecipe(TeacherRecipe):
    """Everything the draft depends on; hashed by the zoo cache."""

    n_layers: int = 2
    init_layers: tuple[int, ...] = (0, 1)  # target layers copied into the draft
    train_head: bool = True  # untie the head and train its subset rows
    epochs: int = 5
    weight_decay: float = 0.0
    copy_n_min: int = 3  # copy head (specdecode/lookup.py): 4- then 3-gram lookup; 0 = none
    copy_n_max: int = 4


RECIPE = DraftRecipe()


def build(out_dir: Path, deps: dict[str, Path], seed: int, recipe: DraftRecipe | None = None,
          target: str = TARGET) -> None:
    """Distil the draft from deps[target] and write an HF model directory plus DRAFT_META
    (vocab subset, copy head, recipe, build timings) into out_dir. Other targets' drafts
    (zoo.qwen_coder_1p5b_draft) call this with their own recipe and target."""
    recipe = build_precision(recipe or RECIPE)
    out_dir = Path(out_dir)
    with build_threads(recipe.threads):
        torch.manual_seed(seed)
        t0 = time.perf_counter()
        teacher, tokenizer = load_teacher(deps[target])
        draft = lm_draft.make_draft(teacher, recipe)  # fp32 weights, copied before dev_data casts
        seqs = dev_data(teacher, tokenizer, recipe)
        t_data = time.perf_counter() - t0
        subset = choose_subset(seqs, recipe.vocab_subset_size, teacher.config.vocab_size)
        del teacher
        lm_draft.train_draft(draft, seqs, subset, recipe, seed)
        t_train = time.perf_counter() - t0 - t_data
    draft.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    meta = {"vocab_subset": subset.tolist(), "recipe": asdict(recipe), "seed": seed, **data_summary(seqs),
            "data_seconds": round(t_data, 1), "train_seconds": round(t_train, 1)}
    if recipe.copy_n_min > 0:
        meta["copy_head"] = {"n_min": recipe.copy_n_min, "n_max": recipe.copy_n_max}
    (out_dir / DRAFT_META).write_text(json.dumps(meta))
