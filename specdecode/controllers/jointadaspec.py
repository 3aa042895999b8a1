"""`jointadaspec` (METHODS.md 17): draft length and fuzzy threshold from a solved MDP
table (`specdecode policy collect`, then `specdecode policy solve`; docs/policy.md).
After every draft token the stop hook looks up state (entropy bin of the draft's row,
KL bin of the last verified position, window position): continue, or stop and verify
with that action's threshold, which verify_control() hands the verifier (pair it with
`verifier: fuzzy`). The window is the table's (the method's k is not used).

Two tables per file: one solved from T = 0 traces, one from T > 0 ones. The controller
cannot see the sampling temperature, so it starts with the T = 0 table and switches to
the T > 0 one the first time a draft token is not the argmax of its own row (which never
happens at T = 0). At T = 0 the fuzzy verifier is exact whatever the threshold.

Params: policy (the table's path); target / draft: when given, a table solved for
another pair is refused."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..params import file_param
from ..policy.io import load_policy
from ..policy.states import CONTINUE, state_of
from .base import CONTROLLERS
from .random_policy import WindowPolicy


@dataclass(frozen=True)
class JointAdaSpecParams:
    policy: str = file_param()  # a table written by `specdecode policy solve`
    target: str = ""    # the target's model id the table must be solved for ("" = unchecked)
    draft: str = ""

    def __post_init__(self):
        for name in ("policy", "target", "draft"):
            if not isinstance(getattr(self, name), str):
                raise SpecDecodeError(f"jointadaspec {name} must be a string (got {getattr(self, name)!r})")


@CONTROLLERS.register("jointadaspec")
class JointAdaSpecController(WindowPolicy):
    Params = JointAdaSpecParams
    reads_files = True  # needs a solved policy file (tests/test_exact_greedy.py builds none)

    def __init__(self, params, k):
        self.table = load_policy(params.policy, params.target, params.draft)
        super().__init__(params, k, self.table.bins.window, self.table.bins.grid)
        self.mode = "greedy"
        self.tops: dict[int, int] = {}  # draft position -> argmax of its row (mode detection)

    def choose(self, h, pos, forced):
        t = self.table.table(self.mode)
        s = state_of(self.table.bins, h, self.kl_prev, pos)
        action = int(t.policy[s])
        return int(t.best_stop[s]) if forced and action == CONTINUE else action

    def stop(self, i, logits):
        if self.mode == "greedy":
            self.tops[i] = int(logits.argmax())
        return super().stop(i, logits)

    def observe(self, record):
        super().observe(record)
        if self.mode == "greedy" and record.positions:
            drafted = {i: p.draft_token for i, p in enumerate(record.positions)}
            if any(self.tops.get(i, tok) != tok for i, tok in drafted.items()):
                self.mode = "sampled"
        self.tops = {}
