"""Speed vs quality: the Pareto front and its plot (one panel per suite x temperature).

x = the cell's end-to-end speedup vs the baseline (summary cells), y = its mean quality
(summary['quality'] rows); both higher is better. matplotlib only inside the plot.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..plotting import pyplot, save

PARETO_FILE = "quality_pareto.png"
KIND_MARKERS = {"baseline": "*", "exact": "o", "lossy": "^"}   # target-only, exact, lossy


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """a is at least as fast and as good as b, and strictly better in one."""
    return a[0] >= b[0] and a[1] >= b[1] and a != b


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated (x, y) points, by x ascending (then y descending).
    Equal points are all kept: neither dominates the other."""
    front = [i for i, p in enumerate(points)
             if not any(dominates(q, p) for q in points)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


def pareto_points(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One point per cell with both a speedup and a quality mean: method, suite, T, kind,
    x, x_ci, y, y_ci."""
    speed = {(c["method"], c["suite"], c["temperature"]): c for c in summary["cells"]}
    out = []
    for row in (summary.get("quality") or {}).get("rows", []):
        cell = speed.get((row["method"], row["suite"], row["temperature"]))
        if cell is None or cell["speedup"] is None or row["mean"] is None:
            continue
        kind = "baseline" if row["is_baseline"] else "exact" if row["exact"] else "lossy"
        out.append({"method": row["method"], "suite": row["suite"],
                    "temperature": row["temperature"], "kind": kind,
                    "x": cell["speedup"], "x_ci": cell["speedup_ci"],
                    "y": row["mean"], "y_ci": row["ci"]})
    return out


def _err(value: float, ci: list | None) -> list[list[float]]:
    """(2, 1) error bar lengths below / above `value` (zero without a CI)."""
    lo, hi = ci or (value, value)
    return [[max(value - lo, 0.0)], [max(hi - value, 0.0)]]


def _panel(ax, pts: list[dict], colors: dict[str, str]) -> None:
    """Points with CI bars (quality solid, speedup faint), marker by kind, and the front
    as a step line: each front point's quality holds up to its speedup."""
    for p in pts:
        filled = p["kind"] != "lossy"
        ax.errorbar(p["x"], p["y"], yerr=_err(p["y"], p["y_ci"]), color=colors[p["method"]],
                    capsize=3, lw=1, ls="")
        ax.errorbar(p["x"], p["y"], xerr=_err(p["x"], p["x_ci"]), color=colors[p["method"]],
                    alpha=0.35, lw=1, ls="")
        ax.scatter(p["x"], p["y"], s=160 if p["kind"] == "baseline" else 55, zorder=3,
                   marker=KIND_MARKERS[p["kind"]], edgecolors=colors[p["method"]],
                   facecolors=colors[p["method"]] if filled else "white")
    front = [pts[i] for i in pareto_front([(p["x"], p["y"]) for p in pts])]
    ax.step([p["x"] for p in front], [p["y"] for p in front], where="pre", color="gray",
            ls="--", lw=1.2, zorder=2)
    ax.axvline(1.0, color="black", lw=0.8, ls=":")
    ax.grid(alpha=0.3)


def _legend(plt, fig, methods: list[str], colors: dict[str, str]) -> None:
    line = plt.Line2D
    handles = [line([], [], ls="", marker="s", color=colors[m], label=m) for m in methods]
    handles += [line([], [], ls="", marker="*", markersize=11, color="black",
                     label="target-only"),
                line([], [], ls="", marker="o", color="black", label="exact"),
                line([], [], ls="", marker="^", markerfacecolor="white", color="black",
                     label="lossy"),
                line([], [], ls="--", color="gray", label="Pareto front")]
    fig.legend(handles=handles, loc="outside right upper", fontsize="small")


def pareto_plot(summary: dict[str, Any], path: Path) -> bool:
    """Speedup vs quality per (suite, T), the Pareto front drawn; False without points."""
    from .plots import _suite_label

    pts = pareto_points(summary)
    if not pts:
        return False
    plt = pyplot()
    panels = list(dict.fromkeys((p["suite"], p["temperature"]) for p in pts))
    multi_t = len({t for _, t in panels}) > 1
    methods = list(dict.fromkeys(p["method"] for p in pts))
    colors = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    ncol = min(3, len(panels))
    nrow = -(-len(panels) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol + 1.8, 3.8 * nrow),
                             squeeze=False, constrained_layout=True)
    for ax, (suite, t) in zip(axes.flat, panels):
        _panel(ax, [p for p in pts if (p["suite"], p["temperature"]) == (suite, t)], colors)
        ax.set_title(_suite_label(suite) + (f" (T={t:g})" if multi_t else ""))
        ax.set_xlabel("speedup vs target-only (x)")
    for ax in axes[:, 0]:
        ax.set_ylabel("quality (mean score)")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    _legend(plt, fig, methods, colors)
    fig.suptitle("Speed vs quality (95% bootstrap CIs; dashed: Pareto front)")
    save(fig, path, dpi=120, tight=False)
    return True
