"""Run-file bytes on disk: plain JSONL (RUN.jsonl) or gzip-compressed JSONL (RUN.jsonl.gz).

A compressed run file is a sequence of gzip members (RFC 1952 allows several; gzip -d and
zcat read them all). The bench appends one member per record, so a kill in the middle of
a write leaves at most one truncated last member: `read_members` returns its decompressed
prefix, which is exactly the partial last line a kill leaves in a plain file, and the run
file's usual repair applies. A file compressed whole (`gzip RUN.jsonl`) is one member and
resumes the same way. Committed records are kept compressed because per-cycle traces make
them large (a 240-item Qwen run is ~9 MB plain, ~2 MB compressed).
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Iterator

from .errors import SpecDecodeError

GZIP_SUFFIX = ".gz"
_CHUNK = 1 << 16      # compressed bytes fed to the decompressor at a time


def is_gzip(path: str | Path) -> bool:
    return str(path).endswith(GZIP_SUFFIX)


def run_stem(path: str | Path) -> str:
    """RUN.jsonl or RUN.jsonl.gz -> RUN (the name a report or manifest is derived from)."""
    return Path(path).name.removesuffix(GZIP_SUFFIX).removesuffix(".jsonl")


def read_members(path: str | Path) -> tuple[bytes, bool]:
    """(JSONL bytes, truncated) of a run file. For .gz: the members' bytes concatenated; a
    truncated last member (a kill inside its write) contributes what it holds, a prefix of
    its line, possibly empty, and sets `truncated`. Corrupt gzip data is a SpecDecodeError
    naming the byte offset of its member. A plain file is never `truncated` (a cut line
    shows itself). The whole file in memory: for the run file's repair, which rewrites it."""
    flags: dict[str, bool] = {}
    return b"".join(_blocks(path, flags)), flags.get("truncated", False)


def iter_lines(path: str | Path) -> Iterator[bytes]:
    """The run file's lines without their newlines, as read_members(path)[0].split(b"\n") gives
    them, read and decompressed _CHUNK bytes at a time: memory holds one block and the
    line being assembled, never the file (the readers of records and traces use this)."""
    pending = bytearray()
    for block in _blocks(path, {}):
        pending += block
        cut = pending.rfind(b"\n")
        if cut >= 0:
            yield from bytes(pending[:cut]).split(b"\n")
            del pending[:cut + 1]
    yield bytes(pending)


def _blocks(path: str | Path, flags: dict[str, bool]) -> Iterator[bytes]:
    """The file's JSONL bytes in blocks; a .gz file's members one after another, each with
    a fresh decompressor fed from where the last one stopped (its unused_data).
    flags["truncated"]: the last member was fed bytes but never reached its end."""
    with open(path, "rb") as fh:
        if not is_gzip(path):
            while block := fh.read(_CHUNK):
                yield block
            return
        d, fed, start, pos = zlib.decompressobj(wbits=31), False, 0, 0  # pos: file offset of `data`
        data = fh.read(_CHUNK)
        while data:
            try:
                out = d.decompress(data)
            except zlib.error as exc:
                raise SpecDecodeError(f"{path}: not valid gzip data at byte {start} ({exc}); restore the "
                                      "file, or name a plain RUN.jsonl") from None
            yield out
            fed = True
            if d.eof:  # the member ended inside `data`: the next one starts at its unused bytes
                rest = d.unused_data
                pos += len(data) - len(rest)
                d, fed, start = zlib.decompressobj(wbits=31), False, pos
                data = rest or fh.read(_CHUNK)
            else:
                pos += len(data)
                data = fh.read(_CHUNK)
        flags["truncated"] = fed and not d.eof


def encode_line(path: str | Path, line: str) -> bytes:
    """What appending one JSONL line (with its newline) writes: the bytes, or one member."""
    data = line.encode("utf-8")
    return gzip.compress(data, mtime=0) if is_gzip(path) else data


def rewrite(path: Path, data: bytes) -> None:
    """Replace the file's content with the JSONL bytes `data` (compressed for .gz), through
    a temporary file and an atomic rename, so a kill leaves the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(gzip.compress(data, mtime=0) if is_gzip(path) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
