"""Builder for `zoo:tiny-draft-specdecpp`: the SpecDec++ acceptance head of the pair
(zoo:tiny, zoo:tiny-draft), trained in seconds from the draft's traces on a few dev
prompts (training/accept_head.py), so tests and CI exercise controller `specdecpp`
with a trained head (the real one is zoo:smollm2-135m-draft-specdecpp)."""
from __future__ import annotations

from pathlib import Path

from ..training.accept_head import AcceptHeadRecipe, build_head

RECIPE = AcceptHeadRecipe(suites=("code", "chat"), prompts_per_suite=4, new_tokens=24,
                          max_prompt_tokens=96, chat=False)
SOURCE = "trained locally on traces of zoo:tiny-draft against zoo:tiny on dev prompts (no download)"
LICENCE = "Apache-2.0"


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    recipe = RECIPE  # read at call time so a test can substitute a smaller recipe
    build_head(Path(out_dir), deps["tiny"], deps["tiny-draft"], recipe, seed, "zoo:tiny-draft")
