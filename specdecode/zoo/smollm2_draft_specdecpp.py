"""Builder for `zoo:smollm2-135m-draft-specdecpp`: the SpecDec++ acceptance head of the
default pair (zoo:smollm2-135m, zoo:smollm2-135m-draft): a logistic regression on the
draft's hidden state (576), top probability and entropy, trained on the draft's traces
on the suites' dev prompts (12 per suite, 64 target tokens each; no test prompt).
training/accept_head.py holds the method; the build's held-out accuracy, log-loss and
AUC are in accept_head.json. About 72 short greedy generations of the target: minutes
on 2 CPU cores."""
from __future__ import annotations

from pathlib import Path

from ..training.accept_head import AcceptHeadRecipe, build_head

RECIPE = AcceptHeadRecipe(prompts_per_suite=12, threads=2)
SOURCE = "trained locally on traces of zoo:smollm2-135m-draft against zoo:smollm2-135m on dev prompts"
LICENCE = "Apache-2.0 (derived from SmolLM2-135M-Instruct)"


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    recipe = RECIPE
    build_head(Path(out_dir), deps["smollm2-135m"], deps["smollm2-135m-draft"], recipe, seed,
               "zoo:smollm2-135m-draft")
