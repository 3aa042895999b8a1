"""`specdecode report RUN.jsonl [RUN2.jsonl ...] --out DIR`: tables, statistics, plots."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import SpecDecodeError
from ..inputs import SEED_MAX, check_output_dir, check_readable_file, int_arg
from ..runio import run_stem

HELP = "analyse benchmark runs (JSONL): speedups with CIs, acceptance, theory, plots"
DESCRIPTION = """\
Read one or more RUN.jsonl files written by `specdecode bench` (never loads a model) and
write DIR/report.md, DIR/summary.json and PNG plots. Speedups are against the method with
proposer 'none' on the items both ran ok; error records are counted and excluded. Records
of every schema version are read (older ones are upgraded; what they did not record, such as
the per-position statistics of `position_stats: true` runs, is reported as not recorded).

A report compares only like with like: runs that mix configurations (target build,
max_new_tokens, suite versions, split, top_k / top_p, chat) are refused with a list of
them; pick one with --config ID, or runs with --run-id ID[,ID...]. An item retried after
an error counts once, with its ok record. DIR is replaced whole, only once every file
of the new report is written (files in DIR that a report does not write are kept).
Exit status: 0 report written; 2 usage or input error (see docs/exit-status.md)."""


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
    p.add_argument("--config", metavar="ID",
                   help="report the records of this configuration only (the ids are listed "
                        "when the runs mix configurations)")
    p.add_argument("--run-id", metavar="ID[,ID...]",
                   help="report the records of these bench invocations only (record run_id)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int_arg(0, SEED_MAX), default=0, help="bootstrap seed (default 0)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="color the terminal table (red = exactness failure)")
    p.set_defaults(func=run)


def _out_dir(args) -> Path:
    if args.out:
        return Path(args.out)
    first = Path(args.runs[0])
    return first.with_name(run_stem(first) + ".report")


def run(args) -> int:
    from ..analysis import AnalysisConfig, load_runs, write_report
    from ..analysis.load import select_runs
    from ..analysis.render_term import render_terminal

    if args.n_boot < 100:
        raise SpecDecodeError(f"--n-boot {args.n_boot} is too few for a 95% CI; use >= 100")
    cfg = AnalysisConfig(n_boot=args.n_boot, seed=args.seed, main_method=args.main_method,
                         trace_prompt=args.trace_prompt)
    for r in args.runs:
        check_readable_file(r, "run file", "give a RUN.jsonl written by `specdecode bench`")
    out = check_output_dir(_out_dir(args), "--out")
    run_ids = [r.strip() for r in args.run_id.split(",") if r.strip()] if args.run_id else None
    runset = select_runs(load_runs(args.runs), args.config, run_ids)
    summary = write_report(runset, out, cfg, baseline=args.baseline, plots=not args.no_plots)
    if args.format == "json":
        print(json.dumps(summary, indent=1))
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(render_terminal(summary, color))
    print(f"\nwrote {out / 'report.md'} and {out / 'summary.json'}")
    return 0
