"""File hashes, the per-entry manifest, and the verification stamp.

manifest (zoo-manifest.json, written last, before the atomic rename): what was built,
from which recipe, and the sha256 + size of every file. The stamp (.zoo-verified.json)
remembers (size, mtime_ns, ctime_ns) of each file at its last full verification, so a
repeated load skips re-hashing 500 MB unless a file was touched since; a truncated or
rewritten file changes size or times and is hashed (and caught) again.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from math import prod
from pathlib import Path
from typing import Any

MANIFEST = "zoo-manifest.json"
STAMP = ".zoo-verified.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_sha256(payload: Any) -> str:
    """sha256 of canonical JSON (sorted keys, no spaces): the same payload, the same hash."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_files(entry_dir: Path) -> list[str]:
    """Relative paths of the built files, bookkeeping files excluded, sorted."""
    skip = {MANIFEST, STAMP}
    return sorted(
        p.relative_to(entry_dir).as_posix()
        for p in entry_dir.rglob("*")
        if p.is_file() and p.name not in skip
    )


def file_table(entry_dir: Path) -> dict[str, dict[str, Any]]:
    """{relpath: {"sha256", "size"}} for every built file."""
    return {
        rel: {"sha256": sha256_file(entry_dir / rel), "size": (entry_dir / rel).stat().st_size}
        for rel in content_files(entry_dir)
    }


def weights_hash(files: dict[str, dict[str, Any]]) -> str:
    """Short hash of the weight files only (tokenizer/config edits do not change it)."""
    weights = {k: v["sha256"] for k, v in files.items() if k.endswith(WEIGHT_SUFFIXES)}
    return canonical_sha256(weights or {k: v["sha256"] for k, v in files.items()})[:16]


def safetensors_parameters(entry_dir: Path) -> int | None:
    """Parameter count read from safetensors headers (no tensor is loaded)."""
    files = sorted(entry_dir.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        with open(path, "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(length))
        total += sum(prod(v["shape"]) for k, v in header.items() if k != "__metadata__")
    return total


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write via a temp file and os.replace, so readers never see half a file."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _fingerprint(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def write_stamp(entry_dir: Path, files: dict[str, dict[str, Any]]) -> None:
    write_json(entry_dir / STAMP, {rel: _fingerprint(entry_dir / rel) for rel in files})


def find_corruption(entry_dir: Path, files: dict[str, dict[str, Any]]) -> str | None:
    """None if every file matches the manifest, else e.g. 'model.safetensors hash mismatch'.
    Files whose fingerprint equals the stamp's were verified before and are not re-hashed."""
    stamp = read_json(entry_dir / STAMP) or {}
    rehashed = False
    for rel, want in files.items():
        path = entry_dir / rel
        if not path.is_file():
            return f"{rel} missing"
        if path.stat().st_size != want["size"]:
            return f"{rel} size mismatch"
        if stamp.get(rel) == _fingerprint(path):
            continue
        if sha256_file(path) != want["sha256"]:
            return f"{rel} hash mismatch"
        rehashed = True
    if rehashed or set(stamp) != set(files):
        try:
            write_stamp(entry_dir, files)
        except OSError:
            pass  # a read-only cache still verifies; it just re-hashes next time
    return None
