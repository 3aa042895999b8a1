"""The check's plots (matplotlib, Agg): the threshold surface of a table, and speed vs
quality over a bench run's methods (read from its records only)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..plotting import pyplot, save
from ..runio import iter_lines
from .states import CONTINUE, Bins


def threshold_heatmap(bins: Bins, policy: np.ndarray, title: str, path: Path) -> Path:
    """One panel per window position: the chosen threshold over (entropy bin, KL bin);
    blank = continue drafting."""
    plt = pyplot()

    t = np.where(policy == CONTINUE, np.nan, np.asarray(bins.grid)[np.maximum(policy - 1, 0)])
    t = t.reshape(bins.n_h, bins.n_kl, bins.window)                       # (h, kl, pos)
    cols = min(bins.window, 4)
    rows = -(-bins.window // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.6 * rows), squeeze=False)
    for p in range(rows * cols):
        ax = axes[p // cols][p % cols]
        if p >= bins.window:
            ax.axis("off")
            continue
        im = ax.imshow(t[:, :, p], origin="lower", vmin=bins.grid[0], vmax=bins.grid[-1], cmap="viridis")
        ax.set_title(f"pos {p + 1}", fontsize=9)
        ax.set_xlabel("KL bin", fontsize=8)
        ax.set_ylabel("entropy bin", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.7, label="threshold T (blank: continue)")
    fig.suptitle(title, fontsize=10)
    save(fig, path, tight=False)
    return path


def bench_points(runs: Path, temperature: float | None = None) -> list[dict]:
    """Per (method, temperature): tokens/s (sum new tokens / sum decode s) and mean quality
    score over the ok records of a bench run file."""
    cells: dict[tuple, dict] = {}
    for line in iter_lines(runs):  # bytes lines, streamed
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("status") != "ok" or (temperature is not None and r["temperature"] != temperature):
            continue
        c = cells.setdefault((r["method"], r["temperature"]), {"tokens": 0, "s": 0.0, "q": []})
        c["tokens"] += r["counters"]["new_tokens"]
        c["s"] += r["counters"]["decode_s"]
        if r.get("quality"):
            c["q"].append(r["quality"]["score"])
    return [{"method": m, "temperature": t, "tokens_per_s": c["tokens"] / c["s"] if c["s"] else None,
             "quality": float(np.mean(c["q"])) if c["q"] else None} for (m, t), c in sorted(cells.items())]


def pareto_plot(points: list[dict], path: Path) -> Path:
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for pt in points:
        if pt["tokens_per_s"] is None or pt["quality"] is None:
            continue
        joint = pt["method"].startswith("jointadaspec")
        ax.scatter(pt["tokens_per_s"], pt["quality"], marker="o" if joint else "s", s=30 if joint else 20,
                   color="C1" if joint else "C0")
        ax.annotate(f"{pt['method']} T={pt['temperature']:g}", (pt["tokens_per_s"], pt["quality"]), fontsize=6)
    ax.set_xlabel("tokens / s (decode)")
    ax.set_ylabel("quality (mean score)")
    ax.set_title("speed vs quality; orange: jointadaspec over the kappa sweep", fontsize=9)
    save(fig, path)
    return path
