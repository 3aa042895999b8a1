"""Where the time of one speculative generation goes, in our loop and in HF assisted
generation, with the same target, draft, k and prompt (T = 0), side by side.

    .venv/bin/python bench/loop_profile.py [--target zoo:qwen2.5-coder-1.5b]
        [--draft zoo:qwen2.5-coder-0.5b] [--k 4] [--tokens 96] [--reps 4] [--profile] [--rows]

For each repetition (the order alternates): wall seconds of both, our loop's split (draft stage, target calls,
the rest = loop bookkeeping, from the cycle records) and whether the tokens are equal.
--profile adds one cProfile pass of each (top functions by own time), which counts the
model forwards and the time inside torch's Linear, the bulk of both.
--rows adds one untimed pass of each with forward hooks on both models' transformers
modules: the token rows every call feeds, call by call, so the model work of the two
loops can be compared directly.
"""
import argparse
import cProfile
import io
import pstats
import statistics
import time

import torch

from specdecode.bench.peers import make_peer
from specdecode.config import GenerationConfig, MethodConfig, SamplingConfig
from specdecode.decoder import SpeculativeDecoder, encode_prompt, eos_ids
from specdecode.models import load_model
from specdecode.models.loading import dtype_decision

PROMPT = ("Write a Python function `merge_intervals(intervals)` that merges overlapping intervals "
          "and returns them sorted. Include a docstring.")


def load(spec: str, role: str):
    return load_model(spec, dtype=dtype_decision("auto", spec, role=role).dtype, role=role)


def split(result) -> str:
    """Our loop's decode time by stage, from its cycle records (seconds)."""
    cycles = result.cycles
    draft = sum(c.intervals[0].end - c.intervals[0].start for c in cycles)
    target = sum(c.intervals[1].end - c.intervals[1].start for c in cycles)
    total = sum(c.end - c.start for c in cycles)
    calls = sum(c.draft_calls for c in cycles)
    return (f"{len(cycles)} cycles, draft {draft:.2f} s ({calls} calls, {1000 * draft / max(calls, 1):.0f} ms each), "
            f"target {target:.2f} s ({1000 * target / max(len(cycles), 1):.0f} ms per verify), "
            f"rest {total - draft - target:.2f} s")


def profile(label: str, fn, top: int) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    print(f"--- cProfile, {label} ---\n{out.getvalue()}", flush=True)


def rows_per_call(models: dict, fn) -> dict[str, list[int]]:
    """{role: the input rows (tokens fed) of each forward call of that model, in order}
    during fn(); models: {role: CausalLM}."""
    seen: dict[str, list[int]] = {role: [] for role in models}

    def hook(role):
        def pre(_module, args, kwargs):
            x = next(t for t in (kwargs.get("input_ids"), args[0] if args else None,
                                 kwargs.get("inputs_embeds")) if t is not None)
            seen[role].append(int(x.shape[1]))  # (B, rows) ids or (B, rows, d) embeddings
        return pre

    # base_model: the decoder stack every call reaches (a subset-head draft calls it directly)
    handles = [m.model.base_model.register_forward_pre_hook(hook(role), with_kwargs=True)
               for role, m in models.items()]
    try:
        fn()
    finally:
        for h in handles:
            h.remove()
    return seen


def runs(xs: list[int]) -> str:
    """[58, 5, 5, 5, 3] -> '58, 5 x3, 3' (a run of equal counts as value x length)."""
    out, i = [], 0
    while i < len(xs):
        j = i
        while j < len(xs) and xs[j] == xs[i]:
            j += 1
        out.append(f"{xs[i]} x{j - i}" if j - i > 1 else str(xs[i]))
        i = j
    return ", ".join(out)


def compare_rows(ours: dict[str, list[int]], hf: dict[str, list[int]]) -> None:
    """Print both loops' calls and rows per model, and where their call sequences first
    differ (HF folds the target's prefill into its first verify: one call fewer)."""
    for role in ours:
        a, b = ours[role], hf[role]
        print(f"{role}: ours {len(a)} calls, {sum(a)} rows; HF assisted {len(b)} calls, {sum(b)} rows")
        print(f"  ours: {runs(a)}\n  HF:   {runs(b)}")
        k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
        print(f"  first differing call: {k}" if k is not None else f"  calls agree over the first {min(len(a), len(b))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="zoo:qwen2.5-coder-1.5b")
    ap.add_argument("--draft", default="zoo:qwen2.5-coder-0.5b")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=96)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--rows", action="store_true", help="count the rows each model call feeds (untimed)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    target, draft = load(args.target, "target"), load(args.draft, "draft")
    models = {"draft": draft}
    ids = encode_prompt(target, PROMPT, chat=True)
    greedy, gen = SamplingConfig(), GenerationConfig(max_new_tokens=args.tokens)
    ours = SpeculativeDecoder(target, MethodConfig(proposer="draft", k=args.k), greedy, models)
    hf = make_peer("hf-assisted", args.k, {"confidence_threshold": 0.0, "schedule": "constant"})
    eos = eos_ids(target)

    def run_ours(cfg=gen):
        return ours.generate(ids, cfg)

    def run_hf(cfg=gen):
        return hf.run(target, models, ids, greedy, cfg, eos)

    run_ours(GenerationConfig(max_new_tokens=8))  # warm-up, both paths
    run_hf(GenerationConfig(max_new_tokens=8))
    print(f"{args.target} + {args.draft}, k = {args.k}, {args.tokens} tokens, {len(ids)}-token prompt")
    ratios = []
    for rep in range(args.reps):  # the order alternates: a machine's drift favours neither
        first_ours = rep % 2 == 0
        if first_ours:
            mine, t_ours = timed(run_ours)
            theirs, t_hf = timed(run_hf)
        else:
            theirs, t_hf = timed(run_hf)
            mine, t_ours = timed(run_ours)
        ratios.append(t_hf / t_ours)
        print(f"rep {rep + 1} ({'ours' if first_ours else 'HF'} first): ours {t_ours:.2f} s, HF assisted {t_hf:.2f} s, "
              f"HF / ours {t_hf / t_ours:.3f}; same tokens: {mine.output_ids == theirs.output_ids}\n"
              f"  ours: {split(mine)}", flush=True)
    print(f"HF / ours, geometric mean over {len(ratios)} reps: {statistics.geometric_mean(ratios):.3f}")
    if args.profile:
        profile("ours", run_ours, 12)
        profile("HF assisted", run_hf, 12)
    if args.rows:
        both = {"target": target, "draft": draft}
        compare_rows(rows_per_call(both, run_ours), rows_per_call(both, run_hf))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


if __name__ == "__main__":
    main()
