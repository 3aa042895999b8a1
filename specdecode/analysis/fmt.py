"""Number formatting shared by the Markdown and terminal renderers ("—" for missing)."""
from __future__ import annotations

from typing import Any, Sequence

DASH = "—"


def num(x: float | None, nd: int = 2) -> str:
    return DASH if x is None else f"{x:.{nd}f}"


def pct(x: float | None, nd: int = 1) -> str:
    return DASH if x is None else f"{100.0 * x:.{nd}f}%"


def ms(x: float | None, nd: int = 1) -> str:
    return DASH if x is None else f"{1000.0 * x:.{nd}f}"


def pvalue(p: float | None) -> str:
    if p is None:
        return DASH
    return "< 1e-4" if p < 1e-4 else f"{p:.4f}"


def speedup_ci(cell: dict[str, Any]) -> str:
    s, ci = cell["speedup"], cell["speedup_ci"]
    if s is None:
        return DASH
    return f"{s:.2f}x" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def c_value(cell: dict[str, Any]) -> str:
    """c per draft call, or per cycle (marked †) for draft-free proposers."""
    return num(cell["c"], 3) + ("†" if cell["c_per"] == "cycle" and cell["c"] is not None else "")


def exactness(cell: dict[str, Any], markdown: bool) -> str:
    """'yes (n/n)', 'NO (m/n mismatched)' (bold in Markdown), 'ref' for the baseline."""
    if cell["is_baseline"]:
        return "ref"
    e = cell["exact_t0"]
    if e is None:
        return DASH if cell["exact"] else "lossy"
    ties = e.get("near_ties") or 0   # bf16 near-ties (audit.py): reported, not failures
    tied = f", {ties} near-tie{'s' if ties > 1 else ''}" if ties else ""
    if e["status"] == "yes":
        return f"yes ({e['n'] - ties}/{e['n']}{tied})"
    no = "**NO**" if markdown else "NO"
    return f"{no} ({e['mismatched']}/{e['n']} mismatched{tied})"


def temperature(t: float) -> str:
    return f"{t:g}"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
             align_right_from: int = 1) -> str:
    """A GitHub Markdown table; columns from `align_right_from` on are right-aligned."""
    def esc(s: str) -> str:
        return str(s).replace("|", "\\|")

    rule = ["---" if i < align_right_from else "---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(map(esc, headers)) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
               colors: Sequence[str | None] | None = None) -> str:
    """Aligned plain-text table; colors[i] is an ANSI code for row i (None: plain)."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    for i, row in enumerate(rows):
        text = line(row)
        color = colors[i] if colors else None
        out.append(f"\033[{color}m{text}\033[0m" if color else text)
    return "\n".join(out)
