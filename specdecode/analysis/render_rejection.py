"""Format the rejection analysis (analysis.json's dict) as Markdown and as a short
terminal summary. Formatting only: every figure comes from the summary."""
from __future__ import annotations

DASH = "—"


def pct(x) -> str:
    return DASH if x is None else f"{100 * x:.1f}%"


def ci_text(ci, fmt=pct) -> str:
    return DASH if not ci else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def effect_text(value, kind: str) -> str:
    if value is None:
        return DASH
    if kind == "pp":
        return f"{100 * value:+.1f} pp"
    if kind == "percent":
        return f"{100 * value:+.0f}%"
    return f"{value:.3f}"


def p_text(p) -> str:
    return DASH if p is None else f"{p:.2g}" if p >= 1e-4 else "<1e-4"


def _table(head: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(map(str, r)) + " |" for r in rows), ""]


def _test_line(res: dict, what: str) -> str:
    if "untestable" in res:
        return f"{what}: not testable ({res['untestable']})."
    kind = res["effect_kind"]
    return (f"{what}: {res['effect_name']} = {effect_text(res['effect'], kind)} "
            f"{ci_text(res['effect_ci'], lambda v: effect_text(v, kind))}, {res['statistic']}, "
            f"p = {p_text(res['p'])}, n = {res['n']} {res['unit']} (uncorrected; see the table).")


def hypotheses_rows(rows: list[dict]) -> list[list]:
    out = []
    for r in rows:
        if not r["testable"]:
            out.append([r["id"], r["text"], DASH, DASH, DASH, DASH, f"not testable: {r['reason']}"])
            continue
        kind = r["effect_kind"]
        out.append([r["id"], r["text"], r["statistic"],
                    f"{r['effect_name']} {effect_text(r['effect'], kind)} "
                    f"{ci_text(r['effect_ci'], lambda v: effect_text(v, kind))}",
                    f"{p_text(r['p'])} (Holm {p_text(r['p_holm'])})", f"{r['n']} {r['unit']}",
                    f"**{r['verdict']}**"])
    return out


def _domain(sec: dict) -> list[str]:
    rows = [[r["domain"], r["prompts"], r["drafted"], pct(r["rejection"]), ci_text(r["rejection_ci"]),
             DASH if r["tokens_per_s"] is None else f"{r['tokens_per_s']:.1f}",
             ci_text(r["tokens_per_s_ci"], lambda v: f"{v:.1f}"),
             DASH if r["tau"] is None else f"{r['tau']:.2f}"] for r in sec["rows"]]
    return ["## 1. By domain", "", "![rejection by domain](rejection_by_domain.png)", "",
            *_table(["domain", "prompts", "drafted", "rejection", "95% CI", "tokens/s", "95% CI", "tau"], rows),
            _test_line(sec["differ"], "Domains differ"), ""]


def _position(sec: dict) -> list[str]:
    head = ["domain", *(f"pos {i}" for i in sec["positions"])]
    rows = [[d, *(f"{pct(v)} (n={n})" for v, n in zip(vals, reached))]
            for d, vals, reached in zip(sec["domains"], sec["rejection"], sec["reached"])]
    return ["## 2. By draft position (rejection given the position was reached)", "",
            "![domain x position](position_heatmap.png)", "", *_table(head, rows),
            _test_line(sec["early_vs_late"], "Early vs late"), ""]


def _label_rows(rows: list[dict]) -> list[list]:
    return [[r["label"], r["checks"], pct(r["rejection"]), ci_text(r["rejection_ci"])] for r in rows]


def _frequency(sec: dict) -> list[str]:
    lines = ["## 3. By token frequency", ""]
    if not sec["available"]:
        return lines + [f"Not available: {sec['reason']}.", ""]
    lines += [f"Unigram counts from {sec['reference']}. Decile 1 = the commonest tokens holding the "
              "first 10% of that mass, 10 = the rarest 10% (and tokens never seen there).", "",
              "![rejection by frequency decile](frequency_deciles.png)", "",
              *_table(["mass decile", "checked", "rejection", "95% CI"], _label_rows(sec["deciles"])),
              _test_line(sec["rare_vs_common"], "Rare vs common"), ""]
    classes = sec["classes"]
    if not classes["available"]:
        return lines + [f"Token classes: not available ({classes['reason']}).", ""]
    return lines + [f"Token classes (tokenizer {classes['tokenizer']}):", "",
                    *_table(["class", "checked", "rejection", "95% CI"], _label_rows(classes["rows"]))]


def _confidence(sec: dict) -> list[str]:
    lines = ["## 4. By draft confidence", ""]
    if not sec["available"]:
        return lines + [f"Not available: {sec['reason']}.", ""]
    rows = [[name, s["checks"], s.get("needs", DASH),
             f"{s['auc']:.3f}" if s["available"] else f"{DASH} ({s['reason']})"]
            for name, s in sec["stats"].items()]
    return lines + ["AUC of each per-position statistic as a predictor of rejection (0.5: none; "
                    "> 0.5: higher values are rejected more). Statistics that need the target's "
                    "distribution are known only after verifying.", "",
                    "![rejection vs draft confidence](confidence.png)", "",
                    *_table(["statistic", "checked", "needs", "AUC"], rows)]


def _compare(cmp: dict) -> list[str]:
    rows = []
    for r in cmp["rows"]:
        a, b = r["a"], r["b"]
        rows.append([r["id"], r["text"], a["verdict"], b["verdict"] if b else "absent",
                     _eff(a), _eff(b) if b else DASH, f"**{r['flip']}**" if r["flip"] else ""])
    return ["## 6. Comparison", "", f"A = this run, B = {cmp['other']} (method {cmp['other_method']}).", "",
            *_table(["id", "hypothesis", "A", "B", "A effect", "B effect", "flag"], rows)]


def _eff(r: dict) -> str:
    return effect_text(r["effect"], r["effect_kind"]) if r["testable"] else DASH


def render_markdown(s: dict) -> str:
    inp = s["inputs"]
    lines = ["# Where drafts are rejected", "",
             f"Records: {inp['path']} ({inp['records']} records; stored schema versions "
             f"{inp['versions']}). Method analysed: **{s['method']}** at T={inp['temperature']} "
             f"({inp['prompts']} prompts). Other drafting methods: {', '.join(inp['other_methods']) or 'none'}.", ""]
    lines += [f"> note: {n}" for n in s["notes"]] + ([""] if s["notes"] else [])
    lines += ["## 5. Hypotheses", "",
              f"Verdicts at alpha = {s['alpha']} after Holm's correction across the testable rows: "
              "supported / falsified = significant in / against the predicted direction, "
              "inconclusive = not significant. Every test resamples or permutes prompts, "
              "never positions.", "",
              *_table(["id", "hypothesis", "statistic", "effect [95% CI]", "p", "n", "verdict"],
                      hypotheses_rows(s["hypotheses"]))]
    if s.get("compare"):
        lines += _compare(s["compare"])
    lines += _domain(s["domain"]) + _position(s["position"])
    lines += _frequency(s["frequency"]) + _confidence(s["confidence"])
    lines += ["## Definitions", "", *(f"- {k}: {v}" for k, v in s["definitions"].items()), ""]
    return "\n".join(lines)


def render_terminal(s: dict) -> str:
    out = [f"method {s['method']}: {s['inputs']['prompts']} prompts, "
           f"rejection by domain: " + ", ".join(f"{r['domain']} {pct(r['rejection'])}"
                                                 for r in s["domain"]["rows"])]
    for r in s["hypotheses"]:
        extra = "" if not r["testable"] else (f" ({effect_text(r['effect'], r['effect_kind'])}, "
                                              f"Holm p = {p_text(r['p_holm'])})")
        out.append(f"  {r['id']} {r['verdict']}{extra}: {r['text']}"
                   + ("" if r["testable"] else f" [{r['reason']}]"))
    for r in (s.get("compare") or {}).get("rows", []):
        if r["flip"]:
            out.append(f"  {r['id']} {r['flip']} in {s['compare']['other']}: "
                       f"{r['a']['verdict']} -> {r['b']['verdict'] if r['b'] else 'absent'}")
    return "\n".join(out)
