"""The quality section of report.md and its terminal lines, from summary['quality'].
Formatting only; empty when the summary has no quality (no record was scored)."""
from __future__ import annotations

from typing import Any

from . import fmt as F
from .cells import ALL_SUITES
from .pareto import PARETO_FILE

SIG_MARK = "*"


def _suite(suite: str, markdown: bool) -> str:
    if suite != ALL_SUITES:
        return suite
    return "**all suites**" if markdown else suite


def _interval(value: float | None, ci: list | None, signed: bool = False) -> str:
    if value is None:
        return F.DASH
    form = "+.3f" if signed else ".3f"
    return f"{value:{form}}" + (f" [{ci[0]:{form}}, {ci[1]:{form}}]" if ci else "")


def _p(q: dict[str, Any], t: dict[str, Any], which: str) -> str:
    """p_value or p_holm of a paired test, marked when it is the p judged (config p_shown)
    and below the level."""
    if not t:
        return F.DASH
    mark = which == q["config"]["p_shown"] and t["significant"]
    return F.pvalue(t[which]) + (f" {SIG_MARK}" if mark else "")


def _diff(row: dict[str, Any]) -> str:
    if row["is_baseline"]:
        return "ref"
    t = row["paired"]
    return F.DASH if t is None else _interval(t["mean_diff"], t["diff_ci"], signed=True)


def quality_rows(q: dict[str, Any], markdown: bool = True) -> list[list[str]]:
    out = []
    for r in q["rows"]:
        if not r["n"]:
            continue
        t = r["paired"] or {}
        out.append([r["method"], _suite(r["suite"], markdown), F.temperature(r["temperature"]),
                    ", ".join(r["scorers"]), str(r["n"]), _interval(r["mean"], r["ci"]),
                    str(t.get("n_pairs", F.DASH)), _diff(r), t.get("test", F.DASH),
                    _p(q, t, "p_value"), _p(q, t, "p_holm")])
    return out


QUALITY_HEADERS = ["method", "suite", "T", "scorer", "n", "quality [95% CI]", "pairs",
                   "diff vs baseline [95% CI]", "test", "p", "p (Holm)"]


def _agreement(q: dict[str, Any]) -> str:
    rows = [[r["method"], _suite(r["suite"], True), F.temperature(r["temperature"]),
             str(a["n"]), F.num(a["prefix_match"], 3), F.num(a["chrf"], 3),
             ", ".join(f"`{b}`" for b in a["baselines"])]
            for r in q["rows"] if (a := r["agreement"])]
    if not rows:
        return "No record carries an agreement with target-only.\n"
    return ("**Agreement with target-only** (each output against the baseline's output on "
            "the same item; means):\n\n"
            + F.md_table(["method", "suite", "T", "n", "prefix match", "chrF", "against"],
                         rows, 3) + "\n")


def mismatch_rows(q: dict[str, Any], markdown: bool = True) -> list[list[str]]:
    return [[r["method"], _suite(r["suite"], markdown), F.temperature(r["temperature"]),
             "yes" if r["exact"] else "lossy", f"{m['mismatches']:.0f} / {m['accepted']:.0f}",
             F.pct(m["per_accepted"], 2), F.pct(m["per_drafted"], 2), *_headroom(r.get("headroom"))]
            for r in q["rows"] if (m := r["mismatch"])]


def _headroom(h: dict[str, Any] | None) -> list[str]:
    """tau of its k + 1, decode speedup of the all-accepted ceiling; a dash where the cell
    has no cost model (nothing drafted, or no baseline step time)."""
    if not h:
        return [F.DASH, F.DASH]
    return [f"{F.num(h['tau'])} / {F.num(h['k'] + 1)}",
            f"{F.num(h['decode_speedup'])} / {F.num(h['ceiling'])}"]


def _mismatches(q: dict[str, Any]) -> str:
    rows = mismatch_rows(q)
    if not rows:
        return "No method counts mismatches (no accepted draft tokens with v2 counters).\n"
    return ("**Mismatch acceptance**: accepted draft tokens that the exact rule would have "
            "rejected (exact methods: 0). Headroom: tau against k + 1, and the decode speedup "
            "against its ceiling, the speedup if every drafted token were accepted at the "
            "measured costs c and v(k). No verifier over the same draft and k beats the "
            "ceiling, so ceiling / an exact method's decode speedup bounds what a lossy "
            "rule can gain over it.\n\n"
            + F.md_table(["method", "suite", "T", "exact", "mismatches / accepted",
                          "per accepted", "per drafted", "tau / (k+1)",
                          "decode speedup / ceiling"], rows, 3) + "\n")


def _intro(q: dict[str, Any], plots: list[tuple[str, str]]) -> str:
    cfg = q["config"]
    shown = "Holm-adjusted" if cfg["p_shown"] == "p_holm" else "raw"
    unscored = sum(r["n_unscored"] for r in q["rows"] if r["suite"] != ALL_SUITES)
    text = ("Mean score in [0, 1] over the scored ok records, 95% bootstrap CI over prompts. "
            "The difference is method - baseline on the same items (suite, prompt, seed, T); "
            f"McNemar (binary scorers; exact below {cfg['exact_below']} discordant pairs) or "
            "Wilcoxon signed-rank (continuous scores; p = 1 when all differences are 0). "
            "p (Holm): adjusted across the methods compared in the same suite and T. "
            f"{SIG_MARK} = the {shown} p is below {cfg['level']:g}."
            + (f" Unscored ok records (excluded): {unscored}." if unscored else "") + "\n")
    if any(name == PARETO_FILE for name, _ in plots):
        text += ("\nSpeed vs quality per suite, with the Pareto front: "
                 f"[{PARETO_FILE}]({PARETO_FILE}).\n")
    return text


def quality_md(s: dict[str, Any], plots: list[tuple[str, str]]) -> str:
    """The '## Quality' section; '' when no record was scored."""
    q = s.get("quality")
    if not q:
        return ""
    return "\n".join(["## Quality\n", _intro(q, plots),
                      F.md_table(QUALITY_HEADERS, quality_rows(q), 4) + "\n",
                      _agreement(q), _mismatches(q)])


def quality_term(s: dict[str, Any]) -> list[str]:
    """Brief terminal lines: the pooled cells (every cell when one suite)."""
    q = s.get("quality")
    if not q:
        return []
    suites = {r["suite"] for r in q["rows"]}
    pooled = [r for r in q["rows"]
              if r["n"] and (r["suite"] == ALL_SUITES or ALL_SUITES not in suites)]
    rows = [[r["method"], r["suite"], F.temperature(r["temperature"]), str(r["n"]),
             _interval(r["mean"], r["ci"]), _diff(r),
             _p(q, r["paired"], q["config"]["p_shown"]),
             F.num((r["agreement"] or {}).get("chrf"), 3),
             F.pct((r["mismatch"] or {}).get("per_accepted"), 2)] for r in pooled]
    shown = "p (Holm)" if q["config"]["p_shown"] == "p_holm" else "p"
    return ["", f"Quality vs baseline ({SIG_MARK} = {shown} < {q['config']['level']:g})",
            F.text_table(["method", "suite", "T", "n", "quality [95% CI]", "diff [95% CI]",
                          shown, "chrF", "mismatch/acc"], rows)]
