"""A small reader for gettext .po files: (msgctxt, msgid, msgstr) of usable entries.

Skipped: the header (empty msgid), fuzzy entries, obsolete ("#~") entries, entries with
an empty translation, and plural entries (msgid_plural / msgstr[n]): their forms do not
pair one English string with one translation.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PoEntry:
    msgid: str
    msgstr: str
    msgctxt: str | None = None
    flags: frozenset[str] = frozenset()


@dataclass
class _Draft:  # the entry being read
    fields: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    current: str | None = None


def read_po(path: Path) -> list[PoEntry]:
    entries: list[PoEntry] = []
    draft = _Draft()
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:  # a blank line ends an entry
            _finish(draft, entries)
            draft = _Draft()
        elif line.startswith("#,"):
            draft.flags.update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue  # comments, references, obsolete "#~" entries
        elif line.startswith('"'):
            if draft.current is not None:
                draft.fields[draft.current] += _unquote(line)
        else:
            after_msgstr = (draft.current or "").startswith("msgstr")
            if after_msgstr and line.startswith(("msgctxt", "msgid ")):
                _finish(draft, entries)  # entries not separated by a blank line
                draft = _Draft()
            key, _, rest = line.partition(" ")
            draft.current = key
            draft.fields[key] = _unquote(rest.strip())
    return entries


def _finish(draft: _Draft, out: list[PoEntry]) -> None:
    f = draft.fields
    if "msgid_plural" in f or "msgstr" not in f or not f.get("msgid") or not f["msgstr"]:
        return
    if "fuzzy" in draft.flags:
        return
    out.append(PoEntry(f["msgid"], f["msgstr"], f.get("msgctxt"), frozenset(draft.flags)))


def _unquote(token: str) -> str:
    """A C-style quoted .po string -> text (handles \\n, \\t, \\", \\\\)."""
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        return ""
    return ast.literal_eval(token)
