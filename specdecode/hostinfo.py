"""What the host CPU says about itself (Linux /proc/cpuinfo), read in one place for the
dtype policy's cache key and the benchmark manifest."""
from __future__ import annotations

from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpuinfo_field(name: str) -> str | None:
    """The first `name : value` line's value ('model name', 'flags'); None when the file
    is missing (not Linux) or has no such line."""
    try:
        text = CPUINFO.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip()
    return None
