"""Per-cycle counts of one method on one suite, from a run's records (no model call):
cycles, cycles that asked for a draft (k > 0), cycles that drafted something, tokens
drafted and accepted; then where the decode time went: seconds and tokens emitted in
cycles that asked for no draft (plain target steps) and in those that asked, with the
mean k asked. What README's accounts of the `auto` controller's runs cite.

    .venv/bin/python bench/cycle_counts.py runs/ngram-auto-avx2.jsonl.gz --method ngram-auto [--suite translation]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from specdecode.analysis.load import load_runs  # noqa: E402

COUNTS = ("cycles", "asked", "drafted", "tokens", "accepted")
TIMES = ("plain_s", "plain_tok", "spec_s", "spec_tok", "k_sum")


def _add(row: dict, cycle: dict) -> None:
    for name, v in zip(COUNTS, (1, cycle["k"] > 0, cycle["drafted"] > 0, cycle["drafted"], cycle["accepted"])):
        row[name] += int(v)
    side = "spec" if cycle["k"] > 0 else "plain"
    row[f"{side}_s"] += cycle["end"] - cycle["start"]
    row[f"{side}_tok"] += cycle["emitted"]
    row["k_sum"] += cycle["k"]


def _rate(row: dict, side: str) -> float:
    """Tokens per second over the cycles of one side ("plain" or "spec"); nan if none."""
    return row[f"{side}_tok"] / row[f"{side}_s"] if row[f"{side}_s"] else float("nan")


def _line(suite: str, row: dict) -> str:
    counts = " ".join(f"{row[n]:>{max(len(n), 6)}}" for n in COUNTS)
    k_mean = row["k_sum"] / row["asked"] if row["asked"] else 0.0
    return (f"{suite:>14} {counts} {row['plain_s']:>8.1f} {_rate(row, 'plain'):>9.2f} "
            f"{row['spec_s']:>7.1f} {_rate(row, 'spec'):>8.2f} {k_mean:>6.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--method", required=True)
    ap.add_argument("--suite", default=None, help="one suite (default: each)")
    args = ap.parse_args()
    rows = {}
    for rec in load_runs([args.run]).records:
        if rec.get("method") != args.method or rec.get("status") != "ok":
            continue
        if args.suite and rec["suite"] != args.suite:
            continue
        row = rows.setdefault(rec["suite"], dict.fromkeys(COUNTS + TIMES, 0))
        for cycle in rec["trace"]:
            _add(row, cycle)
    head = " ".join(f"{n:>{max(len(n), 6)}}" for n in COUNTS)
    print(f"{'suite':>14} {head} {'plain_s':>8} {'plain t/s':>9} {'spec_s':>7} {'spec t/s':>8} {'mean k':>6}")
    for suite, row in rows.items():
        print(_line(suite, row))
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
