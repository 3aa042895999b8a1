"""THE decode loop: prefill, then cycles of propose -> verify -> accept -> commit.

Every method runs through `decode`; it yields a PrefillRecord, one CycleRecord per
cycle and a final Finished. generate(), the CLI's streaming, the benchmark runner and
(through the records) the analysis consume this one stream.

Cache invariant between cycles: ctx holds every committed token; the target's cache holds
ctx[:-1] (the last committed token is "pending": its logits are computed by the next
verify call, together with the k draft tokens, in ONE target forward of k + 1 tokens).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Iterator

import torch

from .config import GenerationConfig, SamplingConfig
from .controllers import Controller
from .errors import SpecDecodeError
from .models.wrapper import CausalLM
from .proposers import Proposer
from .sampling import sample, warp
from .types import EMPTY_PROPOSAL, CycleRecord, Finished, PrefillRecord
from .verifiers import Verifier


@dataclass
class Stopper:
    """EOS / stop-string / budget / context rules. Truncates a cycle's tokens in place."""

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


def decode(target: CausalLM, proposer: Proposer, verifier: Verifier, controller: Controller,
           prompt_ids: list[int], sampling: SamplingConfig, gen_cfg: GenerationConfig,
           vocab_size: int, eos_ids: frozenset[int]) -> Iterator[PrefillRecord | CycleRecord | Finished]:
    """Run one generation. vocab_size: the shared vocabulary (logits are sliced to it)."""
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

    # Stage 0: prefill (TTFT): target and draft read the prompt; the first token is sampled.
    t0 = time.perf_counter()
    target.reset(keep_features=proposer.needs_target_features)
    proposer.reset()
    out = target.logits_for(ctx, 1)
    td = time.perf_counter()
    proposer.prefill(ctx)
    draft_s = time.perf_counter() - td
    first = int(sample(warp(out.logits[:, :vocab_size], sampling), gen)[0])
    kept, reason = stopper.cut([], [first])
    ctx += kept
    yield PrefillRecord(len(prompt_ids), kept, time.perf_counter() - t0, out.seconds, draft_s)

    emitted = list(kept)
    stop_fn = controller.stop if controller.uses_stop else None
    while reason is None:
        record, reason = _cycle(target, proposer, verifier, controller, ctx, emitted, sampling, gen,
                                vocab_size, stopper, stop_fn)
        yield record
    yield Finished(reason)


def _cycle(target, proposer, verifier, controller, ctx, emitted, sampling, gen, vocab_size,
           stopper, stop_fn):
    """One propose -> verify -> commit cycle; mutates ctx and emitted."""
    t0 = time.perf_counter()
    room = min(stopper.gen_cfg.max_new_tokens - len(emitted) - 1, target.max_length - len(ctx))
    k = max(0, min(controller.next_k() if proposer.drafts else 0, room))
    calls0 = proposer.calls
    td = time.perf_counter()
    proposal = proposer.propose(ctx, k, sampling, gen, stop_fn) if k > 0 else EMPTY_PROPOSAL
    draft_s = time.perf_counter() - td
    drafted = len(proposal.tokens)

    out = target.logits_for(ctx + proposal.tokens, drafted + 1)  # ONE call, (k+1, V)
    p = warp(out.logits[:, :vocab_size], sampling)
    verdict = verifier.verify(proposal, p, gen)

    new = proposal.tokens[: verdict.n_accepted] + [verdict.next_token]
    kept, reason = stopper.cut(emitted, new)
    index = len(emitted)
    ctx += kept
    emitted += kept
    target.rollback_to(len(ctx) - 1)  # drop rejected draft positions; keep ctx[:-1]
    proposer.commit(ctx)
    kind = "none" if drafted == 0 else verdict.kind
    record = CycleRecord(k=k, drafted=drafted, accepted=verdict.n_accepted, outcomes=verdict.outcomes,
                         kind=kind, tokens=kept, draft_s=draft_s, target_s=out.seconds,
                         overhead_s=max(time.perf_counter() - t0 - draft_s - out.seconds, 0.0),
                         draft_calls=proposer.calls - calls0, token_index=index)
    controller.observe(record)
    # overhead_s covers the whole cycle outside propose() and the target call, the
    # controller's own observe() included (it saw the value measured just before it).
    overhead = max(time.perf_counter() - t0 - draft_s - out.seconds, 0.0)
    return dataclasses.replace(record, overhead_s=overhead), reason
