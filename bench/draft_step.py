"""One draft step (1 new token after a cached context) of a model in fp32, bf16 and with
int8 Linear weights, side by side: the draft cost c that int8 weights cut.

    .venv/bin/python bench/draft_step.py [--model zoo:qwen2.5-coder-0.5b]
        [--int8 zoo:qwen2.5-coder-0.5b-int8] [--context 200]

Prints the median milliseconds per step and the ratio to the first format listed. fp32
and bf16 load --model; int8 loads --int8, a draft directory holding the same weights whose
specdecode_draft.json says {"quantize": "int8"} (models/quantize.py), exactly as a
benchmark loads it. Formats run one after another, never at once, so they do not share
memory bandwidth.
"""
import argparse
import gc
import statistics
import time

import torch

from specdecode.models import load_model


def step_ms(model, context: list[int], reps: int) -> float:
    """Median wall time of one 1-token call after `context` (the cache is kept at context)."""
    model.logits_for(context, 1)  # prefill: the cache holds all of context; each rep re-feeds its last token
    times = []
    for _ in range(reps):
        model.rollback_to(len(context) - 1)
        t0 = time.perf_counter()
        model.logits_for(context, 1)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def load(args, fmt: str):
    if fmt == "int8":  # the loader quantizes it (its meta file asks); it loads in fp32 first
        return load_model(args.int8, dtype="float32", role="draft")
    return load_model(args.model, dtype=fmt, role="draft")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="zoo:qwen2.5-coder-0.5b")
    ap.add_argument("--int8", default="zoo:qwen2.5-coder-0.5b-int8", help="the same weights, int8 by its meta file")
    ap.add_argument("--context", type=int, default=200, help="tokens already in the KV cache")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--formats", default="float32,bfloat16,int8")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    context = [(i * 7919) % 20000 + 100 for i in range(args.context)]
    print(f"{args.model}, {args.context}-token context, {args.threads} threads")
    print(f"{'format':>9} {'ms/step':>8} {'vs first':>8}")
    base = None
    for fmt in args.formats.split(","):
        model = load(args, fmt)
        model.logits_for(context[:16], 1)  # warm-up
        model.reset()
        ms = step_ms(model, context, args.reps)
        base = base or ms
        print(f"{fmt:>9} {ms:>8.1f} {ms / base:>8.2f}", flush=True)
        del model
        gc.collect()


if __name__ == "__main__":
    main()
