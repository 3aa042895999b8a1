"""The four sections of the rejection analysis (by domain, position, token frequency,
draft confidence), each a JSON-ready dict computed from rejection_data's tables.

A section the records cannot support is {"available": false, "reason": ...}; the others
still run (v1 records: domains and positions only).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .metrics import tau
from .rejection_data import NEEDS_V2, STATS
from .rejection_tests import Data, Untestable, domains_differ, early_vs_late, rare_vs_common
from .resample import rate_ci, ratio
from .token_classes import CLASSES, NEEDS_TOKENIZER, classify

N_BINS = 10                 # confidence curves: quantile bins
MIN_CHECKS = 20             # a confidence statistic with fewer finite values is skipped
PREDICTORS = {              # statistic -> what it needs; all are known before verifying except p's
    "entropy_q": "draft only", "q_x": "draft only", "kl_qp": "draft and target",
    "entropy_p": "target", "p_x": "target"}


def _tested(fn, *args, **kwargs) -> dict:
    try:
        return fn(*args, **kwargs)
    except Untestable as why:
        return {"untestable": str(why)}


def by_domain(d: Data, recs: list[dict]) -> dict:
    """Per domain: rejection 1 - accepted/drafted (CI), tokens/s (CI), tau; the test of
    'domains differ'."""
    P = d.prompts
    rows = []
    for s in [*dict.fromkeys(P.suite.tolist()), None]:
        m = np.ones(len(P.unit), bool) if s is None else P.suite == s
        rej, ci = rate_ci(P.drafted[m] - P.accepted[m], P.drafted[m], d.n_boot, d.seed)
        tps, tps_ci = rate_ci(P.tokens[m], P.seconds[m], d.n_boot, d.seed)
        rows.append({"domain": s or "all", "prompts": int(m.sum()), "drafted": int(P.drafted[m].sum()),
                     "rejected": int((P.drafted[m] - P.accepted[m]).sum()),
                     "rejection": rej, "rejection_ci": ci, "tokens_per_s": tps,
                     "tokens_per_s_ci": tps_ci,
                     "tau": tau([r for r in recs if s is None or r["suite"] == s])})
    return {"rows": rows, "differ": _tested(domains_differ, d)}


def by_position(d: Data) -> dict:
    """Rejection given reached at each draft position (1-based), per domain and pooled;
    the early-vs-late test (positions 1-2 vs the rest)."""
    P = d.prompts
    rej = P.reached - P.acc_pos                                   # (P, W)
    names = [*dict.fromkeys(P.suite.tolist()), "all"]
    matrix, reached = [], []
    for s in names:
        m = np.ones(len(P.unit), bool) if s == "all" else P.suite == s
        matrix.append([None if np.isnan(v) else float(v)
                       for v in ratio(rej[m].sum(0), P.reached[m].sum(0))])
        reached.append([int(v) for v in P.reached[m].sum(0)])
    return {"domains": names, "positions": list(range(1, P.reached.shape[1] + 1)),
            "rejection": matrix, "reached": reached, "early_vs_late": _tested(early_vs_late, d)}


def _before(counts: Counter) -> dict[int, float]:
    """token -> the share of the unigram mass held by MORE frequent tokens (ties: by id)."""
    total = sum(counts.values())
    before, run = {}, 0
    for tok, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        before[tok] = run / total
        run += n
    return before


def mass_before(ref: dict[str, Counter], units: list[str], prompt: np.ndarray,
                tokens: np.ndarray) -> np.ndarray:
    """(N,) for each check: its drafted token's mass_before in the reference counts of
    every OTHER prompt (leave one prompt out: an accepted draft token is in its own
    prompt's output, and counting it there would make accepted tokens look commoner,
    i.e. rejection look rarer, by construction). 0 = the commonest; unseen = 1.0."""
    total = sum(ref.values(), Counter())
    out = np.ones(len(tokens))
    for p in np.unique(prompt):
        before = _before(total - ref.get(units[p], Counter()))
        m = prompt == p
        out[m] = [before.get(int(t), 1.0) for t in tokens[m]]
    return out


def _rate_rows(d: Data, labels: np.ndarray, names: list) -> list[dict]:
    """Rejection of checked positions per label value, with prompt-bootstrap CIs."""
    C, n = d.checks, len(d.prompts.unit)
    rows = []
    for i, name in enumerate(names):
        mask = labels == i
        rej = np.bincount(C.prompt, weights=(C.rejected & mask).astype(float), minlength=n)
        cnt = np.bincount(C.prompt, weights=mask.astype(float), minlength=n)
        keep = cnt > 0
        rate, ci = rate_ci(rej[keep], cnt[keep], d.n_boot, d.seed) if keep.any() else (None, None)
        rows.append({"label": name, "checks": int(mask.sum()), "rejection": rate, "rejection_ci": ci})
    return rows


def by_frequency(d: Data, ref_source: str, tokenizer: Path | None, rare_mass: float = 0.2) -> dict:
    """Rejection by the drafted token's unigram-mass decile (1 = the commonest tokens
    holding the first 10% of the reference mass, 10 = the rarest 10% and unseen tokens);
    rare vs common; the token-class split when a tokenizer file is available."""
    if d.checks is None:
        return {"available": False, "reason": NEEDS_V2}
    decile = np.minimum((d.mass_before * 10).astype(int), 9)        # (N,) 0..9
    out = {"available": True, "reference": ref_source,
           "deciles": _rate_rows(d, decile, list(range(1, 11))),
           "rare_vs_common": _tested(rare_vs_common, d, rare_mass=rare_mass)}
    if tokenizer is None:
        out["classes"] = {"available": False, "reason": NEEDS_TOKENIZER}
    else:
        labels = classify(d.checks.draft_token, tokenizer)
        out["classes"] = {"available": True, "tokenizer": str(tokenizer),
                          "rows": _rate_rows(d, labels, list(CLASSES))}
    return out


def _curve(values: np.ndarray, rejected: np.ndarray) -> list[dict]:
    """Rejection per quantile bin of `values` (N_BINS bins; tied edges merge)."""
    edges = np.unique(np.quantile(values, np.linspace(0, 1, N_BINS + 1)))
    if len(edges) < 2:
        return []
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return [{"lo": float(edges[b]), "hi": float(edges[b + 1]), "checks": int((idx == b).sum()),
             "rejection": float(rejected[idx == b].mean())}
            for b in range(len(edges) - 1) if (idx == b).any()]


def by_confidence(d: Data) -> dict:
    """For each per-position statistic: rejection in quantile bins, and the AUC of the
    statistic as a predictor of rejection (0.5 = no information; > 0.5: higher values
    go with rejection, < 0.5: lower values do)."""
    if d.checks is None:
        return {"available": False, "reason": NEEDS_V2}
    from sklearn.metrics import roc_auc_score

    C, out = d.checks, {}
    for name in STATS:
        v = C.stats[name]
        ok = np.isfinite(v)
        y = C.rejected[ok]
        if ok.sum() < MIN_CHECKS or np.ptp(v[ok]) == 0 or y.all() or not y.any():
            out[name] = {"available": False, "checks": int(ok.sum()),
                         "reason": "too few values, constant, or one outcome only"}
            continue
        out[name] = {"available": True, "checks": int(ok.sum()), "needs": PREDICTORS[name],
                     "auc": float(roc_auc_score(y, v[ok])), "bins": _curve(v[ok], y)}
    return {"available": True, "stats": out}
