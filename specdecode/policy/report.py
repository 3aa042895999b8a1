"""`policy check`'s driver: for each policy file given (or every one in a folder), per
table (greedy, sampled): value-iteration convergence, traces and transition counts,
state visits, the structure conditions (check.py) and a threshold heatmap; with a bench
run file, the speed vs quality Pareto plot. Writes check.md, check.json and PNGs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .check import conditions
from .io import load_policy
from .plots import bench_points, pareto_plot, threshold_heatmap


def policy_files(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        out += sorted(p.glob("*-kappa*.json")) if p.is_dir() else [p]
    return out


def check_file(path: Path, out: Path, min_visits: int) -> dict:
    pol = load_policy(str(path))
    raw = json.loads(path.read_text(encoding="utf-8"))
    entry = {"file": str(path), "kind": pol.kind, "kappa": pol.manifest["kappa"],
             "n_traces": pol.manifest["n_traces"], "tables": {}}
    for mode, table in raw["tables"].items():
        visits = np.asarray(table["visits"])
        conds = conditions(pol.bins, table, min_visits)
        png = threshold_heatmap(pol.bins, np.asarray(table["policy"]), f"{path.stem} ({mode})",
                                out / f"{path.stem}-{mode}.png")
        entry["tables"][mode] = {
            "iterations": table["iterations"], "residual": table["residual"], "c_time": table["c_time"],
            "rate_tokens_per_ms": table["rate"], "n_transitions": table["n_transitions"],
            "states": len(visits), "states_visited": int((visits > 0).sum()),
            f"states_visited_{min_visits}+": int((visits >= min_visits).sum()),
            "visits_min_median_max": [int(visits.min()), float(np.median(visits)), int(visits.max())],
            "visits": visits.tolist(), "conditions": [c.to_json() for c in conds], "heatmap": png.name}
    return entry


def run_check(paths: list[Path], out: Path, runs: Path | None = None, min_visits: int = 5) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    summary = {"min_visits": min_visits, "policies": [check_file(p, out, min_visits) for p in policy_files(paths)]}
    if runs is not None:
        pts = bench_points(runs)
        summary["pareto"] = {"runs": str(runs), "points": pts, "plot": pareto_plot(pts, out / "pareto.png").name}
    (out / "check.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    (out / "check.md").write_text(markdown(summary), encoding="utf-8")
    return summary


def markdown(summary: dict) -> str:
    lines = ["# JointAdaSpec policy check", "",
             f"Conditions count states visited >= {summary['min_visits']} times in the traces.", ""]
    for e in summary["policies"]:
        lines += [f"## {Path(e['file']).name} ({e['kind']}, kappa {e['kappa']:g}, {e['n_traces']} traces)", ""]
        for mode, t in e["tables"].items():
            lines += [f"### {mode}", "",
                      f"- value iteration: {t['iterations']} iterations, final residual {t['residual']:.2e}; "
                      f"c_time {t['c_time']:.4g} tokens/ms, policy rate {t['rate_tokens_per_ms']:.4g}",
                      f"- {t['n_transitions']} transitions; {t['states_visited']}/{t['states']} states visited "
                      f"(min / median / max visits {t['visits_min_median_max']})",
                      f"- threshold surface: {t['heatmap']}", "",
                      "| condition | result | checked | violations (first) |", "|---|---|---|---|"]
            for c in t["conditions"]:
                first = json.dumps(c["violations"][0]) if c["violations"] else ""
                lines.append(f"| {c['name']} | {'passed' if c['passed'] else 'FAILED'} | {c['checked']} | "
                             f"{c['n_violations']}: {first} |")
            lines.append("")
    if "pareto" in summary:
        lines += ["## Speed vs quality", "", f"From {summary['pareto']['runs']}: {summary['pareto']['plot']}", "",
                  "| method | T | tokens/s | quality |", "|---|---|---|---|"]
        for p in summary["pareto"]["points"]:
            tps = "-" if p["tokens_per_s"] is None else f"{p['tokens_per_s']:.2f}"
            q = "-" if p["quality"] is None else f"{p['quality']:.3f}"
            lines.append(f"| {p['method']} | {p['temperature']:g} | {tps} | {q} |")
    return "\n".join(lines) + "\n"
