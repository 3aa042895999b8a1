"""The target as teacher: its greedy continuations of prompts, with its top-k next-token
logits (and optionally its post-norm features) at every position. T positions, k top-k,
d hidden width."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..errors import SpecDecodeError
from . import prompts as prompt_pool


@dataclass
class TeacherSeq:
    """One prompt and the target's greedy continuation.
    ids: (T,) prompt + continuation; n_prompt: prompt length;
    top_idx / top_val: (T - 1, k) the target's top-k next-token ids / logits at each
    position but the last; feat: (T - 1, d) its post-norm last hidden state there
    (hidden-state drafts only)."""

    domain: str
    ids: torch.Tensor
    n_prompt: int
    top_idx: torch.Tensor
    top_val: torch.Tensor
    feat: torch.Tensor | None = None


def load_teacher(target_dir: Path):
    """(the target as a transformers causal LM in fp32, eval mode; its tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target_dir = Path(target_dir)
    if not (target_dir / "config.json").is_file():
        raise SpecDecodeError(f"no model in {target_dir}: build it first with `specdecode zoo build NAME`")
    model = AutoModelForCausalLM.from_pretrained(target_dir, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(target_dir)


@torch.inference_mode()
def greedy_batch(model, prompts: list[list[int]], new_tokens: int, eos_id: int, topk: int,
                 features: bool = False):
    """Greedy-continue a batch of prompts with one KV cache (left padding); finished rows
    leave the batch so short answers cost nothing after their eos.
    Returns per prompt (continuation ids incl. eos, top-k ids (T, k), top-k logits (T, k),
    post-norm features (T, d) or None) where T = len(prompt) + len(continuation) - 1
    positions predict the next token."""
    device = next(model.parameters()).device
    n = len(prompts)
    width = max(len(p) for p in prompts)
    pad = torch.tensor([width - len(p) for p in prompts], device=device)
    ids = torch.tensor([[eos_id] * (width - len(p)) + p for p in prompts], device=device)
    mask = (torch.arange(width, device=device)[None] >= pad[:, None]).long()
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    out = model.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
    cache, hs = out.cache, out.last_hidden_state
    vals, idx = head_topk(model.lm_head, hs, topk)  # (n, width, k), in the model's dtype
    tops = [[(idx[i, int(pad[i]):], vals[i, int(pad[i]):], hs[i, int(pad[i]):] if features else None)]
            for i in range(n)]
    del out, vals, idx, hs
    conts: list[list[int]] = [[] for _ in range(n)]
    live = list(range(n))  # prompt index of each cache row
    nxt = torch.stack([t[0][0][-1, 0] for t in tops])
    next_pos = pos[:, -1] + 1
    for step in range(new_tokens):
        for row, i in enumerate(live):
            conts[i].append(int(nxt[row]))
        keep = [row for row, i in enumerate(live) if conts[i][-1] != eos_id]
        if not keep or step == new_tokens - 1:
            break
        if len(keep) < len(live):  # drop finished rows from the batch and the cache
            sel = torch.tensor(keep, device=device)
            cache.batch_select_indices(sel)
            mask, nxt, next_pos = mask[sel], nxt[sel], next_pos[sel]
            live = [live[row] for row in keep]
        mask = torch.cat([mask, torch.ones(len(live), 1, dtype=mask.dtype, device=device)], 1)
        hs = model.model(input_ids=nxt[:, None], attention_mask=mask, position_ids=next_pos[:, None],
                         cache=cache, use_cache=True).last_hidden_state[:, -1]  # (live, d)
        vals, idx = model.lm_head(hs).topk(topk, dim=-1)  # (live, k)
        for row, i in enumerate(live):
            tops[i].append((idx[row : row + 1], vals[row : row + 1], hs[row : row + 1] if features else None))
        nxt = idx[:, 0]
        next_pos = next_pos + 1
    return [_assemble(tops[i], len(prompts[i]), conts[i], features) for i in range(n)]


# Logits held at once by head_topk: 2**28 elements (1 GiB in fp32). A prefill's full
# (n, width, V) logits would be 9.7 GB for 32 prompts of 500 tokens over Qwen's 151,936
# tokens in fp32, more than the 1.5B's own weights.
LOGIT_BUDGET = 2**28


def head_topk(head, hs: torch.Tensor, topk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(values, ids) of the top-k of head(hs) over the last axis, hs (n, T, d) -> (n, T, k)
    each, computed a block of positions at a time so that at most LOGIT_BUDGET logits
    exist at once."""
    n, width, _ = hs.shape
    step = max(1, LOGIT_BUDGET // (n * head.out_features))
    parts = [head(hs[:, a : a + step]).topk(topk, dim=-1) for a in range(0, width, step)]
    return torch.cat([v for v, _ in parts], 1), torch.cat([i for _, i in parts], 1)


def _assemble(tops: list[tuple], n_prompt: int, cont: list[int], features: bool):
    """One prompt's (continuation, top-k ids (T, k) int32, top-k logits (T, k) fp16,
    features (T, d) fp16 or None) from its per-call pieces, on the CPU."""
    keep_n = n_prompt + len(cont) - 1  # the last token predicts nothing we keep
    ti = torch.cat([t[0] for t in tops]).cpu()
    tv = torch.cat([t[1] for t in tops]).cpu()
    feat = torch.cat([t[2] for t in tops])[:keep_n].cpu().half() if features else None
    return cont, ti[:keep_n].int(), tv[:keep_n].half(), feat


def teacher_data(model, prompts: list[tuple[str, list[int]]], recipe, eos_id: int,
                 desc: str = "target greedy", features: bool = False) -> list[TeacherSeq]:
    """prompts: (domain, token ids). Batches prompts of similar length, in a fixed order.
    recipe: anything with gen_batch, new_tokens and teacher_topk."""
    # prompts of similar length together: little padding in the (compute-bound) prefill
    order = sorted(range(len(prompts)), key=lambda i: (len(prompts[i][1]), i))
    seqs: list[TeacherSeq | None] = [None] * len(prompts)
    bar = tqdm(total=len(prompts), desc=desc, unit="prompt")
    for b in range(0, len(order), recipe.gen_batch):
        chunk = order[b : b + recipe.gen_batch]
        outs = greedy_batch(model, [prompts[i][1] for i in chunk], recipe.new_tokens, eos_id,
                            recipe.teacher_topk, features)
        for i, (cont, ti, tv, feat) in zip(chunk, outs):
            ids = torch.tensor(prompts[i][1] + cont)
            seqs[i] = TeacherSeq(prompts[i][0], ids, len(prompts[i][1]), ti, tv, feat)
        bar.update(len(chunk))
    bar.close()
    return seqs  # type: ignore[return-value]


def dev_data(target, tokenizer, recipe, features: bool = False) -> list[TeacherSeq]:
    """A distilled draft's training data: the target, cast IN PLACE to recipe.teacher_dtype
    (take fp32 copies of its weights first), greedily continues the training prompts
    (prompts.encoded: dev splits + extras, never a test prompt)."""
    target.to(getattr(torch, recipe.teacher_dtype))
    encoded = prompt_pool.encoded(tokenizer, recipe)
    return teacher_data(target, encoded, recipe, tokenizer.eos_token_id, desc="target greedy (dev)",
                        features=features)


def data_summary(seqs: list[TeacherSeq]) -> dict[str, int]:
    """What a draft was trained on, for its metadata file."""
    return {"dev_prompts": len(seqs), "dev_positions": sum(len(s.top_idx) for s in seqs)}


@torch.inference_mode()
def window_seqs(target, stream: torch.Tensor, windows: int, window_tokens: int, topk: int,
                domain: str = "stdlib") -> list[TeacherSeq]:
    """Teacher-forced, no generation: up to `windows` consecutive windows of stream (N,),
    each with the target's top-k logits and features; n_prompt 1, so every row counts as
    continuation."""
    seqs = []
    for w in range(windows):
        ids = stream[w * window_tokens : (w + 1) * window_tokens]
        if len(ids) < window_tokens:
            break
        h = target.model(input_ids=ids[None]).last_hidden_state[0]  # (T, d)
        vals, idx = target.lm_head(h).topk(topk, dim=-1)  # (T, k)
        seqs.append(TeacherSeq(domain, ids, 1, idx[:-1].int(), vals[:-1].half(), h[:-1].half()))
    return seqs
