"""Target call time by number of tokens fed (the verify cost v(k)), with and without the
padding of 2..3-token calls to 4 rows (`min_verify_rows`), measured side by side.

    .venv/bin/python bench/verify_cost.py [--target zoo:smollm2-135m] [--context 300] [--int8]

Prints the median milliseconds per call and the ratio to a 1-token call. On the 2-core
CPU machine this showed a 3-token call slower than a 5-token one (BLAS runs 2-3-row
matmuls as one GEMV per row), which is why the presets set min_verify_rows: 4.
"""
import argparse
import statistics
import time

import torch

from specdecode.models import load_model
from specdecode.models.quantize import quantize


def call_ms(model, context: list[int], n: int, reps: int) -> float:
    """Median wall time of feeding n new tokens after `context` (cache kept at context)."""
    times = []
    for _ in range(reps):
        model.rollback_to(len(context) - 1)
        seq = context + [context[-1]] * (n - 1)
        t0 = time.perf_counter()
        model.logits_for(seq, n)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="zoo:smollm2-135m")
    ap.add_argument("--context", type=int, default=300, help="tokens already in the KV cache")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--int8", action="store_true",
                    help="load in fp32, then make every Linear layer int8 (models/quantize.py, as the int8 drafts)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.target)  # fp32; --int8 quantizes that
    if args.int8:
        quantize(model.model)
    print(f"{args.target}: {'int8 Linear layers' if args.int8 else model.dtype_decision.dtype}, "
          f"{args.context}-token context, {args.threads} threads")
    context = [(i * 7919) % 20000 + 100 for i in range(args.context)]
    model.logits_for(context, 1)  # warm-up and prefill
    print(f"{'tokens':>6} {'plain ms':>9} {'v':>5} {'padded ms':>10} {'v':>5}")
    base = None
    for n in (1, 2, 3, 4, 5, 9):
        model.min_rows = 1
        plain = call_ms(model, context, n, args.reps)
        model.min_rows = 4
        padded = call_ms(model, context, n, args.reps)
        base = base or plain
        print(f"{n:>6} {plain:>9.1f} {plain / base:>5.2f} {padded:>10.1f} {padded / base:>5.2f}")


if __name__ == "__main__":
    main()
