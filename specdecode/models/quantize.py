"""Weight-only int8 models on the CPU: every nn.Linear becomes a dynamically quantized
int8 Linear (torch.ao `quantize_dynamic`: int8 weights, per-tensor scale; activations
stay fp32 and are quantized per call). Embeddings and norms stay fp32.

Why, for drafts: a CPU draft step is memory-bound, so it costs about the bytes of
weights it reads. Measured on a 2-core AMD EPYC VM (2026-12-03, 200-token context, torch
2.13, 2 threads, bench/draft_step.py): one Qwen2.5-Coder-0.5B step takes ~205 ms in fp32,
100-135 ms in bf16 and 39-43 ms with int8 Linear layers. A draft only proposes; verification against the target
keeps every exact method exact whatever the draft's weights are, so quantization can
only move acceptance, which the benchmark measures.

Never a target of a drafting method: an int8 layer quantizes its input with one scale per
call (the call's largest value), so a row's logits depend on the rows fed with it. On the
Qwen2.5-Coder-1.5B the top1 - top2 margin moved by up to 0.29 of max |logit| between a
1-token step and a 5-token verify (median 0.017; bf16: at most 0.014), so no method could
reproduce int8 target-only and the exactness audit could not tell a bug from rounding
(docs/dtype.md, bench/call_shape_rounding.py --int8). check_target() refuses it.

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


def is_quantized(model) -> bool:
    """Does `model` hold int8 Linear layers (quantize() ran on it)?"""
    import torch

    return any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules())


def target_error(name: str) -> SpecDecodeError:
    return SpecDecodeError(
        f"target '{name}' has int8 Linear layers, which suit drafts only: they scale activations per "
        "call, so its logits move with the number of tokens a call verifies and no method can reproduce "
        "its target-only (docs/dtype.md); use the unquantized model as the target")


def check_target(target, drafts: bool) -> None:
    """A drafting method on an int8 target: the one-line error (see the module docstring)."""
    model = getattr(target, "model", None)  # a plug-in model kind may hold no torch module
    if drafts and hasattr(model, "modules") and is_quantized(model):
        raise target_error(getattr(target, "name", "?"))


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
