"""A held-out probe of a distilled draft's training settings (the probe behind the Qwen
draft's learning rate, zoo.qwen_coder_1p5b_draft): the target greedily continues a seeded
sample of the recipe's own training prompts ONCE; the sample is split into training and
held-out sequences; one draft per variant is trained on the first part and scored on both
by teacher-forced greedy acceptance of its LM alone (the copy head learns nothing, so it
is left out). Training fit against held-out acceptance tells an underfit setting (both
low) from an overfit one (a wide gap). The zoo's cache is not touched.

A variant may change only what happens after the teacher data (TRAINING_FIELDS); the data
fields are set once for all variants (bench/recipe_probe.py --set)."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import SpecDecodeError
from ..recipes import parse_assignment
from . import lm_draft
from . import prompts as prompt_pool
from .optimise import build_precision, build_threads
from .teacher import TeacherSeq, load_teacher, teacher_data
from .vocab import choose_subset

# fields of a draft recipe that act after the teacher data: a variant may change these
TRAINING_FIELDS = frozenset({
    "n_layers", "init_layers", "train_head", "epochs", "weight_decay", "vocab_subset_size",
    "batch_tokens", "max_seq_tokens", "lr", "warmup_steps", "prompt_weight", "hard_weight", "bf16",
})


@dataclass(frozen=True)
class ProbeRow:
    """One variant's result: its assignments, the LM's greedy acceptance on its own
    training sequences and on the held-out ones, the held-out target tokens inside its
    vocabulary subset, and its training time."""

    variant: tuple[str, ...]
    train_acceptance: float
    held_out_acceptance: float
    held_out_coverage: float
    train_seconds: float


def variant_fields(recipe, variant: tuple[str, ...]) -> dict:
    """A variant's 'FIELD=VALUE' assignments -> {field: value}; training fields only (the
    teacher data is shared)."""
    try:
        fields = dict(parse_assignment(recipe, a) for a in variant)
    except ValueError as e:
        raise SpecDecodeError(str(e)) from None
    data = sorted(set(fields) - TRAINING_FIELDS)
    if data:
        raise SpecDecodeError(
            f"{', '.join(data)} changes the teacher data, which every variant shares: set it "
            f"once with --set (a variant may set: {', '.join(sorted(TRAINING_FIELDS))})")
    return fields


def sample_split(encoded: list, n_prompts: int, held_out: int, seed: int) -> tuple[list, list]:
    """A seeded random sample of n_prompts of encoded, split into (training, held-out:
    the last held_out of the sample)."""
    if not 0 < held_out < n_prompts:
        raise SpecDecodeError(f"--held-out must be between 1 and --prompts - 1 (got {held_out} of {n_prompts})")
    if n_prompts > len(encoded):
        raise SpecDecodeError(f"--prompts {n_prompts} is more than the recipe's {len(encoded)} training "
                              "prompts; ask for fewer")
    order = torch.randperm(len(encoded), generator=torch.Generator().manual_seed(seed))[:n_prompts]
    sample = [encoded[i] for i in order.tolist()]
    return sample[:-held_out], sample[-held_out:]


def pooled(report: dict[str, dict], key: str) -> float:
    """A per-domain acceptance report (lm_draft.acceptance) -> key pooled over positions."""
    n = sum(r["positions"] for r in report.values())
    return sum(r[key] * r["positions"] for r in report.values()) / n


def probe(target_dir: Path, recipe, variants: list[tuple[str, ...]], n_prompts: int, held_out: int,
          seed: int = 0) -> list[ProbeRow]:
    """One ProbeRow per variant ('FIELD=VALUE' assignments; () = the recipe as is).
    The target's data in recipe.teacher_dtype (fp32 where the CPU lacks bf16,
    build_precision); each variant's draft is copied from a fresh fp32 load of the target,
    as a zoo build copies it before the teacher's cast."""
    changes = [variant_fields(recipe, v) for v in variants]  # every error before any work
    recipe = build_precision(recipe)
    with build_threads(recipe.threads):
        target, tokenizer = load_teacher(target_dir)
        train, held = sample_split(prompt_pool.encoded(tokenizer, recipe), n_prompts, held_out, seed)
        target.to(getattr(torch, recipe.teacher_dtype))
        seqs = teacher_data(target, train + held, recipe, tokenizer.eos_token_id, desc="target greedy (probe)")
        vocab = target.config.vocab_size
        del target
        return [_variant(target_dir, dataclasses.replace(recipe, **c), v, seqs[: len(train)],
                         seqs[len(train):], vocab, seed) for v, c in zip(variants, changes)]


def _variant(target_dir: Path, recipe, variant: tuple[str, ...], train: list[TeacherSeq],
             held: list[TeacherSeq], vocab: int, seed: int) -> ProbeRow:
    """Train one variant's draft (recipe: with its fields) on train; score its LM on train
    and held."""
    subset = choose_subset(train, recipe.vocab_subset_size, vocab)  # from the training part only
    target, _ = load_teacher(target_dir)
    draft = lm_draft.make_draft(target, recipe)
    del target
    t = time.perf_counter()
    lm_draft.train_draft(draft, train, subset, recipe, seed)
    seconds = time.perf_counter() - t
    fit, out = lm_draft.acceptance(draft, train, subset), lm_draft.acceptance(draft, held, subset)
    return ProbeRow(tuple(variant), pooled(fit, "lm_acceptance"),
                    pooled(out, "lm_acceptance"), pooled(out, "coverage"), seconds)
