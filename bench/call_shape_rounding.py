"""How far do a model's logits move between call shapes, in bf16 or with int8 Linear
layers? The measurement behind audit.REL_TOLERANCE (docs/dtype.md). bf16 rounds each
product differently by call shape; int8 layers quantize their activations with one scale
per call (the call's largest value), so a row's logits depend on the rows fed with it.

Along the target's own greedy output for a few chat-templated suite prompts, the logits of
every position are computed three ways, as the runs compute them:
    full   one uncached forward over the whole sequence (the audit's recomputation)
    step   1-token calls with the KV cache (target-only decoding)
    verify 5-token calls with the KV cache (draft SD at k = 4)
For each pair of ways and each position, the change of the top1 - top2 margin (taken at
the reference way's top two tokens), divided by the row's max |logit|, is what a near-tie
must be smaller than to flip. Prints percentiles and the max, and writes JSON.

    .venv/bin/python bench/call_shape_rounding.py --model zoo:qwen2.5-coder-1.5b --dtype bf16
    .venv/bin/python bench/call_shape_rounding.py --model zoo:qwen2.5-coder-1.5b --int8
"""
from __future__ import annotations

import argparse
import json
import sys

import torch

from specdecode.decoder import encode_prompt
from specdecode.models.loading import load_model
from specdecode.models.quantize import quantize
from specdecode.suites import load_suite

SUITES = ("code", "math", "chat", "translation")


def greedy_path(lm, ids: list[int], n: int) -> list[int]:
    lm.reset()
    out = list(ids)
    logits = lm.forward(out).logits[-1]
    for _ in range(n):
        out.append(int(logits.argmax()))
        logits = lm.forward(out[-1:]).logits[-1]
    return out


def ways(lm, seq: list[int], start: int, rows: int) -> torch.Tensor:
    """(len(seq) - start, V) logits predicting seq[start:], via calls of `rows` tokens
    after a cached prefix seq[:start] (rows = 0: one uncached forward)."""
    lm.reset()
    if rows == 0:
        return lm.forward(seq[:-1]).logits[start - 1:]
    got = [lm.forward(seq[:start]).logits[-1:]]
    pos = start
    while pos < len(seq) - 1:
        chunk = seq[pos:min(pos + rows, len(seq) - 1)]
        got.append(lm.forward(chunk).logits)
        pos += len(chunk)
    return torch.cat(got)


def shifts(ref: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """|change of ref's top1 - top2 margin| / max |ref logit|, per position."""
    top2 = ref.topk(2, dim=-1).indices
    m_ref = ref.gather(1, top2[:, :1]) - ref.gather(1, top2[:, 1:])
    m_oth = other.gather(1, top2[:, :1]) - other.gather(1, top2[:, 1:])
    return ((m_ref - m_oth).abs().squeeze(1) / ref.abs().amax(-1)).float()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="zoo:smollm2-135m")
    p.add_argument("--dtype", default="bf16")
    p.add_argument("--int8", action="store_true",
                   help="load in fp32, then make every Linear layer int8 (models/quantize.py, as the int8 drafts)")
    p.add_argument("--prompts", type=int, default=2, help="per suite")
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    lm = load_model(args.model, dtype="fp32" if args.int8 else args.dtype)
    if args.int8:
        quantize(lm.model)
    found = {"full-step": [], "full-verify": [], "step-verify": []}
    with torch.no_grad():
        for suite in SUITES:
            for item in load_suite(suite, split="dev", n=args.prompts).items:
                ids = encode_prompt(lm, item.prompt, True)
                seq = greedy_path(lm, ids, args.new_tokens)
                full, step, verify = (ways(lm, seq, len(ids), r) for r in (0, 1, 5))
                found["full-step"].append(shifts(full, step))
                found["full-verify"].append(shifts(full, verify))
                found["step-verify"].append(shifts(step, verify))
                print(f"{suite}/{item.id}: {len(seq) - len(ids)} positions", file=sys.stderr)
    fmt = "int8 Linear layers" if args.int8 else args.dtype
    result = {"model": args.model, "dtype": fmt, "positions": 0, "relative_margin_shift": {}}
    for name, parts in found.items():
        x = torch.cat(parts)
        result["positions"] = len(x)
        q = {f"p{int(p * 1000) / 10:g}": float(x.quantile(p)) for p in (0.5, 0.99, 0.999)}
        result["relative_margin_shift"][name] = {**q, "max": float(x.max())}
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
