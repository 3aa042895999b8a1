"""`specdecode report RUN.jsonl [RUN2.jsonl ...] --out DIR`: tables, statistics, plots."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import SpecDecodeError

HELP = "analyse benchmark runs (JSONL): speedups with CIs, acceptance, theory, plots"
DESCRIPTION = """\
Read one or more RUN.jsonl files written by `specdecode bench` (never loads a model) and
write DIR/report.md, DIR/summary.json and PNG plots. Speedups are against the method with
proposer 'none' on the items both ran ok; error records are counted and excluded."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("report", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN.jsonl", help="benchmark run file(s)")
    p.add_argument("--out", metavar="DIR",
                   help="output directory (default: RUN.report beside the first run)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="what to print: a compact table (text) or summary.json (json)")
    p.add_argument("--baseline", metavar="METHOD",
                   help="baseline method when several have proposer 'none'")
    p.add_argument("--main-method", metavar="METHOD",
                   help="method for the projected-speedup table (default: fastest exact "
                        "draft-model method)")
    p.add_argument("--trace-prompt", metavar="SUITE/PROMPT_ID",
                   help="item for the per-cycle trace plot (default: most methods traced)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="color the terminal table (red = exactness failure)")
    p.set_defaults(func=run)


def _out_dir(args) -> Path:
    if args.out:
        return Path(args.out)
    first = Path(args.runs[0])
    return first.with_name(first.name.removesuffix(".jsonl") + ".report")


def run(args) -> int:
    from ..analysis import AnalysisConfig, load_runs, write_report
    from ..analysis.render_term import render_terminal

    if args.n_boot < 100:
        raise SpecDecodeError(f"--n-boot {args.n_boot} is too few for a 95% CI; use >= 100")
    cfg = AnalysisConfig(n_boot=args.n_boot, seed=args.seed, main_method=args.main_method,
                         trace_prompt=args.trace_prompt)
    out = _out_dir(args)
    summary = write_report(load_runs(args.runs), out, cfg, baseline=args.baseline,
                           plots=not args.no_plots)
    if args.format == "json":
        print(json.dumps(summary, indent=1))
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(render_terminal(summary, color))
    print(f"\nwrote {out / 'report.md'} and {out / 'summary.json'}")
    return 0
