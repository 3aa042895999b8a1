"""Peers as methods of the same runner: transformers' own generate() paths, run on the
same prompts with the same max_new_tokens and EOS ids, timed the same way (wall clock
around the call; the first-token time comes from a streamer), counted by token ids."""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from ..config import GenerationConfig, SamplingConfig
from ..errors import SpecDecodeError


@dataclass
class PeerResult:
    output_ids: list[int]
    prefill_s: float
    decode_s: float
    finish_reason: str


class _FirstTokenClock:
    """A generate() streamer that notes when the first NEW token arrives (TTFT)."""

    def __init__(self):
        self.calls = 0
        self.first_token_at = None

    def put(self, value):
        self.calls += 1
        if self.calls == 2 and self.first_token_at is None:  # call 1 is the prompt itself
            self.first_token_at = time.perf_counter()

    def end(self):
        pass


def _kwargs(peer: str, k: int | None, params: dict, draft) -> dict:
    if peer == "hf-greedy":
        if params:
            raise SpecDecodeError(f"peer hf-greedy takes no params (got {sorted(params)})")
        return {}
    if peer == "hf-assisted":
        allowed = {"confidence_threshold", "schedule"}
        if set(params) - allowed:
            raise SpecDecodeError(f"peer hf-assisted: unknown param. Allowed: {', '.join(sorted(allowed))}")
        if draft is None:
            raise SpecDecodeError("peer hf-assisted needs a draft model; set draft: MODEL")
        if getattr(draft, "kind", "lm") != "lm":
            raise SpecDecodeError(f"peer hf-assisted needs a causal-LM draft; {draft.name} is a hidden-state draft")
        kw = {"assistant_model": draft.model}
        if k is not None:
            kw["num_assistant_tokens"] = k
        if "schedule" in params:
            kw["num_assistant_tokens_schedule"] = params["schedule"]
        if "confidence_threshold" in params:
            kw["assistant_confidence_threshold"] = float(params["confidence_threshold"])
        return kw
    if peer == "hf-prompt-lookup":
        allowed = {"max_matching_ngram_size"}
        if set(params) - allowed:
            raise SpecDecodeError(f"peer hf-prompt-lookup: unknown param. Allowed: {', '.join(sorted(allowed))}")
        kw = {"prompt_lookup_num_tokens": k or 10}
        kw.update(params)
        return kw
    raise SpecDecodeError(f"unknown peer {peer!r}")


def run_peer(peer: str, k: int | None, params: dict, target, draft, prompt_ids: list[int],
             sampling: SamplingConfig, gen_cfg: GenerationConfig, eos_ids: frozenset[int]) -> PeerResult:
    kw = _kwargs(peer, k, params, draft)
    sample_kw = {"do_sample": False} if sampling.greedy else {
        "do_sample": True, "temperature": sampling.temperature, "top_k": sampling.top_k or None,
        "top_p": sampling.top_p}
    eos = sorted(eos_ids) if gen_cfg.stop_at_eos else None
    ids = torch.tensor([prompt_ids], device=target.device)
    clock = _FirstTokenClock()
    torch.manual_seed(gen_cfg.seed)
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = target.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=gen_cfg.max_new_tokens,
                                    eos_token_id=eos, pad_token_id=(eos or [0])[0], streamer=clock,
                                    **sample_kw, **kw)
    t_end = time.perf_counter()
    new = out[0, len(prompt_ids):].tolist()
    if eos:
        cut = next((i for i, t in enumerate(new) if t in eos_ids), None)
        new = new if cut is None else new[: cut + 1]  # same rule as the loop: EOS kept, then stop
    first = clock.first_token_at or t_end
    reason = "eos" if new and eos and new[-1] in eos_ids else "length"
    return PeerResult(new, first - t0, t_end - first, reason)
