"""One Linear layer of the Qwen2.5-Coder-1.5B's MLP shape (1536 -> 8960), random weights,
computed four ways on the CPU: which int8 path could serve a TARGET (docs/dtype.md, "Why
not an int8 target")? For 1, 5 and 9 rows: the median ms per call, and whether row 0 of
a 9-row call equals a 1-row call bit for bit (a target's logits must not depend on how
many tokens a call verifies).

    fp32        torch.nn.Linear
    dynamic     torch.ao dynamic int8 Linear (models/quantize.py): one activation scale per call
    int_mm      int8 x int8 -> int32 (torch._int_mm), one activation scale per ROW
    int8pack    weight-only int8 (torch._weight_int8pack_mm), bf16 activations

    .venv/bin/python bench/int8_linear.py [--reps 20] [--threads 2]
"""
import argparse
import statistics
import time
import warnings

import torch

K, N = 1536, 8960


def paths(w: torch.Tensor) -> dict:
    """name -> f(x (m, K) fp32) -> (m, N)."""
    scale = w.abs().amax(1) / 127                                    # per output channel
    wq = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
    lin = torch.nn.Linear(K, N, bias=False)
    lin.weight.data = w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dyn = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(lin), {torch.nn.Linear}, dtype=torch.qint8)
    wt = wq.t()  # (K, N) view: the faster layout for _int_mm here

    def int_mm(x):
        sx = x.abs().amax(1, keepdim=True).clamp_min(1e-8) / 127
        xq = torch.round(x / sx).clamp(-127, 127).to(torch.int8)
        return torch._int_mm(xq, wt).float() * sx * scale

    s16 = scale.to(torch.bfloat16)
    return {"fp32": lin, "dynamic": dyn, "int_mm": int_mm,
            "int8pack": lambda x: torch._weight_int8pack_mm(x.to(torch.bfloat16), wq, s16)}


def ms(f, x, reps: int) -> float:
    for _ in range(3):
        f(x)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f(x)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(N, K, generator=gen) * 0.02
    x = torch.randn(9, K, generator=gen)
    print(f"Linear {K} -> {N}, {args.threads} threads, median of {args.reps} calls")
    print(f"{'path':>9} {'1 row':>8} {'5 rows':>8} {'9 rows':>8}  row 0 same in 1- and 9-row calls")
    with torch.no_grad():
        for name, f in paths(w).items():
            same = torch.equal(f(x[:1])[0], f(x)[0])
            cells = " ".join(f"{ms(f, x[:m], args.reps):>8.2f}" for m in (1, 5, 9))
            print(f"{name:>9} {cells}  {same}", flush=True)


if __name__ == "__main__":
    main()
