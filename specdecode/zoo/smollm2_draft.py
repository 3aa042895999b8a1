"""zoo:smollm2-135m-draft — a 2-layer draft distilled from SmolLM2-135M, with a copy head.

Design, and why (numbers: 2 CPU threads, fp32, measured on a shared, loaded machine):
- Cost. A target 1-token call costs ~41 ms at a 300-token context; the draft must cost
  <= 10% of that. SmolLM2's 49,152 x 576 LM head alone costs ~7 ms per token, so the
  draft keeps a *vocabulary subset* (FR-Spec): the `vocab_subset_size` tokens the target
  predicts most often on the training prompts, written to `specdecode_draft.json`; the
  model wrapper computes logits for those LM-head rows only (q = 0 elsewhere: still
  exact). Per call: ~1.3 ms floor + ~1 ms per decoder layer + ~0.35 ms per 1k subset
  rows, so 2 layers + 6k rows (~4 ms, c ~0.095); 3 layers or 8k rows measured c ~0.11.
- Architecture. A standard LlamaForCausalLM (also usable as a transformers
  assistant_model) with SmolLM2's tokenizer, frozen input embeddings and final norm, and
  decoder layers initialised from target layers (0, 1) (GPU sweep: init (0, 1) 0.41,
  (0, 29) 0.37, one layer 0.37, three layers 0.42 but too slow). Untied head, subset rows
  trained.
- Data. On-policy self-distillation: the target (bf16 for speed) greedily continues the
  training prompts (train_prompts.py: every suite's dev split plus 760 extras from the
  same sources, never a test prompt; 1,688 in all) in one batched, KV-cached loop that
  keeps its top-16 logits at every position; the draft learns them (soft CE on the top-k
  + hard CE on the argmax, prompt positions weighted 0.3), AdamW with warm-up and cosine
  decay. The draft is data-limited (a 1-layer head reached 0.91 on its own training
  sequences, 0.47 on test): going from 520 to 1,688 prompts took the LM's mean test
  acceptance from 0.46 to 0.50.
- Copy head (proposers/draft.py; `copy_head` in specdecode_draft.json). Where the last
  4 (else 3) tokens occurred before, the token that followed is proposed without an LM
  step. measure() on the test splits: where the copy head fires its token is right
  0.75-0.96 of the time, the LM's 0.31-0.71; copying needs capacity a 2-layer draft lacks.
- measure() reports teacher-forced greedy acceptance on the suites' TEST splits (the
  draft's prediction == the target's greedy token along the target's own greedy
  continuation: what greedy speculative decoding accepts per position), with and without
  the copy head, subset coverage and the cost ratio c. The README lists the figures.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from specdecode.errors import SpecDecodeError

from . import train_prompts

SOURCE = "distilled locally from zoo:smollm2-135m on its own greedy outputs (dev splits + extras, no test prompt)"
LICENCE = "Apache-2.0 (derived from SmolLM2-135M-Instruct)"
SUBSET_FILE = "specdecode_draft.json"
SUITES = ("code", "math", "translation", "summarization", "data-to-text", "chat")


@dataclass(frozen=True)
class TeacherRecipe:
    """The teacher data and the optimiser settings both SmolLM2 drafts share (this one and
    zoo:smollm2-135m-eagle). Subclasses are hashed whole by the zoo cache."""

    vocab_subset_size: int = 6144
    suites: tuple[str, ...] = SUITES
    prompts_per_suite: int | None = None  # dev prompts per suite (cap; None = all)
    extra_code: int = 300         # extra training prompts (train_prompts.py): disjoint
    extra_math: int = 200         # from every test split, from the suites' own sources
    extra_summarization: int = 100
    extra_chat: int = 160
    max_prompt_tokens: int = 512  # longer prompts keep their last tokens
    new_tokens: int = 128
    gen_batch: int = 32
    teacher_topk: int = 16
    teacher_dtype: str = "bfloat16"  # data generation only: ~2.5x faster than fp32 on CPU
    batch_tokens: int = 1024  # padded tokens per optimiser step
    max_seq_tokens: int = 640  # training windows end at the sequence end
    lr: float = 3e-3
    warmup_steps: int = 20
    prompt_weight: float = 0.3  # loss weight of prompt positions (continuation: 1)
    hard_weight: float = 0.5  # share of hard CE on the argmax in the loss
    bf16: bool = True  # autocast matmuls to bf16 while training (2x faster on AVX512-BF16)
    threads: int = 2


@dataclass(frozen=True)
class DraftRecipe(TeacherRecipe):
    """Everything the draft depends on; hashed by the zoo cache."""

    n_layers: int = 2
    init_layers: tuple[int, ...] = (0, 1)  # target layers copied into the draft
    train_head: bool = True  # untie the head and train its subset rows
    epochs: int = 5
    weight_decay: float = 0.0
    copy_n_min: int = 3  # copy head (proposers/draft.py): 4- then 3-gram lookup; 0 = none
    copy_n_max: int = 4

RECIPE = DraftRecipe()


# -- teacher data --------------------------------------------------------------------------
@dataclass
class TeacherSeq:
    """One dev prompt and the target's greedy continuation.
    ids: (T,) prompt + continuation; n_prompt: prompt length;
    top_idx / top_val: (T, k) the target's top-k next-token ids / logits at each position;
    feat: (T, d) its post-norm last hidden state there (hidden-state drafts only)."""

    domain: str
    ids: torch.Tensor
    n_prompt: int
    top_idx: torch.Tensor
    top_val: torch.Tensor
    feat: torch.Tensor | None = None


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
    cache, hs = out.past_key_values, out.last_hidden_state
    vals, idx = model.lm_head(hs).topk(topk, dim=-1)  # (n, width, k), in the model's dtype
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
                         past_key_values=cache, use_cache=True).last_hidden_state[:, -1]  # (live, d)
        vals, idx = model.lm_head(hs).topk(topk, dim=-1)  # (live, k)
        for row, i in enumerate(live):
            tops[i].append((idx[row : row + 1], vals[row : row + 1], hs[row : row + 1] if features else None))
        nxt = idx[:, 0]
        next_pos = next_pos + 1
    result = []
    for i in range(n):
        ti = torch.cat([t[0] for t in tops[i]]).cpu()
        tv = torch.cat([t[1] for t in tops[i]]).cpu()
        keep_n = len(prompts[i]) + len(conts[i]) - 1  # the last token predicts nothing we keep
        feat = torch.cat([t[2] for t in tops[i]])[:keep_n].cpu().half() if features else None
        result.append((conts[i], ti[:keep_n].int(), tv[:keep_n].half(), feat))
    return result


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


# -- vocabulary subset ---------------------------------------------------------------------
def choose_subset(seqs: list[TeacherSeq], size: int, vocab_size: int, always=(0, 1, 2)) -> torch.Tensor:
    """The `size` token ids the target predicts most often (argmax at every position,
    counting continuation tokens twice); ties and leftovers go to low ids (BPE merge
    order roughly follows corpus frequency). Returns sorted LongTensor (size,)."""
    counts: Counter[int] = Counter()
    for s in seqs:
        counts.update(s.top_idx[:, 0].tolist())
        counts.update(s.ids[s.n_prompt :].tolist())
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    chosen = list(dict.fromkeys(list(always) + ranked))[:size]
    taken = set(chosen)
    filler = (t for t in range(vocab_size) if t not in taken)
    while len(chosen) < size:
        chosen.append(next(filler))
    return torch.tensor(sorted(chosen), dtype=torch.long)


# -- the draft model -----------------------------------------------------------------------
def make_draft(target, recipe: DraftRecipe):
    """A LlamaForCausalLM with the target's embeddings / final norm and `n_layers`
    decoder layers copied from target layers `init_layers`; untied head if train_head."""
    import copy

    from transformers import LlamaForCausalLM

    if len(recipe.init_layers) != recipe.n_layers:
        raise SpecDecodeError("DraftRecipe.init_layers must name exactly n_layers target layers")
    cfg = copy.deepcopy(target.config)
    cfg.num_hidden_layers = recipe.n_layers
    cfg.tie_word_embeddings = not recipe.train_head
    if hasattr(cfg, "layer_types") and cfg.layer_types is not None:
        cfg.layer_types = cfg.layer_types[: recipe.n_layers]
    draft = LlamaForCausalLM(cfg)
    src = target.model
    draft.model.embed_tokens.weight.data.copy_(src.embed_tokens.weight.data)
    draft.model.norm.load_state_dict(src.norm.state_dict())
    for i, j in enumerate(recipe.init_layers):
        draft.model.layers[i].load_state_dict(src.layers[j].state_dict())
    if recipe.train_head:
        draft.lm_head.weight.data.copy_(src.embed_tokens.weight.data)
    return draft


class SubsetHead(torch.nn.Module):
    """The draft's LM-head rows for the subset: h (.., d) -> logits (.., V')."""

    def __init__(self, weight: torch.Tensor, subset: torch.Tensor, trainable: bool):
        super().__init__()
        self.weight = torch.nn.Parameter(weight[subset].detach().clone(), requires_grad=trainable)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(h, self.weight)


def _subset_map(subset: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(V,) full id -> subset position, -1 outside the subset."""
    m = torch.full((vocab_size,), -1, dtype=torch.long)
    m[subset] = torch.arange(len(subset))
    return m


def _windows(seqs: list[TeacherSeq], recipe: DraftRecipe):
    """Training windows: (ids (L,), top_idx (L, k), top_val (L, k), weight (L,)), each
    the last max_seq_tokens positions of a sequence (the continuation is at its end)."""
    out = []
    for s in seqs:
        n = len(s.top_idx)
        a = max(0, n - recipe.max_seq_tokens)
        w = torch.full((n,), recipe.prompt_weight)
        w[s.n_prompt - 1 :] = 1.0  # positions predicting continuation tokens
        out.append((s.ids[a:n], s.top_idx[a:n], s.top_val[a:n], w[a:n]))
    return out


def _batches(windows, batch_tokens: int, gen: torch.Generator):
    """Length-sorted buckets of windows, padded to batch_tokens; shuffled by `gen`."""
    order = sorted(range(len(windows)), key=lambda i: (len(windows[i][0]), i))
    batches, cur = [], []
    for i in order:
        width = len(windows[i][0])
        if cur and width * (len(cur) + 1) > batch_tokens:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    perm = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[p] for p in perm]


def _collate(windows, idxs, smap: torch.Tensor, device):
    """Right-padded batch: ids (B, L), mask (B, L), tidx (B, L, k) subset ids or -1,
    tval (B, L, k), weight (B, L) (0 on padding)."""
    L = max(len(windows[i][0]) for i in idxs)
    k = windows[idxs[0]][1].shape[1]
    B = len(idxs)
    ids = torch.zeros(B, L, dtype=torch.long)
    mask = torch.zeros(B, L, dtype=torch.long)
    tidx = torch.full((B, L, k), -1, dtype=torch.long)
    tval = torch.zeros(B, L, k)
    wt = torch.zeros(B, L)
    for b, i in enumerate(idxs):
        x, ti, tv, w = windows[i]
        n = len(x)
        ids[b, :n], mask[b, :n], wt[b, :n] = x, 1, w
        tidx[b, :n], tval[b, :n] = smap[ti.long()], tv.float()
    return [t.to(device) for t in (ids, mask, tidx, tval, wt)]


def distill_loss(logits, tidx, tval, wt, hard_weight: float):
    """logits (B, L, V') draft over the subset; tidx/tval (B, L, k) teacher top-k in subset
    coordinates (-1 = outside the subset). Soft CE against the teacher's top-k softmax
    restricted to the subset, plus hard CE on the teacher argmax (if inside the subset)."""
    logq = logits.float().log_softmax(-1)
    inside = tidx >= 0
    tv = tval.masked_fill(~inside, float("-inf"))
    p = tv.softmax(-1).nan_to_num(0.0)  # (B, L, k); all-outside rows become 0
    lq = logq.gather(-1, tidx.clamp(min=0)) * inside
    soft = -(p * lq).sum(-1)
    hard = -lq[..., 0] * inside[..., 0]
    per = (1 - hard_weight) * soft + hard_weight * hard
    return (per * wt).sum() / wt.sum().clamp(min=1e-6)


def optimise(params: list, batches: list, step_loss, recipe, desc: str) -> None:
    """One pass over `batches` (the epochs already laid out): AdamW (recipe.lr, the
    recipe's weight_decay or 0), linear warm-up over recipe.warmup_steps then cosine
    decay, gradients clipped to norm 1, a progress bar. step_loss(batch) -> scalar loss.
    Shared by the standalone and the hidden-state draft trainers."""
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=getattr(recipe, "weight_decay", 0.0))
    total = len(batches)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / recipe.warmup_steps)
                                              * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    bar = tqdm(total=total, desc=desc, unit="step")
    for batch in batches:
        loss = step_loss(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
        bar.update(1)
    bar.close()


def train_draft(draft, seqs: list[TeacherSeq], subset: torch.Tensor, recipe: DraftRecipe,
                seed: int, device="cpu") -> None:
    """Distil in place: only decoder layers (and the subset head rows) are trained."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    draft.to(device).train()
    for p in draft.parameters():
        p.requires_grad_(False)
    for p in draft.model.layers.parameters():
        p.requires_grad_(True)
    head = SubsetHead(draft.get_output_embeddings().weight, subset, recipe.train_head).to(device)
    params = [p for p in draft.parameters() if p.requires_grad] + [p for p in head.parameters() if p.requires_grad]
    smap = _subset_map(subset, draft.config.vocab_size)
    windows = _windows(seqs, recipe)
    plan = [b for _ in range(recipe.epochs) for b in _batches(windows, recipe.batch_tokens, gen)]

    def step_loss(idxs):
        ids, mask, tidx, tval, wt = _collate(windows, idxs, smap, device)
        with torch.autocast(torch.device(device).type, torch.bfloat16, enabled=recipe.bf16):
            logits = head(draft.model(input_ids=ids, attention_mask=mask).last_hidden_state)
        return distill_loss(logits, tidx, tval, wt, recipe.hard_weight)

    optimise(params, plan, step_loss, recipe, "distil draft")
    if recipe.train_head:
        with torch.no_grad():
            draft.get_output_embeddings().weight[subset.to(device)] = head.weight.detach()
    draft.eval().cpu()


# -- measurement ---------------------------------------------------------------------------
@torch.inference_mode()
def acceptance(draft, seqs: list[TeacherSeq], subset: torch.Tensor,
               copy_head: tuple[int, int] | None = None) -> dict[str, dict]:
    """Teacher-forced greedy acceptance per domain: share of continuation positions where
    the draft's prediction equals the target's greedy token. With a copy head
    (n_min, n_max) the prediction is the copied token wherever the lookup finds one
    (proposers/draft.py), else the LM's argmax over the subset. Also: `lm_acceptance`
    (the LM alone), `copy_share` (positions where the copy head fired), `copy_right` and
    `lm_right_where_copied` (how often the copied token / the LM's token was right where
    the copy head fired), `coverage` (target tokens inside the subset)."""
    from ..proposers.draft import copy_token

    device = next(draft.parameters()).device
    w = draft.get_output_embeddings().weight[subset.to(device)]
    inside = torch.zeros(draft.config.vocab_size, dtype=torch.bool)
    inside[subset] = True
    stats: dict[str, Counter] = {}
    for s in seqs:
        h = draft.model(input_ids=s.ids[None].to(device)).last_hidden_state[0]
        pred = subset[(h[s.n_prompt - 1 : -1] @ w.T).argmax(-1).cpu()].tolist()
        ids = s.ids.tolist()
        row = stats.setdefault(s.domain, Counter())
        for j, t in enumerate(range(s.n_prompt, len(ids))):
            copied = copy_token(ids[:t], *copy_head) if copy_head else None
            lm_ok = pred[j] == ids[t]
            row.update(n=1, lm=lm_ok, inside=bool(inside[ids[t]]),
                       ok=lm_ok if copied is None else copied == ids[t])
            if copied is not None:  # where the copy head fires: it vs the LM
                row.update(fired=1, copy_ok=copied == ids[t], lm_ok_fired=lm_ok)
    return {d: {"acceptance": r["ok"] / r["n"], "lm_acceptance": r["lm"] / r["n"],
                "copy_share": r["fired"] / r["n"],
                "copy_right": r["copy_ok"] / r["fired"] if r["fired"] else None,
                "lm_right_where_copied": r["lm_ok_fired"] / r["fired"] if r["fired"] else None,
                "coverage": r["inside"] / r["n"], "positions": r["n"]}
            for d, r in stats.items()}


# -- build -------------------------------------------------------------------------------
def _load_target(target_dir: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target_dir = Path(target_dir)
    if not (target_dir / "config.json").is_file():
        raise SpecDecodeError(f"no model in {target_dir}: build it first with `specdecode zoo build smollm2-135m`")
    model = AutoModelForCausalLM.from_pretrained(target_dir, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(target_dir)


def suite_prompts(tokenizer, suites: tuple[str, ...], split: str, n: int | None,
                  max_tokens: int) -> list[tuple[str, list[int]]]:
    """(suite, chat-rendered prompt ids) for the first n items of each suite's split;
    prompts longer than max_tokens keep their last max_tokens tokens."""
    from specdecode.suites import load_suite, render_prompt

    out = []
    for name in suites:
        for item in load_suite(name, split=split, n=n).items:
            ids = tokenizer(render_prompt(item, tokenizer), add_special_tokens=False)["input_ids"]
            out.append((name, ids[-max_tokens:]))
    return out


def build(out_dir: Path, deps: dict[str, Path], seed: int, recipe: DraftRecipe = RECIPE) -> None:
    """Distil the draft from deps['smollm2-135m'] and write an HF model directory plus
    specdecode_draft.json (vocab subset, recipe, build timings) into out_dir."""
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(seed)
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    target, tokenizer = _load_target(deps["smollm2-135m"])
    draft = make_draft(target, recipe)  # copies fp32 weights before the teacher is cast
    target.to(getattr(torch, recipe.teacher_dtype))
    prompts = train_prompts.encoded(tokenizer, recipe)
    seqs = teacher_data(target, prompts, recipe, tokenizer.eos_token_id, desc="target greedy (dev)")
    t_data = time.perf_counter() - t0
    vocab_size = target.config.vocab_size
    del target
    subset = choose_subset(seqs, recipe.vocab_subset_size, vocab_size)
    train_draft(draft, seqs, subset, recipe, seed)
    t_train = time.perf_counter() - t0 - t_data
    draft.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    meta = {"vocab_subset": subset.tolist(), "recipe": asdict(recipe), "seed": seed,
            "dev_prompts": len(prompts), "dev_positions": sum(len(s.top_idx) for s in seqs),
            "data_seconds": round(t_data, 1), "train_seconds": round(t_train, 1)}
    if recipe.copy_n_min > 0:
        meta["copy_head"] = {"n_min": recipe.copy_n_min, "n_max": recipe.copy_n_max}
    (out_dir / SUBSET_FILE).write_text(json.dumps(meta))


def load_subset(draft_dir: Path) -> torch.Tensor:
    path = Path(draft_dir) / SUBSET_FILE
    if not path.is_file():
        raise SpecDecodeError(f"{path} is missing: rebuild with `specdecode zoo build smollm2-135m-draft`")
    return torch.tensor(json.loads(path.read_text())["vocab_subset"], dtype=torch.long)


# -- measurement ---------------------------------------------------------------------------
@torch.inference_mode()
def cost_ratio(target, draft, subset: torch.Tensor, context: list[int], calls: int = 60) -> dict:
    """Median seconds of a 1-token KV-cached forward after `context` (target: full logits;
    draft: hidden state through its subset head rows, as the model wrapper does), calls
    interleaved so both see the same machine load. Returns target_s, draft_s and c."""
    from transformers import DynamicCache

    w = draft.get_output_embeddings().weight[subset].detach()
    ctx = torch.tensor([context])
    caches = {}
    for name, m in (("target", target), ("draft", draft)):
        caches[name] = DynamicCache(config=m.config)
        m.model(input_ids=ctx, past_key_values=caches[name], use_cache=True)
    tok = torch.tensor([[context[-1]]])
    times: dict[str, list[float]] = {"target": [], "draft": []}
    for i in range(calls + 5):
        for name, m in (("target", target), ("draft", draft)):
            t = time.perf_counter()
            if name == "target":
                m(input_ids=tok, past_key_values=caches[name], use_cache=True, logits_to_keep=1)
            else:
                h = m.model(input_ids=tok, past_key_values=caches[name], use_cache=True).last_hidden_state
                F.linear(h[0, -1:], w)
            if i >= 5:  # warm-up calls are not timed
                times[name].append(time.perf_counter() - t)
            caches[name].crop(-1)  # drop the timed token again: same context every call
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    return {"target_s": med["target"], "draft_s": med["draft"], "c": med["draft"] / med["target"]}


def measure(target_dir: Path, draft_dir: Path, suites: tuple[str, ...] = SUITES,
            n_per_suite: int = 16, new_tokens: int = 128, context_tokens: int = 300,
            threads: int = 2) -> dict:
    """Greedy acceptance per suite on the TEST splits (draft argmax == target greedy token,
    teacher-forced along the target's own greedy continuation), subset coverage, and the
    cost ratio c at a ~context_tokens context. Returns {"suites": {name: {...}}, "mean_acceptance",
    "cost": {...}}."""
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    target, tokenizer = _load_target(target_dir)
    draft = AutoModelForCausalLM.from_pretrained(draft_dir, dtype=torch.float32).eval()
    subset = load_subset(draft_dir)
    from ..models.loading import copy_head_of

    recipe = DraftRecipe(new_tokens=new_tokens, gen_batch=8)
    prompts = suite_prompts(tokenizer, suites, "test", n_per_suite, recipe.max_prompt_tokens)
    seqs = teacher_data(target, prompts, recipe, tokenizer.eos_token_id, desc="target greedy (test)")
    per = acceptance(draft, seqs, subset, copy_head_of(Path(draft_dir)))
    context = [t for s in seqs for t in s.ids.tolist()][:context_tokens]
    cost = cost_ratio(target, draft, subset, context)
    mean = sum(v["acceptance"] for v in per.values()) / len(per)
    return {"suites": per, "mean_acceptance": mean, "cost": cost, "n_per_suite": n_per_suite,
            "new_tokens": new_tokens, "context_tokens": len(context)}
