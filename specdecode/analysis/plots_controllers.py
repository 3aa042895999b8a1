"""k per cycle of every adaptive method (controller other than `fixed`): the number of
tokens each cycle drafted (for controllers that choose k up front this is the k asked,
less where the budget cut it; for stop-hook controllers, `confidence`, `specdecpp`,
`jointadaspec`, it is where they stopped, which the k asked, their cap, does not show),
over the whole run in record order (prompts one after another, so
estimates carried from prompt to prompt show), one panel per method, one colour per
temperature; thin grey lines mark where a new prompt starts."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting import pyplot, save


FILE = "controllers_k.png"
TITLE = "Draft length k per cycle (adaptive controllers)"


def adaptive_methods(records: list[dict]) -> list[str]:
    cfg = {r["method"]: r.get("method_config") or {} for r in records}
    return [m for m, c in cfg.items()
            if c.get("kind") == "loop" and c.get("controller", "fixed") != "fixed"
            and c.get("proposer") not in (None, "none")]


def k_series(records: list[dict], method: str, temperature: float) -> tuple[np.ndarray, list[int]]:
    """(tokens drafted per cycle over the run, cycle indices where a prompt starts); records
    without `drafted` fall back to the k asked."""
    ks, starts = [], []
    for r in records:
        if r["method"] == method and r["temperature"] == temperature and r["status"] == "ok" and r["trace"]:
            starts.append(len(ks))
            ks += [c.get("drafted", c["k"]) for c in r["trace"]]
    return np.array(ks), starts


def k_per_cycle_plot(records: list[dict], path: Path) -> bool:
    methods = adaptive_methods(records)
    temps = sorted({r["temperature"] for r in records})
    if not methods:
        return False
    plt = pyplot()
    fig, axes = plt.subplots(len(methods), 1, figsize=(10, 1.9 * len(methods) + 0.6), squeeze=False,
                             constrained_layout=True)
    for ax, method in zip(axes[:, 0], methods):
        for j, t in enumerate(temps):
            ks, starts = k_series(records, method, t)
            if len(ks):
                ax.step(np.arange(len(ks)), ks, where="post", lw=0.8, color=f"C{j}", label=f"T={t:g}")
                for s in starts[1:]:
                    ax.axvline(s, color="0.85", lw=0.5, zorder=0)
        ax.set_ylabel("k drafted")
        ax.set_title(method, fontsize="medium", loc="left")
        ax.legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("cycle (over the run, prompts in record order)")
    save(fig, path, tight=False)
    return True


def write_controller_plots(records: list[dict], out: Path) -> list[tuple[str, str]]:
    return [(FILE, TITLE)] if k_per_cycle_plot(records, out / FILE) else []
