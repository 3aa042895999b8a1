"""`specdecode zoo measure`: how good a draft is for a target, before any benchmark run.

Teacher-forced greedy acceptance on each suite's TEST split (the draft's prediction ==
the target's greedy token along the target's own greedy continuation: what greedy
speculative decoding accepts per position), subset coverage, and the cost ratio c. A
standalone draft (kind "lm") is scored with and without its copy head; a hidden-state
draft (kind "feature") by draft step: alpha_s given steps 1..s-1 were accepted, and
`acceptance` = the share of draft positions accepted at k. With --general, the same on
a general set written independently of the suites (suites/general.py), chat-templated
and raw."""
from __future__ import annotations

import torch

from ..suites.general import general_items
from . import features, lm_draft
from .cost import cost_ratio
from .optimise import build_threads
from .prompts import SUITES, prompt_ids, raw_ids, suite_prompts
from .recipe import TeacherRecipe
from .teacher import teacher_data


def measure(target: str, draft: str, suites: tuple[str, ...] = SUITES, n_per_suite: int = 16,
            new_tokens: int = 128, context_tokens: int = 300, threads: int = 2, k: int = 4,
            n_general: int = 0) -> dict:
    """target, draft: model ids (zoo:NAME or a directory). Returns {"suites": {name: {...}},
    "mean_acceptance", "cost": {target_s, draft_s, c}, "n_per_suite", "new_tokens",
    "context_tokens"}, for a hidden-state draft "k", and with n_general > 0 "general"
    (suites/general.py: n_general items per domain, chat-templated and raw; see generalisation())."""
    from ..models import load_model

    with build_threads(threads):
        target_lm, draft_lm = load_model(str(target)), load_model(str(draft))
        tokenizer = target_lm.tokenizer
        teacher = TeacherRecipe(new_tokens=new_tokens, gen_batch=8)
        prompts = suite_prompts(tokenizer, suites, "test", n_per_suite, teacher.max_prompt_tokens)
        if n_general:
            prompts += general_prompts(tokenizer, n_general, teacher.max_prompt_tokens)
        seqs = teacher_data(target_lm.model, prompts, teacher, tokenizer.eos_token_id,
                            desc="target greedy (test)", features=draft_lm.kind == "feature")
        per = _acceptance(target_lm, draft_lm, seqs, k)
        context = [t for s in seqs for t in s.ids.tolist()][:context_tokens]
        cost = cost_ratio(target_lm, draft_lm, context)
    on_suites = {name: row for name, row in per.items() if ":" not in name}
    result = {"suites": on_suites, "mean_acceptance": _mean(on_suites.values()),
              "cost": cost, "n_per_suite": n_per_suite, "new_tokens": new_tokens,
              "context_tokens": len(context)}
    if n_general:
        result["general"] = generalisation(per, n_general)
    return {**result, "k": k} if draft_lm.kind == "feature" else result


def _mean(rows) -> float:
    rows = list(rows)
    return sum(r["acceptance"] for r in rows) / len(rows)


def generalisation(per: dict[str, dict], n: int) -> dict:
    """The general set against the suites' test splits: per-domain rows ("general:D",
    "raw:D"), their means, and the gaps (suites' mean - general's mean; the issue's bound
    is 0.1). Means are over domains, each domain weighted equally as the suites are.
    "domain_gaps_chat" / "domain_gaps_raw": {domain: its suite's acceptance - its general
    one}, for domains measured both ways (a mean within bound can hide one far off)."""
    suites = _mean(r for name, r in per.items() if ":" not in name)
    chat = {name.split(":")[1]: r for name, r in per.items() if name.startswith("general:")}
    raw = {name.split(":")[1]: r for name, r in per.items() if name.startswith("raw:")}
    return {"n_per_domain": n, "chat": chat, "raw": raw,
            "mean_chat": _mean(chat.values()), "mean_raw": _mean(raw.values()),
            "gap_chat": suites - _mean(chat.values()), "gap_raw": suites - _mean(raw.values()),
            "domain_gaps_chat": _domain_gaps(per, chat), "domain_gaps_raw": _domain_gaps(per, raw)}


def _domain_gaps(per: dict[str, dict], general: dict[str, dict]) -> dict[str, float]:
    return {d: per[d]["acceptance"] - row["acceptance"] for d, row in general.items() if d in per}


def _acceptance(target, draft, seqs, k: int) -> dict[str, dict]:
    """Per suite acceptance of either draft kind (see the module docstring)."""
    if draft.kind == "feature":
        emb = target.model.get_input_embeddings().weight.detach()
        per = features.acceptance(draft.net, emb, seqs, draft.subset, steps=k)
        for row in per.values():
            row["acceptance"] = features.acceptance_at_k(row["alpha"])
        return per
    subset = draft.vocab_subset if draft.vocab_subset is not None else torch.arange(draft.vocab_size)
    return lm_draft.acceptance(draft.model, seqs, subset.cpu(), draft.copy_head)


def general_prompts(tokenizer, n: int, max_tokens: int) -> list[tuple[str, list[int]]]:
    """(label, ids): each of general_items(n) chat-templated ("general:DOMAIN") and raw
    ("raw:DOMAIN", the raw text tokenized without a template); long prompts keep their
    last max_tokens tokens."""
    items = general_items(n)
    chat = [(f"general:{domain}", prompt_ids(tokenizer, item, max_tokens)) for domain, item in items]
    raw = [(f"raw:{domain}", raw_ids(tokenizer, item, max_tokens)) for domain, item in items]
    return chat + raw
