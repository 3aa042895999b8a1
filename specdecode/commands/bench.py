"""`specdecode bench`: run a grid of methods x suites x prompts x seeds x temperatures."""
from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path

from ..errors import SpecDecodeError
from ..inputs import check_output_dir, check_output_file, int_arg
from ..runio import run_stem

DESCRIPTION = """\
Measure methods side by side on the same prompts, with the same token budget and EOS
rules, timed the same way. CONFIG is a preset (quick [default], full, smoke, real, ...:
the list is in the error for an unknown name) or a YAML file, which may start from
another with `extends: PRESET_OR_FILE`. Records go to --out (JSONL, one line per item,
flushed as each finishes); rerunning the same command resumes, skipping items with an ok
record and running failed items again (--keep-errors keeps them). One bench writes a run
file at a time (a second one stops, naming the first), and bench writes only to run
files: an --out that exists and is not one is left untouched. At T=0 every exact method
must reproduce target-only's tokens on every item both ran ok: a mismatch is printed in
red.
Exit status: 0 every item ok and exact; 1 a T=0 exactness failure; 2 usage or input
error; 3 some items failed (N of M items failed: the most common error); 130 interrupted
(see docs/exit-status.md).
"""


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmark methods side by side (resumable JSONL records)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    from ..registry import NamesOf

    config = p.add_argument(
        "config", nargs="?", default="quick",
        help="preset name or YAML path (default: quick). Each method is a loop method {proposer, verifier, "
        "controller, k, ...} (proposers: %(proposers)s; verifiers: %(verifiers)s; controllers: %(controllers)s) "
        "or a peer {peer: NAME, k, params} (peers: %(peers)s)")
    # names from the registries (plug-ins included), computed when the help is shown
    for attr, role in (("proposers", "proposer"), ("verifiers", "verifier"), ("controllers", "controller"),
                       ("peers", "peer")):
        setattr(config, attr, NamesOf(role))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="dotted override, e.g. --set methods.draft-k4.k=6 --set n_prompts=4")
    p.add_argument("--methods", help="comma-separated subset of the config's methods")
    p.add_argument("--out", type=Path, help="output JSONL (default: runs/<config>-<date>.jsonl)")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local: one process, items in turn; ray: Ray actors, each with its own models")
    p.add_argument("--ray-address", help="address of an existing Ray cluster (default: start a local one)")
    p.add_argument("--workers", type=int_arg(1), help="Ray workers (default: one per `threads` CPUs)")
    p.add_argument("--keep-errors", action="store_true",
                   help="on resume, keep the error records of earlier runs instead of running those items again")
    p.add_argument("--report", type=Path, metavar="DIR", help="also write the report to DIR when done")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and item count, run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..bench.runner import default_out, run_bench

    cfg = config_of(args)
    out = check_output_file(args.out or default_out(args.config), "--out")
    check_output_dir(_report_dir(out, args.report), "--report")
    if args.dry_run:
        print(json.dumps(cfg.to_dict(), indent=2, default=str))
        print(_dry_run_line(cfg, out), file=sys.stderr)
        return 0
    if args.executor != "ray" and (args.ray_address or args.workers):
        raise SpecDecodeError("--ray-address / --workers need --executor ray")
    from ..analysis.report import check_report_dir

    check_report_dir(_report_dir(out, args.report))  # refuse a bad --report before the run
    outcome = run_bench(cfg, out, args.executor, args.ray_address, args.workers,
                        progress=not args.no_progress, config_name=args.config,
                        keep_errors=args.keep_errors)
    retried = f", {outcome.retried} of them failed items run again" if outcome.retried else ""
    print(f"[bench] {outcome.written} new records ({outcome.errors} errors{retried}), {outcome.skipped} "
          f"already done -> {out}", file=sys.stderr)
    try:
        _summary(out, args.report, outcome.keys)
    finally:  # the verdict is printed even if the report could not be written
        status = _closing(outcome, args.keep_errors)
    return status


def config_of(args):
    """The BenchConfig a parsed `bench` command line asks for: CONFIG, --set, --methods."""
    from ..bench.config import load_config

    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    return load_config(args.config, args.set, methods)


def _dry_run_line(cfg, out: Path) -> str:
    """How many items the config plans: prompts x seeds x temperatures x methods."""
    from ..suites import load_suite

    prompts = sum(len(load_suite(name, split=cfg.split, n=cfg.n_prompts).items) for name in cfg.suites)
    sizes = {"prompt": prompts, "seed": len(cfg.seeds), "temperature": len(cfg.temperatures),
             "method": len(cfg.methods)}
    items = math.prod(sizes.values())
    grid = " x ".join(f"{n} {what}{'' if n == 1 else 's'}" for what, n in sizes.items())
    return f"[bench] dry run: {items} items ({grid}) -> {out}; nothing was run"


def _report_dir(out: Path, report_dir: Path | None) -> Path:
    return report_dir or out.with_name(run_stem(out) + ".report")


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
    target = _report_dir(out, report_dir)
    summary = write_report(runset, target, AnalysisConfig(), plots=report_dir is not None)
    print(render_terminal(summary, color=sys.stdout.isatty()))
    if summary.get("ratios"):
        from ..analysis.fmt import text_table
        from ..analysis.ratios import RATIO_HEADERS, ratio_rows

        print("\nGoals: ratios measured side by side in this run")
        print(text_table(RATIO_HEADERS, ratio_rows(summary["ratios"], markdown=False)))
    print(f"[bench] report: {target / 'report.md'}", file=sys.stderr)


EXIT_OK, EXIT_INEXACT, EXIT_FAILED_ITEMS = 0, 1, 3   # 2: usage / input error (cli.main)


def _closing(outcome, keep_errors: bool) -> int:
    """The verdict over every planned item (done before or now): T=0 exactness, claimed
    only where it was checked, then the failed items. Returns the exit status."""
    red, end = ("\033[31m", "\033[0m") if sys.stderr.isatty() else ("", "")
    base = outcome.baseline or "target-only"
    for m in outcome.mismatches:
        print(f"{red}EXACTNESS FAILURE: {m['method']} on {m['suite']}/{m['prompt_id']} seed {m['seed']} "
              f"differs from {base} at token {m['first_diff']}{end}", file=sys.stderr)
    ties = getattr(outcome, "near_ties", [])
    if ties:
        print(f"[bench] T=0 exactness: {len(ties)} divergence(s) are bf16 near-ties (target's "
              f"logit gap {max(m['gap'] for m in ties):.3g} or less, under the dtype tolerance; "
              f"docs/dtype.md), not counted as mismatches", file=sys.stderr)
    for line in exactness_lines(outcome):
        print(f"[bench] T=0 exactness: {line}", file=sys.stderr)
    if getattr(outcome, "peak_rss_bytes", None):
        print(f"[bench] peak memory (target and drafts loaded): "
              f"{outcome.peak_rss_bytes / 2**30:.1f} GiB", file=sys.stderr)
    if outcome.failed:
        message, count = Counter(outcome.failed).most_common(1)[0]
        then = ("kept (--keep-errors)" if keep_errors
                else "run again when this command is rerun")
        print(f"{red}[bench] {len(outcome.failed)} of {outcome.planned} items failed: {message} (x{count}){end}; "
              f"their error records are in {outcome.path} and are {then}", file=sys.stderr)
    if outcome.mismatches:
        return EXIT_INEXACT
    return EXIT_FAILED_ITEMS if outcome.failed else EXIT_OK


def exactness_lines(outcome) -> list[str]:
    """What the T=0 check covered, per exact method: a method is said to reproduce the
    baseline only when every one of its T=0 items was compared."""
    checked = outcome.exact_checked
    if not checked:
        return []
    if outcome.baseline is None:
        return [f"not checked: no target-only method (proposer 'none') to compare "
                f"{', '.join(checked)} with"]
    bad = {m["method"] for m in outcome.mismatches}
    tied = {m["method"] for m in getattr(outcome, "near_ties", [])}
    full = [m for m, (n, of) in checked.items() if n == of and m not in bad | tied]
    lines = [f"{', '.join(full)} reproduced {outcome.baseline}'s tokens on every item"] if full else []
    near = [m for m, (n, of) in checked.items() if n == of and m in tied and m not in bad]
    if near:
        lines.append(f"{', '.join(near)} reproduced {outcome.baseline}'s tokens on every item up "
                     f"to bf16 near-ties (see above)")
    for method, (n, of) in checked.items():
        if n < of:
            lines.append(f"{method} checked on {n} of {of} items only; not checked where it or "
                         f"{outcome.baseline} failed")
    return lines
