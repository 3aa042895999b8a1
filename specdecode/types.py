"""The typed seams of the loop: what a proposer hands the verifier, what the verifier
decides, and the per-cycle record every consumer (CLI, generate(), bench, analysis) reads.

Vocabulary (defined once): in a cycle the verifier checks draft tokens left to right.
Accepted tokens are kept. At the first rejection it emits a *recovered* token, sampled
from the residual norm(max(0, p - q)) (the target argmax at T=0). If every draft token is
accepted it emits a *bonus* token from the target's last row. Either way a cycle commits
accepted + 1 tokens for ONE target call; target-only decoding is the k = 0 case.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Proposal:
    tokens: list[int]                        # (k,) drafted ids, k may be 0
    draft_probs: torch.Tensor | None = None  # (k, V) warped q; None = deterministic proposer


EMPTY_PROPOSAL = Proposal(tokens=[])


@dataclass(frozen=True)
class Verdict:
    n_accepted: int           # draft tokens kept (a prefix of the proposal)
    next_token: int           # recovered (on rejection) or bonus (all accepted) token
    outcomes: tuple[bool, ...]  # one per checked position: accepted? (len n_accepted or +1)

    @property
    def kind(self) -> str:
        """'bonus' when all drafted tokens were accepted, else 'recovered'."""
        return "recovered" if len(self.outcomes) > self.n_accepted else "bonus"


@dataclass(frozen=True)
class PrefillRecord:
    prompt_tokens: int
    tokens: list[int]         # the first new token (a list for symmetry with cycles)
    seconds: float            # target + draft prefill and the first sample (= TTFT)
    target_s: float
    draft_s: float


@dataclass(frozen=True)
class CycleRecord:
    k: int                    # draft length asked for (0 = target-only step)
    drafted: int              # tokens actually proposed (< k on an early stop / no match)
    accepted: int
    outcomes: tuple[bool, ...]
    kind: str                 # 'bonus' | 'recovered' | 'none' (nothing drafted)
    tokens: list[int]         # committed this cycle (after EOS / stop / budget truncation)
    draft_s: float            # wall time of propose() (draft model calls + drafting)
    target_s: float           # wall time of the one target call
    overhead_s: float         # everything else in the cycle: warp, verify, commit, control
    draft_calls: int          # draft model forward calls this cycle
    token_index: int          # new tokens committed before this cycle

    @property
    def cycle_s(self) -> float:
        return self.draft_s + self.target_s + self.overhead_s


@dataclass(frozen=True)
class Finished:
    reason: str               # 'length' | 'eos' | 'stop' | 'context'


@dataclass
class GenerationResult:
    prompt_ids: list[int]
    output_ids: list[int]
    text: str
    finish_reason: str
    prefill: PrefillRecord | None
    cycles: list[CycleRecord] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
