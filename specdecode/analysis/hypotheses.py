"""Hypotheses as data, and the table that tests them.

A hypotheses file is YAML:

    version: 1
    hypotheses:
      - id: H5                          # unique; an id already listed replaces that entry
        text: translation drafts are rejected more than the others'
        test: domain_vs_rest            # a registered test (rejection_tests.TESTS)
        params: {domain: translation, direction: higher}   # that test's params (optional)

The defaults ship as hypotheses.yaml beside this module; `--hypotheses FILE` adds to them.

Verdicts, at alpha after Holm's correction across every testable row of the table
(statsmodels multipletests): supported = significant in the predicted direction;
falsified = significant in the opposite direction; inconclusive = not significant.
A row the data cannot test says why and takes no part in the correction.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from statsmodels.stats.multitest import multipletests

from ..errors import SpecDecodeError
from .rejection_tests import TESTS, Data, Untestable, params_of

ALPHA = 0.05
FORMAT_FIX = "see the format in specdecode/analysis/hypotheses.py"


def _check_entry(entry: Any, where: str) -> dict:
    """One hypothesis entry, checked: {id, text, test, params}."""
    if not isinstance(entry, dict) or not {"id", "text", "test"} <= set(entry):
        raise SpecDecodeError(f"{where}: each hypothesis needs id, text and test; {FORMAT_FIX}")
    extra = set(entry) - {"id", "text", "test", "params"}
    if extra:
        raise SpecDecodeError(f"{where}: hypothesis {entry['id']} has unknown keys "
                              f"{', '.join(sorted(map(str, extra)))}; {FORMAT_FIX}")
    if entry["test"] not in TESTS:
        raise SpecDecodeError(f"{where}: hypothesis {entry['id']}: unknown test "
                              f"'{entry['test']}'. Available: {', '.join(TESTS)}")
    params = entry.get("params") or {}
    if not isinstance(params, dict):
        raise SpecDecodeError(f"{where}: hypothesis {entry['id']}: params must be a mapping")
    allowed = params_of(entry["test"])
    bad = [k for k in params if k not in allowed]
    if bad:
        raise SpecDecodeError(f"{where}: hypothesis {entry['id']}: test '{entry['test']}' takes "
                              f"no param {bad[0]!r}. Available: {', '.join(allowed) or 'none'}")
    return {"id": str(entry["id"]), "text": str(entry["text"]), "test": entry["test"],
            "params": params}


def parse_hypotheses(text: str, where: str) -> list[dict]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecDecodeError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("hypotheses"), list):
        raise SpecDecodeError(f"{where}: expected a mapping with a `hypotheses:` list; {FORMAT_FIX}")
    return [_check_entry(e, where) for e in raw["hypotheses"]]


def load_hypotheses(extra: str | Path | None = None) -> list[dict]:
    """The shipped hypotheses, then those of `extra` (same id: replaced in place)."""
    text = resources.files("specdecode.analysis").joinpath("hypotheses.yaml").read_text()
    rows = {h["id"]: h for h in parse_hypotheses(text, "hypotheses.yaml")}
    if extra is not None:
        path = Path(extra)
        try:
            user = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecDecodeError(f"--hypotheses {path}: cannot be read ({exc}); give a YAML file") from None
        rows.update({h["id"]: h for h in parse_hypotheses(user, str(path))})
    return list(rows.values())


def _run_one(h: dict, data: Data) -> dict:
    try:
        result = TESTS[h["test"]](data, **h["params"])
    except Untestable as why:
        return {**h, "testable": False, "reason": str(why)}
    except ValueError as exc:     # a param value the test refuses
        raise SpecDecodeError(f"hypothesis {h['id']}: {exc}; fix its params") from None
    return {**h, "testable": True, **result}


def verdict(row: dict) -> str:
    if not row["testable"]:
        return "not testable"
    if not row["p_holm"] < ALPHA:
        return "inconclusive"
    if row["sign"] == 0:
        return "supported"
    return "supported" if row["effect"] * row["sign"] > 0 else "falsified"


def hypotheses_table(hypotheses: list[dict], data: Data, alpha: float = ALPHA) -> list[dict]:
    """Every hypothesis tested; p_holm over the testable rows; a verdict per row."""
    rows = [_run_one(h, data) for h in hypotheses]
    testable = [r for r in rows if r["testable"]]
    if testable:
        _, adjusted, _, _ = multipletests([r["p"] for r in testable], alpha=alpha, method="holm")
        for r, p in zip(testable, adjusted):
            r["p_holm"] = float(p)
    for r in rows:
        r["verdict"] = verdict(r)
    return rows


def compare_tables(a: list[dict], b: list[dict]) -> list[dict]:
    """Rows of two tables side by side by id. flip: 'flips' when one run supports what
    the other falsifies, 'changes' when the verdicts differ otherwise, '' when equal."""
    by_id = {r["id"]: r for r in b}
    out = []
    for ra in a:
        rb = by_id.get(ra["id"])
        vb = rb["verdict"] if rb else "absent"
        pair = {ra["verdict"], vb}
        flip = "flips" if pair == {"supported", "falsified"} else "" if ra["verdict"] == vb else "changes"
        out.append({"id": ra["id"], "text": ra["text"], "a": ra, "b": rb, "flip": flip})
    return out
