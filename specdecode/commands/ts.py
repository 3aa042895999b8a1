"""`specdecode ts {data,build,bench,report}`: speculative forecasting of time series."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..inputs import SEED_MAX, check_output_dir, check_output_file, check_readable_file, int_arg
from ..runio import run_stem

HELP = "time series: speculative forecasting with patch transformers (build, bench, report)"
DESCRIPTION = """\
Speculative decoding for continuous values (docs/timeseries.md). A small draft forecaster
proposes K future patches, the target forecaster scores all K in ONE causal call, and a
Gaussian acceptance rule keeps or replaces them.

  ts data                  list the offline data sets (statsmodels, vega_datasets) and their splits
  ts build [--data D ...]  train target + drafts per data set into the cache (about 2 min per
                           data set on 2 cores; cached with manifest, recipe hash, integrity
                           check and lock, like `specdecode zoo`)
  ts bench [--config C]    run a grid (preset `default`: the 192-point sigma x bias x mse_tol x K
                           grid, baselines and comparison rows, every data set) into a resumable
                           JSONL run file; an interrupted run resumes where it stopped
  ts report RUN.jsonl      Markdown + PNG report with bootstrap CIs, knob sensitivity, goals

ETTh1 is not available offline; the hourly data set is seattle-temps, its stand-in.
Exit status: 0 done; 2 usage or input error."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("ts", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="ts_command", metavar="{data,build,bench,report}", required=True)
    d = sub.add_parser("data", help="list the built-in data sets")
    d.set_defaults(func=run_data)
    b = sub.add_parser("build", help="train and cache the models of some data sets",
                       description="Train the target (Gaussian NLL) and the drafts (distilled) of each "
                                   "data set, or verify the cached ones. Models: target, stoch-0.5, "
                                   "stoch-0.7, det-0.5, det-0.7, undistilled.")
    b.add_argument("--data", nargs="+", metavar="NAME", help="data sets: built-in names or CSV files "
                   "(a time column first, then numeric value columns; default: all built-in)")
    b.add_argument("--models", nargs="+", metavar="NAME", help="models (default: all)")
    b.add_argument("--force", action="store_true", help="rebuild even when the cache is valid")
    b.add_argument("--seed", type=int_arg(0, SEED_MAX), default=0, help="training seed (default 0)")
    b.add_argument("--threads", type=int_arg(1), default=1, help="torch threads (default 1)")
    b.set_defaults(func=run_build)
    r = sub.add_parser("bench", help="run a grid into a resumable run file",
                       description="Run every setting of a ts config on the test windows of each data "
                                   "set. Missing models are built first. Re-running the same command "
                                   "resumes: finished records are kept, none is written twice.")
    r.add_argument("--config", default="default", help="preset name (default, smoke) or a YAML file")
    r.add_argument("--out", metavar="RUN.jsonl", help="run file (default: runs/ts-CONFIG.jsonl)")
    r.add_argument("--data", nargs="+", metavar="NAME", help="only these data sets: built-in names or "
                   "CSV files (their models are built first)")
    r.add_argument("--windows", type=int_arg(1), help="test windows per data set (overrides the config)")
    r.set_defaults(func=run_bench)
    rp = sub.add_parser("report", help="write the Markdown + PNG report of a run file")
    rp.add_argument("runs", metavar="RUN.jsonl", help="a run file written by `specdecode ts bench`")
    rp.add_argument("--out", metavar="DIR", help="report directory (default: reports/RUN-NAME)")
    rp.add_argument("--n-boot", type=int_arg(100), default=1000, help="bootstrap resamples (default 1000)")
    rp.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    rp.set_defaults(func=run_report)


def data_names(given: list[str] | None) -> list[str]:
    """--data values -> data set names: a built-in name, or a CSV file (registered for this
    process under its stem)."""
    from ..timeseries.data import DATASETS, use_csv

    names = []
    for d in given or []:
        if d.lower().endswith(".csv") or Path(d).is_file():
            names.append(use_csv(check_readable_file(d, "--data")))
        else:
            DATASETS.get(d)
            names.append(d)
    return names


def run_data(args) -> int:
    from ..timeseries.data import DATASETS, load_builtin, split_of

    for name in DATASETS.names():
        s = load_builtin(name)
        sp, g = split_of(s.n), s.geometry
        print(f"{name:14} {s.n:6} steps x {len(s.channels):2} ch  {s.freq:9} train<{sp.train_end} "
              f"val<{sp.val_end} test<{s.n}  patch {g.patch} context {g.context} horizon {g.horizon}  {s.source}")
    return 0


def run_build(args) -> int:
    import time

    import torch

    from ..timeseries import recipes, store
    from ..timeseries.data import DATASETS, load_builtin

    torch.set_num_threads(args.threads)
    opts = store.BuildOptions(seed=args.seed)
    names = args.models or list(recipes.RECIPES)
    for n in names:
        recipes.recipe(n)
    start = time.perf_counter()
    for ds in data_names(args.data) or DATASETS.names():
        series = load_builtin(ds)
        for n in names:
            store.resolve(series, n, opts, force=args.force)
            m = store.manifest(series, n, opts)
            print(f"{ds:14} {n:12} {m['parameters']:9,} params  call {m['call_ms']:6.2f} ms  "
                  f"built in {m['build_seconds']:6.1f} s  {m['weights_hash']}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def run_bench(args) -> int:
    import dataclasses

    from ..timeseries.config import load_config
    from ..timeseries.runner import run_bench as bench

    cfg = load_config(args.config)
    if args.data:
        cfg = dataclasses.replace(cfg, datasets=tuple(data_names(args.data)))
    if args.windows:
        cfg = dataclasses.replace(cfg, windows=args.windows)
    out = check_output_file(args.out or f"runs/ts-{cfg.name}.jsonl", "--out", "run.jsonl")
    counts = bench(cfg, Path(out))
    print(f"{out}: {counts['written']} records written, {counts['skipped']} already there")
    print(f"next: specdecode ts report {out}")
    return 0


def run_report(args) -> int:
    from ..timeseries.report import write_report
    from ..timeseries.summary import SummaryConfig

    run = check_readable_file(args.runs, "run file", "give a file written by `specdecode ts bench`")
    out = check_output_dir(args.out or f"reports/{run_stem(run)}", "--out")
    path = write_report(run, Path(out), SummaryConfig(n_boot=args.n_boot), plots_on=not args.no_plots)
    print(f"wrote {path}")
    return 0
