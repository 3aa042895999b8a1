"""The typed seams of the loop: what a proposer hands the verifier, what the verifier
reads and decides, and the per-cycle record every consumer (CLI, generate(), bench,
analysis) reads.

Vocabulary (defined once): in a cycle the verifier checks draft tokens from the root
down. Accepted tokens are kept. At the first rejection it emits a *recovered* token,
sampled from the residual norm(max(0, p - q)) (the target argmax at T=0). If every draft
token on the path is accepted it emits a *bonus* token from the target's row after the
last accepted node. Either way a cycle commits len(path) + 1 tokens for ONE target call;
target-only decoding is the empty-proposal case.

Trees. A proposal is a list of nodes; `parents[i]` is the index of node i's parent, -1
for a child of the root (the root is the last committed token, whose logits the target
call computes too). A chain is parents = (-1, 0, 1, ..., n-2). Parents always come
before their children. Target rows: row 0 is the root, row 1 + i is node i, so node i's
token is checked against row 1 + parents[i] (0 for a root child).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import torch


@dataclass(frozen=True)
class Proposal:
    tokens: list[int]                          # (n,) drafted node tokens, n may be 0
    parents: tuple[int, ...] | None = None     # (n,) parent index per node, -1 = root; None = chain
    draft_probs: torch.Tensor | None = None    # (n, V) warped q each node was drawn from; None = deterministic
    draft_logits: torch.Tensor | None = None   # (n, V) raw (unwarped) draft logits at each node's parent position
    events: dict[str, int] | None = None       # what a proposer's optional features did this cycle,
                                               # e.g. {"recycled": 3}; copied into the cycle record

    @property
    def is_chain(self) -> bool:
        return self.parents is None

    @cached_property
    def parent_list(self) -> tuple[int, ...]:
        """Parents of every node; a chain's are (-1, 0, ..., n-2)."""
        return tuple(range(-1, len(self.tokens) - 1)) if self.parents is None else tuple(self.parents)


EMPTY_PROPOSAL = Proposal(tokens=[])


@dataclass(frozen=True)
class VerifyInput:
    """What the one target call over a proposal gives the verifier. Rows: 0 = the root
    (the last committed token), 1 + i = node i."""

    p: torch.Tensor                      # (n + 1, V) warped target distribution
    logits: torch.Tensor                 # (n + 1, V) raw target logits
    hidden: torch.Tensor | None = None   # (n + 1, d) target's last hidden states, if the verifier asked
    control: dict | None = None          # this cycle's settings from the controller (e.g. a
                                         # policy's fuzzy threshold), Controller.verify_control()


@dataclass(frozen=True)
class Verdict:
    path: tuple[int, ...]       # accepted node indices, root to leaf (a chain: 0, 1, ..., a-1)
    next_token: int             # recovered (on rejection) or bonus (all accepted) token
    outcomes: tuple[bool, ...]  # one per checked depth: accepted? (len(path) or len(path) + 1)
    mismatches: int = 0         # accepted tokens the exact rule would have rejected (lossy verifiers)

    @property
    def n_accepted(self) -> int:
        return len(self.path)

    @property
    def kind(self) -> str:
        """'bonus' when the path ended with every checked position accepted, else 'recovered'."""
        return "recovered" if len(self.outcomes) > len(self.path) else "bonus"


@dataclass(frozen=True)
class Interval:
    """One timed span of a cycle or the prefill, in seconds of time.perf_counter()."""

    what: str      # 'draft' (propose(), draft model calls included) | 'target' (the model call)
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def busy_seconds(intervals: tuple[Interval, ...], what: str | None = None) -> float:
    """Total length of the union of the intervals of one kind (all kinds when None);
    overlaps are counted once."""
    spans = sorted((i.start, i.end) for i in intervals if what is None or i.what == what)
    total, cur_s, cur_e = 0.0, None, None
    for s, e in spans:
        if cur_e is None or s > cur_e:
            total += (cur_e - cur_s) if cur_e is not None else 0.0
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + ((cur_e - cur_s) if cur_e is not None else 0.0)


@dataclass(frozen=True)
class PositionStat:
    """Statistics at one verified position, computed only on request (see loop.py).
    Distributions are the models' own, softmax(raw logits) at temperature 1, so they are
    informative at T = 0 too; both over the target's vocabulary (q = 0 where the draft
    cannot emit)."""

    draft_token: int
    target_token: int      # the target's argmax at this position
    p_x: float             # target probability of the drafted token
    q_x: float             # draft probability of the drafted token (1 for deterministic drafts)
    entropy_q: float       # nats; 0 for a deterministic draft
    entropy_p: float
    kl_qp: float | None    # KL(q || p) in nats; None when the draft gives no distribution


@dataclass(frozen=True)
class PrefillRecord:
    prompt_tokens: int
    tokens: list[int]         # the first new token (a list for symmetry with cycles)
    start: float              # perf_counter at the start of the prefill stage
    end: float                # ... when the first token was sampled (end - start = TTFT)
    intervals: tuple[Interval, ...] = ()

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class CycleRecord:
    k: int                    # draft length the controller asked for (0 = target-only step)
    drafted: int              # nodes actually proposed (< k on an early stop / no match; a tree may exceed k)
    accepted: int             # accepted path length
    outcomes: tuple[bool, ...]
    kind: str                 # 'bonus' | 'recovered' | 'none' (nothing drafted)
    tokens: list[int]         # committed this cycle (after EOS / stop / budget truncation)
    start: float              # perf_counter at the cycle's start
    end: float                # ... at its end (after the controller's observe())
    intervals: tuple[Interval, ...]  # the draft stage and each target model call
    draft_calls: int          # draft model forward calls this cycle
    token_index: int          # new tokens committed before this cycle
    depth: int = 0            # depth of the deepest node (a chain: drafted)
    path: tuple[int, ...] = ()  # accepted node indices (a chain: 0..accepted-1)
    mismatches: int = 0       # accepted tokens the exact rule would have rejected
    positions: tuple[PositionStat, ...] | None = None  # per checked position, on request
    events: dict[str, int] | None = None  # the proposal's events (Proposal.events), None = none

    @property
    def draft_s(self) -> float:
        return busy_seconds(self.intervals, "draft")

    @property
    def target_s(self) -> float:
        return busy_seconds(self.intervals, "target")

    @property
    def cycle_s(self) -> float:
        return self.end - self.start

    @property
    def overhead_s(self) -> float:
        """The cycle outside the draft stage and the target calls: warp, verify, commit,
        control, and the per-position statistics when they were asked for. Never clamped: the intervals lie inside [start, end], so it is >= 0."""
        return self.cycle_s - busy_seconds(self.intervals)


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
