"""THE decode loop: prefill, then cycles of propose -> verify -> accept -> commit.

Every method runs through `decode`; it yields a PrefillRecord, one CycleRecord per
cycle and a final Finished. generate(), the CLI's streaming, the benchmark runner and
(through the records) the analysis consume this one stream.

Cache invariant between cycles: ctx holds every committed token; the target's cache holds
ctx[:-1] (the last committed token is the root: its logits are computed by the next
verify call, together with every proposal node, in ONE target forward of 1 + n tokens).
The call leaves the nodes cached; keep(path) keeps the accepted path's and drops the rest.

Timings are intervals (start, end) of the draft stage and of each target model call;
durations are derived from them (types.CycleRecord), never clamped.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Iterator

import torch

from .config import GenerationConfig, SamplingConfig
from .controllers import Controller
from .controllers.base import StopHook
from .errors import SpecDecodeError
from .models.wrapper import CausalLM, compile_tree
from .positions import position_stats
from .proposers import Proposer
from .sampling import sample, warp
from .types import EMPTY_PROPOSAL, CycleRecord, Finished, Interval, PrefillRecord, Proposal, VerifyInput
from .verifiers import Verifier


@dataclass
class Stopper:
    """EOS / stop-string / budget / context rules: cut() returns the part of a cycle's
    tokens to commit, and why generation ends (None: it goes on)."""

    eos_ids: frozenset[int]
    gen_cfg: GenerationConfig
    tokenizer: object
    max_length: int
    prompt_len: int

    def cut(self, out: list[int], new: list[int]) -> tuple[list[int], str | None]:
        """out: tokens emitted so far; new: this cycle's tokens -> (kept, finish reason)."""
        kept, reason = [], None
        for tok in new:
            kept.append(tok)
            if self.gen_cfg.stop_at_eos and tok in self.eos_ids:
                reason = "eos"
                break
            if len(out) + len(kept) >= self.gen_cfg.max_new_tokens:
                reason = "length"
                break
        if self.gen_cfg.stop_strings:
            kept, reason = self._stop_strings(out, kept, reason)
        if reason is None and self.prompt_len + len(out) + len(kept) >= self.max_length:
            reason = "context"
        return kept, reason

    def _stop_strings(self, out, kept, reason):
        # Decode only a tail window: a stop string can only end inside the new tokens.
        window = max(len(s) for s in self.gen_cfg.stop_strings) + 8
        for j in range(1, len(kept) + 1):
            tail = self.tokenizer.decode((out + kept[:j])[-window:], skip_special_tokens=False)
            if any(s in tail for s in self.gen_cfg.stop_strings):
                return kept[:j], "stop"
        return kept, reason


@dataclass
class Roles:
    """The three configured roles of one method, and what its cycles must record."""

    proposer: Proposer
    verifier: Verifier
    controller: Controller
    position_stats: bool = False  # compute per-position statistics in every cycle


def decode(target: CausalLM, roles: Roles, prompt_ids: list[int], sampling: SamplingConfig,
           gen_cfg: GenerationConfig, eos_ids: frozenset[int]) -> Iterator[PrefillRecord | CycleRecord | Finished]:
    """Run one generation over the target's full vocabulary."""
    if not prompt_ids:
        raise SpecDecodeError("the prompt is empty; give a non-empty --prompt")
    if len(prompt_ids) >= target.max_length:
        raise SpecDecodeError(
            f"the prompt has {len(prompt_ids)} tokens but the target's context is {target.max_length}; "
            "shorten the prompt"
        )
    if gen_cfg.max_new_tokens == 0:
        yield Finished("length")
        return
    stopper = Stopper(eos_ids, gen_cfg, target.tokenizer, target.max_length, len(prompt_ids))
    gen = torch.Generator().manual_seed(gen_cfg.seed)
    ctx = list(prompt_ids)
    proposer = roles.proposer

    # Stage 0: prefill (TTFT): target and draft read the prompt; the first token is sampled.
    t0 = time.perf_counter()
    target.reset(keep_features="features" in proposer.target_needs)
    proposer.reset()
    out = target.logits_for(ctx, 1)
    td = time.perf_counter()
    pending = proposer.prefill(ctx)
    draft = Interval("draft", td, time.perf_counter())
    first = int(sample(warp(out.logits, sampling), gen)[0])
    kept, reason = stopper.cut([], [first])
    ctx += kept
    yield PrefillRecord(len(prompt_ids), kept, t0, time.perf_counter(),
                        (Interval("target", out.start, out.end), draft))

    emitted = list(kept)
    while reason is None:
        record, reason = _cycle(target, roles, ctx, emitted, sampling, gen, stopper, pending)
        pending = None
        yield record
    yield Finished(reason)


def _propose(roles: Roles, ctx, k, sampling, gen, pending: Proposal | None) -> Proposal:
    if pending is not None:
        return pending
    if k == 0:
        return EMPTY_PROPOSAL
    stop = StopHook(roles.controller) if roles.controller.uses_stop else None
    return roles.proposer.propose(ctx, k, sampling, gen, stop)


def _cycle(target, roles, ctx, emitted, sampling, gen, stopper, pending):
    """One propose -> verify -> commit cycle; mutates ctx and emitted."""
    proposer, verifier, controller = roles.proposer, roles.verifier, roles.controller
    t0 = time.perf_counter()
    room = min(stopper.gen_cfg.max_new_tokens - len(emitted) - 1, target.max_length - len(ctx))
    k = max(0, min(controller.next_k() if proposer.drafts else 0, room))
    calls0 = proposer.calls
    td = time.perf_counter()
    proposal = _propose(roles, ctx, k, sampling, gen, pending)
    draft = Interval("draft", td, time.perf_counter())
    drafted = len(proposal.tokens)

    out = target.score(ctx, proposal, want_hidden="hidden" in verifier.needs)  # ONE call, (1 + n, V)
    inp = VerifyInput(p=warp(out.logits, sampling), logits=out.logits, hidden=out.last_hidden,
                      control=controller.verify_control())
    verdict = verifier.verify(proposal, inp, gen)
    target.keep(verdict.path)  # the cache now holds ctx and the accepted path

    new = [proposal.tokens[i] for i in verdict.path] + [verdict.next_token]
    kept, reason = stopper.cut(emitted, new)
    index = len(emitted)
    ctx += kept
    emitted += kept
    target.rollback_to(len(ctx) - 1)  # a cut (EOS, stop, budget) drops more; keep ctx[:-1]
    proposer.commit(ctx)
    stats = position_stats(proposal, verdict, out.logits) if roles.position_stats else None
    record = CycleRecord(
        k=k, drafted=drafted, accepted=verdict.n_accepted, outcomes=verdict.outcomes,
        kind="none" if drafted == 0 else verdict.kind, tokens=kept, start=t0, end=time.perf_counter(),
        intervals=(draft, Interval("target", out.start, out.end)), draft_calls=proposer.calls - calls0,
        token_index=index, depth=_depth(proposal), path=verdict.path, mismatches=verdict.mismatches, positions=stats,
        events=proposal.events or None)
    controller.observe(record)
    # The cycle ends after the controller's observe() (it saw the end measured just before it).
    return dataclasses.replace(record, end=time.perf_counter()), reason


def _depth(proposal: Proposal) -> int:
    if proposal.is_chain or not proposal.tokens:
        return len(proposal.tokens)
    return int(compile_tree(proposal.parent_list).depth.max())
