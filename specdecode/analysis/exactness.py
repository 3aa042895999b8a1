"""T = 0 exactness, the one check: a method that claims to be exact must reproduce the
baseline's (proposer 'none') token ids on every item both ran ok at temperature 0.

The report's per-cell verdict (summary.exact_t0) and the bench runner's closing check
(bench.runner.exactness, the exit code of `specdecode bench`) both come from here.
"""
from __future__ import annotations

from typing import Any

from .cells import find_baseline, pair_up, unique_in_order

Record = dict[str, Any]


def is_checked(exact: bool, temperature: float, is_baseline: bool) -> bool:
    """Which records the check applies to: exact methods other than the baseline, at T = 0."""
    return exact and temperature == 0 and not is_baseline


def first_diff(ids: list[int], ref: list[int]) -> int | None:
    """Index of the first differing token (a length difference counts); None if equal."""
    if ids == ref:
        return None
    return next((i for i, (a, b) in enumerate(zip(ids, ref)) if a != b), min(len(ids), len(ref)))


def mismatches(pairs: list[tuple[Record, Record]]) -> list[dict[str, Any]]:
    """(method record, baseline record) pairs whose output_ids differ. `numerical` is
    True only where the worker's audit (audit.py) found a near-tie flipped by rounding
    (bf16); a divergence without an audit is real."""
    bad = []
    for m, b in pairs:
        diff = first_diff(m["output_ids"], b["output_ids"])
        if diff is not None:
            audit = m.get("divergence") or {}
            bad.append({"method": m["method"], "suite": m["suite"], "prompt_id": m["prompt_id"],
                        "seed": m["seed"], "first_diff": diff,
                        "numerical": bool(audit.get("numerical")), "gap": audit.get("gap"),
                        "tolerance": audit.get("tolerance")})
    return bad


def real(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mismatches that are not numerical near-ties: bugs."""
    return [m for m in found if not m["numerical"]]


def t0_mismatches(records: list[Record], baseline: str | None = None) -> list[dict[str, Any]]:
    """Every mismatched item of every checked method in `records` (empty = all exact, or
    no baseline to check against)."""
    baseline = find_baseline(records, baseline)
    if baseline is None:
        return []
    ok = [r for r in records if r["status"] == "ok" and r["temperature"] == 0]
    base = [r for r in ok if r["method"] == baseline]
    bad = []
    for method in unique_in_order(r["method"] for r in ok):
        mine = [r for r in ok if r["method"] == method
                and is_checked(r["exact"], r["temperature"], method == baseline)]
        bad += mismatches(pair_up(mine, base))
    return bad
