"""zoo:qwen2.5-coder-0.5b-fr48k: the 0.5B draft with a vocabulary-subset head (FR-Spec,
2502.14856), no training.

Why: the 0.5B's 151,936 x 896 LM head is about a fifth of its weights, and a draft step
reads all of them; the target's tokens come from a much smaller working vocabulary.
The draft keeps the `size` ids most frequent in text like the target's (the drafts'
training pool prompts and the dev splits' references, tokenized; no model run, no test
prompt) plus every special token, and the model wrapper computes only those head rows
(q = 0 elsewhere, so verification stays exact at any temperature). A target token outside
the subset cannot be drafted: `specdecode zoo measure` reports that coverage.

Measured on the 2-core Xeon VM (2026-12-02): a 1-token draft step at 300 tokens of
context, fp32 (what dtype auto picks for the 0.5B here), 133 ms with the full head, ~115
ms with a 32k or 48k subset (-13%). Coverage of the 1.5B's own outputs (target-only, test
splits of the committed `real` and `lossy-real` runs, never used for the choice): 96.8%
at 32,768 ids and 98.1% at 49,152, the misses mostly LaTeX tokens of math answers
("\\[", "boxed") that the counted text lacks. 49,152 keeps more coverage at the same step
time. Whether the cheaper step outweighs the lost coverage end to end is what the `real-0p5b`
preset's `qwen05fr-k4` measures.

The weights are the 0.5B's files, hard-linked (copied where links fail; zoo/derive.py);
only specdecode_draft.json is new. A record's model identity (models/loading.fingerprint)
hashes that file with the config, so runs with different subsets never share a key; the
zoo manifest's weights hash covers weight files only and is the base's. A different
subset still wants a new entry name (hence the size in the name): the zoo rebuilds on a
changed recipe, not on changed counting code.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from ..training.vocab import most_frequent
from . import qwen
from .derive import link_base

SOURCE = ("zoo:qwen2.5-coder-0.5b with a 49,152-token head subset counted on the drafts' "
          "training prompts and dev references")
LICENCE = qwen.LICENCE
BASE = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class SubsetRecipe:
    size: int = 49152


RECIPE = SubsetRecipe()


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """seed is unused: counting is deterministic."""
    from transformers import AutoTokenizer

    base = Path(deps[BASE])
    subset = subset_ids(AutoTokenizer.from_pretrained(base), RECIPE.size)
    link_base(base, out_dir, {"vocab_subset": subset, "recipe": asdict(RECIPE), "base": f"zoo:{BASE}"})


def subset_ids(tokenizer, size: int) -> list[int]:
    """The `size` ids most frequent in training_texts(), every special token first."""
    counts: Counter[int] = Counter()
    for text in training_texts():
        counts.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    return most_frequent(counts, size, len(tokenizer), always=sorted(tokenizer.all_special_ids)).tolist()


def training_texts() -> list[str]:
    """The drafts' training pool prompts (dev splits + extras) and the dev references."""
    from ..suites import load_suite
    from ..training.prompts import SUITES, pool

    texts = [item.prompt for _, item in pool()]
    return texts + [it.reference for name in SUITES for it in load_suite(name, split="dev").items if it.reference]

