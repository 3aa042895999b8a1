"""The JointAdaSpec state space and actions.

State s = (h, kl, pos): h = bin of the draft's entropy at the token just drafted (the
row the stop hook sees), kl = bin of KL(q || p) at the last position the previous cycle
verified (its first cycle: bin 0), pos = draft tokens in the window so far, 1..window
(a longer window, possible when a draft's copy head adds tokens without a stop call,
is counted as `window`). Index s = (h * n_kl + kl) * window + (pos - 1).

Actions: 0 = continue drafting; 1 + j = stop and verify with fuzzy threshold grid[j]
(grid[0] = 1.0 is exact). At pos = window only the stop actions are allowed."""
from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import SpecDecodeError
from ..verifiers.fuzzy import GRID  # the lossy issue's T grid; 1.00 is exact

CONTINUE = 0


@dataclass(frozen=True)
class Bins:
    entropy: tuple[float, ...] = (0.5, 1.5, 3.0)  # nats; edges -> len + 1 bins
    kl: tuple[float, ...] = (0.1, 0.5, 1.5)       # nats
    window: int = 8                               # longest draft window
    grid: tuple[float, ...] = GRID                # fuzzy thresholds of the stop actions

    def __post_init__(self):
        for name in ("entropy", "kl", "grid"):
            vals = tuple(float(v) for v in getattr(self, name))
            object.__setattr__(self, name, vals)
            if list(vals) != sorted(set(vals)):
                raise SpecDecodeError(f"bins: {name} must be strictly increasing (got {list(vals)})")
        if not self.grid or self.grid[0] < 1.0:
            raise SpecDecodeError(f"bins: the threshold grid needs values >= 1 (got {list(self.grid)})")
        if not isinstance(self.window, int) or self.window < 1:
            raise SpecDecodeError(f"bins: window must be an integer >= 1 (got {self.window!r})")

    @property
    def n_h(self) -> int:
        return len(self.entropy) + 1

    @property
    def n_kl(self) -> int:
        return len(self.kl) + 1

    @property
    def n_states(self) -> int:
        return self.n_h * self.n_kl * self.window

    @property
    def n_actions(self) -> int:
        return 1 + len(self.grid)

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict) -> "Bins":
        return cls(tuple(raw["entropy"]), tuple(raw["kl"]), int(raw["window"]), tuple(raw["grid"]))


def h_bin(bins: Bins, h: float) -> int:
    return bisect.bisect_right(bins.entropy, h)


def kl_bin(bins: Bins, kl: float | None) -> int:
    return 0 if kl is None else bisect.bisect_right(bins.kl, kl)


def index(bins: Bins, h: int, kl: int, pos: int) -> int:
    """(h bin, kl bin, pos 1..) -> state index; pos beyond the window counts as the window."""
    pos = min(max(pos, 1), bins.window)
    return (h * bins.n_kl + kl) * bins.window + pos - 1


def state_of(bins: Bins, h: float, kl: float | None, pos: int) -> int:
    """Raw entropy (nats), raw KL (nats, None = unknown) and position -> state index."""
    return index(bins, h_bin(bins, h), kl_bin(bins, kl), pos)


def unpack(bins: Bins, s: int) -> tuple[int, int, int]:
    """state index -> (h bin, kl bin, pos)."""
    hk, p = divmod(s, bins.window)
    h, kl = divmod(hk, bins.n_kl)
    return h, kl, p + 1


def feasible(bins: Bins) -> np.ndarray:
    """(S, A) bool: continue is not allowed at the last window position."""
    mask = np.ones((bins.n_states, bins.n_actions), dtype=bool)
    last = np.arange(bins.n_states) % bins.window == bins.window - 1
    mask[last, CONTINUE] = False
    return mask


def vectorized(bins: Bins, h: np.ndarray, kl: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Arrays of raw entropy, raw KL (NaN = unknown) and positions -> state indices (n,)."""
    hb = np.searchsorted(np.asarray(bins.entropy), h, side="right")
    kb = np.where(np.isnan(kl), 0, np.searchsorted(np.asarray(bins.kl), np.nan_to_num(kl), side="right"))
    p = np.clip(pos, 1, bins.window)
    return (hb * bins.n_kl + kb) * bins.window + p - 1
