"""Token classes (code keyword, punctuation/whitespace, digit, word piece) of drafted ids.

Records carry token ids, not token strings, so the class split needs the target's
tokenizer. Only its tokenizer.json is read, with the `tokenizers` library (a lookup
table, not a model; nothing is downloaded): from --tokenizer PATH, else from the offline
zoo entry of a `zoo:` target when it is there. Otherwise the split is skipped and the
report says what it needs.
"""
from __future__ import annotations

import keyword
import string
from pathlib import Path

import numpy as np

from ..errors import SpecDecodeError

CLASSES = ("code keyword", "punctuation/whitespace", "digit", "word piece")
# Python's keywords plus the commonest of C-family / JS / shell, as whole stripped tokens
_KEYWORDS = frozenset(keyword.kwlist) | {
    "function", "var", "let", "const", "int", "void", "char", "float", "double", "struct",
    "public", "private", "static", "new", "this", "switch", "case", "then", "fi", "do", "done",
    "echo", "include", "typedef", "interface", "enum", "self"}
_PUNCT = frozenset(string.punctuation)
NEEDS_TOKENIZER = ("token class split needs token text: pass --tokenizer PATH/tokenizer.json "
                   "(the target's tokenizer file; no model is loaded)")


def token_class(text: str) -> str:
    """The class of one decoded token."""
    core = text.strip()
    if not core or all(ch in _PUNCT or ch.isspace() for ch in core):
        return CLASSES[1]
    if core.isdigit():
        return CLASSES[2]
    if core in _KEYWORDS:
        return CLASSES[0]
    return CLASSES[3]


def find_tokenizer(path: str | None, target: dict | None) -> Path | None:
    """The tokenizer.json to read: PATH (a file or a directory holding one), else the zoo
    entry of a `zoo:` target when present offline; None when there is none."""
    if path is not None:
        p = Path(path).expanduser()
        p = p / "tokenizer.json" if p.is_dir() else p
        if not p.is_file():
            raise SpecDecodeError(f"--tokenizer {path}: no tokenizer.json there; give the "
                                  "target's tokenizer.json or the directory holding it")
        return p
    name = (target or {}).get("name") or ""
    if not name.startswith("zoo:"):
        return None
    from ..zoo.cache import entry_dir   # paths only: nothing is built or downloaded

    p = entry_dir(name) / "tokenizer.json"
    return p if p.is_file() else None


def classify(ids: np.ndarray, tokenizer_file: Path) -> np.ndarray:
    """(N,) class index into CLASSES of each token id."""
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(tokenizer_file))
    except Exception as exc:  # noqa: BLE001 -- the library raises its own types for a bad file
        raise SpecDecodeError(f"{tokenizer_file}: not a tokenizers JSON file ({exc}); "
                              "pass the target's tokenizer.json with --tokenizer") from None
    unique, inverse = np.unique(ids, return_inverse=True)
    cls = np.array([CLASSES.index(token_class(tok.decode([int(t)], skip_special_tokens=False)))
                    for t in unique], dtype=int)
    return cls[inverse]
