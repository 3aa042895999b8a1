"""The few ratios the CLI prints over one generation, on top of its raw counters
(records.counters, the one function that also fills the bench record). The analysis layer
recomputes ratios from the stored counters, never from these."""
from __future__ import annotations

from .records import counters
from .types import GenerationResult


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
