"""The compact terminal summary (one row per method x suite)."""
from __future__ import annotations

from typing import Any

from . import fmt as F
from .cells import ALL_SUITES
from .render_md import SPREAD_HEADERS, noise_verdict, speedup_text, spread_rows
from .render_quality import quality_term

RED, BOLD = "31;1", "1"


def render_terminal(s: dict[str, Any], color: bool) -> str:
    """Rows with a T=0 exactness mismatch are red (when color); pooled rows bold."""
    headers = ["method", "suite", "T", "ok/err", "tok/s", "speedup [95% CI]", "tau", "alpha",
               "pred", "eff", "exact@T=0"]
    rows, colors = [], []
    for c in s["cells"]:
        rows.append([c["method"], c["suite"], F.temperature(c["temperature"]),
                     f"{c['n_ok']}/{c['n_err']}", F.num(c["tokens_per_s"], 1),
                     speedup_text(c), F.num(c["tau"]), F.num(c["alpha"], 3),
                     F.num(c["predicted_speedup"]), F.num(c["efficiency"]),
                     F.exactness(c, markdown=False)])
        bad = c["exact_t0"] is not None and c["exact_t0"]["status"] == "NO"
        colors.append(RED if bad else BOLD if c["suite"] == ALL_SUITES else None)
    lines = [F.text_table(headers, rows, colors if color else None)]
    if s["baseline"] is None:
        lines.append("no baseline (proposer 'none') in these runs: speedups are not available")
    lines += _positions(s["cells"])
    lines += quality_term(s)
    lines += _spread(s.get("spread"), color)
    n_bad = sum(1 for c in s["cells"] if c["exact_t0"] and c["exact_t0"]["status"] == "NO")
    if n_bad:
        msg = f"WARNING: {n_bad} exact method/suite cell(s) differ from the baseline at T=0"
        lines.append(f"\033[{RED}m{msg}\033[0m" if color else msg)
    return "\n".join(lines)


def _positions(cells: list[dict[str, Any]]) -> list[str]:
    """The per-position statistics of the pooled cells (every cell with one suite), when
    any record carries them."""
    from .render_md import POSITION_HEADERS, position_rows

    suites = {c["suite"] for c in cells}
    pooled = [c for c in cells if c.get("position_stats")
              and (c["suite"] == ALL_SUITES or ALL_SUITES not in suites)]
    if not pooled:
        return []
    return ["", "Per-position statistics (means over checked positions; x = drafted token)",
            F.text_table(POSITION_HEADERS, position_rows(pooled, markdown=False))]


def _spread(spread: dict[str, Any] | None, color: bool) -> list[str]:
    """The baseline's spread per suite and the noise verdict (red when noisy)."""
    if not spread:
        return []
    lines = ["", "Spread of the baseline (timing noise; ‡ in the table = effect within it)",
             F.text_table(SPREAD_HEADERS, spread_rows(spread, markdown=False))]
    verdict = noise_verdict(spread) or "spread not measured (one repetition, no hf-greedy)"
    if spread["noisy"] and color:
        verdict = f"\033[{RED}m{verdict}\033[0m"
    return lines + [verdict]
