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
time (feature_training.py): soft + hard distillation CE on the teacher's top-k and a
smooth-L1 loss pulling each step's output towards the target's next feature.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import feature_training as ft
from . import train_prompts
from .smollm2_draft import SUITES, TeacherRecipe, _load_target, choose_subset, suite_prompts, teacher_data

SOURCE = "trained locally on zoo:smollm2-135m's own greedy outputs and hidden states (dev splits + extras)"
LICENCE = "Apache-2.0 (derived from SmolLM2-135M-Instruct)"


@dataclass(frozen=True)
class EagleRecipe(TeacherRecipe):
    """Everything the draft depends on; hashed by the zoo cache. Same teacher data as
    zoo:smollm2-135m-draft (TeacherRecipe)."""

    n_layers: int = 1
    epochs: int = 4
    train_steps: int = 2          # draft steps unrolled per position in training
    reg_weight: float = 1.0       # smooth-L1 feature regression vs distillation CE

RECIPE = EagleRecipe()


def make_net(target, subset: torch.Tensor, recipe: EagleRecipe):
    """Random body layers; final norm and head subset rows from the target."""
    from ..models.feature_draft import FeatureDraftNet, body_config

    net = FeatureDraftNet(body_config(target.config, recipe.n_layers), len(subset))
    net.body.norm.load_state_dict(target.model.norm.state_dict())
    with torch.no_grad():
        net.head.copy_(target.get_output_embeddings().weight[subset])
    return net


def build(out_dir: Path, deps: dict[str, Path], seed: int, recipe: EagleRecipe = RECIPE) -> None:
    from ..models import feature_draft

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    target, tokenizer = _load_target(deps["smollm2-135m"])
    emb = target.get_input_embeddings().weight.detach().clone()  # fp32, frozen
    hidden, vocab_size = target.config.hidden_size, target.config.vocab_size
    target.to(getattr(torch, recipe.teacher_dtype))
    prompts = train_prompts.encoded(tokenizer, recipe)
    seqs = teacher_data(target, prompts, recipe, tokenizer.eos_token_id, desc="target greedy (dev)", features=True)
    t_data = time.perf_counter() - t0
    subset = choose_subset(seqs, recipe.vocab_subset_size, vocab_size)
    net = make_net(target.float(), subset, recipe)
    del target
    ft.train(net, emb, seqs, subset, recipe, seed)
    t_train = time.perf_counter() - t0 - t_data
    tokenizer.save_pretrained(out_dir)
    feature_draft.save(out_dir, net, subset, hidden, vocab_size, {
        "recipe": asdict(recipe), "seed": seed, "dev_prompts": len(prompts),
        "dev_positions": sum(len(s.top_idx) for s in seqs),
        "data_seconds": round(t_data, 1), "train_seconds": round(t_train, 1)})


@torch.inference_mode()
def cost_ratio(target, draft, context: list[int], calls: int = 60) -> dict:
    """Median seconds of one draft step (1 row) and one 1-token target call after
    `context`, through the same runtime objects the loop uses, calls interleaved."""
    target.reset(keep_features=True)
    target.logits_for(context, 1)
    draft.bind(target)
    draft.reset()
    draft.step(context[1:], target.features(0, len(context) - 1))
    feat = target.features(len(context) - 2, len(context) - 1)
    times: dict[str, list[float]] = {"target": [], "draft": []}
    n = len(context)
    for i in range(calls + 5):
        t = time.perf_counter()
        target.forward([context[-1]], n_logits=1)
        dt_target = time.perf_counter() - t
        target.rollback_to(n)
        t = time.perf_counter()
        draft.step([context[-1]], feat)
        dt_draft = time.perf_counter() - t
        draft.rollback_to(n - 1)
        if i >= 5:
            times["target"].append(dt_target)
            times["draft"].append(dt_draft)
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    return {"target_s": med["target"], "draft_s": med["draft"], "c": med["draft"] / med["target"]}


def measure(target_dir: Path, draft_dir: Path, suites: tuple[str, ...] = SUITES,
            n_per_suite: int = 16, new_tokens: int = 128, context_tokens: int = 300,
            threads: int = 2, k: int = 4) -> dict:
    """Per suite on the TEST splits: alpha_1..alpha_k (conditional greedy acceptance of
    draft step s, teacher-forced along the target's greedy continuation), the share of
    draft positions accepted at k (`acceptance`), subset coverage; and the cost ratio c."""
    from ..models import load_model

    torch.set_num_threads(threads)
    target_model, tokenizer = _load_target(target_dir)
    draft = load_model(str(draft_dir))
    prompts = suite_prompts(tokenizer, suites, "test", n_per_suite, RECIPE.max_prompt_tokens)
    recipe = EagleRecipe(new_tokens=new_tokens, gen_batch=8)
    seqs = teacher_data(target_model, prompts, recipe, tokenizer.eos_token_id, desc="target greedy (test)",
                        features=True)
    emb = target_model.get_input_embeddings().weight.detach()
    per = ft.acceptance(draft.net, emb, seqs, draft.subset, steps=k)
    for row in per.values():
        row["acceptance"] = ft.acceptance_at_k(row["alpha"])
    context = [t for s in seqs for t in s.ids.tolist()][:context_tokens]
    cost = cost_ratio(load_model(str(target_dir)), draft, context)
    mean = sum(v["acceptance"] for v in per.values()) / len(per)
    return {"suites": per, "mean_acceptance": mean, "cost": cost, "n_per_suite": n_per_suite,
            "new_tokens": new_tokens, "context_tokens": len(context), "k": k}
