"""A benchmark worker: owns one copy of the models and turns items into records.

The same Worker runs in-process (local executor) or inside a Ray actor, so both
executors produce identical records. Its unit of work is a Group: the items of one
(suite, prompt, seed, temperature), one per method. With `repeats: r` it generates
repetition 1 of every method, then repetition 2 of every method, ... (interleaved, so slow
drift hits all methods alike) and makes each item's record only once all its repetitions
are done: an item is either fully recorded or re-run on resume. The record keeps every
repetition's timings (`repeats`) and the counters of the median one (records.py).
Warm-up is stage 0 of the same measured path: before a method's first item, the worker
generates that item `warmup` times with a `warmup_tokens` budget through the same path
and discards the results.
Quality (specdecode/quality) is scored once every item of the Group is generated, so no
timing includes it: each ok item with its suite's scorer, and its agreement with the
baseline method's output in the same Group (null when the baseline is not in the Group
or failed). A scorer that raises turns the item into an error record naming the scorer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import GenerationConfig, SamplingConfig
from ..records import (dumps, generation_to_json, median_repetition, new_record, peer_counters,
                       repetition)
from .config import BenchConfig, MethodSpec


def method_models(identities: dict, cfg: BenchConfig, spec: MethodSpec) -> dict[str, dict]:
    """{role: {name, hash}} of every model besides the target the method uses ({} for none),
    and of every file its components' params name, under 'role.param' (controller.head)."""
    models = {role: identities["models"][model_id]["identity"]
              for role, model_id in spec.model_ids(cfg.draft).items() if model_id}
    return {**models, **{where: identities["files"][f] for where, f in spec.files().items()}}


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
    scorer: str = "agreement"        # quality scorer name (specdecode.quality.SCORERS)
    reference: str | None = None     # the suite item's reference and meta, for the scorer
    meta: dict = field(default_factory=dict, hash=False)

    @property
    def prompt_key(self) -> tuple:
        """What the items of one Group share: (suite, prompt, seed, temperature)."""
        return self.suite, self.prompt_id, self.seed, self.temperature


@dataclass(frozen=True)
class Group:
    """The items of one (suite, prompt, seed, temperature), one per method, in method order:
    the unit a worker runs (repetitions interleaved across them); one record per item.
    `recorded` is the baseline's output from an earlier invocation of the run, when the
    baseline item is already recorded and so not among `items` (a resumed run): quality's
    agreement and the exactness audit compare against it."""

    items: tuple[Item, ...]
    recorded: tuple[tuple[int, ...], str] | None = None  # (output_ids, output_text)


class Worker:
    def __init__(self, cfg: BenchConfig, run_id: str, identities: dict):
        self.cfg, self.run_id, self.identities = cfg, run_id, identities
        self.methods = {m.name: m for m in cfg.methods}
        self.target = None
        self.loaded: dict = {}  # model id -> loaded model (loaded on first use)
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
        self.target = load_model(self.identities["target_path"], dtype=_dtype(self.identities["target"]))
        self.target.name = self.cfg.target
        self.target.min_rows = self.cfg.min_verify_rows

    def _models(self, spec: MethodSpec) -> dict:
        """{role: loaded model} of the method's roles besides the target."""
        from ..models import load_model

        out = {}
        for role, model_id in spec.model_ids(self.cfg.draft).items():
            if not model_id:
                continue  # not given: the config check refuses that before a run
            if model_id not in self.loaded:
                known = self.identities["models"][model_id]
                self.loaded[model_id] = load_model(known["path"], dtype=_dtype(known["identity"]))
                self.loaded[model_id].name = model_id
            out[role] = self.loaded[model_id]
        return out

    def _decoder(self, spec: MethodSpec, sampling: SamplingConfig):
        from ..decoder import SpeculativeDecoder

        key = (spec.name, sampling)
        if key not in self.decoders:
            self.decoders[key] = SpeculativeDecoder(self.target, spec.loop, sampling,
                                                    models=self._models(spec))
        return self.decoders[key]

    # -- one group of items ------------------------------------------------------------
    def run(self, group: Group) -> list[dict]:
        """One record per item of the group, in its order, once every repetition is done:
        repetition 1 of every method, then repetition 2, ... An item that fails in any
        repetition is an error record (its later repetitions are skipped)."""
        self.setup()
        reps = self.cfg.repeats
        generations: dict[str, list[dict]] = {it.key: [] for it in group.items}
        failed: dict[str, str] = {}
        for rep in range(reps):
            for item in group.items:
                if item.key in failed:
                    continue
                try:
                    self._warm(item)
                    generations[item.key].append(self._generate(item, self.cfg.max_new_tokens))
                except Exception as exc:  # an item failure is a record, never a silent skip
                    where = f"repetition {rep + 1}/{reps}: " if reps > 1 else ""
                    failed[item.key] = where + _message(exc)
        records = [self._finish(it, generations[it.key], failed.get(it.key)) for it in group.items]
        return self._audited(group, self._scored(group, records))

    def _warm(self, item: Item) -> None:
        """Stage 0 before a method's first item: same path, results discarded."""
        if item.method not in self.warm:
            for _ in range(self.cfg.warmup):
                self._generate(item, self.cfg.warmup_tokens)
            self.warm.add(item.method)

    def _finish(self, item: Item, generations: list[dict], error: str | None) -> dict:
        """The item's record: every repetition's timings, the median repetition's rest."""
        if error is not None:
            return self._record(item, None, error=error)
        try:
            reps = [repetition(g["counters"]) for g in generations]
            record = self._record(item, generations[median_repetition(reps)], repeats=reps)
            dumps(record)  # NaN / inf are not JSON: an error record here, not a crash of the writer
            return record
        except Exception as exc:
            return self._record(item, None, error=_message(exc))

    # -- quality, after every generation of the group ----------------------------------
    def _scored(self, group: Group, records: list[dict]) -> list[dict]:
        base = _baseline_output(records, self.cfg.baseline, group.recorded)
        return [self._quality(it, rec, base) for it, rec in zip(group.items, records)]

    def _quality(self, item: Item, record: dict, base) -> dict:
        """The record with its quality; an error record when the scorer raises."""
        from ..quality import quality

        if record["status"] != "ok":
            return record
        try:
            record["quality"] = quality(item.scorer, item.reference, item.meta, record["output_text"],
                                        record["output_ids"], base)
            return record
        except Exception as exc:  # e.g. the sandbox failed: an error record, never a silent 0
            return self._record(item, None, error=f"scorer {item.scorer}: {_message(exc)}")

    # -- T = 0 exactness audit, after every generation of the group ---------------------
    def _audited(self, group: Group, records: list[dict]) -> list[dict]:
        """Each exact method's T = 0 record that left the baseline's tokens gets
        `divergence` (audit.py): where, the target's logit gap there, and whether it is a
        numerical near-tie (bf16) or a real mismatch."""
        from ..audit import classify
        from ..decoder import encode_prompt

        base = _baseline_output(records, self.cfg.baseline, group.recorded)
        for item, rec in zip(group.items, records):
            if (base is None or item.method == self.cfg.baseline or rec["status"] != "ok" or not rec["exact"]
                    or item.temperature != 0 or tuple(rec["output_ids"]) == base.ids):
                continue
            prompt_ids = encode_prompt(self.target, item.prompt, self.cfg.chat)
            found = classify(self.target, prompt_ids, list(base.ids), rec["output_ids"])
            rec["divergence"] = found.to_json()
        return records

    def _sampling(self, item: Item) -> SamplingConfig:
        return SamplingConfig(item.temperature, self.cfg.top_k, self.cfg.top_p)

    def _generate(self, item: Item, max_new_tokens: int) -> dict:
        """The record fields a generation fills."""
        from ..decoder import encode_prompt
        from .peers import run_peer

        spec = self.methods[item.method]
        ids = encode_prompt(self.target, item.prompt, self.cfg.chat)
        gen_cfg = GenerationConfig(max_new_tokens=max_new_tokens, seed=item.seed)
        sampling = self._sampling(item)
        out = {"prompt_tokens": len(ids)}
        if spec.loop is not None:
            decoder = self._decoder(spec, sampling)
            res = decoder.generate(ids, gen_cfg)
            out.update(generation_to_json(res, res.stats["prefill_s"], res.stats["decode_s"]),
                       exact=decoder.exact)
        else:
            from ..decoder import eos_ids

            res = run_peer(spec.peer, spec.peer_k, spec.peer_params, self.target, self._models(spec),
                           ids, sampling, gen_cfg, eos_ids(self.target))
            out.update(counters=peer_counters(len(res.output_ids), res.prefill_s, res.decode_s),
                       trace=None, prefill_intervals=None, exact=_peer_exact(spec))
        out.update(output_ids=res.output_ids, finish_reason=res.finish_reason,
                   output_text=self.target.tokenizer.decode(res.output_ids, skip_special_tokens=True))
        return out

    def _exact(self, spec: MethodSpec, item: Item) -> bool:
        """For an error record: the configured instance's claim when it could be built."""
        if spec.loop is None:
            return _peer_exact(spec)
        decoder = self.decoders.get((spec.name, self._sampling(item)))
        return bool(decoder.exact) if decoder is not None else False

    def _record(self, item: Item, fields: dict | None, error: str | None = None,
                repeats: list[dict] | None = None) -> dict:
        spec = self.methods[item.method]
        fields = dict(fields or {})
        exact = fields.pop("exact", None)
        return new_record(
            key=item.key, run_id=self.run_id, method=item.method, method_config=spec.resolved(),
            exact=self._exact(spec, item) if exact is None else bool(exact),
            suite=item.suite, suite_version=item.suite_version, prompt_id=item.prompt_id,
            seed=item.seed, temperature=item.temperature, max_new_tokens=self.cfg.max_new_tokens,
            target=self.identities["target"], models=method_models(self.identities, self.cfg, spec),
            repeats=repeats, error=error, **fields)


def _dtype(identity: dict) -> str:
    """The dtype the runner's policy chose for a model (dtypes.py; absent means fp32)."""
    return identity.get("dtype", "fp32")


def _message(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


def _baseline_output(records: list[dict], baseline: str, recorded=None):
    """The baseline method's ok output in this group, else the one recorded by an earlier
    invocation (Group.recorded), else None."""
    from ..quality import BaselineOutput

    for r in records:
        if r["method"] == baseline and r["status"] == "ok":
            return BaselineOutput(baseline, r["output_text"], tuple(r["output_ids"]))
    if recorded is not None:
        return BaselineOutput(baseline, recorded[1], tuple(recorded[0]))
    return None


def _peer_exact(spec: MethodSpec) -> bool:
    from .peers import PEERS

    return bool(PEERS.get(spec.peer).exact)
