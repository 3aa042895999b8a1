"""Weight-only int8 models on the CPU: every nn.Linear becomes a dynamically quantized
int8 Linear (torch.ao `quantize_dynamic`: int8 weights, per-tensor scale; activations
stay fp32 and are quantized per call). Embeddings and norms stay fp32.

Why, for drafts: a CPU draft step is memory-bound, so it costs about the bytes of
weights it reads. Measured on a 2-core AMD EPYC VM (2026-12-03, 200-token context, torch
2.13, 2 threads, bench/draft_step.py): one Qwen2.5-Coder-0.5B step takes ~205 ms in fp32,
100-135 ms in bf16 and 39-43 ms with int8 Linear layers. A draft only proposes; verification against the target
keeps every exact method exact whatever the draft's weights are, so quantization can
only move acceptance, which the benchmark measures. A target could be quantized the same
way, but then it is another model: target-only must run the same files to compare.

A model directory asks for it in its meta file (specdecode_draft.json):
{"quantize": "int8"}. Such a model always loads in fp32 (quantize_dynamic reads fp32
weights), whatever --dtype says, and only on the CPU.
"""
from __future__ import annotations

import warnings

from ..errors import SpecDecodeError

SCHEMES = ("int8",)


def check_scheme(scheme: str, name: str, device: str) -> None:
    """A one-line error for a scheme this build does not know, or a non-CPU device."""
    if scheme not in SCHEMES:
        raise SpecDecodeError(f"model '{name}' asks for quantize: {scheme!r}; the known schemes are "
                              f"{', '.join(SCHEMES)} (fix its specdecode_draft.json)")
    if device != "cpu":
        raise SpecDecodeError(f"model '{name}' has int8 weights, which run on the CPU only; use "
                              f"--device cpu, or its unquantized base on {device}")


def quantize(model, keep_head: bool = False):
    """model (fp32, eval) -> the same model with int8 Linear layers, in place.
    keep_head: leave the output head in fp32 (a vocabulary-subset head reads its rows)."""
    import torch

    if next(model.parameters()).dtype != torch.float32:
        raise ValueError("quantize() needs an fp32 model")  # a caller bug: loading forces fp32
    head = model.get_output_embeddings()
    names = {name for name, mod in model.named_modules()
             if isinstance(mod, torch.nn.Linear) and not (keep_head and mod is head)}
    with warnings.catch_warnings():  # torch.ao's deprecation notice for eager quantization
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, names, dtype=torch.qint8, inplace=True)
