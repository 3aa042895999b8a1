"""PNG plots of a `ts bench` report (matplotlib, Agg; imported only when plotting).

  DATASET-forecasts.png   forecast vs truth for a few windows: target-only, the best
                          exact speculative setting and draft-only, all at its sigma
  DATASET-heatmaps.png    acceptance and speedup over (sigma, K), exact rule
  DATASET-pareto.png      MSE vs speedup of every setting; the Pareto front joined
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting import pyplot, save
from .findings import grid_rows, heat

N_WINDOWS = 3


def forecasts(records: list[dict], methods: list[str], path: Path) -> Path | None:
    """records: the ok records of one data set; methods: up to three names to overlay."""
    by = {(r["method"], r["prompt_id"]): r for r in records if r.get("forecast")}
    windows = sorted({p for m, p in by if m == methods[0]})[:N_WINDOWS]
    if not windows:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(windows), figsize=(5 * len(windows), 3.2), squeeze=False)
    for ax, w in zip(axes[0], windows):
        truth = by[(methods[0], w)]["forecast"]["truth"]
        ax.plot(truth, color="black", lw=2, label="truth")
        for m in methods:
            if (m, w) in by:
                ax.plot(by[(m, w)]["forecast"]["prediction"], lw=1, label=m)
        ax.set_title(w, fontsize=9)
        ax.set_xlabel("step after origin")
    axes[0][0].set_ylabel("z-scored value")
    axes[0][0].legend(fontsize=6)
    save(fig, path)
    return path


def heatmaps(rows: list[dict], path: Path) -> Path | None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    drawn = False
    for ax, metric in zip(axes, ("acceptance", "speedup")):
        sigmas, ks, grid = heat(rows, metric)
        if not sigmas:
            continue
        drawn = True
        im = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
        ax.set_xticks(range(len(ks)), [str(k) for k in ks])
        ax.set_yticks(range(len(sigmas)), [f"{s:g}" for s in sigmas])
        ax.set_xlabel("K (draft patches)")
        ax.set_ylabel("sigma")
        ax.set_title(f"{metric}, exact rule")
        for (i, j), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white", fontsize=8)
        fig.colorbar(im, ax=ax)
    if not drawn:
        plt.close(fig)
        return None
    save(fig, path)
    return path


def pareto(rows: list[dict], path: Path) -> Path | None:
    pts = [(r["speedup"]["value"], r["mse"]["value"], r) for r in rows
           if r["speedup"]["value"] is not None]
    if not pts:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    grid = {id(r) for r in grid_rows(rows)}
    for s, m, r in pts:
        exact = r["exact"]
        ax.scatter(s, m, s=12, alpha=0.6, marker="o" if id(r) in grid else "s",
                   color="tab:green" if exact else "tab:orange")
    front, best = [], np.inf
    for s, m, _ in sorted(pts, key=lambda p: -p[0]):   # fastest first; keep MSE improvements
        if m < best:
            front.append((s, m))
            best = m
    ax.plot(*zip(*sorted(front)), color="black", lw=1, label="Pareto front")
    ax.axvline(1.0, color="grey", lw=0.5)
    ax.set_xlabel("speedup vs target-only (same sigma)")
    ax.set_ylabel("MSE (z-scored)")
    ax.set_title("green: exact, orange: lossy; squares: extra rows")
    ax.legend(fontsize=7)
    save(fig, path)
    return path
