"""Runs -> DIR/summary.json, DIR/report.md and DIR/*.png (the `specdecode report` body).

The report is written whole or not at all: every file goes to a temporary sibling
directory first, which then replaces DIR by rename, so a failure part-way (a plot that
raises, a kill) leaves the previous report as it was, never a mix of old and new files.
A DIR that also holds files a report does not write (e.g. the run file itself) keeps
them: then the new files are moved in one by one after all of them were written.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from ..errors import SpecDecodeError
from .config import AnalysisConfig
from .events import proposer_events
from .load import RunSet, configuration_of, load_runs, select_runs
from .oracle import oracle_fixed_k
from .ratios import compute_ratios, ratio_specs
from .render_md import render_markdown
from .summary import SUMMARY_FORMAT, build_summary

_FORMAT_FAMILY = SUMMARY_FORMAT.rsplit("/", 1)[0]


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
    """Compute the summary and write summary.json, report.md and the plots into `out`,
    atomically. The runs must hold one configuration (load.select_runs picks one)."""
    runset = select_runs(runset)
    out = Path(out)
    out = out.resolve() if out.is_symlink() else out
    owned, foreign = _existing(out)
    summary = build_summary(runset, cfg, baseline)
    summary["ratios"] = compute_ratios(summary["cells"], ratio_specs(runset.manifests))
    summary["inputs"]["configuration"] = configuration_of(runset)
    summary["oracle_fixed_k"] = oracle_fixed_k(summary["cells"], runset.records)
    summary["proposer_events"] = proposer_events(runset.records)
    summary = _clean(summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    tmp.mkdir()
    try:
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        figures = []
        if plots:
            from .plots import write_plots  # matplotlib only when plotting

            from .plots_controllers import write_controller_plots

            figures = write_plots(summary, runset.records, tmp) + write_controller_plots(runset.records, tmp)
        (tmp / "report.md").write_text(render_markdown(summary, figures))
        _install(tmp, out, owned, foreign)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def check_report_dir(out: Path) -> None:
    """Raise now (before a long run) if a report could not be written to `out`."""
    out = Path(out)
    _existing(out.resolve() if out.is_symlink() else out)


def _existing(out: Path) -> tuple[set[str], set[str]]:
    """(entries of an existing report in `out` that a new report replaces, other entries).
    Refuses a file, and a report.md / summary.json that specdecode did not write."""
    if not out.exists():
        return set(), set()
    if not out.is_dir():
        raise SpecDecodeError(f"{out} exists and is not a directory; pass a directory to --out")
    names = {p.name for p in out.iterdir()}
    owned = set()
    if "summary.json" in names:
        try:
            fmt = json.loads((out / "summary.json").read_text()).get("format", "")
        except (ValueError, AttributeError, UnicodeDecodeError):
            fmt = ""
        if not str(fmt).startswith(_FORMAT_FAMILY):
            raise SpecDecodeError(f"{out / 'summary.json'} was not written by specdecode report; "
                                  "it is left untouched: pass another --out")
        owned.add("summary.json")
    if "report.md" in names:
        if not owned:
            raise SpecDecodeError(f"{out / 'report.md'} was not written by specdecode report "
                                  "(no summary.json beside it); it is left untouched: pass another --out")
        owned.add("report.md")
        linked = re.findall(r"\]\(([^()/\\]+\.png)\)", (out / "report.md").read_text(errors="replace"))
        owned |= {name for name in linked if (out / name).is_file()}
    return owned, names - owned


def _install(tmp: Path, out: Path, owned: set[str], foreign: set[str]) -> None:
    """Put the finished report `tmp` in place of the old one in `out`."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if not foreign:             # out holds an old report only (or nothing): swap it whole
        old = out.with_name(f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    new = {p.name for p in tmp.iterdir()}   # out also holds other files: keep them
    for name in sorted(new - {"report.md"}) + ["report.md"]:  # report.md last: its links exist
        os.replace(tmp / name, out / name)
    for name in owned - new:     # plots of the old report that the new one does not have
        (out / name).unlink(missing_ok=True)
    tmp.rmdir()


def report_paths(paths: list[str | Path], out: str | Path, **kwargs: Any) -> dict[str, Any]:
    return write_report(load_runs(paths), Path(out), **kwargs)
