"""`humaneval`: HumanEval pass@1 of one completion, run only in the sandbox (sandbox.py).

The program is built as HumanEval builds it: prompt + completion + test +
`check(entry_point)`, with meta["code_prompt"] (the raw HumanEval prompt), meta["test"]
and meta["entry_point"]. The model answers a chat request, so its code is extracted first:

  1. the code is the first fenced block (``` or ```python; an unclosed fence, cut off by
     max_new_tokens, runs to the end) that defines `def ENTRY_POINT(`, else the first
     fenced block, else the whole output;
  2. code that defines `def ENTRY_POINT(` is a whole function: it goes AFTER the raw
     prompt (whose imports and helpers it may use; its definition replaces the prompt's
     docstring-only stub); any other code is a body that continues the prompt, the
     original HumanEval convention.

Score 1 when the program exits 0 within the limits, else 0 with the sandbox's reason
("failed: AssertionError", "timeout", "memory", ...); a missing isolation layer is
appended to the detail. A failure of the sandbox itself raises (an error record).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import SCORERS, Score, ScoreInput, Scorer
from .sandbox import SandboxLimits, SandboxResult, run_python

_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n(.*?)(?:```|\Z)", re.S)
META_KEYS = ("code_prompt", "test", "entry_point")


@dataclass(frozen=True)
class HumanEvalConfig:
    limits: SandboxLimits = SandboxLimits(wall_s=10.0, cpu_s=10)


def extract_code(text: str, entry_point: str) -> str:
    """Rule 1 of the module docstring."""
    blocks = _FENCE.findall(text)
    if not blocks:
        return text
    defining = [b for b in blocks if _defines(b, entry_point)]
    return (defining or blocks)[0]


def build_program(text: str, meta: dict) -> str:
    """The HumanEval check program for one model output (rule 2)."""
    entry = meta["entry_point"]
    code = extract_code(text, entry)
    prompt = meta["code_prompt"]
    body = f"{prompt.rstrip()}\n\n{code}" if _defines(code, entry) else prompt + code
    return f"{body}\n\n{meta['test']}\n\ncheck({entry})\n"


def _defines(code: str, entry_point: str) -> bool:
    return re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.M) is not None


@SCORERS.register("humaneval")
class HumanEvalScorer(Scorer):
    binary = True
    needs = "meta code_prompt, test and entry_point (HumanEval items)"

    def __init__(self, cfg: HumanEvalConfig = HumanEvalConfig()):
        self.cfg = cfg

    def missing(self, reference: str | None, meta: dict) -> str | None:
        absent = [k for k in META_KEYS if not meta.get(k)]
        return f"no meta {', '.join(absent)}" if absent else None

    def score(self, inp: ScoreInput) -> Score:
        res = run_python(build_program(inp.text, inp.meta), self.cfg.limits)
        return Score(float(res.passed), _detail(res))


def _detail(res: SandboxResult) -> str:
    gaps = [what for what, ok in (("network", res.isolation.get("network")),
                                  ("filesystem", res.isolation.get("filesystem") != "none")) if not ok]
    return ("passed" if res.passed else res.detail) + (f" (no {' / '.join(gaps)} isolation)" if gaps else "")
