"""Standalone drafts (a small model of the target's class, zoo:smollm2-135m-draft): initialised from
the target's own layers, distilled on the teacher's top-k over a vocabulary subset, and
scored by teacher-forced greedy acceptance. B batch, L positions, k teacher top-k, V'
subset size."""
from __future__ import annotations

from collections import Counter

import torch

from ..errors import SpecDecodeError
from ..lookup import copy_token
from .batching import length_buckets
from .losses import topk_distill_loss
from .masks import continuation_weights
from .optimise import AdamW, optimise, warmup_times_cosine
from .teacher import TeacherSeq
from .vocab import SubsetHead, inside_mask, subset_map


def make_draft(target, recipe):
    """A model of the target's own class (LlamaForCausalLM for SmolLM2, Qwen2ForCausalLM,
    with its q/k/v biases, for the Qwen pair) with the target's embeddings / final norm
    and recipe.n_layers decoder layers copied from target layers recipe.init_layers; an
    untied head (a copy of the embeddings) if recipe.train_head."""
    import copy

    if len(recipe.init_layers) != recipe.n_layers:
        raise SpecDecodeError("DraftRecipe.init_layers must name exactly n_layers target layers")
    cfg = copy.deepcopy(target.config)
    cfg.num_hidden_layers = recipe.n_layers
    cfg.tie_word_embeddings = not recipe.train_head
    if hasattr(cfg, "layer_types") and cfg.layer_types is not None:
        cfg.layer_types = cfg.layer_types[: recipe.n_layers]
    draft = type(target)(cfg)
    src = target.model
    draft.model.embed_tokens.weight.data.copy_(src.embed_tokens.weight.data)
    draft.model.norm.load_state_dict(src.norm.state_dict())
    for i, j in enumerate(recipe.init_layers):
        draft.model.layers[i].load_state_dict(src.layers[j].state_dict())
    if recipe.train_head:
        draft.lm_head.weight.data.copy_(src.embed_tokens.weight.data)
    return draft


def windows(seqs: list[TeacherSeq], max_seq_tokens: int, prompt_weight: float):
    """Training windows: (ids (L,), top_idx (L, k), top_val (L, k), weight (L,)), each
    the last max_seq_tokens positions of a sequence (the continuation is at its end)."""
    out = []
    for s in seqs:
        n = len(s.top_idx)
        a = max(0, n - max_seq_tokens)
        w = continuation_weights(n, s.n_prompt - 1, prompt_weight)  # position i predicts ids[i+1]
        out.append((s.ids[a:n], s.top_idx[a:n], s.top_val[a:n], w[a:n]))
    return out


def collate(wins, idxs: list[int], smap: torch.Tensor, device):
    """Right-padded batch of windows: ids (B, L), mask (B, L), tidx (B, L, k) subset ids
    or -1, tval (B, L, k), weight (B, L) (0 on padding)."""
    L = max(len(wins[i][0]) for i in idxs)
    k = wins[idxs[0]][1].shape[1]
    B = len(idxs)
    ids = torch.zeros(B, L, dtype=torch.long)
    mask = torch.zeros(B, L, dtype=torch.long)
    tidx = torch.full((B, L, k), -1, dtype=torch.long)
    tval = torch.zeros(B, L, k)
    wt = torch.zeros(B, L)
    for b, i in enumerate(idxs):
        x, ti, tv, w = wins[i]
        n = len(x)
        ids[b, :n], mask[b, :n], wt[b, :n] = x, 1, w
        tidx[b, :n], tval[b, :n] = smap[ti.long()], tv.float()
    return [t.to(device) for t in (ids, mask, tidx, tval, wt)]


def train_draft(draft, seqs: list[TeacherSeq], subset: torch.Tensor, recipe, seed: int,
                device="cpu") -> None:
    """Distil in place: only the decoder layers (and the subset head rows, if
    recipe.train_head) are trained; recipe.epochs of length-bucketed batches."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    draft.to(device).train()
    for p in draft.parameters():
        p.requires_grad_(False)
    for p in draft.model.layers.parameters():
        p.requires_grad_(True)
    head = SubsetHead(draft.get_output_embeddings().weight, subset, recipe.train_head).to(device)
    params = [p for p in [*draft.parameters(), *head.parameters()] if p.requires_grad]
    smap = subset_map(subset, draft.config.vocab_size)
    wins = windows(seqs, recipe.max_seq_tokens, recipe.prompt_weight)
    lengths = [len(w[0]) for w in wins]
    plan = [b for _ in range(recipe.epochs) for b in length_buckets(lengths, recipe.batch_tokens, gen)]

    def step_loss(idxs):
        ids, mask, tidx, tval, wt = collate(wins, idxs, smap, device)
        with torch.autocast(torch.device(device).type, torch.bfloat16, enabled=recipe.bf16):
            logits = head(draft.model(input_ids=ids, attention_mask=mask).last_hidden_state)
        return topk_distill_loss(logits, tidx, tval, wt, recipe.hard_weight)

    lr_at = warmup_times_cosine(recipe.lr, recipe.warmup_steps, len(plan))
    optimise(params, plan, step_loss, len(plan), lr_at, AdamW(weight_decay=recipe.weight_decay), "distil draft")
    if recipe.train_head:
        with torch.no_grad():
            draft.get_output_embeddings().weight[subset.to(device)] = head.weight.detach()
    draft.eval().cpu()


@torch.inference_mode()
def acceptance(draft, seqs: list[TeacherSeq], subset: torch.Tensor,
               copy_head: tuple[int, int] | None = None) -> dict[str, dict]:
    """Teacher-forced greedy acceptance per domain: share of continuation positions where
    the draft's prediction equals the target's greedy token. With a copy head
    (n_min, n_max) the prediction is the copied token wherever the lookup finds one
    (specdecode.lookup.copy_token, as the proposers draft), else the LM's argmax over the
    subset. Also: `lm_acceptance` (the LM alone), `copy_share` (positions where the copy
    head fired), `copy_right` and `lm_right_where_copied` (how often the copied token /
    the LM's token was right where the copy head fired), `coverage` (target tokens inside
    the subset)."""
    device = next(draft.parameters()).device
    head = subset_head(draft, subset.to(device))
    inside = inside_mask(subset, draft.config.vocab_size)
    stats: dict[str, Counter] = {}
    for s in seqs:
        h = draft.model(input_ids=s.ids[None].to(device)).last_hidden_state[0]  # (T, d)
        pred = subset[head(h[s.n_prompt - 1 : -1]).argmax(-1).cpu()].tolist()
        ids = s.ids.tolist()
        row = stats.setdefault(s.domain, Counter())
        for j, t in enumerate(range(s.n_prompt, len(ids))):
            copied = copy_token(ids[:t], *copy_head) if copy_head else None
            lm_ok = pred[j] == ids[t]
            row.update(n=1, lm=lm_ok, inside=bool(inside[ids[t]]),
                       ok=lm_ok if copied is None else copied == ids[t])
            if copied is not None:  # where the copy head fires: it vs the LM
                row.update(fired=1, copy_ok=copied == ids[t], lm_ok_fired=lm_ok)
    return {d: _rates(r) for d, r in stats.items()}


def subset_head(draft, subset: torch.Tensor):
    """hidden (T, d) -> logits (T, V') over the subset's ids. A float head multiplies only
    the subset's rows; an int8 head (models/quantize.py) packs its weight, so it is called
    whole and the subset's columns are picked."""
    head = draft.get_output_embeddings()
    if callable(head.weight):  # torch.ao dynamic Linear: .weight() unpacks, no row indexing
        return lambda h: head(h)[:, subset]
    w = head.weight[subset]  # (V', d)
    return lambda h: h @ w.T


def _rates(r: Counter) -> dict:
    """One domain's counters -> the rates acceptance() reports."""
    fired = r["fired"]
    return {"acceptance": r["ok"] / r["n"], "lm_acceptance": r["lm"] / r["n"],
            "copy_share": fired / r["n"],
            "copy_right": r["copy_ok"] / fired if fired else None,
            "lm_right_where_copied": r["lm_ok_fired"] / fired if fired else None,
            "coverage": r["inside"] / r["n"], "positions": r["n"]}
