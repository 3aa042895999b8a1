"""Per-cycle counts of one method on one suite, from a run's records (no model call):
cycles, cycles that asked for a draft (k > 0), cycles that drafted something, tokens
drafted and accepted. What README's account of the `auto` controller's n-gram runs cites.

    .venv/bin/python bench/cycle_counts.py runs/ngram-auto-avx2.jsonl.gz --method ngram-auto [--suite translation]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from specdecode.analysis.load import load_runs  # noqa: E402


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
        row = rows.setdefault(rec["suite"], [0, 0, 0, 0, 0])
        for c in rec["trace"]:
            for i, v in enumerate((1, c["k"] > 0, c["drafted"] > 0, c["drafted"], c["accepted"])):
                row[i] += int(v)
    print(f"{'suite':>14} {'cycles':>7} {'asked':>6} {'drafted':>8} {'tokens':>7} {'accepted':>9}")
    for suite, row in rows.items():
        print(f"{suite:>14} " + " ".join(f"{v:>{w}}" for v, w in zip(row, (7, 6, 8, 7, 9))))
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
