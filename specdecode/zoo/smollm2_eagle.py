"""zoo:smollm2-135m-eagle — a hidden-state (EAGLE-style) draft for SmolLM2-135M.

What it is (models/feature_draft.py): fc([emb(x_{i+1}); f_i]) -> one Llama decoder layer
-> final norm -> the LM-head rows of a 6,144-token vocabulary subset, where f_i is the
target's post-norm last hidden state. Proposer `eagle` runs it.

Why try it: the standalone 2-layer draft (zoo:smollm2-135m-draft) must guess the next
token from two layers' worth of context; here the target's own 30-layer feature for the
previous position is an input. Measured (`specdecode zoo measure --draft
zoo:smollm2-135m-eagle`, same 1,688 training prompts): acceptance by draft step 0.510 /
0.462 / 0.412 / 0.374 averaged over suites, 0.477 of draft positions accepted at k = 4,
c = 0.069; the standalone LM alone gets 0.505 at every step. With this little data the
features do not pay for the drift over draft steps, so the standalone draft stays the
default; this entry and proposer `eagle` are there to measure and improve on (bench
preset `full`).

Recipe: the standalone draft's teacher data (the target, in bf16, greedily continues the
dev prompts of every suite, keeping its top-16 logits) plus the target's features at every
position; the body layer starts from random weights, the norm and head rows from the
target's. Training unrolls `train_steps` draft steps per position as they run at decode
time (training/features.py): soft + hard distillation CE on the teacher's top-k and a
smooth-L1 loss pulling each step's output towards the target's next feature.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..models import feature_draft
from ..training import features
from ..training.optimise import build_precision, build_threads
from ..training.recipe import TeacherRecipe
from ..training.teacher import data_summary, dev_data, load_teacher
from ..training.vocab import choose_subset

SOURCE = "trained locally on zoo:smollm2-135m's own greedy outputs and hidden states (dev splits + extras)"
LICENCE = "Apache-2.0 (derived from SmolLM2-135M-Instruct)"
TARGET = "smollm2-135m"


@dataclass(frozen=True)
class EagleRecipe(TeacherRecipe):
    """Everything the draft depends on; hashed by the zoo cache. Same teacher data as
    zoo:smollm2-135m-draft (TeacherRecipe)."""

    n_layers: int = 1
    epochs: int = 4
    train_steps: int = 2          # draft steps unrolled per position in training
    reg_weight: float = 1.0       # smooth-L1 feature regression vs distillation CE


RECIPE = EagleRecipe()


def build(out_dir: Path, deps: dict[str, Path], seed: int, recipe: EagleRecipe | None = None) -> None:
    """Train the net on deps["smollm2-135m"]'s outputs and features; write it, its
    metadata (vocab subset, recipe, build timings) and the tokenizer into out_dir."""
    recipe = build_precision(recipe or RECIPE)
    out_dir = Path(out_dir)
    with build_threads(recipe.threads):
        torch.manual_seed(seed)
        t0 = time.perf_counter()
        target, tokenizer = load_teacher(deps[TARGET])
        emb = target.get_input_embeddings().weight.detach().clone()  # fp32, frozen
        hidden, vocab_size = target.config.hidden_size, target.config.vocab_size
        seqs = dev_data(target, tokenizer, recipe, features=True)
        t_data = time.perf_counter() - t0
        subset = choose_subset(seqs, recipe.vocab_subset_size, vocab_size)
        # the norm and head rows come from the teacher after its bf16 round trip (as every
        # cached build did; the draft copies fp32 weights before the cast instead)
        net = features.make_net(target.float(), subset, recipe.n_layers)
        del target
        features.train(net, emb, seqs, subset, recipe, seed)
        t_train = time.perf_counter() - t0 - t_data
    tokenizer.save_pretrained(out_dir)
    feature_draft.save(out_dir, net, subset, hidden, vocab_size, {
        "recipe": asdict(recipe), "seed": seed, **data_summary(seqs),
        "data_seconds": round(t_data, 1), "train_seconds": round(t_train, 1)})
