"""Oracle best fixed k per suite: among the methods of one proposer family (same proposer,
verifier, their params and models: a draft model is part of the family) whose controller
is `fixed`, the fastest per (suite, temperature) by tokens/s; every adaptive controller
of the family (any other controller) is shown as a ratio to it. "Oracle": the best
fixed k is known only after the run, so an adaptive controller at ratio >= 1 - TOLERANCE
has matched the best choice one could have made in hindsight (METHODS.md 16: the EWMA
scheduler's research version did not)."""
from __future__ import annotations

import json

from . import fmt as F

TOLERANCE = 0.03  # "within 3% of the oracle best fixed k" (issue 14's goal)
FAMILY_KEYS = ("proposer", "proposer_params", "verifier", "verifier_params", "models")


def _configs(records: list[dict]) -> dict[str, dict]:
    """method -> its resolved loop config with the record's model identities under
    "models" ({role: {name, hash, ...}}: the draft lives there, not in method_config);
    peers and target-only left out."""
    out = {}
    for r in records:
        cfg = r.get("method_config") or {}
        if cfg.get("kind") == "loop" and cfg.get("proposer") not in (None, "none"):
            out.setdefault(r["method"], {**cfg, "models": r.get("models") or cfg.get("models") or {}})
    return out


def _family(cfg: dict) -> str:
    return json.dumps({k: cfg.get(k) for k in FAMILY_KEYS}, sort_keys=True, default=str)


def oracle_fixed_k(cells: list[dict], records: list[dict]) -> list[dict]:
    """One row per (suite, temperature, family) with a fixed-k method and an adaptive one."""
    configs = _configs(records)
    rows = []
    for (suite, t) in dict.fromkeys((c["suite"], c["temperature"]) for c in cells):
        here = [c for c in cells if (c["suite"], c["temperature"]) == (suite, t)
                and c["method"] in configs and c.get("tokens_per_s")]
        for fam in dict.fromkeys(_family(configs[c["method"]]) for c in here):
            mine = [c for c in here if _family(configs[c["method"]]) == fam]
            fixed = [c for c in mine if configs[c["method"]].get("controller", "fixed") == "fixed"]
            adaptive = [c for c in mine if c not in fixed]
            if not fixed or not adaptive:
                continue
            best = max(fixed, key=lambda c: c["tokens_per_s"])
            rows.append({
                "suite": suite, "temperature": t, "proposer": configs[best["method"]]["proposer"],
                "best_method": best["method"], "best_k": configs[best["method"]].get("k"),
                "best_tokens_per_s": best["tokens_per_s"], "best_speedup": best.get("speedup"),
                "fixed_tried": sorted(configs[c["method"]].get("k") for c in fixed),
                "adaptive": [{"method": c["method"], "controller": configs[c["method"]].get("controller"),
                              "ratio": c["tokens_per_s"] / best["tokens_per_s"],
                              "within": c["tokens_per_s"] / best["tokens_per_s"] >= 1 - TOLERANCE}
                             for c in adaptive],
            })
    return rows


HEADERS = ["suite", "T", "best fixed", "k tried", "tok/s", "adaptive", "ratio to oracle",
           f"within {TOLERANCE:.0%}"]


def render_oracle_md(rows: list[dict] | None) -> str:
    if not rows:
        return ""
    table = []
    for r in rows:
        for a in r["adaptive"]:
            table.append([r["suite"], F.temperature(r["temperature"]), f"{r['best_method']} (k = {r['best_k']})",
                          ",".join(map(str, r["fixed_tried"])), F.num(r["best_tokens_per_s"], 1),
                          f"{a['method']} ({a['controller']})", f"{a['ratio']:.3f}x",
                          "yes" if a["within"] else "**no**"])
    return ("## Oracle best fixed k per suite\n\n"
            "The fastest fixed-k method of each proposer per suite and temperature (tokens/s, "
            "known only after the run), and each adaptive controller of the same proposer as a "
            "ratio to it.\n\n" + F.md_table(HEADERS, table, 3) + "\n")
