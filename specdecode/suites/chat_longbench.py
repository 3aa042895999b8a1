"""`chat`: English writing requests from LongBench-Write, as shipped inside evalscope.

The file holds 120 prompts (about half Chinese); we keep the English ones (no CJK
characters) whose text fits in `max_prompt_chars`. There is no reference answer: these
are open-ended requests. The requested length in words stays in meta.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import SpecDecodeError
from .pkgdata import package_file
from .splits import short_hash
from .types import SuiteItem

PIN = "1.14.1"
DATA_FILE = "third_party/longbench_write/resources/longbench_write.jsonl"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


@dataclass(frozen=True)
class ChatConfig:
    max_prompt_chars: int = 1500


def build(cfg: ChatConfig = ChatConfig()) -> list[SuiteItem]:
    path = package_file("evalscope", "evalscope", PIN, DATA_FILE)
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        text = row["prompt"].strip()
        if _CJK.search(text) or len(text) > cfg.max_prompt_chars:
            continue
        meta = {"type": row.get("type"), "length_words": row.get("length"), "line": n + 1}
        items.append(SuiteItem(f"chat/longbench_write_{short_hash(text, 8)}", text, None, meta))
    if not items:
        raise SpecDecodeError(f"no English prompts in {path}; reinstall `evalscope=={PIN}`")
    return items
