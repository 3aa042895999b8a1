"""Copy head against the draft LM, teacher-forced on a run's target-only outputs: at each
output position, is the token the target chose predicted by the draft's argmax, and by a
copy of what followed the latest earlier occurrence of the last n tokens? Per suite, for
each minimum match length m, the share of positions where a match of n >= m exists, the
copy's accuracy there, the draft's accuracy at those same positions, and the accuracy of
"copy where a match of n >= m exists, else the draft" over all positions.

    .venv/bin/python bench/copy_vs_draft.py runs/real-full-n72.jsonl.gz \
        [--draft zoo:qwen2.5-coder-1.5b-draft] [--n-max 4]

One draft call per record over prompt + output (no generation). Per-token accuracy, not
block acceptance: a guide to where the draft LM, not the copy head, limits a method.

With --summary (a report's summary.json of the same run) it also prints each suite's share
of --speed-method's time, suite time = the suite's target-only tokens / its speedup (the
all-suite speedup is then the tokens' sum over the times' sum, as the report's), and what
the all-suite speedup would be if that one suite ran at --other's speedup instead.
"""
import argparse
import json
from collections import defaultdict
from pathlib import Path

import torch

from specdecode.lookup import longest_match
from specdecode.records import read_records

from ngram_matches import prompt_ids

MS = (1, 2, 3, 4)


def positions(rec, lm, items, n_max: int) -> list[tuple[int, int, int, int]]:
    """(target token, draft argmax, match n (0: none), copied token or -1) per output position."""
    prompt, out = prompt_ids(lm.tokenizer, rec["suite"], rec["prompt_id"], items), rec["output_ids"]
    lm.reset()
    with torch.inference_mode():
        logits = lm.logits_for(prompt + out[:-1], len(out)).logits  # (len(out), V): row t predicts out[t]
    guess = logits.argmax(-1).tolist()
    rows = []
    for t, tok in enumerate(out):
        n, found = longest_match(prompt + out[:t], 1, n_max, 1)
        rows.append((tok, guess[t], n, found[0] if found else -1))
    return rows


def summarise(rows) -> dict:
    total = len(rows)
    out = {"positions": total, "draft_acc": sum(g == t for t, g, _, _ in rows) / total}
    for m in MS:
        fired = [(t, g, c) for t, g, n, c in rows if n >= m]
        combined = sum((c if n >= m else g) == t for t, g, n, c in rows) / total
        out[m] = {"fire": len(fired) / total,
                  "copy_acc": sum(c == t for t, _, c in fired) / max(len(fired), 1),
                  "draft_acc_there": sum(g == t for t, g, _ in fired) / max(len(fired), 1),
                  "combined": combined}
    return out


def speedups(summary_path: str, method: str) -> dict[str, float]:
    cells = json.loads(Path(summary_path).read_text())["cells"]
    return {c["suite"]: c["speedup"] for c in cells if c["method"] == method and c["temperature"] == 0}


def time_shares(summary_path: str, tokens: dict[str, int], method: str, other: str) -> None:
    """Per suite: share of `method`'s time, and the all-suite speedup with that suite at `other`'s."""
    mine, theirs = speedups(summary_path, method), speedups(summary_path, other)
    times = {s: tokens[s] / mine[s] for s in tokens}
    total, toks = sum(times.values()), sum(tokens.values())
    print(f"\n{method}: all-suite {toks / total:.2f}x (tokens / time, from {summary_path})")
    print(f"{'suite':<15}{'speedup':>8}{'time share':>11}{f'all-suite if at {other}':>32}")
    for s, t in times.items():
        swapped = total - t + tokens[s] / theirs[s]
        print(f"{s:<15}{mine[s]:>7.2f}x{t / total:>11.2f}{f'{theirs[s]:.2f}x -> {toks / swapped:.2f}x':>32}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("records")
    ap.add_argument("--draft", default="zoo:qwen2.5-coder-1.5b-draft")
    ap.add_argument("--method", default="target-only")
    ap.add_argument("--n-max", type=int, default=4)
    ap.add_argument("--summary", help="summary.json of the same run: print time shares too")
    ap.add_argument("--speed-method", default="qdraft-auto")
    ap.add_argument("--other", default="qwen05q8-k4")
    args = ap.parse_args()
    from specdecode.models.loading import load_model

    lm = load_model(args.draft, role="draft")
    recs = [r for r in read_records(args.records).records if r["method"] == args.method and r["status"] == "ok"]
    by_suite, items = defaultdict(list), {}
    for rec in recs:
        by_suite[rec["suite"]] += positions(rec, lm, items, args.n_max)
    by_suite["all"] = [r for s in list(by_suite) for r in by_suite[s]]
    print(f"# {args.records}: {len(recs)} {args.method} records, draft {args.draft}, n_max {args.n_max}")
    print("m = minimum match length; fire = share of positions with a match; combined = copy if matched else draft")
    print(f"{'suite':<15}{'pos':>6}{'draft':>7}" + "".join(f"{f'm={m} fire/copy/draft@/comb':>30}" for m in MS))
    for suite, rows in by_suite.items():
        s = summarise(rows)
        cells = "".join(f"{s[m]['fire']:>12.2f}{s[m]['copy_acc']:>6.2f}{s[m]['draft_acc_there']:>6.2f}{s[m]['combined']:>6.2f}"
                        for m in MS)
        print(f"{suite:<15}{s['positions']:>6}{s['draft_acc']:>7.2f}{cells}")
    if args.summary:
        tokens = {suite: len(rows) for suite, rows in by_suite.items() if suite != "all"}
        time_shares(args.summary, tokens, args.speed_method, args.other)


if __name__ == "__main__":
    main()
