"""Hand-built records with known answers for the analysis tests (not a test module)."""
from __future__ import annotations

from specdecode.analysis.synthetic import make_record
from specdecode.records import counters as record_counters
from specdecode.records import median_repetition, validate_record


def counters(new_tokens, prefill_s, decode_s, *, cycles, target_s, target_calls=None,
             draft_s=0.0, draft_calls=0, drafted=0, accepted=0, acc_pos=(), reached_pos=(),
             tau_hist=None):
    """Hand-set counters in the shape of records.counters (which fills every other key)."""
    c = record_counters([], new_tokens, prefill_s, decode_s)
    c.update({"target_calls": cycles if target_calls is None else target_calls,
              "draft_calls": draft_calls, "cycles": cycles, "drafted": drafted,
              "accepted": accepted, "accepted_per_position": list(acc_pos),
              "reached_per_position": list(reached_pos), "tau_hist": tau_hist or [0, cycles],
              "draft_s": draft_s, "target_s": target_s})
    return c


def rec(method, proposer, prompt, ctr, ids, *, suite="code", exact=True, error=None,
        temperature=0.0):
    r = make_record(method, proposer, suite, prompt, counters=ctr, output_ids=ids,
                    exact=exact, error=error, temperature=temperature)
    assert validate_record(r) == [], validate_record(r)
    return r


def known_run():
    """Baseline 'target' on p0, p1, p2; 'spec' ok on p0, p1 and an error on p2.

    Known answers for spec/code:
      tokens/s 22 / 1.5; speedup (22/1.5) / (22/2.2) = 2.2/1.5; per-prompt ratios 2.2, 1.1
      (median 1.65); tau 20 / 10 = 2; alpha 9 / 18 = 0.5; per position 5/10, 3/5, 1/3;
      draft yield 9 / 20; exactness: p1 output differs -> NO (1/2).
    """
    ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    base = [rec("target", "none", p, counters(11, 0.1, 1.0, cycles=10, target_s=1.0), ids)
            for p in ("p0", "p1")]
    # p2: very slow baseline; it must not enter spec's speedup (spec has no ok p2)
    base.append(rec("target", "none", "p2", counters(11, 0.1, 9.0, cycles=10, target_s=9.0),
                    ids))
    spec = [
        rec("spec", "draft", "p0", counters(11, 0.1, 0.4, cycles=4, target_s=0.3, draft_s=0.1,
                                            draft_calls=12, drafted=12, accepted=6,
                                            acc_pos=(3, 2, 1), reached_pos=(4, 3, 2)), ids),
        rec("spec", "draft", "p1", counters(11, 0.1, 0.9, cycles=6, target_s=0.6, draft_s=0.3,
                                            draft_calls=8, drafted=8, accepted=3,
                                            acc_pos=(2, 1, 0), reached_pos=(6, 2, 1)),
            ids[:-1] + [99]),
        rec("spec", "draft", "p2", None, [], error="RuntimeError: out of memory"),
    ]
    return base + spec


def with_repeats(r, totals, prefill_s=0.1):
    """`r` timed by several repetitions, as the bench worker writes it: every repetition's
    {new_tokens, prefill_s, decode_s, total_s} in `repeats` (total_s from `totals`) and the
    counters' times those of the median repetition (records.median_repetition)."""
    n = r["counters"]["new_tokens"]
    r["repeats"] = [{"new_tokens": n, "prefill_s": prefill_s, "decode_s": t - prefill_s,
                     "total_s": t} for t in totals]
    kept = r["repeats"][median_repetition(r["repeats"])]
    r["counters"].update({k: kept[k] for k in ("prefill_s", "decode_s", "total_s")})
    assert validate_record(r) == [], validate_record(r)
    return r


def item_uniform(r):
    """A number in [0, 1) fixed by the item (suite, prompt, seed, T), shared by all methods."""
    import hashlib

    blob = f"{r['suite']}/{r['prompt_id']}/{r['seed']}/{r['temperature']}".encode()
    return int(hashlib.sha256(blob).hexdigest()[:8], 16) / 16 ** 8


def quality(score, *, binary=True, scorer=None, agreement=None):
    return {"scorer": scorer or ("pass" if binary else "similarity"), "score": float(score),
            "binary": binary, "detail": None, "agreement": agreement}


def with_quality(records, means, *, binary=True, baseline="target"):
    """Score the ok records of the methods in `means` (method -> mean score), coupled by
    item: with u = item_uniform, a binary score is 1 when u < mean, a continuous one is
    mean + 0.2 (u - 0.5). Methods with equal means score every item equally; a lower mean
    loses on the items between. Agreement: prefix_match = the share of output_ids before
    the first difference from the baseline's, chrF 1.0 or 0.9; none for the baseline."""
    base = {(r["suite"], r["prompt_id"], r["seed"], r["temperature"]): r["output_ids"]
            for r in records if r["method"] == baseline and r["status"] == "ok"}
    for r in records:
        if r["status"] != "ok" or r["method"] not in means:
            continue
        u, mean = item_uniform(r), means[r["method"]]
        score = float(u < mean) if binary else min(1.0, max(0.0, mean + 0.2 * (u - 0.5)))
        ref = base.get((r["suite"], r["prompt_id"], r["seed"], r["temperature"]))
        agreement = None
        if ref is not None and r["method"] != baseline:
            ids = r["output_ids"]
            same = next((i for i, (a, b) in enumerate(zip(ids, ref)) if a != b), len(ids))
            agreement = {"baseline": baseline, "prefix_match": same / max(len(ids), 1),
                         "chrf": 1.0 if ids == ref else 0.9}
        r["quality"] = quality(score, binary=binary, agreement=agreement)
        assert validate_record(r) == [], validate_record(r)
    return records
