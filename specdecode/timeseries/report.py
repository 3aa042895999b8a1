"""`ts report`: a run file -> reports/NAME/report.md + PNGs + summary.json."""
from __future__ import annotations

import json
from pathlib import Path

from ..records import read_records
from . import plots
from .findings import goals, mse_ratio, sensitivity
from .summary import SummaryConfig, summarise

COLUMNS = ("MSE", "MAE", "CRPS", "acceptance", "tau", "ms/forecast", "speedup")
TOP_ROWS = 25   # grid rows shown per data set (all of them are in summary.json)


def _fmt(stat: dict, scale: float = 1.0, digits: int = 3) -> str:
    v = stat["value"]
    if v is None:
        return "—"
    ci = stat["ci"]
    tail = f" [{ci[0] * scale:.{digits}f}, {ci[1] * scale:.{digits}f}]" if ci else ""
    return f"{v * scale:.{digits}f}{tail}"


def _row(r: dict) -> str:
    cells = [_fmt(r["mse"]), _fmt(r["mae"]), _fmt(r["crps"]), _fmt(r["acceptance"], digits=2),
             _fmt(r["tau"], digits=2), _fmt(r["time_s"], 1e3, 1), _fmt(r["speedup"], digits=2)]
    return f"| {r['method']} | {'yes' if r['exact'] else 'no'} | {r['n']} | " + " | ".join(cells) + " |"


def _table(rows: list[dict]) -> list[str]:
    head = "| method | exact | n | " + " | ".join(COLUMNS) + " |"
    return [head, "|" + "---|" * (len(COLUMNS) + 3), *map(_row, rows)]


def _pick(rows: list[dict]) -> list[dict]:
    """Baselines, extra rows, and the TOP_ROWS fastest grid rows."""
    fixed = [r for r in rows if r["config"]["rule"] != "gaussian" or r["config"]["controller"] != "fixed"
             or r["config"]["proposer"] != rows_main_draft(rows)]
    grid = [r for r in rows if r not in fixed]
    grid.sort(key=lambda r: -(r["speedup"]["value"] or 0))
    return fixed + grid[:TOP_ROWS]


def rows_main_draft(rows: list[dict]) -> str | None:
    """The draft with the most grid rows (the sweep's draft)."""
    counts: dict[str, int] = {}
    for r in rows:
        d = r["config"]["proposer"]
        counts[d] = counts.get(d, 0) + (r["config"]["rule"] == "gaussian")
    return max(counts, key=counts.get) if counts else None


def _goal_lines(g: dict) -> list[str]:
    base = g["baseline_mse"]
    out = ["**Goals** (see docs/timeseries.md):"]
    best = g["exact_best"]
    if best is None:
        out.append("- exact, distilled stochastic draft: no such row in this run.")
    else:
        out.append(f"- exact, distilled stochastic draft: best `{best['method']}`: acceptance "
                   f"{_fmt(best['acceptance'], digits=2)}, speedup {_fmt(best['speedup'], digits=2)}, "
                   f"MSE / target-only {mse_ratio(best, base) or float('nan'):.3f}. "
                   f"Settings meeting all three (>= 40%, >= 1.5x, <= 1.10): {len(g['exact_met'])}.")
    if g["lossy_met"]:
        r = g["lossy_met"][0]
        out.append(f"- lossy, >= 2x with MSE within 20%: {len(g['lossy_met'])} settings; fastest "
                   f"`{r['method']}` at {_fmt(r['speedup'], digits=2)}, MSE ratio {mse_ratio(r, base):.3f}.")
    else:
        out.append("- lossy, >= 2x with MSE within 20%: **none** of the settings in this run.")
    for r in g["undistilled"][:3]:
        out.append(f"- undistilled `{r['method']}`: acceptance {_fmt(r['acceptance'], digits=3)}.")
    return out


def _sens_lines(sens: list[dict]) -> list[str]:
    out = ["| knob | rho(MSE) | p | rho(speedup) | p | mean speedup by level |", "|---|---|---|---|---|---|"]
    for e in sens:
        def cell(m):
            return ("—", "—") if e[m] is None else (f"{e[m]['rho']:+.2f}", f"{e[m]['p']:.2g}")
        levels = ", ".join(f"{k:g}: {v.get('speedup', float('nan')):.2f}" for k, v in e["levels"].items())
        out.append(f"| {e['knob']} | {' | '.join(cell('mse'))} | {' | '.join(cell('speedup'))} | {levels} |")
    return out


def _dataset_section(ds: str, info: dict, records: list[dict], out: Path) -> list[str]:
    rows = info["rows"]
    lines = [f"## {ds}", ""]
    if info["errors"]:
        lines.append(f"{info['errors']} error records (not in the tables).")
    lines += _goal_lines(goals(rows)) + [""] + _table(_pick(rows)) + [""]
    lines += ["Knob sensitivity over the grid (Spearman, per setting):", ""] + _sens_lines(sensitivity(rows))
    g = goals(rows)
    overlay = [n for n in ("target-only s=1",
                           g["exact_best"]["method"] if g["exact_best"] else None) if n]
    overlay += [r["method"] for r in rows if r["config"]["rule"] == "draft-only"
                and r["config"]["sigma"] == 1.0][:1]
    recs = [r for r in records if r["suite"] == ds]
    for name, png in (("forecasts", plots.forecasts(recs, overlay, out / f"{ds}-forecasts.png")),
                      ("heatmaps", plots.heatmaps(rows, out / f"{ds}-heatmaps.png")),
                      ("pareto", plots.pareto(rows, out / f"{ds}-pareto.png"))):
        if png is not None:
            lines += ["", f"![{ds} {name}]({png.name})"]
    return lines + [""]


HEADER = """# Speculative forecasting report: {name}

Run file: `{run}`. Errors are in z-scored units (training statistics). CIs: 95% bootstrap
over windows ({n_boot} resamples). Speedup: sum of target-only time / sum of the method's
time on the same windows, target-only at the method's sigma. tau counts patches per target
call after the prefill (shared analysis.metrics). ETTh1 is not available offline; the
hourly series is seattle-temps (vega_datasets), its stand-in.
"""


def write_report(run: Path, out: Path, cfg: SummaryConfig = SummaryConfig(), plots_on: bool = True) -> Path:
    records = [r for r in read_records(run).records]
    summary = summarise(records, cfg)
    out.mkdir(parents=True, exist_ok=True)
    lines = [HEADER.format(name=out.name, run=run, n_boot=cfg.n_boot)]
    for ds, info in summary.items():
        lines += _dataset_section(ds, info, records if plots_on else [], out) if plots_on else \
            [f"## {ds}", *_table(info["rows"]), ""]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    return out / "report.md"
