"""SpeculativeDecoder: resolves a MethodConfig through the registries once, then runs the
one loop for each prompt. `generate()` is the one-call convenience over it.

`resolve_method` is the ONE resolver of a method: generate(), the decoder and the bench
config check all call it, so a name, a parameter or an incompatible combination fails
the same way everywhere, before any model loads when models=None.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

from .config import GenerationConfig, MethodConfig, SamplingConfig
from .controllers import CONTROLLERS
from .loop import Roles, decode
from .models.quantize import check_target
from .models.wrapper import CausalLM
from .params import build_params
from .proposers import PROPOSERS
from .stats import summarize
from .types import CycleRecord, Finished, GenerationResult, PrefillRecord
from .verifiers import VERIFIERS


@dataclass(frozen=True)
class Resolved:
    """A method's configured roles. The controller is built fresh per generation (it may
    resume the previous generation's carried state: SpeculativeDecoder.stream)."""

    proposer: object
    verifier: object
    controller_cls: type
    controller_params: object
    method: MethodConfig

    def roles(self) -> Roles:
        controller = self.controller_cls(self.controller_params, self.method.k)
        wants = self.method.position_stats or "positions" in controller.needs
        return Roles(self.proposer, self.verifier, controller, position_stats=wants)

    @property
    def exact(self) -> bool:
        """The verifier's claim, unless the controller may change a setting the verifier
        reads per cycle (a policy's fuzzy threshold): then exact only where the verifier
        is exact whatever that setting is (T = 0)."""
        v = self.verifier
        if self.controller_cls.controls & v.reads_control and not v.sampling.greedy:
            return False
        return bool(v.exact)


def resolve_method(method: MethodConfig, sampling: SamplingConfig,
                   models: Mapping[str, object] | None = None, target: CausalLM | None = None) -> Resolved:
    """Build the method's roles from their registries and params. With a target (and the
    named models the proposer reads), the proposer is bound to them; without, only names,
    params and the verifier/proposer combination at this sampling setting are checked."""
    verifier_cls = VERIFIERS.get(method.verifier)
    controller_cls = CONTROLLERS.get(method.controller)
    proposer = build_proposer(method.proposer, method.proposer_params)
    verifier = verifier_cls(build_params(verifier_cls.Params, method.verifier_params, f"verifier '{method.verifier}'"),
                            sampling)
    controller_params = build_params(controller_cls.Params, method.controller_params,
                                     f"controller '{method.controller}'")
    verifier.check(proposer)
    if target is not None:
        check_target(target, proposer.drafts)
        proposer.bind(target, dict(models or {}))
    return Resolved(proposer, verifier, controller_cls, controller_params, method)


def build_proposer(name: str, params: dict | None = None, target: CausalLM | None = None,
                   models: Mapping[str, object] | None = None):
    """A registered proposer with its params, bound when a target is given. Composite
    proposers (a cascade, a consensus of two drafts) build their inner proposers with it
    in their own bind(), handing each the models it should see under its own role names,
    e.g. build_proposer("draft", {}, target, {"draft": models["draft2"]})."""
    cls = PROPOSERS.get(name)
    proposer = cls(build_params(cls.Params, params, f"proposer '{name}'"))
    if target is not None:
        proposer.bind(target, dict(models or {}))
    return proposer


def check_method(method: MethodConfig, sampling: SamplingConfig) -> None:
    """Resolve every name and parameter of a method without loading any model."""
    resolve_method(method, sampling)


class SpeculativeDecoder:
    def __init__(self, target: CausalLM, method: MethodConfig, sampling: SamplingConfig,
                 models: Mapping[str, object] | None = None):
        self.resolved = resolve_method(method, sampling, models or {}, target)
        self.target, self.method, self.sampling = target, method, sampling
        self.eos_ids = eos_ids(target)
        self.carried: dict | None = None  # the last generation's controller.carry()

    @property
    def exact(self) -> bool:
        """Whether this configured method emits exactly the target's distribution."""
        return self.resolved.exact

    @property
    def proposer(self):
        return self.resolved.proposer

    @property
    def verifier(self):
        return self.resolved.verifier

    def stream(self, prompt_ids: list[int], gen_cfg: GenerationConfig) -> Iterator[PrefillRecord | CycleRecord | Finished]:
        """One generation. Its controller resumes what the previous generation of this
        decoder carried (controllers/base.py), and hands its own on when it finishes."""
        roles = self.resolved.roles()
        roles.controller.resume(self.carried)
        yield from decode(self.target, roles, list(prompt_ids), self.sampling, gen_cfg, self.eos_ids)
        self.carried = roles.controller.carry()

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
             gen_cfg: GenerationConfig | None = None, chat: bool = False,
             models: Mapping[str, object] | None = None) -> GenerationResult:
    """Generate from a prompt (text or token ids) with any method; returns tokens, text,
    per-cycle records and stats. `draft` is shorthand for models={"draft": draft}."""
    models = dict(models or {})
    if draft is not None:
        models.setdefault("draft", draft)
    method = method or MethodConfig(proposer="draft" if "draft" in models else "none")
    decoder = SpeculativeDecoder(target, method, sampling or SamplingConfig(), models)
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
