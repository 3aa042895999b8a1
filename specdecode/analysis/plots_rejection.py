"""PNG plots of the rejection analysis (matplotlib, Agg), drawn from analysis.json's dict.
Returns the file names written; a section without data draws nothing."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting import pyplot, save


def _errbars(rows: list[dict], key: str, scale: float = 1.0):
    """(values, 2 x n error bar lengths) of rows with `key` and `key`_ci."""
    vals = np.array([(r[key] if r[key] is not None else np.nan) * scale for r in rows])
    lo = np.array([(r[key + "_ci"] or [np.nan, np.nan])[0] * scale for r in rows])
    hi = np.array([(r[key + "_ci"] or [np.nan, np.nan])[1] * scale for r in rows])
    return vals, np.clip(np.nan_to_num(np.vstack([vals - lo, hi - vals])), 0.0, None)


def domain_plot(sec: dict, path: Path) -> bool:
    rows = sec["rows"]
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    names = [r["domain"] for r in rows]
    for ax, key, scale, label in ((a1, "rejection", 100.0, "rejection (% of drafted)"),
                                  (a2, "tokens_per_s", 1.0, "tokens/s (end to end)")):
        vals, err = _errbars(rows, key, scale)
        ax.bar(range(len(rows)), vals, yerr=err, capsize=3, color=[f"C{i % 10}" for i in range(len(rows))])
        ax.set_xticks(range(len(rows)), names, rotation=20, ha="right")
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    a1.set_title("rejection by domain (95% prompt-bootstrap CI)")
    a2.set_title("throughput by domain")
    save(fig, path)
    return True


def heatmap(sec: dict, path: Path) -> bool:
    if not sec["positions"]:
        return False
    plt = pyplot()
    m = np.array([[np.nan if v is None else 100 * v for v in row] for row in sec["rejection"]])
    fig, ax = plt.subplots(figsize=(1.2 * len(sec["positions"]) + 3, 0.5 * len(sec["domains"]) + 1.5))
    im = ax.imshow(m, cmap="magma_r", aspect="auto")
    for (i, j), v in np.ndenumerate(m):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8,
                    color="white" if v > 50 else "black")
    ax.set_xticks(range(len(sec["positions"])), sec["positions"])
    ax.set_yticks(range(len(sec["domains"])), sec["domains"])
    ax.set_xlabel("draft position")
    fig.colorbar(im, ax=ax, label="rejection given reached (%)")
    save(fig, path)
    return True


def decile_plot(sec: dict, path: Path) -> bool:
    if not sec.get("available"):
        return False
    plt = pyplot()
    rows = sec["deciles"]
    vals, err = _errbars(rows, "rejection", 100.0)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.errorbar(range(1, 11), vals, yerr=err, fmt="o-", capsize=3)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("unigram-mass decile of the drafted token (1 = commonest, 10 = rarest)")
    ax.set_ylabel("rejection of checked positions (%)")
    ax.grid(alpha=0.3)
    save(fig, path)
    return True


def confidence_plot(sec: dict, path: Path) -> bool:
    shown = {k: v for k, v in (sec.get("stats") or {}).items()
             if k in ("entropy_q", "kl_qp") and v["available"]}
    if not sec.get("available") or not shown:
        return False
    plt = pyplot()
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
    for ax, (name, s) in zip(axes[0], shown.items()):
        mids = [(b["lo"] + b["hi"]) / 2 for b in s["bins"]]
        ax.plot(mids, [100 * b["rejection"] for b in s["bins"]], "o-")
        ax.set_xlabel(f"{name} (nats), quantile bins")
        ax.set_ylabel("rejection (%)")
        ax.set_title(f"{name}: AUC {s['auc']:.2f}")
        ax.grid(alpha=0.3)
    save(fig, path)
    return True


def write_plots(summary: dict, out: Path) -> list[str]:
    done = []
    for name, fn, sec in (("rejection_by_domain.png", domain_plot, summary["domain"]),
                          ("position_heatmap.png", heatmap, summary["position"]),
                          ("frequency_deciles.png", decile_plot, summary["frequency"]),
                          ("confidence.png", confidence_plot, summary["confidence"])):
        if fn(sec, out / name):
            done.append(name)
    return done
