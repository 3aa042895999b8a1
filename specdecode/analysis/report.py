"""Runs -> DIR/summary.json, DIR/report.md and DIR/*.png (the `specdecode report` body)."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .config import AnalysisConfig
from .load import RunSet, load_runs
from .ratios import compute_ratios, ratio_specs
from .render_md import render_markdown
from .summary import build_summary


def _clean(x: Any) -> Any:
    """JSON-safe copy: NaN / inf become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def write_report(runset: RunSet, out: Path, cfg: AnalysisConfig = AnalysisConfig(),
                 baseline: str | None = None, plots: bool = True) -> dict[str, Any]:
    """Compute the summary and write summary.json, report.md and the plots into `out`."""
    summary = build_summary(runset, cfg, baseline)
    summary["ratios"] = compute_ratios(summary["cells"], ratio_specs(runset.manifests))
    summary = _clean(summary)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    figures = []
    if plots:
        from .plots import write_plots  # matplotlib only when plotting

        figures = write_plots(summary, runset.records, out)
    (out / "report.md").write_text(render_markdown(summary, figures))
    return summary


def report_paths(paths: list[str | Path], out: str | Path, **kwargs: Any) -> dict[str, Any]:
    return write_report(load_runs(paths), Path(out), **kwargs)
