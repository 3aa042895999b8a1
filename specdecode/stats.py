"""Raw counters of one generation (the bench record's `counters`) and the few ratios the
CLI prints. The analysis layer recomputes ratios from the counters, never from these."""
from __future__ import annotations

from .types import CycleRecord, GenerationResult


COUNTER_KEYS = ("new_tokens", "target_calls", "draft_calls", "cycles", "drafted", "accepted",
                "accepted_per_position", "reached_per_position", "tau_hist", "recovered", "bonus",
                "draft_s", "target_s", "overhead_s", "prefill_s", "decode_s", "total_s")


def counters(cycles: list[CycleRecord], new_tokens: int, prefill_s: float, decode_s: float) -> dict:
    """Counters in the schema of specdecode.bench.schema.COUNTERS_SCHEMA."""
    width = max((len(c.outcomes) for c in cycles), default=0)
    acc_pos, reach_pos = [0] * width, [0] * width
    tau_hist = [0] * (max((len(c.tokens) for c in cycles), default=0) + 1)
    for c in cycles:
        for i, ok in enumerate(c.outcomes):
            reach_pos[i] += 1
            acc_pos[i] += int(ok)
        tau_hist[len(c.tokens)] += 1
    return {
        "new_tokens": new_tokens,
        "target_calls": len(cycles),
        "draft_calls": sum(c.draft_calls for c in cycles),
        "cycles": len(cycles),
        "drafted": sum(c.drafted for c in cycles),
        "accepted": sum(c.accepted for c in cycles),
        "accepted_per_position": acc_pos,
        "reached_per_position": reach_pos,
        "tau_hist": tau_hist,
        "recovered": sum(c.kind == "recovered" for c in cycles),
        "bonus": sum(c.kind == "bonus" for c in cycles),
        "draft_s": sum(c.draft_s for c in cycles),
        "target_s": sum(c.target_s for c in cycles),
        "overhead_s": sum(c.overhead_s for c in cycles),
        "prefill_s": prefill_s,
        "decode_s": decode_s,
        "total_s": prefill_s + decode_s,
    }


def summarize(result: GenerationResult, prefill_s: float, decode_s: float) -> dict:
    """Counters plus display ratios: tau (tokens per target call in decode, bonus /
    recovered included), acceptance rate alpha = accepted / checked positions, tokens/s."""
    c = counters(result.cycles, len(result.output_ids), prefill_s, decode_s)
    checked = sum(c["reached_per_position"])
    decode_tokens = sum(len(cy.tokens) for cy in result.cycles)
    cycle_s = c["draft_s"] + c["target_s"] + c["overhead_s"]
    c.update(
        tau=decode_tokens / c["cycles"] if c["cycles"] else None,
        acceptance_rate=c["accepted"] / checked if checked else None,
        per_position_acceptance=[a / r if r else None for a, r in
                                 zip(c["accepted_per_position"], c["reached_per_position"])],
        tokens_per_s=c["new_tokens"] / c["total_s"] if c["total_s"] > 0 else None,
        ttft_s=prefill_s,
        overhead_share=c["overhead_s"] / cycle_s if cycle_s > 0 else None,
        finish_reason=result.finish_reason,
    )
    return c


def stats_line(s: dict) -> str:
    def fmt(v, spec):
        return "—" if v is None else format(v, spec)

    return (f"[{s['new_tokens']} tokens | {fmt(s['tokens_per_s'], '.1f')} tok/s | "
            f"TTFT {s['ttft_s'] * 1000:.0f} ms | decode {s['decode_s']:.2f} s | "
            f"target calls {s['target_calls']} | tau {fmt(s['tau'], '.2f')} | "
            f"accept {fmt(s['acceptance_rate'], '.2f')} | overhead {fmt(s['overhead_share'], '.1%')} | "
            f"{s['finish_reason']}]")
