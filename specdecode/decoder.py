"""SpeculativeDecoder: resolves a MethodConfig through the registries once, then runs the
one loop for each prompt. `generate()` is the one-call convenience over it."""
from __future__ import annotations

import time
from typing import Callable, Iterator

from .config import GenerationConfig, MethodConfig, SamplingConfig
from .controllers import CONTROLLERS
from .errors import SpecDecodeError
from .loop import decode
from .models.loading import shared_vocab_size
from .models.wrapper import CausalLM
from .params import build_params
from .proposers import PROPOSERS
from .stats import summarize
from .types import CycleRecord, Finished, GenerationResult, PrefillRecord
from .verifiers import VERIFIERS


def check_method(method: MethodConfig, sampling: SamplingConfig) -> None:
    """Resolve every name and parameter of a method without loading any model, so bad
    input fails before minutes of loading."""
    proposer_cls = PROPOSERS.get(method.proposer)
    verifier_cls = VERIFIERS.get(method.verifier)
    controller_cls = CONTROLLERS.get(method.controller)
    build_params(proposer_cls.Params, method.proposer_params, f"proposer '{method.proposer}'")
    build_params(controller_cls.Params, method.controller_params, f"controller '{method.controller}'")
    verifier_cls(sampling).check(proposer_cls.deterministic)


def _check_draft(proposer: str, kind: str, draft) -> None:
    """A draft of the kind the proposer reads: a causal LM, or a hidden-state draft."""
    if draft is None:
        raise SpecDecodeError(f"proposer '{proposer}' needs a draft model; pass --draft MODEL")
    have = getattr(draft, "kind", "lm")
    if have != kind:
        fix = ("--proposer eagle (or a causal-LM draft)" if have == "feature"
               else "a hidden-state draft, e.g. --draft zoo:smollm2-135m-eagle")
        raise SpecDecodeError(f"proposer '{proposer}' cannot use draft {draft.name} "
                              f"({'a hidden-state draft' if have == 'feature' else 'a causal LM'}); use {fix}")


class SpeculativeDecoder:
    def __init__(self, target: CausalLM, method: MethodConfig, sampling: SamplingConfig,
                 draft: CausalLM | None = None):
        proposer_cls = PROPOSERS.get(method.proposer)
        verifier_cls = VERIFIERS.get(method.verifier)
        self.controller_cls = CONTROLLERS.get(method.controller)
        if proposer_cls.needs_draft_model:
            _check_draft(method.proposer, proposer_cls.draft_kind, draft)
        self.vocab_size = shared_vocab_size(target, draft) if proposer_cls.needs_draft_model else target.vocab_size
        params = build_params(proposer_cls.Params, method.proposer_params, f"proposer '{method.proposer}'")
        self.proposer = proposer_cls(params, draft if proposer_cls.needs_draft_model else None, self.vocab_size)
        if proposer_cls.needs_target_features:
            self.proposer.bind_target(target)
        self.verifier = verifier_cls(sampling)
        self.verifier.check(proposer_cls.deterministic)
        self.controller_params = build_params(
            self.controller_cls.Params, method.controller_params, f"controller '{method.controller}'"
        )
        self.target, self.method, self.sampling = target, method, sampling
        self.eos_ids = eos_ids(target)

    def stream(self, prompt_ids: list[int], gen_cfg: GenerationConfig) -> Iterator[PrefillRecord | CycleRecord | Finished]:
        controller = self.controller_cls(self.controller_params, self.method.k)
        return decode(self.target, self.proposer, self.verifier, controller, list(prompt_ids),
                      self.sampling, gen_cfg, self.vocab_size, self.eos_ids)

    def generate(self, prompt_ids: list[int], gen_cfg: GenerationConfig,
                 on_tokens: Callable[[list[int]], None] | None = None) -> GenerationResult:
        """Run the loop to the end. on_tokens(new_ids) is called as tokens are committed
        (streaming); its own time counts in decode_s but in no cycle's draft/target/overhead."""
        result = GenerationResult(list(prompt_ids), [], "", "length", None)
        t0 = time.perf_counter()
        t_first = None
        for event in self.stream(prompt_ids, gen_cfg):
            if isinstance(event, PrefillRecord):
                result.prefill, t_first = event, time.perf_counter()
                result.output_ids += event.tokens
            elif isinstance(event, CycleRecord):
                result.cycles.append(event)
                result.output_ids += event.tokens
            if on_tokens is not None and isinstance(event, (PrefillRecord, CycleRecord)):
                on_tokens(event.tokens)
            elif isinstance(event, Finished):
                result.finish_reason = event.reason
        t_end = time.perf_counter()
        result.text = self.target.tokenizer.decode(result.output_ids, skip_special_tokens=True)
        prefill_s = (t_first - t0) if t_first is not None else 0.0
        result.stats = summarize(result, prefill_s=prefill_s, decode_s=t_end - (t_first or t_end))
        return result


def eos_ids(model: CausalLM) -> frozenset[int]:
    """Every end-of-sequence id the model declares (generation config, config, tokenizer)."""
    ids = set()
    for source in (model.model.generation_config, model.model.config, model.tokenizer):
        eos = getattr(source, "eos_token_id", None)
        if isinstance(eos, int):
            ids.add(eos)
        elif isinstance(eos, (list, tuple)):
            ids.update(int(e) for e in eos)
    return frozenset(ids)


def generate(target: CausalLM, prompt: str | list[int], draft: CausalLM | None = None,
             method: MethodConfig | None = None, sampling: SamplingConfig | None = None,
             gen_cfg: GenerationConfig | None = None, chat: bool = False) -> GenerationResult:
    """Generate from a prompt (text or token ids) with any method; returns tokens, text,
    per-cycle records and stats."""
    method = method or MethodConfig(proposer="draft" if draft is not None else "none")
    decoder = SpeculativeDecoder(target, method, sampling or SamplingConfig(), draft)
    ids = encode_prompt(target, prompt, chat) if isinstance(prompt, str) else list(prompt)
    return decoder.generate(ids, gen_cfg or GenerationConfig())


def encode_prompt(model: CausalLM, prompt: str, chat: bool) -> list[int]:
    tok = model.tokenizer
    if chat:
        if not getattr(tok, "chat_template", None):
            raise SpecDecodeError(f"model '{model.name}' has no chat template; drop --chat")
        prompt = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)
        return tok(prompt, add_special_tokens=False)["input_ids"]
    return tok(prompt)["input_ids"]
