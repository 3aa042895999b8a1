"""How fast the target makes teacher data for a distilled draft, by phase: the batched
prefill of the prompts (positions/s) and the batched greedy decode steps (tokens/s), and
a bare matmul of the target's MLP shape for the machine's ceiling (GFLOP/s), in each
dtype asked. This is what sized the trained Qwen draft's recipe
(zoo/qwen_coder_1p5b_draft.py), and what tells whether a build's bf16 teacher and bf16
training autocast pay on the machine at hand; for a standalone draft, one training step
(forward + backward) is timed with and without bf16 autocast.

    .venv/bin/python bench/teacher_throughput.py [--draft qwen2.5-coder-1.5b-draft]
        [--batches 32 64] [--steps 6] [--dtypes bf16 fp32]

--draft names a distilled draft's zoo entry: its target is timed on its recipe's prompts.

Prompts: the draft recipe's code prompts of middling length (sorted, from the 40th on),
left-padded as training/teacher.greedy_batch pads them. Reported: the prefill's real and
padded positions/s, and the median decode step over --steps steps.
"""
import argparse
import statistics
import time

import torch

from specdecode.training import lm_draft, prompts
from specdecode.training.teacher import load_teacher
from specdecode.zoo import local_path
from specdecode.zoo.registry import entry, load_builder

DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


def matmul_gflops(rows: int, d: int, ff: int, dtype: torch.dtype, seconds: float = 2.0) -> float:
    a, w = torch.randn(rows, d, dtype=dtype), torch.randn(ff, d, dtype=dtype)
    torch.nn.functional.linear(a, w)
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < seconds:
        torch.nn.functional.linear(a, w)
        n += 1
    return 2 * rows * d * ff * n / (time.perf_counter() - t) / 1e9


def train_step(draft, recipe, autocast_bf16: bool, steps: int) -> float:
    """Median seconds of one forward + backward of the draft (its recipe.vocab_subset_size
    head rows) over recipe.batch_tokens tokens of 512-token rows, under bf16 autocast or not."""
    rows = max(1, recipe.batch_tokens // 512)
    ids = torch.randint(0, draft.config.vocab_size, (rows, 512))
    head = draft.lm_head.weight[: recipe.vocab_subset_size]
    times = []
    for _ in range(steps + 1):  # the first warms up
        t = time.perf_counter()
        with torch.autocast("cpu", torch.bfloat16, enabled=autocast_bf16):
            logits = torch.nn.functional.linear(draft.model(input_ids=ids).last_hidden_state, head)
        logits.float().logsumexp(-1).mean().backward()
        times.append(time.perf_counter() - t)
        draft.zero_grad(set_to_none=True)
    return statistics.median(times[1:])


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
    ap.add_argument("--draft", default="qwen2.5-coder-1.5b-draft",
                    help="a distilled draft's zoo entry; its target and recipe are used")
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--dtypes", nargs="+", choices=sorted(DTYPES), default=["bf16"])
    args = ap.parse_args()
    mod = load_builder(entry(args.draft))
    torch.set_num_threads(mod.RECIPE.threads)
    model, tokenizer = load_teacher(local_path(f"zoo:{mod.TARGET}"))
    code = sorted((ids for dom, ids in prompts.encoded(tokenizer, mod.RECIPE) if dom == "code"), key=len)[40:]
    cfg = model.config
    if hasattr(mod.RECIPE, "n_layers"):  # a standalone draft (lm_draft): time its training step too
        draft = lm_draft.make_draft(model, mod.RECIPE).train()
        for name in args.dtypes:
            print(f"{name}: draft training step ({mod.RECIPE.n_layers} layers, {mod.RECIPE.batch_tokens} "
                  f"tokens, autocast {name == 'bf16'}) {train_step(draft, mod.RECIPE, name == 'bf16', 3):.2f} s")
        del draft
    for name in args.dtypes:
        model.to(DTYPES[name])
        print(f"{name}: bare matmul ({cfg.hidden_size} -> {cfg.intermediate_size}): "
              + ", ".join(f"{r} rows {matmul_gflops(r, cfg.hidden_size, cfg.intermediate_size, DTYPES[name]):.0f} "
                          "GFLOP/s" for r in (32, 512, 3520)))
        for b in args.batches:
            batch = code[:b]
            prefill, width, step = one_batch(model, batch, args.steps)
            real = sum(map(len, batch))
            print(f"{name} batch {b}: prefill {real} positions ({b * width} padded) in {prefill:.1f} s = "
                  f"{real / prefill:.0f} positions/s ({b * width / prefill:.0f} padded); "
                  f"decode step {step * 1000:.0f} ms = {b / step:.1f} tokens/s")


if __name__ == "__main__":
    main()
