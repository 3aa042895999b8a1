"""`summarization`: "summarize this function" over Python's own standard library.

A proxy for summarization: the input is a stdlib function with its docstring removed,
the reference is the docstring's summary: its first line, or, when that line breaks off
mid-sentence (a third of them do), the first sentence of its first paragraph.

The stdlib differs between Python versions, so the content (and the content hash in
the suite version) follows the interpreter; the recipe version names the Python minor
version.

Parsing the whole stdlib takes ~3.5 s on a slow CPU, so a fixed, hash-chosen quarter of
its files is read (~0.5 s); the choice depends only on each file's relative path.
"""
from __future__ import annotations

import ast
import os
import re
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .splits import unit_hash
from .types import SuiteItem

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`'\"])")
_SIGNATURE_LINE = re.compile(r"^[\w.]+\(.*\)\s*(->|-->)")  # "f(x) -> y" docstring style


@dataclass(frozen=True)
class SummarizationConfig:
    file_fraction: float = 0.25  # share of stdlib files read (hash of relative path)
    min_lines: int = 5  # function length after the docstring is removed
    max_lines: int = 60
    max_prompt_chars: int = 1500
    min_reference_words: int = 3
    max_reference_chars: int = 200
    skip_dirs: frozenset[str] = frozenset({
        "test", "tests", "idlelib", "lib2to3", "turtledemo", "site-packages",
        "dist-packages", "ensurepip", "pydoc_data", "encodings", "__pycache__",
    })
    instruction: str = "Summarize what this Python function does in one sentence."
    salt: str = "summarization-files-v1"


def build(cfg: SummarizationConfig = SummarizationConfig()) -> list[SuiteItem]:
    root = Path(sysconfig.get_paths()["stdlib"])
    items = [it for rel in _stdlib_files(root, cfg) for it in _file_items(root, rel, cfg)]
    return sorted(items, key=lambda it: unit_hash(it.id, cfg.salt))


def _stdlib_files(root: Path, cfg: SummarizationConfig) -> list[str]:
    """Relative paths ("json/decoder.py") of the chosen files, sorted."""
    rels = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames
                       if d not in cfg.skip_dirs and not d.startswith("config-")]
        for name in filenames:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            if name.endswith(".py") and unit_hash(rel, cfg.salt) < cfg.file_fraction:
                rels.append(rel)
    return sorted(rels)


def _file_items(root: Path, rel: str, cfg: SummarizationConfig) -> list[SuiteItem]:
    try:
        source = (root / rel).read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []  # e.g. a file written for another Python version
    lines = source.splitlines()
    module = rel[:-3].replace("/", ".").removesuffix(".__init__")
    items, seen = [], {}
    for qualname, node in functions(tree):
        item = summary_item(module, qualname, node, lines, cfg)
        if item is not None:
            seen[item.id] = seen.get(item.id, 0) + 1  # same name defined twice (if/else)
            suffix = f"#{seen[item.id]}" if seen[item.id] > 1 else ""
            items.append(SuiteItem(item.id + suffix, item.prompt, item.reference, item.meta))
    return items


def functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and method, in source order."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, _FUNCS):
            yield prefix + node.name, node
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        elif not isinstance(node, (ast.Expr, ast.Assign, ast.Import, ast.ImportFrom)):
            yield from functions(node, prefix)  # if/try blocks at module level


def summary_item(module, qualname, node, lines, cfg: SummarizationConfig) -> SuiteItem | None:
    doc = ast.get_docstring(node)
    if not doc or len(node.body) < 2 or node.body[0].lineno <= node.lineno:
        return None  # no docstring, nothing but a docstring, or `def f(): "doc"` on one line
    reference = _summary(doc)
    code = _without_docstring(node, lines)
    n_lines = code.count("\n") + 1
    prompt = f"{cfg.instruction}\n\n```python\n{code}\n```"
    if (len(reference.split()) < cfg.min_reference_words
            or len(reference) > cfg.max_reference_chars or _SIGNATURE_LINE.match(reference)
            or not cfg.min_lines <= n_lines <= cfg.max_lines
            or len(prompt) > cfg.max_prompt_chars):
        return None
    meta = {"module": module, "qualname": qualname, "lines": n_lines}
    return SuiteItem(f"summarization/{module}:{qualname}", prompt, reference, meta)


def _summary(doc: str) -> str:
    """First line if it ends a sentence, else the first sentence of the first paragraph."""
    paragraph = doc.strip().split("\n\n")[0]
    first = paragraph.splitlines()[0].strip()
    if first.endswith((".", "!", "?")):
        return first
    return _SENTENCE_END.split(" ".join(paragraph.split()), maxsplit=1)[0]


def _without_docstring(node, lines: list[str]) -> str:
    """Source of `node` (decorators included) minus the docstring's lines, with the
    def's own indentation removed (textwrap.dedent would stop at any string literal
    that starts in column 0)."""
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    doc = node.body[0]  # (lineno, end_lineno) are 1-based and inclusive
    kept = lines[start:doc.lineno - 1] + lines[doc.end_lineno:node.end_lineno]
    return "\n".join(unindent(ln, node.col_offset) for ln in kept).strip("\n")


def unindent(line: str, n: int) -> str:
    """Drop `n` leading columns if they are blank (string literal lines may not be)."""
    return line[n:] if not line[:n].strip() else line
