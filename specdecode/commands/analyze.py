"""`specdecode analyze RUNS.jsonl [--out DIR]`: where drafts are rejected, and the
hypotheses about it tested and reported whatever the verdict."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpecDecodeError
from ..inputs import SEED_MAX, check_output_dir, check_readable_file, int_arg, warn
from ..runio import run_stem

HELP = "rejection analysis: by domain, position, token frequency, confidence; hypotheses tested"
DESCRIPTION = """\
Read RUNS.jsonl (written by `specdecode bench`; never loads a model) and analyse where one
drafting method's tokens are rejected:
  1. by domain (suite): rejection = 1 - accepted/drafted with a 95% CI resampling prompts,
     tokens/s and tau; do domains differ (permutation test of prompts, Cramer's V; the
     pooled chi-square is shown for reference)
  2. by draft position: rejection given the position was reached, domain x position
     heatmap; positions 1-2 vs later (Wilcoxon on per-prompt differences)
  3. by token frequency: unigram-mass deciles of the drafted token (counts from the
     baseline's outputs, or --reference RUNS.jsonl); rare (bottom 20% of mass) vs common;
     token classes (code keyword, punctuation/whitespace, digit, word piece) when the
     target's tokenizer.json is found (--tokenizer, or the offline zoo entry)
  4. by draft confidence: rejection vs entropy(q) and KL(q||p) in bins; the AUC of each
     per-position statistic as a predictor of rejection
  5. the hypotheses table: effect with 95% CI, p, n and a verdict (supported / falsified /
     inconclusive at alpha 0.05, Holm-corrected across the table). Defaults: H1 code is
     rejected less than other domains; H2 early positions more than late; H3 rare tokens
     more than common; H4 throughput varies by domain. Add rows with --hypotheses FILE
     (YAML: `hypotheses: [{id, text, test, params}]`, tests: domain_vs_rest,
     domains_differ, early_vs_late, rare_vs_common, throughput_by_domain; see
     specdecode/analysis/hypotheses.yaml)
  6. --compare OTHER.jsonl: both runs' tables side by side, findings that flip flagged.
Sections 3, 4 and H3 need schema v2 records from a run with `position_stats: true` in the
bench config; older records still get sections 1, 2 and H1, H2, H4.
Writes DIR/analysis.md, DIR/analysis.json and DIR/*.png (default DIR: RUNS.analysis).
Exit status: 0 written; 2 usage or input error."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("analyze", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", metavar="RUNS.jsonl", help="benchmark run file")
    p.add_argument("--out", metavar="DIR", help="output directory (default: RUNS.analysis beside the run)")
    p.add_argument("--compare", metavar="OTHER.jsonl", help="a second run file: tables side by side")
    p.add_argument("--method", help="the drafting method to analyse (default: picked, and named in the report)")
    p.add_argument("--temperature", type=float, help="the temperature to analyse when the method ran at several")
    p.add_argument("--hypotheses", metavar="FILE", help="extra hypotheses YAML (same id replaces a default)")
    p.add_argument("--reference", metavar="RUNS.jsonl",
                   help="records whose outputs give the unigram counts (default: the baseline's outputs)")
    p.add_argument("--tokenizer", metavar="PATH", help="the target's tokenizer.json (or its directory) "
                                                        "for the token-class split")
    p.add_argument("--config", metavar="ID", help="analyse this configuration when the file mixes several")
    p.add_argument("--n-boot", type=int_arg(100), default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--n-perm", type=int_arg(100), default=2000, help="permutations (default 2000)")
    p.add_argument("--seed", type=int_arg(0, SEED_MAX), default=0, help="resampling seed (default 0)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.analyze import AnalyzeConfig, add_comparison, analyze_path, write_analysis
    from ..analysis.render_rejection import render_terminal

    for path in filter(None, (args.runs, args.compare, args.reference, args.hypotheses)):
        check_readable_file(path, "input file", "give a file written by `specdecode bench`")
    first = Path(args.runs)
    out = check_output_dir(Path(args.out) if args.out else
                           first.with_name(run_stem(first) + ".analysis"), "--out")
    cfg = AnalyzeConfig(n_boot=args.n_boot, n_perm=args.n_perm, seed=args.seed, method=args.method,
                        temperature=args.temperature, tokenizer=args.tokenizer,
                        reference=args.reference, hypotheses=args.hypotheses)
    summary = analyze_path(args.runs, cfg, args.config)
    if args.compare:
        try:
            other = analyze_path(args.compare, cfg, args.config)
        except SpecDecodeError as exc:
            raise SpecDecodeError(f"--compare {args.compare}: {exc}") from None
        add_comparison(summary, other, args.compare)
    for note in summary["notes"]:
        warn(note)
    written = write_analysis(summary, out, plots=not args.no_plots)
    print(render_terminal(summary))
    print(f"\nwrote {written[0]} and {written[1]}")
    return 0
