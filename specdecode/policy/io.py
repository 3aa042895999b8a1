"""Files of the pipeline: the traces (JSONL, one line per collected prompt, resumable)
with their manifest, and the policy tables with theirs. Loading a policy checks it, and a
bad or stale one is one SpecDecodeError line naming the command that rebuilds it.

    DIR/traces.jsonl, DIR/traces.manifest.json     policy collect
    DIR/<kind>-kappa<K>.json                       policy solve (kind: jointadaspec,
                                                   cascade-length, cascade-threshold)
DIR defaults to runs/policy/<target>__<draft> (names with ':' and '/' made '-')."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import SpecDecodeError
from ..zoo.integrity import sha256_file
from .states import Bins

SCHEMA = 1
TRACES, TRACES_MANIFEST = "traces.jsonl", "traces.manifest.json"
KINDS = ("jointadaspec", "cascade-length", "cascade-threshold")
MODES = ("greedy", "sampled")   # tables for T = 0 and for T > 0


def slug(name: str) -> str:
    return name.replace(":", "-").replace("/", "-")


def default_dir(target: str, draft: str) -> Path:
    return Path("runs") / "policy" / f"{slug(target)}__{slug(draft)}"


def policy_name(kind: str, kappa: float) -> str:
    return f"{kind}-kappa{kappa:g}.json"


def rebuild_hint(folder: Path) -> str:
    return (f"`specdecode policy collect --out {folder}` (if {folder / TRACES} is missing) "
            f"then `specdecode policy solve {folder / TRACES}`")


# ------------------------------------------------------------------------ traces
def read_traces(path: Path) -> list[dict]:
    """Every complete line of a traces file; a partial last line (a kill) is dropped."""
    if not path.exists():
        return []
    lines = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise SpecDecodeError(f"{path}:{n} is not a traces line; move the file or rerun "
                                  f"`specdecode policy collect --out {path.parent}`") from None
    return lines


def cut_partial(path: Path) -> None:
    """Cut a partial last line (left by a kill mid-write) off the traces file."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def append_line(path: Path, line: dict) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, separators=(",", ":")) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_manifest(traces: Path) -> dict:
    path = traces.with_name(TRACES_MANIFEST)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SpecDecodeError(f"{traces} has no readable collect manifest beside it ({path}), so it is not "
                              f"traces written by `specdecode policy collect`; give DIR/traces.jsonl from "
                              f"that command, or rerun `specdecode policy collect --out {traces.parent}`") from None


@lru_cache(maxsize=16)
def _hash(path: str, stamp: tuple) -> str:
    return sha256_file(Path(path))


def traces_hash(path: Path) -> str:
    st = path.stat()
    return _hash(str(path.resolve()), (st.st_size, st.st_mtime_ns))


# ------------------------------------------------------------------------ policies
@dataclass(frozen=True)
class Table:
    policy: np.ndarray     # (S,) action per state
    best_stop: np.ndarray  # (S,) the best stop action (1 + grid index): a forced stop's choice


@dataclass(frozen=True)
class Policy:
    path: str
    kind: str
    manifest: dict
    bins: Bins
    tables: dict           # mode -> Table

    def table(self, mode: str) -> Table:
        """The table for 'greedy' or 'sampled'; the other one when only one was solved."""
        return self.tables.get(mode) or next(iter(self.tables.values()))


def load_policy(path: str, target: str = "", draft: str = "") -> Policy:
    """A checked policy; target / draft (model names), when given, must be the file's."""
    p = Path(path).expanduser()
    if not str(path):
        raise SpecDecodeError("jointadaspec needs controller.policy=PATH, a table written by "
                              "`specdecode policy solve TRACES`")
    if not p.is_file():
        raise SpecDecodeError(f"policy file {p} not found; build it with {rebuild_hint(p.parent)}")
    st = p.stat()
    pol = _load(str(p.resolve()), (st.st_size, st.st_mtime_ns))
    _check_pair(pol, target, draft)
    _check_fresh(pol)
    return pol


@lru_cache(maxsize=32)
def _load(path: str, stamp: tuple) -> Policy:
    """Parsed once per (path, size, mtime): a controller is built for every generation."""
    p = Path(path)
    bad = f"policy file {p} is not a valid policy table (%s); rebuild it with {rebuild_hint(p.parent)}"
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        if raw.get("schema") != SCHEMA:
            raise SpecDecodeError(bad % f"schema {raw.get('schema')!r}, this version reads {SCHEMA}")
        bins = Bins.from_json(raw["manifest"]["bins"])
        tables = {m: _table(t, bins) for m, t in raw["tables"].items() if m in MODES}
    except SpecDecodeError as exc:
        if "not a valid policy" in str(exc):
            raise
        raise SpecDecodeError(bad % f"wrong bins: {exc}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SpecDecodeError(bad % f"{type(exc).__name__}: {exc}".replace("\n", " ")) from None
    if not tables:
        raise SpecDecodeError(bad % "no table")
    return Policy(path, raw.get("kind", "jointadaspec"), raw["manifest"], bins, tables)


def _table(raw: dict, bins: Bins) -> Table:
    policy, best = np.asarray(raw["policy"], dtype=int), np.asarray(raw["best_stop"], dtype=int)
    if policy.shape != (bins.n_states,) or best.shape != (bins.n_states,):
        raise SpecDecodeError(f"wrong bins: {len(policy)} states in the table, {bins.n_states} in its bins")
    if policy.min() < 0 or policy.max() >= bins.n_actions or best.min() < 1 or best.max() >= bins.n_actions:
        raise SpecDecodeError(f"wrong bins: actions outside 0..{bins.n_actions - 1}")
    return Table(policy, best)


def _check_pair(pol: Policy, target: str, draft: str) -> None:
    m = pol.manifest
    for role, want in (("target", target), ("draft", draft)):
        have = (m.get(role) or {}).get("name")
        if want and have != want:
            folder = default_dir(target or m["target"]["name"], draft or m["draft"]["name"])
            raise SpecDecodeError(f"policy {pol.path} was solved for {role} {have}, not {want}; "
                                  f"build one for this pair with {rebuild_hint(folder)}")


def traces_ref(traces: Path, out: Path) -> str:
    """The traces' path as a policy in `out` records it: relative to `out` when they share
    a tree (a committed runs/policy/PAIR folder then stays checkable in any clone or
    worktree), else absolute."""
    try:
        return os.path.relpath(traces.resolve(), out.resolve())
    except ValueError:  # another drive (Windows)
        return str(traces.resolve())


def _check_fresh(pol: Policy) -> None:
    traces = Path(pol.path).parent / pol.manifest.get("traces", "")  # an absolute path stays itself
    if traces.is_file() and traces_hash(traces) != pol.manifest.get("traces_hash"):
        raise SpecDecodeError(f"policy {pol.path} is stale: {traces} changed since it was solved; "
                              f"rerun `specdecode policy solve {traces}`")
