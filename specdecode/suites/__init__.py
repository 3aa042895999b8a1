"""Domain prompt suites (code, math, translation, summarization, data-to-text, chat) built
offline from data inside installed packages, plus user JSONL files.

    from specdecode.suites import load_suite, render_prompt
    suite = load_suite("math", split="test", n=20)   # dev = tuning / draft training
    text = render_prompt(suite.items[0], tokenizer)   # chat template applied
"""
from .builtin import SUITES
from .catalog import list_suites, load_suite, render_prompt
from .types import Suite, SuiteInfo, SuiteItem

__all__ = ["SUITES", "Suite", "SuiteInfo", "SuiteItem",
           "list_suites", "load_suite", "render_prompt"]
