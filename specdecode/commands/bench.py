"""`specdecode bench`: run a grid of methods x suites x prompts x seeds x temperatures."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SpecDecodeError

DESCRIPTION = """\
Measure methods side by side on the same prompts, with the same token budget and EOS
rules, timed the same way. CONFIG is a preset (quick [default], full, smoke) or a YAML
file. Records go to --out (JSONL, one line per item, flushed as each finishes); rerunning
the same command resumes, skipping finished items. At T=0 every exact method must
reproduce target-only's tokens: a mismatch is printed in red and the exit code is 1."""


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmark methods side by side (resumable JSONL records)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", default="quick", help="preset name or YAML path (default: quick)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="dotted override, e.g. --set methods.draft-k4.k=6 --set n_prompts=4")
    p.add_argument("--methods", help="comma-separated subset of the config's methods")
    p.add_argument("--out", type=Path, help="output JSONL (default: runs/<config>-<date>.jsonl)")
    p.add_argument("--executor", choices=["local", "ray"], default="local")
    p.add_argument("--ray-address", help="address of an existing Ray cluster (default: start a local one)")
    p.add_argument("--workers", type=int, help="Ray workers (default: one per `threads` CPUs)")
    p.add_argument("--report", type=Path, metavar="DIR", help="also write the report to DIR when done")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and item count, run nothing")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..bench.config import load_config
    from ..bench.runner import default_out, run_bench

    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    cfg = load_config(args.config, args.set, methods)
    out = args.out or default_out(args.config)
    if args.dry_run:
        print(json.dumps(cfg.to_dict(), indent=2, default=str))
        return 0
    if args.executor != "ray" and (args.ray_address or args.workers):
        raise SpecDecodeError("--ray-address / --workers need --executor ray")
    outcome = run_bench(cfg, out, args.executor, args.ray_address, args.workers,
                        progress=not args.no_progress, config_name=args.config)
    print(f"[bench] {outcome.written} new records ({outcome.errors} errors), {outcome.skipped} already done "
          f"-> {out}", file=sys.stderr)
    _summary(out, args.report, outcome.keys)
    return _exactness(outcome)


def _summary(out: Path, report_dir: Path | None, keys: frozenset) -> None:
    """Report this config's records only: OUT may also hold records of an earlier config
    or of older model builds (other keys), which `specdecode report OUT` still reads."""
    import dataclasses

    from ..analysis import AnalysisConfig, load_runs, write_report
    from ..analysis.render_term import render_terminal

    runset = load_runs([out])
    mine = [r for r in runset.records if r["key"] in keys]
    if len(mine) < len(runset.records):
        print(f"[bench] the report covers this config's {len(mine)} records; {len(runset.records) - len(mine)} "
              f"other records in {out} (other settings or model builds) are left out", file=sys.stderr)
        runset = dataclasses.replace(runset, records=mine)
    target = report_dir or out.with_name(out.name.removesuffix(".jsonl") + ".report")
    summary = write_report(runset, target, AnalysisConfig(), plots=report_dir is not None)
    print(render_terminal(summary, color=sys.stdout.isatty()))
    if summary.get("ratios"):
        from ..analysis.fmt import text_table
        from ..analysis.ratios import RATIO_HEADERS, ratio_rows

        print("\nGoals: ratios measured side by side in this run")
        print(text_table(RATIO_HEADERS, ratio_rows(summary["ratios"], markdown=False)))
    print(f"[bench] report: {target / 'report.md'}", file=sys.stderr)


def _exactness(outcome) -> int:
    if not outcome.mismatches:
        print("[bench] T=0 exactness: every exact method reproduced target-only's tokens on every prompt",
              file=sys.stderr)
        return 0
    red, end = ("\033[31m", "\033[0m") if sys.stderr.isatty() else ("", "")
    for m in outcome.mismatches:
        print(f"{red}EXACTNESS FAILURE: {m['method']} on {m['suite']}/{m['prompt_id']} seed {m['seed']} "
              f"differs from target-only at token {m['first_diff']}{end}", file=sys.stderr)
    return 1
