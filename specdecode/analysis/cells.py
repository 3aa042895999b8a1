"""Group records into cells (method x suite x temperature) and pair them with the baseline.

The baseline is the method whose method_config["proposer"] == "none". A method and the
baseline are compared only on the (suite, prompt_id, seed) items where BOTH are ok.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import SpecDecodeError

Record = dict[str, Any]
ALL_SUITES = "all"   # the pooled cell over every suite of a method


@dataclass(frozen=True)
class CellKey:
    method: str
    suite: str            # a suite name, or ALL_SUITES
    temperature: float


def unique_in_order(values) -> list:
    return list(dict.fromkeys(values))


def find_baseline(records: list[Record], name: str | None = None) -> str | None:
    """Name of the target-only method (proposer 'none'); `name` picks one of several."""
    names = unique_in_order(r["method"] for r in records
                            if r["method_config"].get("proposer") == "none")
    if name is not None:
        if name not in names:
            raise SpecDecodeError(f"baseline '{name}' is not a proposer-'none' method in "
                                  f"these runs. Available: {', '.join(names) or '(none)'}")
        return name
    return names[0] if names else None


def cell_keys(records: list[Record]) -> list[CellKey]:
    """Every (method, suite, temperature) present, plus one pooled cell per (method, T)
    when there are several suites. Order: first appearance."""
    suites = unique_in_order(r["suite"] for r in records)
    keys = unique_in_order(CellKey(r["method"], r["suite"], r["temperature"]) for r in records)
    if len(suites) > 1:
        pooled = unique_in_order(CellKey(r["method"], ALL_SUITES, r["temperature"])
                                 for r in records)
        keys += pooled
    return keys


def select(records: list[Record], method: str, suite: str,
           temperature: float) -> tuple[list[Record], list[Record]]:
    """(ok, error) records of one cell."""
    cell = [r for r in records if r["method"] == method and r["temperature"] == temperature
            and (suite == ALL_SUITES or r["suite"] == suite)]
    return [r for r in cell if r["status"] == "ok"], [r for r in cell if r["status"] != "ok"]


def item_key(rec: Record) -> tuple[str, str, int]:
    return rec["suite"], rec["prompt_id"], rec["seed"]


def pair_up(ok_m: list[Record], ok_b: list[Record]) -> list[tuple[Record, Record]]:
    """(method record, baseline record) for every item both have ok, in method order."""
    base = {item_key(r): r for r in ok_b}
    return [(r, base[item_key(r)]) for r in ok_m if item_key(r) in base]


TRACE_FIELDS = ("suite", "prompt_id", "seed", "temperature")


def trace_key(r: dict) -> tuple:
    return (*item_key(r), r["temperature"])


def pick_trace_item(records: list[Record], wanted: str | None) -> dict | None:
    """(suite, prompt_id, seed, temperature) traced by the most methods (lowest T first);
    `wanted` = 'suite/prompt_id' picks the prompt."""
    traced = sorted((r for r in records if r["status"] == "ok" and r["trace"]),
                    key=lambda r: r["temperature"])
    if wanted is not None:
        suite, _, prompt = wanted.partition("/")
        hits = [trace_key(r) for r in traced if (r["suite"], r["prompt_id"]) == (suite, prompt)]
        if not hits:
            raise SpecDecodeError(f"--trace-prompt {wanted}: no traced record has that "
                                  "suite/prompt_id; use SUITE/PROMPT_ID from the run")
        return dict(zip(TRACE_FIELDS, hits[0]))
    counts: dict[tuple, set] = {}
    for r in traced:
        counts.setdefault(trace_key(r), set()).add(r["method"])
    best = max(counts, key=lambda k: len(counts[k]), default=None)
    return None if best is None else dict(zip(TRACE_FIELDS, best))
