"""How fast the target makes teacher data for a distilled draft, by phase: the batched
prefill of the prompts (positions/s) and the batched greedy decode steps (tokens/s), and
a bare bf16 matmul of the target's MLP shape for the machine's ceiling (GFLOP/s). This
is what sized the trained Qwen draft's recipe (zoo/qwen_coder_1p5b_draft.py).

    .venv/bin/python bench/teacher_throughput.py [--target zoo:qwen2.5-coder-1.5b]
        [--batches 32 64] [--steps 6]

Prompts: the draft recipe's code prompts of middling length (sorted, from the 40th on),
left-padded as training/teacher.greedy_batch pads them. Reported: the prefill's real and
padded positions/s, and the median decode step over --steps steps.
"""
import argparse
import statistics
import time

import torch

from specdecode.training import prompts
from specdecode.training.teacher import load_teacher
from specdecode.zoo import local_path
from specdecode.zoo.qwen_coder_1p5b_draft import RECIPE


def matmul_gflops(rows: int, d: int, ff: int, seconds: float = 2.0) -> float:
    a, w = torch.randn(rows, d, dtype=torch.bfloat16), torch.randn(ff, d, dtype=torch.bfloat16)
    torch.nn.functional.linear(a, w)
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < seconds:
        torch.nn.functional.linear(a, w)
        n += 1
    return 2 * rows * d * ff * n / (time.perf_counter() - t) / 1e9


@torch.inference_mode()
def one_batch(model, batch: list[list[int]], steps: int) -> tuple[float, float, float]:
    """(prefill seconds, padded width, median decode-step seconds)."""
    width = max(map(len, batch))
    ids = torch.tensor([[0] * (width - len(p)) + p for p in batch])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch])
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    t = time.perf_counter()
    out = model.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
    nxt = model.lm_head(out.last_hidden_state).topk(16, dim=-1).indices[:, -1, 0]
    prefill = time.perf_counter() - t
    cache, next_pos, times = out.cache, pos[:, -1] + 1, []
    for _ in range(steps):
        mask = torch.cat([mask, torch.ones(len(batch), 1, dtype=mask.dtype)], 1)
        t = time.perf_counter()
        hs = model.model(input_ids=nxt[:, None], attention_mask=mask, position_ids=next_pos[:, None],
                         cache=cache, use_cache=True).last_hidden_state[:, -1]
        nxt = model.lm_head(hs).topk(16, dim=-1).indices[:, 0]
        times.append(time.perf_counter() - t)
        next_pos = next_pos + 1
    return prefill, width, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="zoo:qwen2.5-coder-1.5b")
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--steps", type=int, default=6)
    args = ap.parse_args()
    torch.set_num_threads(RECIPE.threads)
    model, tokenizer = load_teacher(local_path(args.target))
    model.to(torch.bfloat16)
    code = sorted((ids for dom, ids in prompts.encoded(tokenizer, RECIPE) if dom == "code"), key=len)[40:]
    cfg = model.config
    print(f"bare bf16 matmul ({cfg.hidden_size} -> {cfg.intermediate_size}): "
          + ", ".join(f"{r} rows {matmul_gflops(r, cfg.hidden_size, cfg.intermediate_size):.0f} GFLOP/s"
                      for r in (32, 512, 3520)))
    for b in args.batches:
        batch = code[:b]
        prefill, width, step = one_batch(model, batch, args.steps)
        real = sum(map(len, batch))
        print(f"batch {b}: prefill {real} positions ({b * width} padded) in {prefill:.1f} s = "
              f"{real / prefill:.0f} positions/s ({b * width / prefill:.0f} padded); "
              f"decode step {step * 1000:.0f} ms = {b / step:.1f} tokens/s")


if __name__ == "__main__":
    main()
