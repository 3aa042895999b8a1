"""A benchmark worker: owns one copy of the models and turns an Item into a record.

The same Worker runs in-process (local executor) or inside a Ray actor, so both
executors produce identical records. Warm-up is stage 0 of the same measured path:
before a method's first item, the worker runs `run_item` on that item with a short
budget and discards the result.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..config import GenerationConfig, SamplingConfig
from .config import BenchConfig, MethodSpec
from .schema import SCHEMA_VERSION


def draft_identity(identities: dict, cfg: BenchConfig, spec: MethodSpec) -> dict | None:
    name = spec.draft_name(cfg.draft)
    return identities["drafts"][name]["identity"] if name else None


@dataclass(frozen=True)
class Item:
    key: str
    method: str
    suite: str
    suite_version: str
    prompt_id: str
    prompt: str          # the user message; the worker renders it with the target's template
    seed: int
    temperature: float


class Worker:
    def __init__(self, cfg: BenchConfig, run_id: str, identities: dict):
        self.cfg, self.run_id, self.identities = cfg, run_id, identities
        self.methods = {m.name: m for m in cfg.methods}
        self.target = None
        self.drafts: dict = {}  # draft name -> loaded model (loaded on first use)
        self.decoders: dict = {}
        self.warm: set[str] = set()

    # -- set-up (no I/O in __init__: Ray constructs actors before they are used) -------
    def setup(self) -> None:
        if self.target is not None:
            return
        import torch

        from ..models import load_model

        if self.cfg.threads:
            torch.set_num_threads(self.cfg.threads)
        self.target = load_model(self.identities["target_path"])
        self.target.name = self.cfg.target
        self.target.min_rows = self.cfg.min_verify_rows

    def _draft(self, spec: MethodSpec):
        from ..models import load_model

        name = spec.draft_name(self.cfg.draft)
        if name and name not in self.drafts:
            self.drafts[name] = load_model(self.identities["drafts"][name]["path"])
            self.drafts[name].name = name
        return self.drafts.get(name) if name else None

    def _decoder(self, spec: MethodSpec, sampling: SamplingConfig):
        from ..decoder import SpeculativeDecoder

        key = (spec.name, sampling)
        if key not in self.decoders:
            self.decoders[key] = SpeculativeDecoder(self.target, spec.loop, sampling, self._draft(spec))
        return self.decoders[key]

    # -- one item ----------------------------------------------------------------------
    def run(self, item: Item) -> dict:
        self.setup()
        try:
            if item.method not in self.warm:
                for _ in range(self.cfg.warmup):
                    self._generate(item, self.cfg.warmup_tokens)  # stage 0: same path, discarded
                self.warm.add(item.method)
            return self._record(item, self._generate(item, self.cfg.max_new_tokens))
        except Exception as exc:  # an item failure is a record, never a silent skip
            msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            return self._record(item, None, error=msg)

    def _sampling(self, item: Item) -> SamplingConfig:
        return SamplingConfig(item.temperature, self.cfg.top_k, self.cfg.top_p)

    def _generate(self, item: Item, max_new_tokens: int):
        from ..decoder import encode_prompt
        from ..stats import COUNTER_KEYS
        from .peers import run_peer

        spec = self.methods[item.method]
        ids = encode_prompt(self.target, item.prompt, self.cfg.chat)
        gen_cfg = GenerationConfig(max_new_tokens=max_new_tokens, seed=item.seed)
        sampling = self._sampling(item)
        if spec.loop is not None:
            res = self._decoder(spec, sampling).generate(ids, gen_cfg)
            c = {k: res.stats[k] for k in COUNTER_KEYS}
            trace = [_cycle_dict(cy) for cy in res.cycles]
            return ids, res.output_ids, res.finish_reason, c, trace
        from ..decoder import eos_ids

        eos = eos_ids(self.target)
        res = run_peer(spec.peer, spec.peer_k, spec.peer_params, self.target, self._draft(spec), ids, sampling, gen_cfg, eos)
        c = _peer_counters(len(res.output_ids), res.prefill_s, res.decode_s)
        return ids, res.output_ids, res.finish_reason, c, None

    def _record(self, item: Item, result, error: str | None = None) -> dict:
        spec = self.methods[item.method]
        ids, out, reason, counters, trace = result if result else ([], [], "error", None, None)
        return {
            "schema_version": SCHEMA_VERSION, "key": item.key, "run_id": self.run_id,
            "status": "error" if error else "ok", "error": error,
            "method": item.method, "method_config": spec.resolved(), "exact": _is_exact(spec),
            "suite": item.suite, "suite_version": item.suite_version, "prompt_id": item.prompt_id,
            "seed": item.seed, "temperature": item.temperature, "max_new_tokens": self.cfg.max_new_tokens,
            "target": self.identities["target"], "draft": draft_identity(self.identities, self.cfg, spec),
            "prompt_tokens": len(ids), "output_ids": out,
            "output_text": self.target.tokenizer.decode(out, skip_special_tokens=True) if out else "",
            "finish_reason": reason, "counters": counters, "trace": trace,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }


def _is_exact(spec: MethodSpec) -> bool:
    if spec.loop is not None:
        from ..verifiers import VERIFIERS

        return bool(VERIFIERS.get(spec.loop.verifier).exact)
    return True  # transformers' generate paths are all target-exact by design


def _cycle_dict(cy) -> dict:
    return {"k": cy.k, "drafted": cy.drafted, "accepted": cy.accepted, "emitted": len(cy.tokens),
            "draft_s": cy.draft_s, "target_s": cy.target_s, "overhead_s": cy.overhead_s,
            "token_index": cy.token_index}


def _peer_counters(new_tokens: int, prefill_s: float, decode_s: float) -> dict:
    nulls = ("target_calls", "draft_calls", "cycles", "drafted", "accepted", "accepted_per_position",
             "reached_per_position", "tau_hist", "recovered", "bonus", "draft_s", "target_s", "overhead_s")
    return {"new_tokens": new_tokens, **{k: None for k in nulls}, "prefill_s": prefill_s,
            "decode_s": decode_s, "total_s": prefill_s + decode_s}
