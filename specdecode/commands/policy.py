"""`specdecode policy collect | solve | check`: the JointAdaSpec pipeline (docs/policy.md)."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..errors import SpecDecodeError
from ..inputs import check_output_dir, check_readable_file, int_arg

HELP = "JointAdaSpec: collect traces, solve the MDP policy tables, check their structure"
DESCRIPTION = """\
JointAdaSpec (METHODS.md 17) chooses the draft length and the fuzzy threshold together
from a table solved offline. Three steps, each resumable or cheap to rerun:
  collect  decode the suites' dev prompts under a random behaviour policy (stop after
           each draft token with probability p_stop, verify with a random threshold of
           the grid) and record every decision: DIR/traces.jsonl + DIR/traces.manifest.json
  solve    estimate transitions and rewards (Laplace prior), value-iterate, and write one
           table per kappa: DIR/jointadaspec-kappaK.json and the cascades
           DIR/cascade-length-kappaK.json, DIR/cascade-threshold-kappaK.json
  check    the structure conditions (monotone stopping, monotone threshold,
           supermodular Q), convergence, visits, heatmaps, and a Pareto plot of a bench run
Use a table with `controller: jointadaspec, controller_params: {policy: FILE}` and
`verifier: fuzzy` (preset specdecode/bench/presets/jointadaspec.yaml)."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("policy", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="policy_command", metavar="STEP")
    sub.required = True
    _collect_parser(sub)
    _solve_parser(sub)
    _check_parser(sub)


def _step(sub, name: str, help: str, description: str) -> argparse.ArgumentParser:
    """One STEP's parser; --help shows every option's default."""
    return sub.add_parser(name, help=help, description=description,
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, e.g. 0.5,1.5,3 (got {text!r})")


def _collect_parser(sub) -> None:
    from ..policy.collect import CollectConfig

    d = CollectConfig()
    p = _step(sub, "collect", help="traces under the random behaviour policy (resumable)",
              description="Decode dev prompts with the random behaviour policy and record every "
              "decision. Resumable: a rerun skips the prompts already in DIR/traces.jsonl. "
              "About 8.5 s per prompt and temperature for the default pair on a 2-core CPU (measured), "
              "so the default 120 generations take about 17 minutes; --n-prompts 3 takes about 5. The Qwen "
              "pair (--dtype auto --min-verify-rows 1) took about 25 s per prompt and temperature.")
    p.add_argument("--target", default=d.target, help="target model id")
    p.add_argument("--draft", default=d.draft, help="draft model id (same tokenizer)")
    p.add_argument("--suites", default=",".join(d.suites), help="comma-separated suites (their dev split)")
    p.add_argument("--n-prompts", type=int_arg(1), default=d.n_prompts, help="dev prompts per suite")
    p.add_argument("--temperatures", type=_floats, default=d.temperatures,
                   help="comma-separated; 0 gives the T = 0 table, > 0 the sampled one")
    p.add_argument("--max-new-tokens", type=int_arg(1), default=d.max_new_tokens, help="new tokens per generation")
    p.add_argument("--window", type=int_arg(1, 64), default=d.window, help="longest draft window")
    p.add_argument("--p-stop", type=float, default=d.p_stop, help="behaviour policy's stop probability per token")
    p.add_argument("--seed", type=int_arg(0), default=d.seed, help="seed of the behaviour policy and sampling")
    p.add_argument("--min-verify-rows", type=int_arg(1, 64), default=d.min_verify_rows,
                   help="pad 2..N-1-token target calls to N rows, as the bench config does")
    p.add_argument("--no-chat", action="store_true", help="feed the bare prompt, not the chat template")
    p.add_argument("--dtype", type=_dtype_choice, default=d.dtype,
                   help="fp32 | bf16 | auto: as the bench config that will run the tables (the step times "
                   "the tables price depend on it; the Qwen presets use auto)")
    p.add_argument("--out", metavar="DIR", help="output folder (default runs/policy/TARGET__DRAFT)")
    p.set_defaults(func=run_collect)


def _dtype_choice(raw: str) -> str:
    from ..dtypes import check_choice

    try:
        return check_choice(raw)
    except SpecDecodeError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _solve_parser(sub) -> None:
    from ..policy.states import Bins
    from ..policy.tables import KAPPAS

    b = Bins()
    p = _step(sub, "solve", help="policy tables per kappa (joint MDP and the two cascades)",
              description="Estimate the MDP from the traces (Laplace prior) and solve it by value "
              "iteration for each kappa; writes jointadaspec-kappaK.json, cascade-length-kappaK.json "
              "and cascade-threshold-kappaK.json beside the traces (or into --out).")
    p.add_argument("traces", metavar="TRACES.jsonl", help="written by `specdecode policy collect`")
    p.add_argument("--kappas", type=_floats, default=KAPPAS, help="distortion prices, comma-separated")
    p.add_argument("--entropy-edges", type=_floats, default=b.entropy, help="entropy bin edges (nats)")
    p.add_argument("--kl-edges", type=_floats, default=b.kl, help="KL(q||p) bin edges (nats)")
    p.add_argument("--alpha", type=float, default=1.0, help="Laplace pseudo-counts")
    p.add_argument("--gamma", type=float, default=0.99, help="discount")
    p.add_argument("--eps", type=float, default=1e-4, help="value-iteration tolerance")
    p.add_argument("--c-time", type=float, default=None,
                   help="tokens per ms that one ms costs (default: the best rate, by Dinkelbach's iteration)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the traces' folder)")
    p.set_defaults(func=run_solve)


def _check_parser(sub) -> None:
    p = _step(sub, "check", help="structure conditions, convergence, heatmaps, Pareto plot",
              description="Check solved tables: monotone stopping in entropy and position, threshold "
              "monotone in KL, supermodular Q; VI convergence, visits, a heatmap per table; with "
              "--runs, speed vs quality of a bench run (read from its records). A failed "
              "condition is a finding: the exit status is 0 whenever the report is written.")
    p.add_argument("policies", nargs="+", metavar="POLICY", help="policy files or folders holding them")
    p.add_argument("--runs", metavar="RUNS.jsonl", help="a bench run file for the Pareto plot")
    p.add_argument("--min-visits", type=int_arg(0), default=5, help="states seen fewer times are not judged")
    p.add_argument("--out", metavar="DIR", help="report folder (default: POLICY's folder/check)")
    p.set_defaults(func=run_check)


def _progress(total_desc: str):
    from tqdm import tqdm

    bar = None

    def update(n, total, job, line):
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=total_desc, unit="prompt", file=sys.stderr, dynamic_ncols=True)
        bar.update(1)
        bar.set_postfix_str(f"{job.suite} T={job.temperature:g} {len(line['steps']['a'])} steps")
        if n == total:
            bar.close()
    return update


def run_collect(args) -> int:
    from ..policy.collect import CollectConfig, collect
    from ..policy.io import TRACES, default_dir

    cfg = CollectConfig(target=args.target, draft=args.draft, suites=tuple(s for s in args.suites.split(",") if s),
                        n_prompts=args.n_prompts, temperatures=args.temperatures,
                        max_new_tokens=args.max_new_tokens, window=args.window, p_stop=args.p_stop,
                        seed=args.seed, chat=not args.no_chat, min_verify_rows=args.min_verify_rows,
                        dtype=args.dtype)
    if not 0 < cfg.p_stop <= 1:
        raise SpecDecodeError(f"--p-stop must be in (0, 1] (got {cfg.p_stop})")
    out = check_output_dir(Path(args.out) if args.out else default_dir(cfg.target, cfg.draft), "--out")
    res = collect(cfg, out, progress=_progress("collect"))
    print(f"wrote {res['done']} traces ({res['steps']} transitions), {res['skipped']} already there: {out / TRACES}")
    print(f"next: specdecode policy solve {out / TRACES}")
    return 0


def run_solve(args) -> int:
    from ..policy.solve import SolveConfig
    from ..policy.states import Bins
    from ..policy.io import read_manifest
    from ..policy.tables import solve_all

    traces = check_readable_file(args.traces, "traces file", "run `specdecode policy collect` first")
    man = read_manifest(traces)
    bins = Bins(args.entropy_edges, args.kl_edges, man["window"], tuple(man["grid"]))
    if not 0 < args.gamma < 1 or args.eps <= 0 or args.alpha <= 0:
        raise SpecDecodeError("solve needs 0 < --gamma < 1, --eps > 0 and --alpha > 0")
    out = check_output_dir(Path(args.out) if args.out else traces.parent, "--out")
    cfg = SolveConfig(gamma=args.gamma, eps=args.eps, c_time=args.c_time)
    command = "specdecode policy solve " + " ".join(shlex.quote(a) for a in sys.argv[3:])

    def show(kappa, sols):
        for mode, kinds in sols.items():
            j = kinds["jointadaspec"]
            print(f"kappa {kappa:g} {mode}: {j.iterations} VI iterations, residual {j.residual:.1e}, "
                  f"rate {j.rate:.4g} tokens/ms, stops in {(j.policy != 0).sum()}/{len(j.policy)} states",
                  file=sys.stderr)
    written = solve_all(traces, out, bins, args.kappas, cfg, args.alpha, command, progress=show)
    print(f"wrote {len(written)} policy tables into {out}")
    print(f"next: specdecode policy check {out}")
    return 0


def run_check(args) -> int:
    from ..policy.report import run_check as check

    paths = [Path(p) for p in args.policies]
    for p in paths:
        if not p.exists():
            raise SpecDecodeError(f"{p} not found; give policy files or folders written by `specdecode policy solve`")
    if args.runs:
        check_readable_file(args.runs, "run file", "give a file written by `specdecode bench`")
    first = paths[0] if paths[0].is_dir() else paths[0].parent
    out = check_output_dir(Path(args.out) if args.out else first / "check", "--out")
    summary = check(paths, out, Path(args.runs) if args.runs else None, args.min_visits)
    for e in summary["policies"]:
        for mode, t in e["tables"].items():
            verdicts = ", ".join(f"{c['name']} {'ok' if c['passed'] else 'FAILED'}" for c in t["conditions"])
            print(f"{Path(e['file']).name} [{mode}]: {verdicts}")
    print(f"wrote {out / 'check.md'} and {out / 'check.json'}")
    return 0
