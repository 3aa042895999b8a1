"""report.md from a summary dict (see summary.build_summary). Formatting only."""
from __future__ import annotations

from typing import Any

from . import fmt as F
from .ratios import render_ratios_md
from .events import render_events_md
from .oracle import render_oracle_md
from .render_quality import quality_md
from .cells import ALL_SUITES

Summary = dict[str, Any]

HEADLINE = ["method", "suite", "T", "ok / err", "tok/s", "speedup [95% CI]",
            "median per-prompt", "decode speedup", "tau", "alpha", "c", "v(k)",
            "predicted", "efficiency", "TTFT med / p90 (ms)", "TPOT (ms)", "exact @T=0"]


def _suite(cell: dict) -> str:
    return "**all suites**" if cell["suite"] == ALL_SUITES else cell["suite"]


def headline_rows(cells: list[dict]) -> list[list[str]]:
    return [[c["method"], _suite(c), F.temperature(c["temperature"]),
             f"{c['n_ok']} / {c['n_err']}", F.num(c["tokens_per_s"], 1), speedup_text(c),
             F.num(c["median_prompt_speedup"]), F.num(c["decode_speedup"]), F.num(c["tau"]),
             F.num(c["alpha"], 3), F.c_value(c), F.num(c["v"]), F.num(c["predicted_speedup"]),
             F.num(c["efficiency"]), f"{F.ms(c['ttft_median'])} / {F.ms(c['ttft_p90'])}",
             F.ms(c["tpot_median"]), F.exactness(c, markdown=True)] for c in cells]


def _inputs(s: Summary) -> str:
    inp = s["inputs"]
    lines = [f"- runs: {', '.join(f'`{p}`' for p in inp['paths'])}",
             f"- records: {inp['n_records']} (superseded by a later line with the same key: "
             f"{inp['superseded']})",
             f"- baseline (proposer 'none'): `{s['baseline']}`" if s["baseline"] else
             "- baseline: **none found** (no method with proposer 'none'): no speedups"]
    versions = inp.get("schema_versions") or {}
    if versions:
        lines.append("- record schema: " + ", ".join(f"v{v}: {n} lines" for v, n in versions.items())
                     + ("" if set(versions) <= {"2"} else
                        " (older versions upgraded on read; what they did not record is "
                        "shown as not recorded)"))
    for path, man in inp["manifests"].items():
        if man:
            keys = ("git_sha", "hardware", "torch_threads", "created")
            info = ", ".join(f"{k}: {man[k]}" for k in keys if k in man)
            lines.append(f"- manifest of `{path}`: {info}")
    return "\n".join(lines)


NOISE_MARK = "‡"


def speedup_text(cell: dict) -> str:
    """The speedup with its CI, marked when the effect it claims is within the noise."""
    return F.speedup_ci(cell) + (f" {NOISE_MARK}" if cell.get("within_noise") else "")


def _ratio_ci(value: float | None, ci: list | None) -> str:
    if value is None:
        return F.DASH
    return f"{value:.3f}x" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _floor(x: float | None) -> str:
    return F.DASH if x is None else f"±{F.pct(x)}"


def spread_rows(spread: dict, markdown: bool = True) -> list[list[str]]:
    return [[_suite(r) if markdown else r["suite"], F.temperature(r["temperature"]),
             f"{r['n_items']} x {r['repeats']}",
             f"{F.pct(r['cv_median'])} / {F.pct(r['cv_max'])}",
             _ratio_ci(r["self_speedup"], r["self_ci"]),
             _ratio_ci(r["vs_reference"], r["vs_reference_ci"])
             + (f" ({r['n_reference']})" if r["vs_reference"] is not None else ""),
             _floor(r["noise_floor"])]
            for r in spread["rows"]]


SPREAD_HEADERS = ["suite", "T", "items x repeats", "CV median / max", "baseline vs itself",
                  "baseline vs hf-greedy (n)", "noise floor"]


def noise_verdict(spread: dict | None) -> str | None:
    """One line on the noise flag; None when there is nothing to say."""
    if not spread or spread["noisy"] is None:
        return None
    small = spread["smallest_claim"]
    if not spread["noisy"]:
        if small is None:
            return ("no claimed effect to check (every speedup CI includes 1.00x, or its "
                    "suite's spread was not measured)")
        return (f"the smallest claimed effect, {small['method']} ({small['suite']}) "
                f"{small['speedup']:.2f}x, is larger than the baseline's spread there "
                f"({_floor(small['noise_floor'])})")
    worst = ", ".join(f"{w['method']} ({w['suite']}) {w['speedup']:.2f}x vs "
                      f"{_floor(w['noise_floor'])}" for w in spread["within_noise"])
    return (f"NOISY RUN: the baseline's own spread is larger than {len(spread['within_noise'])} "
            f"effect(s) this report claims: {worst}")


def _noise_warning(spread: dict | None) -> str:
    if not spread or not spread["noisy"]:
        return ""
    return (f"> **WARNING: {noise_verdict(spread)}.** Those speedups are marked {NOISE_MARK}; "
            "rerun with more `repeats` and prompts on an idle machine (see Spread).\n")


def _spread(spread: dict | None) -> str:
    if not spread:
        return "No baseline: no spread.\n"
    ref = spread["reference"]
    text = ("How far the baseline moves when nothing changes. CV: per item, stdev / mean of "
            "its repetitions' total time. Baseline vs itself: tokens/s of its repetition 1 "
            "over repetition 2, aggregated and bootstrapped like a speedup. Baseline vs "
            + (f"`{ref}`" if ref else "hf-greedy (not in this run)")
            + ": the same greedy computation through transformers' loop, on items with "
            "identical tokens. Noise floor: the largest |x - 1| of those two and their CI "
            f"ends. A speedup whose CI excludes 1.00x but whose |speedup - 1| is below the "
            f"floor is marked {NOISE_MARK} in the headline.\n\n"
            + F.md_table(SPREAD_HEADERS, spread_rows(spread), 2) + "\n")
    verdict = noise_verdict(spread)
    if verdict is None:
        verdict = ("spread not measured: one repetition per item and no hf-greedy run "
                   "(set repeats: 2 or more)")
    return text + f"\nVerdict: {verdict}.\n"


def _warnings(cells: list[dict]) -> str:
    bad = [f"{c['method']} ({_suite(c)}, {c['exact_t0']['mismatched']}/{c['exact_t0']['n']})"
           for c in cells if c["exact_t0"] and c["exact_t0"]["status"] == "NO"]
    if not bad:
        return ""
    return ("> **WARNING: methods that claim to be exact produced output different from the "
            f"baseline at T=0: {'; '.join(bad)}.** Their speedups are not comparable.\n")


def _errors(cells: list[dict]) -> str:
    rows = [[c["method"], c["suite"], F.temperature(c["temperature"]), str(c["n_err"]),
             (c["error_example"] or "")[:120]]
            for c in cells if c["n_err"] and c["suite"] != ALL_SUITES]
    if not rows:
        return "No error records.\n"
    return ("Error records are excluded from every figure above.\n\n"
            + F.md_table(["method", "suite", "T", "errors", "first message"], rows, 3) + "\n")


def _mechanics(cells: list[dict]) -> str:
    rows = [[c["method"], _suite(c), F.num(c["k_mean"]), F.num(c["drafted_per_cycle"]),
             F.pct(c["draft_yield"]), F.num(c["alpha"], 3), F.num(c["tau"]),
             F.num(c["expected_tau"]), F.num(c["expected_tau_positional"]),
             F.c_value(c), F.num(c["v"]), F.num(c["decode_speedup"]),
             F.num(c["predicted_speedup"]), F.num(c["efficiency"]),
             F.num(c["expected_tau_drafted"]), F.num(c["predicted_speedup_drafted"]),
             F.num(c["efficiency_drafted"])]
            for c in cells if c["alpha"] is not None]
    if not rows:
        return "No instrumented speculative method.\n"
    headers = ["method", "suite", "k mean", "drafted/cycle", "draft yield", "alpha", "tau",
               "E[tau] iid", "E[tau] by position", "c", "v(k)", "decode speedup", "predicted",
               "efficiency", "E[tau] drafted", "predicted (drafted)", "efficiency (drafted)"]
    return (F.md_table(headers, rows, 2)
            + "\n\nPredicted / efficiency use k = k mean (the draft length asked); the "
              "(drafted) columns use the lengths actually drafted per cycle, so short "
              "drafts (early stops, n-gram misses) do not count against efficiency.\n")


def _v_by_k(vk: dict[str, list[dict]]) -> str:
    if not vk:
        return "No traces: v(k) by k is not available.\n"
    ks = sorted({r["k"] for rows in vk.values() for r in rows})
    table = []
    for method, rows in vk.items():
        by_k = {r["k"]: r for r in rows}
        table.append([method] + [f"{F.num(by_k[k]['v'])} ({by_k[k]['cycles']})" if k in by_k
                                 else F.DASH for k in ks])
    return ("Cost of a verify call scoring k drafted tokens (k + 1 positions) relative to the "
            "baseline's 1-token call; cycles in parentheses.\n\n"
            + F.md_table(["method"] + [f"k={k}" for k in ks], table) + "\n")


def _projection(p: dict | None) -> str:
    if p is None:
        return "No draft method with a measured c and v: no projection.\n"
    unit = "per cycle" if p["c_per"] == "cycle" else "per drafted token"
    meas = p["measured"]
    head = (f"Predicted speedup for `{p['method']}` ({_suite(p)}): c = {p['c']:.3f} {unit}, "
            f"v(k) = 1 + {p['v_slope']:.3f} k. Measured: alpha = {F.num(meas['alpha'], 3)}, "
            f"k mean = {F.num(meas['k_mean'])}, decode speedup = "
            f"{F.num(meas['decode_speedup'])}.\n\n")
    rows = [[f"{a:g}"] + [F.num(x) for x in row] for a, row in zip(p["alphas"], p["speedup"])]
    return head + F.md_table(["alpha \\ k"] + [str(k) for k in p["ks"]], rows) + "\n"


def _rejection(cells: list[dict]) -> str:
    spec = [c for c in cells if c["alpha"] is not None]
    if not spec:
        return "No instrumented speculative method.\n"
    suites = list(dict.fromkeys(c["suite"] for c in spec))
    methods = list(dict.fromkeys(c["method"] for c in spec))
    rate = {(c["method"], c["suite"]): c["rejection_rate"] for c in spec}
    by_suite = [[m] + [F.pct(rate.get((m, s))) for s in suites] for m in methods]
    pos_rows = [[c["method"], _suite(c), f"{F.pct(t['early_rejection'])} ({t['n_early']})",
                 f"{F.pct(t['late_rejection'])} ({t['n_late']})", F.num(t["z"]),
                 F.pvalue(t["p_value"])]
                for c in spec if (t := c["position_test"])]
    late = spec[0]["position_test"]["late_from"] if spec[0]["position_test"] else 2
    return ("**By suite (domain)**: rejection rate = 1 - alpha.\n\n"
            + F.md_table(["method"] + [s if s != ALL_SUITES else "all suites" for s in suites],
                         by_suite) + "\n\n"
            + f"**By draft position**: position 0 vs positions >= {late} (0-based), pooled "
              "two-proportion z-test. Later positions are reached only after earlier accepts, "
              "so these are conditional rates.\n\n"
            + F.md_table(["method", "suite", "rejection @0 (n)", f"rejection @>={late} (n)",
                          "z", "p"], pos_rows, 2) + "\n\n"
            + "**By token frequency**: not analysed yet (v2 traces store the committed tokens "
              "and, with position_stats: true, the drafted and the target's token at every "
              "checked position).\n")


POSITION_HEADERS = ["method", "suite", "position", "n", "H(q)", "H(p)", "KL(q||p)", "p(x)",
                    "q(x)", "rejection"]
NOT_RECORDED = "not recorded (run with position_stats: true)"


def position_rows(cells: list[dict], markdown: bool = True) -> list[list[str]]:
    return [[c["method"], _suite(c) if markdown else c["suite"], str(r["position"]), str(r["n"]), F.num(r["entropy_q"], 3),
             F.num(r["entropy_p"], 3), F.num(r["kl_qp"], 3), F.num(r["p_x"], 3),
             F.num(r["q_x"], 3), F.pct(r["rejection_rate"])]
            for c in cells for r in c.get("position_stats") or []]


def _positions(cells: list[dict]) -> str:
    spec = [c for c in cells if c["alpha"] is not None]
    if not spec:
        return "No instrumented speculative method.\n"
    have = [c for c in spec if c.get("position_stats")]
    missing = [f"{c['method']} ({_suite(c)})" for c in spec if not c.get("position_stats")]
    if not have:
        return f"Per-position statistics: {NOT_RECORDED}.\n"
    text = ("Means over the checked draft positions (1 = the first drafted token; 'all' = "
            "pooled). x is the drafted token; H in nats; p and q at temperature 1. Later "
            "positions are reached only after earlier accepts.\n\n"
            + F.md_table(POSITION_HEADERS, position_rows(have), 2) + "\n")
    if missing:
        text += f"\nPer-position statistics {NOT_RECORDED} for: {', '.join(missing)}.\n"
    return text


def _plots(plots: list[tuple[str, str]]) -> str:
    return "\n".join(f"### {title}\n\n![{title}]({name})\n" for name, title in plots)


def _definitions(s: Summary) -> str:
    return "\n".join(f"- **{k}**: {v}" for k, v in s["definitions"].items()) + "\n"


def render_markdown(s: Summary, plots: list[tuple[str, str]]) -> str:
    """plots: (file name relative to report.md, title)."""
    cells = s["cells"]
    parts = [
        "# specdecode report\n", _inputs(s) + "\n", _warnings(cells),
        _noise_warning(s.get("spread")),
        "## Headline\n",
        "Speedups are vs the baseline on shared items, each item timed by the median of "
        "its repetitions; † = c per cycle (draft-free proposer); "
        f"{NOISE_MARK} = an effect smaller than the baseline's own spread (see Spread). "
        "Efficiency = decode speedup / predicted. Definitions at the end.\n",
        F.md_table(HEADLINE, headline_rows(cells), 3) + "\n",
        render_ratios_md(s.get("ratios") or []),
        render_oracle_md(s.get("oracle_fixed_k")),
        render_events_md(s.get("proposer_events")),
        quality_md(s, plots),
        "## Spread (timing noise)\n", _spread(s.get("spread")),
        "## Errors\n", _errors(cells),
        "## Mechanics vs theory (Leviathan)\n", _mechanics(cells),
        "## Verify cost v(k) from traces\n", _v_by_k(s["v_by_k"]),
        "## Projected speedup\n", _projection(s["projection"]),
        "## Rejection analysis\n", _rejection(cells),
        "## Per-position statistics\n", _positions(cells),
        "## Plots\n", _plots(plots),
        "## Definitions\n", _definitions(s),
    ]
    return "\n".join(p for p in parts if p)
