"""Zoo entries derived from another entry without training (a head subset, int8 weights):
the base's files are hard-linked into the new directory and only the meta file is new."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..models.loading import DRAFT_META

BOOKKEEPING = {"zoo-manifest.json", ".zoo-verified.json"}  # the zoo's own files, never carried over


def link_base(base: Path, out_dir: Path, meta: dict) -> None:
    """Hard-link (copy where links fail) every file of `base` into `out_dir`, then write
    DRAFT_META = the base's meta updated with `meta`. The base's meta file is never
    linked: writing the new one through a link would change the base."""
    base, out_dir = Path(base), Path(out_dir)
    for path in sorted(base.iterdir()):
        if path.is_file() and path.name not in BOOKKEEPING | {DRAFT_META}:
            _link_or_copy(path, out_dir / path.name)
    old = base / DRAFT_META
    merged = {**(json.loads(old.read_text()) if old.is_file() else {}), **meta}
    (out_dir / DRAFT_META).write_text(json.dumps(merged))


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)
