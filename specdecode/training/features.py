"""Hidden-state (EAGLE-style) drafts (models/feature_draft.py): building the net, training
it, and its teacher-forced acceptance.

Drafting is unrolled in training as it runs at decode time ("training-time test"): step 1
rows read the target's features f_i; step s rows read the draft's own step s-1 output for
the previous position, and attend to the step-1 rows of earlier positions plus the
step-2..s rows of their own chain (masks.step_mask), exactly the KV cache the proposer has
when it drafts its s-th token. One extra forward per step over the same sequence.

Sequences are TeacherSeqs with features: ids (T,), feat (T-1, d) the target's post-norm
features, top_idx / top_val (T-1, k) its top-k logits. Row i (0 <= i < T-2) reads
(ids[i+1], feat[i]) and predicts feat[i+1] and ids[i+2]. B batch, L = T - 2 rows.
"""
from __future__ import annotations

import torch

from .batching import length_buckets
from .losses import feature_loss, topk_distill_loss
from .masks import continuation_weights, step_mask
from .optimise import AdamW, optimise, warmup_times_cosine
from .teacher import TeacherSeq
from .vocab import inside_mask, subset_map


def make_net(target, subset: torch.Tensor, n_layers: int):
    """A FeatureDraftNet for `target`: random body layers (seed torch first); final norm
    and head subset rows from the target."""
    from ..models.feature_draft import FeatureDraftNet, body_config

    net = FeatureDraftNet(body_config(target.config, n_layers), len(subset))
    net.body.norm.load_state_dict(target.model.norm.state_dict())
    with torch.no_grad():
        net.head.copy_(target.get_output_embeddings().weight[subset])
    return net


def unrolled(net, emb: torch.Tensor, ids: torch.Tensor, feats: torch.Tensor,
             steps: int) -> list[torch.Tensor]:
    """ids (B, L+2), feats (B, >= L, d) -> [o_1 .. o_steps], each (B, L, d): o_s[:, i] is
    the s-th draft step's guess of feats[:, i+1] (valid for i >= s-1)."""
    from transformers import DynamicCache

    B, L = ids.shape[0], ids.shape[1] - 2
    cache = DynamicCache(config=net.body.config)
    pos = torch.arange(L, device=ids.device)[None].expand(B, L)
    tok = emb[ids[:, 1 : L + 1]]
    outs, prev = [], feats[:, :L]
    for s in range(1, steps + 1):
        inp = prev if s == 1 else torch.cat([prev[:, :1], prev[:, :-1]], 1)  # o_{s-1} at i-1
        mask = step_mask(L, s, ids.device)[None, None].expand(B, 1, L, s * L)
        prev = net(net.rows(tok, inp), cache, pos, mask)
        outs.append(prev)
    return outs


def collate(seqs: list[TeacherSeq], idxs: list[int], smap: torch.Tensor, max_seq: int,
            prompt_weight: float):
    """Right-padded batch of the last max_seq positions of each sequence:
    ids (B, Lp), feats (B, Lp-1, d), tidx (B, Lp-1, k) subset ids or -1, tval (B, Lp-1, k),
    weight (B, Lp-2) of each row by what it predicts (prompt / continuation; 0 = padding)."""
    rows = []
    for i in idxs:
        s = seqs[i]
        a = max(0, len(s.ids) - max_seq)
        rows.append((s.ids[a:], s.feat[a:].float(), smap[s.top_idx[a:].long()], s.top_val[a:].float(),
                     s.n_prompt - a))
    Lp = max(len(r[0]) for r in rows)
    B, d, k = len(rows), rows[0][1].shape[1], rows[0][2].shape[1]
    ids = torch.zeros(B, Lp, dtype=torch.long)
    feats = torch.zeros(B, Lp - 1, d)
    tidx = torch.full((B, Lp - 1, k), -1, dtype=torch.long)
    tval = torch.zeros(B, Lp - 1, k)
    wt = torch.zeros(B, Lp - 2)
    for b, (x, f, ti, tv, n_prompt) in enumerate(rows):
        n = len(x)
        ids[b, :n], feats[b, : n - 1], tidx[b, : n - 1], tval[b, : n - 1] = x, f, ti, tv
        # row i predicts ids[i+2]: rows from n_prompt - 2 on predict the continuation
        wt[b, : n - 2] = continuation_weights(n - 2, max(n_prompt - 2, 0), prompt_weight)
    return ids, feats, tidx, tval, wt


def loss(net, emb, batch, steps: int, reg_weight: float, hard_weight: float) -> torch.Tensor:
    """Mean over steps of: distillation CE on the teacher's top-k (subset head) plus
    reg_weight * smooth-L1 between o_s and the target's next feature."""
    ids, feats, tidx, tval, wt = batch
    L = ids.shape[1] - 2
    total = 0.0
    for s, o in enumerate(unrolled(net, emb, ids, feats, steps), 1):
        w = wt.clone()
        w[:, : s - 1] = 0  # rows without a full chain behind them
        ce = topk_distill_loss(net.logits(o), tidx[:, 1 : L + 1], tval[:, 1 : L + 1], w, hard_weight)
        total = total + ce + reg_weight * feature_loss(o, feats[:, 1 : L + 1], w)
    return total / steps


def train(net, emb, seqs: list[TeacherSeq], subset: torch.Tensor, recipe, seed: int) -> None:
    """recipe.epochs of length-bucketed batches through optimise (no weight decay).
    recipe: max_seq_tokens, epochs, batch_tokens, prompt_weight, bf16, train_steps,
    reg_weight, hard_weight, lr, warmup_steps."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net.train()
    params = [p for p in net.parameters() if p.requires_grad]
    smap = subset_map(subset, emb.shape[0])
    lengths = [len(s.ids[-recipe.max_seq_tokens :]) for s in seqs]
    plan = [b for _ in range(recipe.epochs) for b in length_buckets(lengths, recipe.batch_tokens, gen)]

    def step_loss(idxs):
        batch = collate(seqs, idxs, smap, recipe.max_seq_tokens, recipe.prompt_weight)
        with torch.autocast("cpu", torch.bfloat16, enabled=recipe.bf16):
            return loss(net, emb, batch, recipe.train_steps, recipe.reg_weight, recipe.hard_weight)

    lr_at = warmup_times_cosine(recipe.lr, recipe.warmup_steps, len(plan))
    optimise(params, plan, step_loss, len(plan), lr_at, AdamW(), "train hidden-state draft")
    net.eval()


@torch.inference_mode()
def acceptance(net, emb, seqs: list[TeacherSeq], subset: torch.Tensor,
               steps: int = 4) -> dict[str, dict]:
    """Per domain: alpha_s = P(draft step s's argmax == the target's greedy token | steps
    1..s-1 were accepted), s = 1..steps, over the continuation; and coverage (share of
    those tokens inside the subset)."""
    inside = inside_mask(subset, emb.shape[0])
    smap = subset_map(subset, emb.shape[0])
    stats: dict[str, dict] = {}
    for seq in seqs:
        ids, feats = collate([seq], [0], smap, 1 << 30, 1.0)[:2]
        L = ids.shape[1] - 2
        gold = ids[0, 2:]
        row = stats.setdefault(seq.domain, {"hits": [0] * steps, "n": [0] * steps, "cover": 0, "tokens": 0})
        for s, o in enumerate(unrolled(net, emb, ids, feats, steps)):
            pred = subset[net.logits(o[0]).argmax(-1)]
            sel = torch.arange(L) >= max(seq.n_prompt - 2, s)
            row["hits"][s] += int((pred == gold)[sel].sum())
            row["n"][s] += int(sel.sum())
        cont = gold[torch.arange(L) >= seq.n_prompt - 2]
        row["cover"] += int(inside[cont].sum())
        row["tokens"] += len(cont)
    return {d: {"alpha": [h / max(n, 1) for h, n in zip(r["hits"], r["n"])],
                "coverage": r["cover"] / max(r["tokens"], 1), "positions": r["tokens"]}
            for d, r in stats.items()}


def acceptance_at_k(alphas: list[float]) -> float:
    """Share of evaluated draft positions accepted in greedy decoding at k = len(alphas),
    from conditional per-position rates: sum_s prod_{j<=s} a_j / sum_s prod_{j<s} a_j."""
    reach, accepted, evaluated = 1.0, 0.0, 0.0
    for a in alphas:
        evaluated += reach
        reach *= a
        accepted += reach
    return accepted / evaluated
