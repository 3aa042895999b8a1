"""`specdecpp` (SpecDec++, 2405.19715): draft up to k tokens, and after each drafted token
ask a small head for P(accept) of it; stop drafting once the chance that some token of
the proposal so far is rejected, 1 - prod_i P(accept_i), exceeds `threshold` (h = 0.7).

`head`: a trained acceptance head (accept_head.py: logistic regression on the draft's
hidden state, top probability and entropy), given as a zoo id built for the draft in use
(zoo:smollm2-135m-draft-specdecpp; zoo:tiny-draft-specdecpp for tests) or its directory.
It reads the draft's hidden state through the stop hook (needs "draft_hidden"; proposer
`draft` provides it). head '' (the default) uses no trained head: the draft's own top
probability stands for P(accept), the untrained form of the same rule, which runs with
every proposer. Tokens the copy head proposes skip the stop check (no LM step ran).
"""
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from ..params import file_param
from .accept_head import load_head
from .base import CONTROLLERS, Controller


@dataclass(frozen=True)
class SpecDecPPParams:
    head: str = file_param()  # zoo id or directory of a trained head; '' = draft top prob as P(accept)
    threshold: float = 0.7   # h: stop when 1 - prod P(accept) > h

    def __post_init__(self):
        if not 0 < self.threshold < 1:
            raise SpecDecodeError(f"specdecpp threshold must be in (0, 1) (got {self.threshold}); use e.g. 0.7")


@CONTROLLERS.register("specdecpp")
class SpecDecPPController(Controller):
    Params = SpecDecPPParams
    uses_stop = True

    def __init__(self, params, k):
        super().__init__(params, k)
        self.needs = frozenset({"draft_hidden"}) if params.head else frozenset()
        self.keep = 1.0  # prod of P(accept) over this cycle's drafted tokens

    def next_k(self):
        self.keep = 1.0  # a new proposal
        return self.k

    def accept_prob(self, logits: torch.Tensor, hidden: torch.Tensor | None) -> float:
        if self.params.head:
            return load_head(self.params.head).prob(logits, hidden)
        return float(torch.softmax(logits.float(), dim=-1).max())

    def stop(self, i, logits, hidden=None):
        self.keep *= self.accept_prob(logits, hidden)
        return 1.0 - self.keep > self.params.threshold
