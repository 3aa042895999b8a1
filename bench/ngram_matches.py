"""Prompt lookup (`ngram`) by match length, replayed from a run's records: which n-gram
each drafting cycle matched, what it drafted and what the target accepted, per suite; and
what requiring a longer match (n_min) would have saved, from the cycles' own timings.

    .venv/bin/python bench/ngram_matches.py runs/real-1203.jsonl.gz [--method ngram-k8]
        [--tokenizer zoo:qwen2.5-coder-1.5b]

Reads records only (no model call): each cycle's context is the chat-rendered prompt plus
the output before the cycle (trace[i].token_index), and the lookup is re-run on it with
the proposer's n range (checked: its first accepted tokens must equal the lookup's).
The counterfactual for n_min = m replaces every drafting cycle that matched fewer than m
tokens by (accepted + 1) plain steps at the median plain-step time of the same record
(its cycles that drafted nothing), and keeps every other cycle as timed. It ignores that
later lookups would change, so it is an estimate; a run of the preset with n_min set
measures it.
"""
import argparse
import statistics
from collections import defaultdict

from specdecode.lookup import longest_match
from specdecode.records import read_records
from specdecode.suites import load_suite
from specdecode.training.prompts import prompt_ids as chat_prompt_ids

WHOLE = 10**9  # keep the whole prompt: the runner does not truncate


def prompt_ids(tokenizer, suite: str, prompt_id: str, cache: dict) -> list[int]:
    """The chat-rendered test prompt the runner fed (suites loaded once, into cache)."""
    if suite not in cache:
        cache[suite] = {it.id: it for it in load_suite(suite, split="test").items}
    return chat_prompt_ids(tokenizer, cache[suite][prompt_id], WHOLE)


def replay(rec, tokenizer, items: dict) -> list[dict]:
    """One row per cycle: match n (0: no draft), drafted, accepted, seconds."""
    params = rec["method_config"].get("proposer_params") or {}
    n_min, n_max = params.get("n_min", 1), params.get("n_max", 3)
    prompt = prompt_ids(tokenizer, rec["suite"], rec["prompt_id"], items)
    assert len(prompt) == rec["prompt_tokens"], (rec["prompt_id"], len(prompt), rec["prompt_tokens"])
    out, rows = rec["output_ids"], []
    for cyc in rec["trace"]:
        n, found = longest_match(prompt + out[: cyc["token_index"]], n_min, n_max, cyc["k"])
        assert len(found) == cyc["drafted"], (rec["prompt_id"], cyc["token_index"], len(found), cyc["drafted"])
        shown = min(cyc["accepted"], len(cyc["tokens"]))  # tokens end at an eos
        assert found[:shown] == cyc["tokens"][:shown], (rec["prompt_id"], cyc["token_index"])
        rows.append({"n": n, "drafted": cyc["drafted"], "accepted": cyc["accepted"],
                     "seconds": cyc["end"] - cyc["start"]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("records")
    ap.add_argument("--method", default="ngram-k8")
    ap.add_argument("--tokenizer", default="zoo:qwen2.5-coder-1.5b")
    args = ap.parse_args()
    from transformers import AutoTokenizer

    from specdecode.zoo import local_path

    tokenizer = AutoTokenizer.from_pretrained(local_path(args.tokenizer, build=False))
    recs = [r for r in read_records(args.records).records if r["method"] == args.method and r["status"] == "ok"]
    by_n = defaultdict(lambda: defaultdict(list))  # suite -> n -> [(drafted, accepted)]
    estimated = defaultdict(lambda: defaultdict(float))  # suite -> n_min -> estimated seconds
    actual = defaultdict(float)
    items: dict = {}
    for rec in recs:
        rows = replay(rec, tokenizer, items)
        plain = statistics.median([r["seconds"] for r in rows if r["drafted"] == 0] or [0.0])
        actual[rec["suite"]] += sum(r["seconds"] for r in rows)
        for r in rows:
            by_n[rec["suite"]][r["n"]].append((r["drafted"], r["accepted"]))
        for m in (2, 3):
            estimated[rec["suite"]][m] += sum(r["seconds"] for r in rows if r["n"] >= m or r["n"] == 0) + \
                sum((r["accepted"] + 1) * plain for r in rows if 0 < r["n"] < m)
    print(f"# {args.records}, method {args.method}: {len(recs)} records")
    print(f"{'suite':<15}{'match n':>8}{'cycles':>8}{'drafted':>9}{'accepted':>9}{'acc/drafted':>12}")
    for suite in sorted(by_n):
        for n in sorted(by_n[suite]):
            rows = by_n[suite][n]
            d, a = sum(x[0] for x in rows), sum(x[1] for x in rows)
            print(f"{suite:<15}{n:>8}{len(rows):>8}{d:>9}{a:>9}{(a / d if d else 0):>12.2f}")
    print("\nestimated decode time with a longer minimum match, relative to the run's (< 1: faster)")
    print(f"{'suite':<15}{'n_min 2':>9}{'n_min 3':>9}")
    for suite in sorted(actual):
        print(f"{suite:<15}{estimated[suite][2] / actual[suite]:>9.3f}{estimated[suite][3] / actual[suite]:>9.3f}")


if __name__ == "__main__":
    main()
