"""Run-file bytes on disk: plain JSONL (RUN.jsonl) or gzip-compressed JSONL (RUN.jsonl.gz).

A compressed run file is a sequence of gzip members (RFC 1952 allows several; gzip -d and
zcat read them all). The bench appends one member per record, so a kill in the middle of
a write leaves at most one truncated last member: `read_bytes` returns its decompressed
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

from .errors import SpecDecodeError

GZIP_SUFFIX = ".gz"
_CHUNK = 1 << 16      # compressed bytes fed to the decompressor at a time


def is_gzip(path: str | Path) -> bool:
    return str(path).endswith(GZIP_SUFFIX)


def run_stem(path: str | Path) -> str:
    """RUN.jsonl or RUN.jsonl.gz -> RUN (the name a report or manifest is derived from)."""
    return Path(path).name.removesuffix(GZIP_SUFFIX).removesuffix(".jsonl")


def read_bytes(path: str | Path) -> bytes:
    """The JSONL bytes of a run file (see read_members)."""
    return read_members(path)[0]


def read_members(path: str | Path) -> tuple[bytes, bool]:
    """(JSONL bytes, truncated) of a run file. For .gz: the members' bytes concatenated; a
    truncated last member (a kill inside its write) contributes what it holds, a prefix of
    its line, possibly empty, and sets `truncated`. Corrupt gzip data is a SpecDecodeError
    naming the byte offset. A plain file is never `truncated` (a cut line shows itself)."""
    raw = Path(path).read_bytes()
    if not is_gzip(path):
        return raw, False
    view, pos, parts, complete = memoryview(raw), 0, [], True
    while pos < len(raw) and complete:
        d, at = zlib.decompressobj(wbits=31), pos
        try:
            while not d.eof and at < len(raw):
                chunk = view[at:at + _CHUNK]
                at += len(chunk)
                parts.append(d.decompress(chunk))
        except zlib.error as exc:
            raise SpecDecodeError(f"{path}: not valid gzip data at byte {pos} ({exc}); restore the "
                                  "file, or name a plain RUN.jsonl") from None
        complete = d.eof
        pos = at - len(d.unused_data) if complete else at
    return b"".join(parts), not complete


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
