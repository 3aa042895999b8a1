"""Peers as methods of the same runner: transformers' own generate() paths, run on the
same prompts with the same max_new_tokens and EOS ids, timed the same way (wall clock
around the call; the first-token time comes from a streamer), counted by token ids.

Each peer is a registered class (PEERS) with a frozen Params dataclass, built through
params.build_params (unknown or mistyped params are one-line errors) and declaring the
named models it reads besides the target (`model_roles`, e.g. ("draft",)). A plug-in adds
a peer the same way:

    @PEERS.register("my-peer")
    class MyPeer(Peer):
        @dataclass(frozen=True)
        class Params: ...
        def generate_kwargs(self, target, models) -> dict: ...

Records keep the method as {"kind": "peer", "peer": NAME, "k": k, "params": {...}}.
Constructors do no I/O; torch loads only when a peer runs.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from ..config import GenerationConfig, SamplingConfig
from ..errors import SpecDecodeError
from ..params import NoParams, build_params
from ..registry import Registry


@dataclass
class PeerResult:
    output_ids: list[int]
    prefill_s: float
    decode_s: float
    finish_reason: str


class Peer:
    """One transformers generate() path. Subclasses set Params, model_roles, takes_k and
    generate_kwargs(); run() is shared, so every peer is timed and cut the same way."""

    name: ClassVar[str] = ""
    Params: ClassVar[type] = NoParams
    model_roles: ClassVar[tuple[str, ...]] = ()  # named models read besides the target
    takes_k: ClassVar[bool] = True               # False: giving k is an error
    exact: ClassVar[bool] = True                 # transformers' generate paths are target-exact

    def __init__(self, k: int | None, params):
        self.k, self.params = k, params

    def generate_kwargs(self, target, models: Mapping[str, Any]) -> dict:
        """The generate() keyword arguments of this peer (beyond prompt, budget and sampling)."""
        return {}

    def config_overrides(self, target, models: Mapping[str, Any]) -> list[tuple[Any, dict]]:
        """[(a model's GenerationConfig, {field: value})] set for the call and restored
        after it: settings transformers reads from a model's own config, not from kwargs."""
        return []

    def run(self, target, models: Mapping[str, Any], prompt_ids: list[int], sampling: SamplingConfig,
            gen_cfg: GenerationConfig, eos_ids: frozenset[int]) -> PeerResult:
        import torch

        kw = self.generate_kwargs(target, models)
        sample_kw = {"do_sample": False} if sampling.greedy else {
            "do_sample": True, "temperature": sampling.temperature, "top_k": sampling.top_k or None,
            "top_p": sampling.top_p}
        eos = sorted(eos_ids) if gen_cfg.stop_at_eos else None
        ids = torch.tensor([prompt_ids], device=target.device)
        clock = _FirstTokenClock()
        torch.manual_seed(gen_cfg.seed)
        t0 = time.perf_counter()
        with torch.inference_mode(), _overridden(self.config_overrides(target, models)):
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


PEERS: Registry[type[Peer]] = Registry("peer")


def _peer(name: str):
    def deco(cls: type[Peer]) -> type[Peer]:
        cls.name = name
        return PEERS.register(name)(cls)

    return deco


@_peer("hf-greedy")
class HFGreedy(Peer):
    """Plain generate(): target-only decoding by transformers."""

    takes_k = False


SCHEDULES = ("constant", "heuristic", "heuristic_transient")


@_peer("hf-assisted")
class HFAssisted(Peer):
    """Assisted generation with a causal-LM draft (`assistant_model`); k = the number of
    assistant tokens (transformers' default when None)."""

    model_roles = ("draft",)

    @dataclass(frozen=True)
    class Params:
        confidence_threshold: float | None = None  # assistant_confidence_threshold (None: transformers' default)
        schedule: str | None = None                # num_assistant_tokens_schedule: constant | heuristic | heuristic_transient

        def __post_init__(self):
            c = self.confidence_threshold
            if c is not None:
                if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c <= 1:
                    raise SpecDecodeError(f"Parameter 'confidence_threshold' of peer 'hf-assisted' must be a number "
                                          f"in [0, 1] (got {c!r})")
                object.__setattr__(self, "confidence_threshold", float(c))
            if self.schedule is not None and self.schedule not in SCHEDULES:
                raise SpecDecodeError(f"Parameter 'schedule' of peer 'hf-assisted' must be one of "
                                      f"{', '.join(SCHEDULES)} (got {self.schedule!r})")

    def generate_kwargs(self, target, models):
        return {"assistant_model": self._draft(models).model}

    def config_overrides(self, target, models):
        """transformers (5.x) reads k, the schedule and the confidence threshold from the
        ASSISTANT's generation_config and ignores them as generate() kwargs (passed there,
        generation ran with its defaults: 20 tokens, threshold 0.4); so they go there."""
        given = {"num_assistant_tokens": self.k, "num_assistant_tokens_schedule": self.params.schedule,
                 "assistant_confidence_threshold": self.params.confidence_threshold}
        return [(self._draft(models).model.generation_config, {f: v for f, v in given.items() if v is not None})]

    @staticmethod
    def _draft(models):
        draft = models.get("draft")
        if draft is None:
            raise SpecDecodeError("peer hf-assisted needs a draft model; set draft: MODEL")
        if getattr(draft, "kind", "lm") != "lm":
            raise SpecDecodeError(f"peer hf-assisted needs a causal-LM draft; {draft.name} is a "
                                  f"{getattr(draft, 'kind', '?')} model (e.g. a hidden-state draft)")
        return draft


@_peer("hf-prompt-lookup")
class HFPromptLookup(Peer):
    """Prompt-lookup decoding: n-gram matches in the context draft k tokens (default 10)."""

    DEFAULT_K = 10

    @dataclass(frozen=True)
    class Params:
        max_matching_ngram_size: int | None = None  # None: transformers' default (2)

        def __post_init__(self):
            n = self.max_matching_ngram_size
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
                raise SpecDecodeError(f"Parameter 'max_matching_ngram_size' of peer 'hf-prompt-lookup' must be an "
                                      f"integer >= 1 (got {n!r})")

    def generate_kwargs(self, target, models):
        kw = {"prompt_lookup_num_tokens": self.k or self.DEFAULT_K}
        if self.params.max_matching_ngram_size is not None:
            kw["max_matching_ngram_size"] = self.params.max_matching_ngram_size
        return kw


def make_peer(name: str, k: int | None = None, params: Mapping[str, Any] | None = None) -> Peer:
    """Resolve and validate a peer: its name, k and params (one-line errors), no I/O."""
    cls = PEERS.get(name)
    if k is not None:
        if not cls.takes_k:
            raise SpecDecodeError(f"peer {name} takes no k; remove it")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise SpecDecodeError(f"k must be an integer >= 1 (got {k!r})")
    return cls(k, build_params(cls.Params, dict(params or {}), f"peer '{name}'"))


def run_peer(peer: str, k: int | None, params: dict, target, models, prompt_ids: list[int],
             sampling: SamplingConfig, gen_cfg: GenerationConfig, eos_ids: frozenset[int]) -> PeerResult:
    """Run one peer. `models`: {role: model} of the roles it reads (a bare draft model, or
    None, is still accepted as {"draft": it})."""
    if models is None or not isinstance(models, Mapping):
        models = {} if models is None else {"draft": models}
    return make_peer(peer, k, params).run(target, models, prompt_ids, sampling, gen_cfg, eos_ids)


@contextmanager
def _overridden(overrides: list[tuple[Any, dict]]):
    """Set {field: value} on each config for the duration, then restore what was there."""
    saved = [(cfg, {f: getattr(cfg, f, None) for f in fields}) for cfg, fields in overrides]
    try:
        for cfg, fields in overrides:
            for f, v in fields.items():
                setattr(cfg, f, v)
        yield
    finally:
        for cfg, old in saved:
            for f, v in old.items():
                setattr(cfg, f, v)


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
