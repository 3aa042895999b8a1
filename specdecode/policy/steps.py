"""A generation's controller log -> transition rows (the traces' content).

CycleLog is what `random-policy` keeps per cycle: its decisions (raw entropy, position,
action, time) and what the cycle record says about the verify. `transitions` turns the
logs of one generation into rows, one per decision:

    continue at decision j: next state = decision j + 1 of the same cycle;
        ms = time between the two decisions (one draft step); tokens = 0; dist = 0;
        accepted = whether the draft token at position pos + 1 was accepted (-1: not checked)
    stop at the cycle's last decision: next state = the next cycle's first decision;
        ms = the cycle's time outside the draft stage (target call, verify, commit) + the
        next cycle's first draft step; tokens = accepted + 1 (the recovered / bonus token
        too: a verify that accepts nothing still commits one token, as a target-only step
        does); accepted = accepted draft tokens; dist = the verifier's mismatches (accepted
        tokens exact speculative sampling would have rejected with the same uniform draw:
        the records' measure of TV distortion; 0 at T = 0 and at threshold 1)
The last stop of a generation has no next state (end = 1)."""
from __future__ import annotations

from dataclasses import dataclass

from .states import CONTINUE

@dataclass(frozen=True)
class Decision:
    pos: int          # draft tokens in the window when deciding (1..)
    h: float          # entropy (nats) of the draft's row at that token
    action: int       # states.CONTINUE or 1 + index into the grid
    t: float          # perf_counter when decided
    hooked: bool      # True: decided in the stop hook; False: forced at verify time


FIELDS = ("pos", "h", "kl", "a", "pos2", "h2", "kl2", "ms", "tokens", "accepted", "dist", "end")


@dataclass(frozen=True)
class CycleLog:
    decisions: tuple[Decision, ...]
    kl_in: float | None      # KL at the previous cycle's last verified position (None: first cycle)
    kl_out: float | None     # KL at this cycle's last verified position
    first_ms: float          # the first draft step of this cycle (opening to first decision)
    verify_ms: float         # cycle time outside the draft stage
    accepted: int
    outcomes: tuple[bool, ...]
    mismatches: int
    drafted: int


def transitions(logs: list[CycleLog]) -> dict[str, list]:
    """Column-wise rows (FIELDS) of one generation; NaN-free: unknown KL is -1."""
    logs = [c for c in logs if c.drafted > 0 and c.decisions]
    cols: dict[str, list] = {f: [] for f in FIELDS}
    for n, cyc in enumerate(logs):
        nxt = logs[n + 1] if n + 1 < len(logs) else None
        for j, d in enumerate(cyc.decisions):
            if d.action == CONTINUE and j + 1 < len(cyc.decisions):
                after = cyc.decisions[j + 1]
                ok = cyc.outcomes[d.pos] if d.pos < len(cyc.outcomes) else None
                _add(cols, d, cyc.kl_in, after, cyc.kl_in, 1000 * (after.t - d.t), 0, -1 if ok is None else int(ok), 0)
            elif d.action != CONTINUE:
                first = nxt.decisions[0] if nxt else None
                ms = cyc.verify_ms + (nxt.first_ms if nxt else 0.0)
                _add(cols, d, cyc.kl_in, first, cyc.kl_out, ms, cyc.accepted + 1, cyc.accepted, cyc.mismatches)
                break
    return cols


def _add(cols, d: Decision, kl, after: Decision | None, kl2, ms, tokens, accepted, dist):
    row = {"pos": d.pos, "h": round(d.h, 5), "kl": _kl(kl), "a": d.action,
           "pos2": after.pos if after else -1, "h2": round(after.h, 5) if after else -1.0,
           "kl2": _kl(kl2) if after else -1.0, "ms": round(ms, 4), "tokens": tokens,
           "accepted": accepted, "dist": dist, "end": int(after is None)}
    for f in FIELDS:
        cols[f].append(row[f])


def _kl(kl: float | None) -> float:
    return -1.0 if kl is None else round(kl, 5)
