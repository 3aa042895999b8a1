"""report.md from a summary dict (see summary.build_summary). Formatting only."""
from __future__ import annotations

from typing import Any

from . import fmt as F
from .ratios import render_ratios_md
from .cells import ALL_SUITES

Summary = dict[str, Any]

HEADLINE = ["method", "suite", "T", "ok / err", "tok/s", "speedup [95% CI]",
            "median per-prompt", "decode speedup", "tau", "alpha", "c", "v(k)",
            "predicted", "efficiency", "TTFT med / p90 (ms)", "TPOT (ms)", "exact @T=0"]


def _suite(cell: dict) -> str:
    return "**all suites**" if cell["suite"] == ALL_SUITES else cell["suite"]


def headline_rows(cells: list[dict]) -> list[list[str]]:
    return [[c["method"], _suite(c), F.temperature(c["temperature"]),
             f"{c['n_ok']} / {c['n_err']}", F.num(c["tokens_per_s"], 1), F.speedup_ci(c),
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
    for path, man in inp["manifests"].items():
        if man:
            keys = ("git_sha", "hardware", "torch_threads", "created")
            info = ", ".join(f"{k}: {man[k]}" for k in keys if k in man)
            lines.append(f"- manifest of `{path}`: {info}")
    return "\n".join(lines)


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
            + "**By token frequency**: not available: schema v1 records do not store the token "
              "ids at rejections (follow-up: add them to the cycle trace).\n")


def _plots(plots: list[tuple[str, str]]) -> str:
    return "\n".join(f"### {title}\n\n![{title}]({name})\n" for name, title in plots)


def _definitions(s: Summary) -> str:
    return "\n".join(f"- **{k}**: {v}" for k, v in s["definitions"].items()) + "\n"


def render_markdown(s: Summary, plots: list[tuple[str, str]]) -> str:
    """plots: (file name relative to report.md, title)."""
    cells = s["cells"]
    parts = [
        "# specdecode report\n", _inputs(s) + "\n", _warnings(cells),
        "## Headline\n",
        "Speedups are vs the baseline on shared items; † = c per cycle (draft-free "
        "proposer). Efficiency = decode speedup / predicted. Definitions at the end.\n",
        F.md_table(HEADLINE, headline_rows(cells), 3) + "\n",
        render_ratios_md(s.get("ratios") or []),
        "## Errors\n", _errors(cells),
        "## Mechanics vs theory (Leviathan)\n", _mechanics(cells),
        "## Verify cost v(k) from traces\n", _v_by_k(s["v_by_k"]),
        "## Projected speedup\n", _projection(s["projection"]),
        "## Rejection analysis\n", _rejection(cells),
        "## Plots\n", _plots(plots),
        "## Definitions\n", _definitions(s),
    ]
    return "\n".join(p for p in parts if p)
