"""Checks at the boundary where input enters: numbers, input files, output paths, devices.

Every check raises SpecDecodeError with ONE line that names the fix; the CLI prints it as
`error: ...` and exits 2. The config dataclasses, the YAML loader, role params and the
subcommands all call these, so a bad value reads the same wherever it came from:

    check_int(v, "n_prompts", lo=1)              -> v, or "n_prompts must be an integer >= 1 (got 0)"
    check_float(v, "top_p", lo=0, lo_open=True, hi=1)
    check_finite_values(params, "proposer 'x'")  # no NaN / Infinity anywhere in a nested value
    read_text_file(path, "prompt file")          # missing / directory / unreadable / binary / not UTF-8
    check_readable_file(path, "run file")        # missing / directory / unreadable, without reading
    check_output_file(path, "--out")             # a directory / unwritable / a file in the way
    check_output_dir(path, "--report")
    check_model_path(spec, "--target")           # a local model path that cannot be a model
    parse_device("cuda")                         # unknown device, or CUDA absent in this build
    int_arg(lo=1)                                # argparse type= with the same messages
    warn("...")                                  # one `warning: ...` line on stderr

Nothing here imports torch unless a device other than cpu is asked for.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

from .errors import SpecDecodeError

SEED_MAX = 2**63 - 1          # torch.Generator.manual_seed and numpy accept [0, 2**63)
_SHOW = 60                    # longest repr of a bad value quoted in a message


# -- numbers -------------------------------------------------------------------------------

def is_int(value: Any) -> bool:
    """An int that is not a bool (YAML `true` and Python True are not counts)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """An int or float (not bool) that is neither NaN nor +-Infinity, and fits a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def show(value: Any) -> str:
    """repr of a bad value for a one-line message: short, and never spanning lines."""
    text = " ".join(repr(value).split())
    return text if len(text) <= _SHOW else text[:_SHOW - 3] + "..."


def _range_text(lo, hi, lo_open: bool = False, hi_open: bool = False) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi}"
    return ""


def _in_range(value, lo, hi, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (value <= lo if lo_open else value < lo):
        return False
    if hi is not None and (value >= hi if hi_open else value > hi):
        return False
    return True


def _message(name: str, kind: str, rng: str, value: Any, fix: str) -> str:
    need = f"{kind} {rng}".strip()
    head = f"{name} must be {need}" if name else f"must be {need}"
    return f"{head} (got {show(value)})" + (f"; {fix}" if fix else "")


def check_int(value: Any, name: str, lo: int | None = None, hi: int | None = None, fix: str = "") -> int:
    """value if it is an int (not a bool) in [lo, hi], else a one-line SpecDecodeError."""
    if not is_int(value) or not _in_range(value, lo, hi, False, False):
        raise SpecDecodeError(_message(name, "an integer", _range_text(lo, hi), value, fix))
    return value


def check_float(value: Any, name: str, lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False, fix: str = "") -> float:
    """float(value) if it is a finite int or float (not a bool) in the range, else an error."""
    if not is_finite_number(value) or not _in_range(value, lo, hi, lo_open, hi_open):
        raise SpecDecodeError(_message(name, "a finite number", _range_text(lo, hi, lo_open, hi_open),
                                       value, fix))
    return float(value)


def check_seed(value: Any, name: str = "seed") -> int:
    return check_int(value, name, 0, SEED_MAX, fix="use e.g. 0")


def check_finite_values(value: Any, where: str) -> None:
    """No NaN or Infinity anywhere in a (nested) value: such a value cannot be written to a
    JSON record, and no hyperparameter means anything at NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecDecodeError(f"{where} must be a finite number (got {show(value)})")
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite_values(key, f"{where} (a key)")
            check_finite_values(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            check_finite_values(item, f"{where}[{i}]")


def check_distinct(values, name: str) -> None:
    """A sweep grid lists each value once (a repeat would run the same items twice)."""
    seen = []
    for v in values:
        if v in seen:
            raise SpecDecodeError(f"{name}: {show(v)} is listed twice; list each value once")
        seen.append(v)


def int_arg(lo: int | None = None, hi: int | None = None, fix: str = ""):
    """An argparse `type=` for an int in [lo, hi]; errors come out as one argparse line."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_message("", "an integer", _range_text(lo, hi), text, fix)) from None
        try:
            return check_int(value, "", lo, hi, fix)
        except SpecDecodeError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "int"
    return parse


def float_arg(lo: float | None = None, hi: float | None = None, lo_open: bool = False,
              hi_open: bool = False, fix: str = ""):
    """An argparse `type=` for a finite float in the range."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _message("", "a finite number", _range_text(lo, hi, lo_open, hi_open), text, fix)) from None
        try:
            return check_float(value, "", lo, hi, lo_open, hi_open, fix)
        except SpecDecodeError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "float"
    return parse


# -- input files ---------------------------------------------------------------------------

def check_readable_file(path: str | os.PathLike, what: str, fix: str = "") -> Path:
    """An existing, readable file, else one line: missing, a directory, or unreadable.
    (Pipes are files here: `--prompt-file /dev/stdin` reads a piped prompt.)"""
    p = Path(path).expanduser()
    tail = f"; {fix}" if fix else ""
    try:
        exists, is_dir = p.exists(), p.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        raise SpecDecodeError(f"{what} '{path}' cannot be used ({exc.strerror or exc}){tail}") from None
    if not exists:
        raise SpecDecodeError(f"{what} '{path}' does not exist{tail or '; check the path'}")
    if is_dir:
        raise SpecDecodeError(f"{what} '{path}' is a directory; give a file")
    try:
        with open(p, "rb"):
            pass
    except PermissionError:
        raise SpecDecodeError(f"{what} '{path}' is not readable (permission denied); "
                              f"fix its permissions, e.g. chmod u+r '{path}'") from None
    except OSError as exc:
        raise SpecDecodeError(f"{what} '{path}' cannot be opened ({exc.strerror or exc})") from None
    return p


def read_text_file(path: str | os.PathLike, what: str, fix: str = "") -> str:
    """The text of a UTF-8 file (a leading BOM dropped), after check_readable_file; a
    binary file (NUL bytes) or one that is not UTF-8 is one line naming the fix."""
    p = check_readable_file(path, what, fix)
    try:
        data = p.read_bytes()
    except PermissionError:
        raise SpecDecodeError(f"{what} '{path}' is not readable (permission denied); "
                              f"fix its permissions, e.g. chmod u+r '{path}'") from None
    except OSError as exc:
        raise SpecDecodeError(f"{what} '{path}' cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise SpecDecodeError(f"{what} '{path}' looks binary (it contains NUL bytes); give a UTF-8 text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecDecodeError(f"{what} '{path}' is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                              f"{exc.start}); save it as UTF-8") from None


def check_model_path(spec: str, what: str) -> None:
    """A model given as a local path must be a readable directory. Ids that are not local
    paths (zoo:NAME, hub ids) are left to the loader, which has its own one-line errors."""
    if not isinstance(spec, str) or not spec.strip():
        raise SpecDecodeError(f"{what} must be a model id such as zoo:tiny or a model directory (got {show(spec)})")
    p = Path(spec).expanduser()
    try:
        exists, is_dir = p.exists(), p.is_dir()
    except OSError as exc:
        raise SpecDecodeError(f"{what} '{spec}' cannot be used ({exc.strerror or exc})") from None
    if not exists:
        return  # a hub id or SCHEME:NAME; a missing ./path is reported by the loader
    if not is_dir:
        raise SpecDecodeError(f"{what} '{spec}' is a file; a model is a directory (config.json, weights, "
                              "tokenizer) or zoo:NAME (see `specdecode zoo list`)")
    try:
        os.listdir(p)
    except PermissionError:
        raise SpecDecodeError(f"{what} '{spec}' is not readable (permission denied); fix its permissions, "
                              f"e.g. chmod -R u+rX '{spec}'") from None


# -- output paths ----------------------------------------------------------------------------

def _writable_dir(p: Path) -> bool:
    return os.access(p, os.W_OK | os.X_OK)


def _check_creatable(p: Path, what: str, shown) -> None:
    """p does not exist: its nearest existing ancestor must be a writable directory."""
    ancestor = p.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise SpecDecodeError(f"{what} '{shown}' cannot be created: '{ancestor}' is a file, not a directory; "
                              "choose another path")
    if not _writable_dir(ancestor):
        raise SpecDecodeError(f"{what} '{shown}' cannot be created: '{ancestor}' is not writable; "
                              "choose a writable location")


def check_output_file(path: str | os.PathLike, what: str, example: str = "run.jsonl") -> Path:
    """A file path we may write: not a directory, not a non-regular file, writable if it
    exists, creatable (every missing parent too) if it does not."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise SpecDecodeError(f"{what} '{path}' is a directory; give a file path such as '{p / example}'")
    if p.exists():
        if not p.is_file():
            raise SpecDecodeError(f"{what} '{path}' is not a regular file; give a file path")
        if not os.access(p, os.W_OK):
            raise SpecDecodeError(f"{what} '{path}' is not writable; fix its permissions or choose another path")
        return p
    _check_creatable(p, what, path)
    return p


def check_output_dir(path: str | os.PathLike, what: str) -> Path:
    """A directory we may write into: an existing writable directory, or a creatable path."""
    p = Path(path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise SpecDecodeError(f"{what} '{path}' is an existing file, not a directory; "
                                  "give a directory path (or move the file away)")
        if not _writable_dir(p):
            raise SpecDecodeError(f"{what} '{path}' is not writable; fix its permissions or choose another directory")
        return p
    _check_creatable(p, what, path)
    return p


# -- devices -------------------------------------------------------------------------------

_DEVICE = re.compile(r"^(cpu|cuda|mps)(?::(\d+))?$")


def parse_device(text: str, flag: str = "--device") -> str:
    """'cpu', 'cuda', 'cuda:N' or 'mps', checked against this torch build and machine."""
    match = _DEVICE.match(text.strip() if isinstance(text, str) else "")
    if not match or (match.group(1) != "cuda" and match.group(2) is not None):
        raise SpecDecodeError(f"unknown device {show(text)} for {flag}; use cpu, cuda, cuda:N or mps")
    kind, index = match.group(1), match.group(2)
    if kind == "cpu":
        return "cpu"
    import torch

    if kind == "cuda":
        if not torch.cuda.is_available():
            why = ("this torch build has no CUDA support" if torch.version.cuda is None
                   else "no CUDA GPU is visible")
            raise SpecDecodeError(f"{flag} {text}: {why} (torch {torch.__version__}); use {flag} cpu")
        count = torch.cuda.device_count()
        if index is not None and int(index) >= count:
            raise SpecDecodeError(f"{flag} {text}: this machine has {count} CUDA device(s) "
                                  f"(cuda:0..cuda:{count - 1}); use one of them")
        return f"cuda:{int(index)}" if index is not None else "cuda"
    if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SpecDecodeError(f"{flag} {text}: MPS is not available on this machine; use {flag} cpu")
    return "mps"


# -- warnings ------------------------------------------------------------------------------

def warn(message: str) -> None:
    """One `warning: ...` line on stderr, for an option that is accepted but has no effect."""
    print("warning: " + " ".join(message.split()), file=sys.stderr)


def check_target_spec(spec: str, drafts: bool) -> None:
    """Before anything is built or loaded: a method that drafts, on a target whose weights
    are int8 (a zoo entry's recipe or a directory's meta says "quantize"), gets the one-line
    error of models/quantize.check_target."""
    if not drafts:
        return
    from .models.loading import read_meta
    from .models.quantize import target_error
    from .zoo.registry import ZOO_PREFIX, entry, load_builder

    if spec.startswith(ZOO_PREFIX):
        scheme = getattr(load_builder(entry(spec)).RECIPE, "quantize", None)
    else:
        path = Path(spec).expanduser()
        scheme = read_meta(path).get("quantize") if path.is_dir() else None
    if scheme:
        raise target_error(spec)
