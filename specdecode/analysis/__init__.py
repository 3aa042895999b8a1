"""Analysis and reports: reads benchmark JSONL only (never loads a model or imports torch).

    from specdecode.analysis import load_runs, build_summary, write_report, AnalysisConfig
    runs = load_runs(["runs/RUN.jsonl"])
    summary = write_report(runs, Path("runs/RUN.report"))   # summary.json, report.md, PNGs

Figures are computed from the records by summary.py (definitions in summary.DEFINITIONS),
metrics.py, theory.py, ratios.py (the goal ratios) and quality.py (scored records, with
quality_stats.py and pareto.py); renderers (render_md, render_term, render_quality, plots)
only format them.
"""
from .config import AnalysisConfig
from .load import RunSet, load_runs
from .report import report_paths, write_report
from .summary import DEFINITIONS, build_summary

__all__ = ["AnalysisConfig", "RunSet", "load_runs", "build_summary", "write_report",
           "report_paths", "DEFINITIONS"]
