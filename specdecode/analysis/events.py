"""Proposer events: what a proposer's optional features did (Proposal.events, e.g.
suffix recycling's `recycled`, treelite's `candidate_blocks`, refinement's
`refine_steps`), read from the records' traces.

Per (method, suite, temperature): the total of each event, the share of cycles where
it fired, and tau (tokens per target call) in those cycles against the method's other
cycles. The comparison is descriptive: cycles where an option fires are not a random
sample (recycling fires only after a rejection), so the gap is what the option's cycles
yielded, not its causal effect; the method's speedup against the same method without the
option (a side-by-side run) is the causal number.
"""
from __future__ import annotations

from . import fmt as F


def _cycle_groups(records: list[dict]) -> dict[tuple, dict]:
    """(method, suite, T) -> {"fired": [(tokens, events)], "quiet": [tokens]} over ok records."""
    groups: dict[tuple, dict] = {}
    for r in records:
        if r.get("status") != "ok" or not r.get("trace"):
            continue
        trace = r["trace"]
        if not any(c.get("events") for c in trace):
            continue
        g = groups.setdefault((r["method"], r["suite"], r["temperature"]), {"fired": [], "quiet": []})
        for c in trace:
            emitted = c["emitted"]
            if any((c.get("events") or {}).values()):   # a proposer may report zero counts
                g["fired"].append((emitted, c["events"]))
            else:
                g["quiet"].append(emitted)
    return groups


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def proposer_events(records: list[dict]) -> list[dict]:
    """One row per (method, suite, temperature) whose traces carry events."""
    rows = []
    for (method, suite, t), g in sorted(_cycle_groups(records).items(), key=lambda kv: str(kv[0])):
        totals: dict[str, int] = {}
        for _, events in g["fired"]:
            for name, n in events.items():
                totals[name] = totals.get(name, 0) + int(n)
        cycles = len(g["fired"]) + len(g["quiet"])
        rows.append({
            "method": method, "suite": suite, "temperature": t, "cycles": cycles,
            "fired_cycles": len(g["fired"]), "fired_share": len(g["fired"]) / cycles,
            "events": dict(sorted(totals.items())),
            "tau_fired": _mean([e for e, _ in g["fired"]]), "tau_quiet": _mean(g["quiet"]),
        })
    return rows


HEADERS = ["method", "suite", "T", "cycles", "fired", "events (total)", "tau fired", "tau other"]


def render_events_md(rows: list[dict] | None) -> str:
    if not rows:
        return ""
    table = [[r["method"], r["suite"], F.temperature(r["temperature"]), str(r["cycles"]),
              F.pct(r["fired_share"]), ", ".join(f"{k} {v}" for k, v in r["events"].items()),
              F.num(r["tau_fired"]), F.num(r["tau_quiet"])] for r in rows]
    return ("## Proposer options (events)\n\n"
            "What optional proposer features did, from the traces: `fired` = share of cycles "
            "where an option acted; tau = tokens per target call in those cycles and in the "
            "method's other cycles. Descriptive only: an option fires in chosen cycles (e.g. "
            "after a rejection), so compare the method with its option-off twin in the "
            "headline for the effect.\n\n" + F.md_table(HEADERS, table, 3) + "\n")
