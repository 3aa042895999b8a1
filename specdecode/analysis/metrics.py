"""Aggregate metrics over a list of OK records. Ratios of sums, never means of ratios.

Every function returns None when a needed counter is null (peers such as hf-* do not
instrument their internals) or when there is nothing to divide by; the report shows "—".
Definitions (also written into every report):
  decode tokens  new_tokens - 1 (the first new token comes from prefill)
  item time      prefill_s / decode_s / total_s of an item: the median over its repetitions
                 (record field `repeats`; the mean of the two middle ones for an even
                 count), the counters' value when it has none (one repetition)
  tau            sum(decode tokens) / sum(cycles)  (cycles = target calls in the shared loop;
                 falls back to target_calls for records without a cycle count)
  alpha          sum_i accepted_per_position[i] / sum_i reached_per_position[i]
  draft yield    sum(accepted) / sum(drafted)
"""
from __future__ import annotations

import statistics
from typing import Any, Iterable

Record = dict[str, Any]
TIMINGS = ("prefill_s", "decode_s", "total_s")   # the fields that repetitions time


def counter_sum(records: Iterable[Record], name: str) -> float | None:
    """Sum of one counter; None if any record has it null or there are no records.
    Timing fields are item times (the median over repetitions)."""
    total, seen = 0.0, False
    for rec in records:
        value = timing(rec, name) if name in TIMINGS else rec["counters"][name]
        if value is None:
            return None
        total, seen = total + value, True
    return total if seen else None


def repeat_times(rec: Record, name: str = "total_s") -> list[float]:
    """One timing field of every repetition of the item, in run order ([counters] when the
    record has no `repeats`)."""
    reps = rec.get("repeats")
    return [r[name] for r in reps] if reps else [rec["counters"][name]]


def timing(rec: Record, name: str) -> float:
    """The item's time for one timing field: the median over its repetitions."""
    return float(statistics.median(repeat_times(rec, name)))


def cv(values: list[float]) -> float | None:
    """Coefficient of variation: sample standard deviation / mean (None below 2 values)."""
    if len(values) < 2 or statistics.fmean(values) == 0:
        return None
    return statistics.stdev(values) / statistics.fmean(values)


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def decode_tokens(rec: Record) -> int:
    return max(rec["counters"]["new_tokens"] - 1, 0)


def tokens_per_s(records: list[Record]) -> float | None:
    """End to end: sum(new_tokens) / sum(item total_s)."""
    return ratio(counter_sum(records, "new_tokens"), counter_sum(records, "total_s"))


def decode_tokens_per_s(records: list[Record]) -> float | None:
    """Decode phase only: sum(new_tokens - 1) / sum(item decode_s)."""
    return ratio(sum(map(decode_tokens, records)), counter_sum(records, "decode_s"))


def tau(records: list[Record]) -> float | None:
    dens = []
    for rec in records:
        c = rec["counters"]
        den = c["cycles"] if c["cycles"] is not None else c["target_calls"]
        if den is None:
            return None
        dens.append(den)
    return ratio(sum(map(decode_tokens, records)), sum(dens)) if dens else None


def _padded_sum(records: list[Record], name: str) -> list[int] | None:
    total: list[int] = []
    for rec in records:
        row = rec["counters"][name]
        if row is None:
            return None
        total.extend([0] * (len(row) - len(total)))
        for i, v in enumerate(row):
            total[i] += v
    return total


def position_counts(records: list[Record]) -> tuple[list[int], list[int]] | None:
    """(accepted[i], reached[i]) summed over records, padded to the longest window."""
    acc = _padded_sum(records, "accepted_per_position")
    reached = _padded_sum(records, "reached_per_position")
    if acc is None or reached is None or not records:
        return None
    n = max(len(acc), len(reached))
    return acc + [0] * (n - len(acc)), reached + [0] * (n - len(reached))


def per_position_acceptance(records: list[Record]) -> list[float | None] | None:
    counts = position_counts(records)
    if counts is None:
        return None
    return [ratio(a, r) for a, r in zip(*counts)]


def alpha(records: list[Record]) -> float | None:
    counts = position_counts(records)
    return None if counts is None else ratio(sum(counts[0]), sum(counts[1]))


def draft_yield(records: list[Record]) -> float | None:
    return ratio(counter_sum(records, "accepted"), counter_sum(records, "drafted"))


def target_step_s(records: list[Record]) -> float | None:
    """Seconds per decode target call."""
    return ratio(counter_sum(records, "target_s"), counter_sum(records, "target_calls"))


def draft_token_s(records: list[Record]) -> float | None:
    """Seconds of drafting per drafted token. Equals the time per draft forward call for a
    plain draft (one call per token); a draft with a copy head drafts some tokens with no
    call, and this is the cost per token that the speedup model needs."""
    return ratio(counter_sum(records, "draft_s"), counter_sum(records, "drafted"))


def draft_cycle_s(records: list[Record]) -> float | None:
    """Seconds of drafting per cycle (the cost unit for draft-free proposers)."""
    return ratio(counter_sum(records, "draft_s"), counter_sum(records, "cycles"))


def mean_k(records: list[Record]) -> float | None:
    """Mean draft length asked per cycle, from traces; drafted / cycles without traces."""
    ks = [cyc["k"] for rec in records for cyc in (rec["trace"] or [])]
    if ks:
        return sum(ks) / len(ks)
    return ratio(counter_sum(records, "drafted"), counter_sum(records, "cycles"))


def drafted_lengths(records: list[Record]) -> list[tuple[float, int]] | None:
    """(drafted tokens, cycles) pairs: from traces, else one pair (drafted / cycles, cycles)."""
    counts: dict[int, int] = {}
    for rec in records:
        for cyc in rec["trace"] or []:
            counts[cyc["drafted"]] = counts.get(cyc["drafted"], 0) + 1
    if counts:
        return sorted(counts.items())
    mean = ratio(counter_sum(records, "drafted"), counter_sum(records, "cycles"))
    cycles = counter_sum(records, "cycles")
    return None if mean is None else [(mean, int(cycles))]


def tau_hist(records: list[Record]) -> list[int] | None:
    return _padded_sum(records, "tau_hist")


def ttfts(records: list[Record]) -> list[float]:
    return [timing(rec, "prefill_s") for rec in records]


def tpots(records: list[Record]) -> list[float]:
    """Item decode_s / (new_tokens - 1) per record with at least 2 new tokens."""
    return [timing(rec, "decode_s") / decode_tokens(rec) for rec in records
            if decode_tokens(rec) > 0]


def verify_time_by_k(records: list[Record]) -> dict[int, tuple[float, int]]:
    """From traces: k -> (sum of cycle target_s, cycles), k = tokens drafted that cycle.

    Grouped by `drafted` (not the k asked): the verify call scores drafted + 1 positions,
    so that is what its cost depends on (an n-gram miss is a 1-token call).
    """
    out: dict[int, tuple[float, int]] = {}
    for rec in records:
        for cyc in rec["trace"] or []:
            s, n = out.get(cyc["drafted"], (0.0, 0))
            out[cyc["drafted"]] = (s + cyc["target_s"], n + 1)
    return dict(sorted(out.items()))


POSITION_FIELDS = ("entropy_q", "entropy_p", "kl_qp", "p_x", "q_x")


def _position_row(position: int | str, stats: list[tuple[dict, bool]]) -> dict[str, Any]:
    row: dict[str, Any] = {"position": position, "n": len(stats)}
    for name in POSITION_FIELDS:
        vals = [s[name] for s, _ in stats if s[name] is not None]
        row[name] = sum(vals) / len(vals) if vals else None
    row["rejection_rate"] = ratio(sum(not ok for _, ok in stats), len(stats))
    return row


def position_stats(records: list[Record]) -> list[dict[str, Any]] | None:
    """Per checked draft position (1-based) and pooled ("all"): the number of checked
    positions n, the mean of each PositionStat field over them (nulls skipped) and the
    rejection rate. From v2 traces that carry `positions`; None when no cycle does."""
    by_pos: dict[int, list[tuple[dict, bool]]] = {}
    seen = False
    for rec in records:
        for cyc in rec["trace"] or []:
            if cyc.get("positions") is None:
                continue
            seen = True
            for i, (stat, ok) in enumerate(zip(cyc["positions"], cyc["outcomes"])):
                by_pos.setdefault(i + 1, []).append((stat, ok))
    if not seen:
        return None
    rows = [_position_row(i, by_pos[i]) for i in sorted(by_pos)]
    if rows:
        rows.append(_position_row("all", [x for i in sorted(by_pos) for x in by_pos[i]]))
    return rows
