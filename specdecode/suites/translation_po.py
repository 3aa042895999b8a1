"""`translation`: English -> French / German pairs from Django's and Sphinx's .po files.

A proxy: these are short UI and documentation-tool strings, not news or books. Format
placeholders (%(name)s, %s, {0}) are kept in both sides, so a good translation copies
them; whitespace runs are collapsed to one space (template strings wrap lines).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .pkgdata import package_dir
from .pofile import PoEntry, read_po
from .splits import short_hash, unit_hash
from .types import SuiteItem

LANG_NAMES = {"fr": "French", "de": "German"}
# (import name, distribution, pin, glob of .po files under the package, with {lang})
PO_SOURCES = (
    ("django", "Django", "5.2.19", "**/locale/{lang}/LC_MESSAGES/*.po"),
    ("sphinx", "Sphinx", "9.0.4", "locale/{lang}/LC_MESSAGES/*.po"),
)


@dataclass(frozen=True)
class TranslationConfig:
    languages: tuple[str, ...] = ("fr", "de")
    min_words: int = 5  # English side, whitespace-separated
    max_chars: int = 400  # longer entries are paragraphs of help text
    order_salt: str = "translation-order-v1"  # items are listed in a hashed order


def build(cfg: TranslationConfig = TranslationConfig()) -> list[SuiteItem]:
    items = [it for lang in cfg.languages for it in _language_items(lang, cfg)]
    return sorted(items, key=lambda it: unit_hash(it.id, cfg.order_salt))


def _language_items(lang: str, cfg: TranslationConfig) -> list[SuiteItem]:
    seen: set[str] = set()
    items = []
    for origin, entry in _entries(lang):
        src, tgt = _clean(entry.msgid), _clean(entry.msgstr)
        if src in seen or not _keep(src, tgt, cfg):
            continue
        seen.add(src)
        meta = {"src": src, "src_lang": "en", "tgt_lang": lang, "origin": origin}
        prompt = f"Translate to {LANG_NAMES[lang]}: {src}"
        items.append(SuiteItem(f"translation/en-{lang}/{short_hash(src)}", prompt, tgt, meta))
    return items


def _entries(lang: str) -> list[tuple[str, PoEntry]]:
    """(path relative to site-packages, entry) in a fixed order: package, then path."""
    out = []
    for module, dist, pin, pattern in PO_SOURCES:
        root = package_dir(module, dist, pin)
        for path in sorted(root.glob(pattern.format(lang=lang))):
            origin = str(Path(module) / path.relative_to(root))
            out.extend((origin, e) for e in read_po(path))
    return out


def _clean(text: str) -> str:
    return " ".join(text.split())


def _keep(src: str, tgt: str, cfg: TranslationConfig) -> bool:
    return (len(src.split()) >= cfg.min_words and len(src) <= cfg.max_chars
            and bool(tgt) and tgt != src)
