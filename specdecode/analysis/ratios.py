"""Side-by-side ratios a benchmark config asks for (its `ratios:` list), e.g. "our n-gram vs
hf-prompt-lookup, tokens/s, goal 1.25x". Each is tokens/s of one method over another on the
same suite cell of the same run (aggregate: total tokens over total time)."""
from __future__ import annotations

from typing import Any

from . import fmt as F
from .cells import ALL_SUITES


def ratio_specs(manifests: dict[str, Any]) -> list[dict]:
    specs, seen = [], set()
    for man in manifests.values():
        for spec in ((man or {}).get("config") or {}).get("ratios") or []:
            key = (spec["label"], spec["num"], spec["den"], spec["suite"])
            if key not in seen:
                seen.add(key)
                specs.append(spec)
    return specs


def compute_ratios(cells: list[dict], specs: list[dict]) -> list[dict]:
    """specs as the config checked them: each names its temperature (bench.config._ratios)."""
    by = {(c["method"], c["suite"], c["temperature"]): c for c in cells}
    suites = {c["suite"] for c in cells if c["suite"] != ALL_SUITES}
    out = []
    for spec in specs:
        suite = ALL_SUITES if spec["suite"] in ("all", ALL_SUITES) else spec["suite"]
        t = float(spec.get("temperature", 0.0))
        if suite == ALL_SUITES and len(suites) == 1 and (spec["num"], suite, t) not in by:
            suite = next(iter(suites))   # a run of one suite has no pooled cell: it is the pool
        num, den = by.get((spec["num"], suite, t)), by.get((spec["den"], suite, t))
        value = None
        if num and den and num.get("tokens_per_s") and den.get("tokens_per_s"):
            value = num["tokens_per_s"] / den["tokens_per_s"]
        goal = spec.get("goal")
        met = None if value is None or goal is None else value >= goal
        out.append({**spec, "value": value, "met": met,
                    "n": min(num["n_ok"], den["n_ok"]) if num and den else 0})
    return out


def ratio_rows(ratios: list[dict], markdown: bool) -> list[list[str]]:
    rows = []
    for r in ratios:
        verdict = "—" if r["met"] is None else ("met" if r["met"] else "**missed**" if markdown else "MISSED")
        rows.append([r["label"], f"{r['num']} / {r['den']}", r["suite"], str(r["n"]),
                     "—" if r["value"] is None else f"{r['value']:.2f}x",
                     "—" if r.get("goal") is None else f">= {r['goal']:.2f}x", verdict])
    return rows


RATIO_HEADERS = ["ratio (tokens/s)", "methods", "suite", "n", "measured", "goal", "verdict"]


def render_ratios_md(ratios: list[dict]) -> str:
    if not ratios:
        return ""
    return ("## Goals: ratios measured side by side in this run\n\n"
            + F.md_table(RATIO_HEADERS, ratio_rows(ratios, True), 3) + "\n")
