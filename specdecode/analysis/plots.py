"""PNG plots for the report (matplotlib, Agg backend, imported only when plotting)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..plotting import pyplot, save
from .cells import ALL_SUITES, TRACE_FIELDS, trace_key
from .pareto import PARETO_FILE, pareto_plot

ROLL = 8          # cycles in the trace plot's trailing window
FEW_REACHED = 20  # acceptance points reached by fewer cycles are drawn hollow


def _suite_label(s: str) -> str:
    return "all suites" if s == ALL_SUITES else s


def _pooled(cells: list[dict]) -> list[dict]:
    """One cell per (method, T): the pooled one when there are several suites."""
    has_all = any(c["suite"] == ALL_SUITES for c in cells)
    return [c for c in cells if (c["suite"] == ALL_SUITES) == has_all]


def _label(c: dict, multi_t: bool) -> str:
    return f"{c['method']} (T={c['temperature']:g})" if multi_t else c["method"]


def _multi_t(cells: list[dict]) -> bool:
    return len({c["temperature"] for c in cells}) > 1


def _bars(ax, rows: list[dict], suites: list[str], methods: list[str]) -> None:
    """One group of bars per suite, one bar per method, CI error bars."""
    width = 0.8 / len(methods)
    for j, name in enumerate(methods):
        by_suite = {c["suite"]: c for c in rows if c["method"] == name}
        xs, ys, err = [], [], [[], []]
        for i, s in enumerate(suites):
            if s in by_suite:
                c = by_suite[s]
                lo, hi = c["speedup_ci"] or (c["speedup"], c["speedup"])
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(c["speedup"])
                err[0].append(c["speedup"] - lo)
                err[1].append(hi - c["speedup"])
        ax.bar(xs, ys, width, yerr=err, capsize=2, label=name, color=f"C{j % 10}")
    ax.axhline(1.0, ls="--", color="black", lw=1, label="target-only (1.0x)")
    ax.set_xticks(range(len(suites)), [_suite_label(s) for s in suites], rotation=20, ha="right")
    ax.set_ylabel("speedup vs target-only (x)")
    ax.grid(axis="y", alpha=0.3)


def _pooled_floor(spread: dict | None, t: float) -> float | None:
    """The baseline's pooled noise floor at temperature t (analysis.spread)."""
    rows = [r for r in (spread or {}).get("rows", []) if r["temperature"] == t]
    pooled = [r for r in rows if r["suite"] == ALL_SUITES] or rows[:1]
    return pooled[0]["noise_floor"] if pooled else None


def speedup_bars(cells: list[dict], path: Path, spread: dict | None = None) -> bool:
    """Grouped bars: end-to-end speedup per suite per method with the bootstrap CI; one
    panel per temperature; a grey band 1 +- the baseline's pooled noise floor."""
    rows = [c for c in cells if not c["is_baseline"] and c["speedup"] is not None]
    if not rows:
        return False
    plt = pyplot()
    temps = list(dict.fromkeys(c["temperature"] for c in rows))
    suites = list(dict.fromkeys(c["suite"] for c in rows))
    methods = list(dict.fromkeys(c["method"] for c in rows))
    width = min(14.0, max(6.0, 0.3 * len(suites) * len(methods) + 2.5))
    fig, axes = plt.subplots(len(temps), 1, figsize=(width, 3.8 * len(temps)), squeeze=False,
                             sharey=True, constrained_layout=True)
    for ax, t in zip(axes[:, 0], temps):
        _bars(ax, [c for c in rows if c["temperature"] == t], suites, methods)
        floor = _pooled_floor(spread, t)
        if floor:
            ax.axhspan(1.0 - floor, 1.0 + floor, color="gray", alpha=0.2, lw=0,
                       label=f"baseline spread (±{100 * floor:.1f}%)")
        ax.set_title(f"temperature {t:g}" if len(temps) > 1 else "", fontsize="medium")
    axes[-1, 0].set_xlabel("suite")
    axes[0, 0].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Aggregate end-to-end speedup per suite (95% paired bootstrap CI)")
    save(fig, path, dpi=120, tight=False)
    return True


def acceptance_curves(cells: list[dict], path: Path) -> bool:
    """Per-position acceptance, one panel per suite, one line per method."""
    rows = [c for c in cells if c["per_position_acceptance"]]
    if not rows:
        return False
    plt, multi = pyplot(), _multi_t(cells)
    from matplotlib.ticker import MaxNLocator

    suites = list(dict.fromkeys(c["suite"] for c in rows))
    ncol = min(3, len(suites))
    nrow = -(-len(suites) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.4 * nrow), squeeze=False,
                             sharey=True, constrained_layout=True)
    for ax, suite in zip(axes.flat, suites):
        for c in (c for c in rows if c["suite"] == suite):
            pts = [(i, a, n) for i, (a, n) in enumerate(zip(c["per_position_acceptance"],
                                                            c["reached_per_position"]))
                   if a is not None]
            line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], label=_label(c, multi))
            for i, a, n in pts:
                ax.plot(i, a, marker="o", color=line.get_color(),
                        markerfacecolor=line.get_color() if n >= FEW_REACHED else "white")
        ax.set_title(_suite_label(suite))
        ax.set_xlabel("draft position (0 = first drafted token)")
        ax.set_ylim(0, 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("acceptance (accepted / reached)")
    for ax in list(axes.flat)[len(suites):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)),
               fontsize="small")
    fig.suptitle(f"Per-position acceptance (hollow: reached by < {FEW_REACHED} cycles)")
    save(fig, path, dpi=120, tight=False)
    return True


def tau_histograms(cells: list[dict], path: Path) -> bool:
    """Share of cycles emitting n tokens, per method (pooled over suites)."""
    rows = [c for c in _pooled(cells) if c["tau_hist"] and not c["is_baseline"]
            and sum(c["tau_hist"])]
    if not rows:
        return False
    plt, multi = pyplot(), _multi_t(cells)
    n_max = max(len(c["tau_hist"]) for c in rows)
    width = 0.8 / len(rows)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * n_max * max(1, len(rows) / 2)), 4.2),
                           constrained_layout=True)
    for j, c in enumerate(rows):
        hist = np.array(c["tau_hist"] + [0] * (n_max - len(c["tau_hist"])), dtype=float)
        xs = np.arange(n_max) - 0.4 + width * (j + 0.5)
        ax.bar(xs[1:], hist[1:] / hist.sum(), width,
               label=f"{_label(c, multi)} (tau {c['tau']:.2f})")
    ax.set_xticks(range(1, n_max))
    ax.set_xlabel("tokens emitted per cycle (accepted + 1)")
    ax.set_ylabel("share of cycles")
    ax.set_title("Tokens per target call (tau) distribution, all suites")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    save(fig, path, dpi=120, tight=False)
    return True


def _scatter_legend(plt, ax, methods, suites, colors, markers) -> None:
    """Colors name methods, shapes name suites, fill names the prediction's k."""
    line = plt.Line2D
    handles = [line([], [], ls="", marker="o", color=colors[i % len(colors)], label=m)
               for i, m in enumerate(methods)]
    handles += [line([], [], ls="", marker=markers[i % len(markers)], color="black",
                     label=_suite_label(s)) for i, s in enumerate(suites)]
    handles += [line([], [], ls="", marker="o", color="black", label="k asked (filled)"),
                line([], [], ls="", marker="o", markerfacecolor="none", color="black",
                     label="k drafted (hollow)"),
                line([], [], ls="--", color="gray", label="measured = predicted")]
    ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              ncol=_legend_columns(len(handles)))


LEGEND_ROWS = 24  # entries per legend column before another column starts


def _legend_columns(n: int) -> int:
    return 1 + (n - 1) // LEGEND_ROWS


def _scatter_size(n_handles: int) -> tuple[float, float]:
    """Figure size that leaves the axes their room beside a legend of n entries."""
    ncol = _legend_columns(n_handles)
    rows = -(-n_handles // ncol)
    return 6.8 + 2.4 * (ncol - 1), max(5.0, 0.2 * rows + 1.0)


def _method_colors(plt, n: int) -> list:
    """The default cycle, or n distinct colours where it would repeat (many methods)."""
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return cycle if n <= len(cycle) else [plt.colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, n)]


def measured_vs_predicted(cells: list[dict], path: Path) -> bool:
    """Scatter of measured decode speedup vs Leviathan prediction, y = x reference."""
    rows = [c for c in cells if c["predicted_speedup"] is not None
            and c["decode_speedup"] is not None]
    if not rows:
        return False
    plt, multi = pyplot(), _multi_t(cells)
    markers = "osD^v<>pP*X"
    suites = list(dict.fromkeys(c["suite"] for c in rows))
    methods = list(dict.fromkeys(_label(c, multi) for c in rows))
    colors = _method_colors(plt, len(methods))
    fig, ax = plt.subplots(figsize=_scatter_size(len(methods) + len(suites) + 3), constrained_layout=True)
    for c in rows:
        color = colors[methods.index(_label(c, multi)) % len(colors)]
        marker = markers[suites.index(c["suite"]) % len(markers)]
        ax.scatter(c["predicted_speedup"], c["decode_speedup"], s=45, color=color,
                   marker=marker)
        if c["predicted_speedup_drafted"] is not None:
            ax.scatter(c["predicted_speedup_drafted"], c["decode_speedup"], s=45,
                       facecolors="none", edgecolors=color, marker=marker)
    values = [v for c in rows for v in (c["predicted_speedup"], c["decode_speedup"],
                                        c["predicted_speedup_drafted"]) if v is not None]
    lo, hi = min(values + [1.0]) * 0.85, max(values) * 1.1
    ax.plot([lo, hi], [lo, hi], ls="--", color="gray", lw=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    _scatter_legend(plt, ax, methods, suites, colors, markers)
    ax.set_xlabel("predicted speedup (Leviathan, measured alpha, c, v)")
    ax.set_ylabel("measured decode-phase speedup (x)")
    ax.set_title("Measured vs predicted speedup")
    ax.grid(alpha=0.3)
    save(fig, path, dpi=120, tight=False)
    return True


def _trailing_rate(toks: np.ndarray, secs: np.ndarray) -> np.ndarray:
    """(n,) tokens/s over the last ROLL cycles (fewer at the start): a ratio of sums."""
    ct, cs = np.cumsum(toks), np.cumsum(secs)
    lag_t = np.concatenate([np.zeros(ROLL), ct])[: len(ct)]
    lag_s = np.concatenate([np.zeros(ROLL), cs])[: len(cs)]
    return (ct - lag_t) / np.maximum(cs - lag_s, 1e-12)


def trace_plot(records: list[dict], item: dict | None, path: Path) -> bool:
    """Per-cycle throughput over the generation of one item, one line per method."""
    if item is None:
        return False
    item = tuple(item[f] for f in TRACE_FIELDS)
    rows = [r for r in records if r["status"] == "ok" and r["trace"] and trace_key(r) == item]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.0, 4.4), constrained_layout=True)
    for r in rows:
        x = np.array([c["token_index"] for c in r["trace"]])
        secs = np.array([c["draft_s"] + c["target_s"] + c["overhead_s"] for c in r["trace"]])
        toks = np.array([c["emitted"] for c in r["trace"]], dtype=float)
        label = r["method"]
        line, = ax.plot(x, toks / np.maximum(secs, 1e-12), ls="", marker=".", alpha=0.35)
        ax.plot(x, _trailing_rate(toks, secs), color=line.get_color(), label=label)
    ax.set_xlabel("token index (new tokens committed before the cycle)")
    ax.set_ylabel("tokens/s in the cycle (emitted / cycle time)")
    ax.set_title(f"Per-cycle throughput: {item[0]}/{item[1]}, seed {item[2]}, T={item[3]:g}\n"
                 f"(dots: single cycles; lines: tokens / time over the last {ROLL} cycles)",
                 fontsize="medium")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    save(fig, path, dpi=120, tight=False)
    return True


def write_plots(summary: dict[str, Any], records: list[dict],
                out: Path) -> list[tuple[str, str]]:
    """Write every plot that has data; returns (file name, title) pairs."""
    cells = summary["cells"]
    jobs = [("speedup.png", "Speedup per suite", lambda p: speedup_bars(cells, p, summary.get("spread"))),
            ("acceptance.png", "Per-position acceptance", lambda p: acceptance_curves(cells, p)),
            ("tau_hist.png", "Tokens per cycle (tau)", lambda p: tau_histograms(cells, p)),
            ("predicted.png", "Measured vs predicted speedup",
             lambda p: measured_vs_predicted(cells, p)),
            ("trace.png", "Per-cycle throughput over one generation",
             lambda p: trace_plot(records, summary["trace_item"], p)),
            (PARETO_FILE, "Speed vs quality (Pareto front)", lambda p: pareto_plot(summary, p))]
    return [(name, title) for name, title, draw in jobs if draw(out / name)]
