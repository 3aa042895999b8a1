"""Records -> the arrays the rejection analysis (`specdecode analyze`) works on. JSONL only.

The unit of every resampling and every test is the PROMPT (suite, prompt_id; its seeds
pooled): positions and cycles within one prompt are not independent, so no test treats
them as if they were. Two tables:

  Prompts  one row per prompt, from the records' counters (v1 records have them too):
           drafted / accepted tokens, per-position reached / accepted counts, new tokens
           and seconds (item time: the median over repetitions, metrics.timing).
  Checks   one row per CHECKED draft position that carries per-position statistics
           (schema v2 traces of a `position_stats: true` run): its prompt, 0-based
           position, outcome, drafted token and the draft's / target's statistics.

Rejection, two definitions (both written into the report):
  rejection rate        1 - accepted / drafted   (by domain: a drafted token that was
                        never checked, after an earlier rejection, counts as rejected)
  rejection given reached  1 - accepted_i / reached_i at position i (by position), and
                        the share of checked positions rejected (by token, by confidence).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SpecDecodeError
from .metrics import timing

Record = dict[str, Any]
STATS = ("p_x", "q_x", "entropy_q", "entropy_p", "kl_qp")   # per-position floats (nan: null)
NEEDS_V2 = ("token-frequency and draft-confidence analyses (and H3) need schema v2 records with "
            "per-position statistics; re-run `specdecode bench` with `position_stats: true` in "
            "the bench config")


@dataclass
class Prompts:
    unit: list[str]            # (P,) "suite/prompt_id"
    suite: np.ndarray          # (P,) str
    drafted: np.ndarray        # (P,) drafted tokens, summed over the prompt's seeds
    accepted: np.ndarray       # (P,)
    reached: np.ndarray        # (P, W) cycles whose position i was checked
    acc_pos: np.ndarray        # (P, W) ... and accepted there
    tokens: np.ndarray         # (P,) new tokens
    seconds: np.ndarray        # (P,) item total_s


@dataclass
class Checks:
    prompt: np.ndarray         # (N,) row index into Prompts
    position: np.ndarray       # (N,) 0-based draft position
    rejected: np.ndarray       # (N,) bool
    draft_token: np.ndarray    # (N,) int
    stats: dict[str, np.ndarray]   # STATS name -> (N,) float, nan where null


def drafting_methods(records: list[Record]) -> list[str]:
    """Methods with ok, instrumented records that drafted at least one token."""
    drafted: dict[str, int] = {}
    for r in records:
        c = r["counters"] if r["status"] == "ok" else None
        if c and c["drafted"] is not None and r["method_config"].get("proposer") != "none":
            drafted[r["method"]] = drafted.get(r["method"], 0) + c["drafted"]
    return [m for m, n in drafted.items() if n > 0]


def _has_positions(rec: Record) -> bool:
    return any(c.get("positions") for c in rec.get("trace") or [])


def choose_method(records: list[Record], name: str | None) -> str:
    """The method analysed: `name`, else the drafting method with per-position statistics
    (then proposer 'draft', then most records) first."""
    methods = drafting_methods(records)
    if name is not None:
        if name not in methods:
            raise SpecDecodeError(f"--method {name}: no ok records that drafted tokens. "
                                  f"Available: {', '.join(methods) or 'none'}")
        return name
    if not methods:
        raise SpecDecodeError("no method in these records drafted any token (only baselines, "
                              "peers or errors); bench a draft method first")

    def rank(m: str) -> tuple:
        recs = [r for r in records if r["method"] == m and r["status"] == "ok"]
        return (any(map(_has_positions, recs)),
                recs[0]["method_config"].get("proposer") == "draft", len(recs))
    return max(methods, key=rank)


def method_records(records: list[Record], method: str, temperature: float | None) -> list[Record]:
    """The method's ok records at one temperature (refused when several and none given)."""
    recs = [r for r in records if r["method"] == method and r["status"] == "ok"]
    temps = sorted({r["temperature"] for r in recs})
    if temperature is None and len(temps) > 1:
        raise SpecDecodeError(f"{method} ran at temperatures {', '.join(map(str, temps))}; "
                              "pick one with --temperature T")
    if temperature is not None:
        recs = [r for r in recs if r["temperature"] == temperature]
        if not recs:
            raise SpecDecodeError(f"--temperature {temperature}: {method} has no ok records "
                                  f"there. Available: {', '.join(map(str, temps))}")
    return recs


def _pad(rows: list[list[int]], width: int) -> np.ndarray:
    return np.array([r + [0] * (width - len(r)) for r in rows], dtype=float).reshape(len(rows), width)


def build_prompts(recs: list[Record]) -> Prompts:
    """Sum each prompt's records (its seeds) into one row."""
    order: dict[str, dict] = {}
    for r in recs:
        c = r["counters"]
        row = order.setdefault(f"{r['suite']}/{r['prompt_id']}", {
            "suite": r["suite"], "d": 0, "a": 0, "reach": [], "acc": [], "tok": 0, "sec": 0.0})
        row["d"] += c["drafted"] or 0
        row["a"] += c["accepted"] or 0
        for key, name in (("reach", "reached_per_position"), ("acc", "accepted_per_position")):
            vals = c[name] or []
            row[key] += [0] * (len(vals) - len(row[key]))
            for i, v in enumerate(vals):
                row[key][i] += v
        row["tok"] += c["new_tokens"]
        row["sec"] += timing(r, "total_s")
    rows = list(order.values())
    width = max((len(r["reach"]) for r in rows), default=0)
    return Prompts(unit=list(order), suite=np.array([r["suite"] for r in rows], dtype=object),
                   drafted=np.array([r["d"] for r in rows], dtype=float),
                   accepted=np.array([r["a"] for r in rows], dtype=float),
                   reached=_pad([r["reach"] for r in rows], width),
                   acc_pos=_pad([r["acc"] for r in rows], width),
                   tokens=np.array([r["tok"] for r in rows], dtype=float),
                   seconds=np.array([r["sec"] for r in rows], dtype=float))


def build_checks(recs: list[Record], prompts: Prompts) -> Checks | None:
    """Every checked position with statistics; None when no record has any (v1 records,
    runs without position_stats, proposers whose cycles carry none)."""
    index = {u: i for i, u in enumerate(prompts.unit)}
    cols: dict[str, list] = {k: [] for k in ("prompt", "position", "rejected", "draft_token", *STATS)}
    for r in recs:
        row = index[f"{r['suite']}/{r['prompt_id']}"]
        for cyc in r.get("trace") or []:
            for i, (ok, pos) in enumerate(zip(cyc.get("outcomes") or [], cyc.get("positions") or [])):
                cols["prompt"].append(row)
                cols["position"].append(i)
                cols["rejected"].append(not ok)
                cols["draft_token"].append(pos["draft_token"])
                for k in STATS:
                    cols[k].append(np.nan if pos[k] is None else pos[k])
    if not cols["prompt"]:
        return None
    return Checks(prompt=np.array(cols["prompt"], dtype=int),
                  position=np.array(cols["position"], dtype=int),
                  rejected=np.array(cols["rejected"], dtype=bool),
                  draft_token=np.array(cols["draft_token"], dtype=int),
                  stats={k: np.array(cols[k], dtype=float) for k in STATS})


def outputs_by_prompt(records: list[Record]) -> dict[str, Counter]:
    """Per prompt ("suite/prompt_id"): unigram counts of the ok records' output ids."""
    out: dict[str, Counter] = {}
    for r in records:
        if r["status"] == "ok":
            out.setdefault(f"{r['suite']}/{r['prompt_id']}", Counter()).update(r["output_ids"])
    return out


def reference_counts(records: list[Record], method_recs: list[Record]) -> tuple[dict[str, Counter], str]:
    """Unigram counts (per prompt) that rank drafted tokens, and where they came from: the
    baseline's outputs (proposer 'none': the target's own), else the analysed method's
    outputs when it is exact, else every ok record's outputs."""
    base = [r for r in records if r["method_config"].get("proposer") == "none"]
    if any(r["status"] == "ok" for r in base):
        return outputs_by_prompt(base), "the baseline's outputs (target-only)"
    if all(r["exact"] for r in method_recs):
        return outputs_by_prompt(method_recs), "the analysed exact method's outputs"
    return outputs_by_prompt(records), "every ok record's outputs"
