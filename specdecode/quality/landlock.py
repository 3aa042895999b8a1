"""Landlock (Linux >= 5.13) through ctypes: after `restrict(box)` the calling process and
its children may read and execute anywhere their uid allows but write only beneath
`box`; with Landlock ABI >= 4 they open no TCP connection and bind no TCP port; with
ABI >= 6 they cannot signal, nor reach the abstract UNIX sockets of, processes outside.

Landlock stacks on top of the usual permissions and cannot be undone by the restricted
process. Kernels without it (or with it disabled) make `abi()` return 0 and `restrict`
return 0: the caller records that filesystem confinement is unavailable.
"""
from __future__ import annotations

import ctypes
import os

_CREATE, _ADD_RULE, _RESTRICT = 444, 445, 446   # syscall numbers (the same on x86-64 and arm64)
_VERSION_FLAG = 1                                # landlock_create_ruleset: ask for the ABI version
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_EXECUTE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 2, 1 << 3
_IOCTL_DEV = 1 << 15                             # ABI 5
_FS_BITS = {1: 13, 2: 14, 3: 15, 4: 15, 5: 16}   # ABI -> number of filesystem access bits
_NET_TCP = (1 << 0) | (1 << 1)                   # bind, connect (ABI 4)
_SCOPES = (1 << 0) | (1 << 1)                    # abstract UNIX sockets, signals (ABI 6)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is packed: 12 bytes
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi() -> int:
    """The kernel's Landlock ABI version (0: unavailable)."""
    return max(int(_libc.syscall(_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION_FLAG))), 0)


def restrict(box: str) -> int:
    """Confine this process (and its future children) as the module docstring says.
    Returns the ABI used, or 0 when nothing was applied."""
    version = abi()
    if version < 1:
        return 0
    fs_all = (1 << _FS_BITS.get(version, 16)) - 1
    attr = _RulesetAttr(fs_all, _NET_TCP if version >= 4 else 0, _SCOPES if version >= 6 else 0)
    size = 8 if version < 4 else 16 if version < 6 else 24  # the struct grew with the ABI
    ruleset = int(_libc.syscall(_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)))
    if ruleset < 0:
        return 0
    try:
        read = _EXECUTE | _READ_FILE | _READ_DIR | (_IOCTL_DEV if version >= 5 else 0)
        if not (_allow(ruleset, "/", read) and _allow(ruleset, box, fs_all)):
            return 0
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        return version if _libc.syscall(_RESTRICT, ruleset, ctypes.c_uint32(0)) == 0 else 0
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, access: int) -> bool:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneath(access, fd)
        return _libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)) == 0
    finally:
        os.close(fd)
