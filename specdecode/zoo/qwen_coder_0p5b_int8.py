"""zoo:qwen2.5-coder-0.5b-int8: the 0.5B draft with int8 weights in every Linear layer
(models/quantize.py), no training.

Why: a draft step on a CPU costs about the bytes of weights it reads. The 0.5B reads
1.26 GB per step in bf16, 0.40 of a 1.5B step, and that cost, not acceptance, is what
holds speculative decoding with it near 1.4x on 2 cores. With int8 Linear layers (fp32
embeddings, norms and activations) a step takes 39-43 ms against 100-135 ms in bf16
(2-core AMD EPYC, 2026-12-03, bench/draft_step.py). The upstream weights were themselves 5- and 8-bit
(the GGUF behind zoo:qwen2.5-coder-0.5b), so int8 loses little of the draft. Verification
stays exact at any temperature: only acceptance can move, and the `real-int8` preset
measures it beside the bf16 draft and HF assisted generation with either draft.

The files are the 0.5B's, hard-linked (zoo/derive.py); specdecode_draft.json adds
{"quantize": "int8"}, and the loader quantizes at load time (a few seconds), so nothing
quantized is stored. That meta file is part of a record's model identity, so records of
this draft never mix with the bf16 0.5B's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from . import qwen
from .derive import link_base

SOURCE = "zoo:qwen2.5-coder-0.5b with int8 Linear weights, quantized at load time (torch.ao dynamic)"
LICENCE = qwen.LICENCE
BASE = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class Int8Recipe:
    quantize: str = "int8"


RECIPE = Int8Recipe()


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """seed is unused: linking is deterministic."""
    link_base(Path(deps[BASE]), out_dir, {"quantize": RECIPE.quantize, "base": f"zoo:{BASE}"})
