"""`policy collect`: exploratory speculative decoding under the random behaviour policy
(controller `random-policy`, verifier `fuzzy`) on the suites' dev prompts, through the one
loop (SpeculativeDecoder's resolved roles, decode()). One traces line per (suite, prompt,
temperature): the transitions of that generation (steps.py), written and fsync'ed at
once; a rerun skips the lines already there, so a killed collect resumes. The manifest
(target, draft, window, grid, seed, ...) is written first and must match on resume."""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import GenerationConfig, MethodConfig, SamplingConfig
from ..errors import SpecDecodeError
from .io import TRACES, TRACES_MANIFEST, append_line, cut_partial, read_traces, write_json
from .states import GRID
from .steps import transitions

DEFAULT_SUITES = ("code", "math", "translation", "summarization", "data-to-text", "chat")


@dataclass(frozen=True)
class CollectConfig:
    target: str = "zoo:smollm2-135m"
    draft: str = "zoo:smollm2-135m-draft"
    suites: tuple[str, ...] = DEFAULT_SUITES
    split: str = "dev"
    n_prompts: int = 10            # per suite
    temperatures: tuple[float, ...] = (0.0, 1.0)
    max_new_tokens: int = 128
    window: int = 8
    p_stop: float = 0.25
    seed: int = 0
    chat: bool = True
    min_verify_rows: int = 4       # as the bench presets on CPU: the times must be the bench's
    dtype: str = "fp32"            # fp32 | bf16 | auto, as the bench's `dtype:` (the step times depend on it)

    def manifest(self, identities: dict) -> dict:
        return {**dataclasses.asdict(self), **identities, "grid": list(GRID), "schema": 1}


@dataclass(frozen=True)
class Job:
    key: str
    suite: str
    prompt_id: str
    prompt: str
    temperature: float
    seed: int


def plan(cfg: CollectConfig) -> list[Job]:
    from ..suites import load_suite

    jobs = []
    for name in cfg.suites:
        suite = load_suite(name, split=cfg.split, n=cfg.n_prompts)
        for n, item in enumerate(suite.items):
            for t in cfg.temperatures:
                jobs.append(Job(f"{suite.name}|{item.id}|{t:g}", suite.name, item.id, item.prompt, t,
                                cfg.seed * 100_003 + n))
    return jobs


# Settings that only choose which lines exist: a resumed collect may add prompts, suites or
# temperatures to a traces file; every other setting changes the lines themselves.
SELECTION = {"n_prompts", "suites", "temperatures"}


def check_resume(out: Path, manifest: dict) -> None:
    path = out / TRACES_MANIFEST
    if (out / TRACES).exists() and path.exists():
        have = {"dtype": "fp32", **json.loads(path.read_text(encoding="utf-8"))}  # older: fp32
        want = json.loads(json.dumps(manifest))
        diff = sorted(k for k in (set(have) | set(want)) - SELECTION if have.get(k) != want.get(k))
        if diff:
            raise SpecDecodeError(f"{out / TRACES} was collected with other settings ({', '.join(diff)}); "
                                  f"pass another --out or delete it")


def load_pair(cfg: CollectConfig):
    """(target, draft, identities) loaded as the bench loads them, in cfg.dtype (auto: each
    model's measured choice for its role; an identity names its dtype when it is not fp32,
    as the bench's do)."""
    from ..models import load_model
    from ..models.loading import model_identity, resolve_path

    paths = {role: str(resolve_path(name)) for role, name in (("target", cfg.target), ("draft", cfg.draft))}
    models = {role: load_model(paths[role], dtype=cfg.dtype, role=role) for role in paths}
    target, draft = models["target"], models["draft"]
    target.name, draft.name = cfg.target, cfg.draft
    target.min_rows = cfg.min_verify_rows
    ids = {role: model_identity(getattr(cfg, role), paths[role], getattr(models[role], "dtype_decision", None))
           for role in paths}
    return target, draft, ids


def collect(cfg: CollectConfig, out: Path, models=None, progress: Callable | None = None) -> dict:
    """Run every job not yet in out/traces.jsonl; models = (target, draft, identities) to
    skip loading (tests). Returns {"done", "skipped", "steps"}."""
    out.mkdir(parents=True, exist_ok=True)
    jobs = plan(cfg)
    target, draft, ids = models or load_pair(cfg)
    manifest = cfg.manifest(ids)
    check_resume(out, manifest)
    write_json(out / TRACES_MANIFEST, manifest)
    path = out / TRACES
    cut_partial(path)
    done = {line["key"] for line in read_traces(path)}
    todo = [j for j in jobs if j.key not in done]
    steps = 0
    for n, job in enumerate(todo):
        line = run_job(cfg, job, target, draft)
        append_line(path, line)
        steps += len(line["steps"]["a"])
        if progress:
            progress(n + 1, len(todo), job, line)
    return {"done": len(todo), "skipped": len(jobs) - len(todo), "steps": steps}


def run_job(cfg: CollectConfig, job: Job, target, draft) -> dict:
    from ..controllers.random_policy import RandomPolicyController, RandomPolicyParams
    from ..decoder import SpeculativeDecoder, encode_prompt
    from ..loop import decode

    method = MethodConfig(proposer="draft", verifier="fuzzy", controller="random-policy", k=cfg.window)
    decoder = SpeculativeDecoder(target, method, SamplingConfig(job.temperature), {"draft": draft})
    controller = RandomPolicyController(RandomPolicyParams(cfg.window, cfg.p_stop, job.seed), cfg.window)
    roles = dataclasses.replace(decoder.resolved.roles(), controller=controller, position_stats=True)
    ids = encode_prompt(target, job.prompt, cfg.chat)
    gen = GenerationConfig(max_new_tokens=cfg.max_new_tokens, seed=job.seed)
    t0, new = time.perf_counter(), 0
    for event in decode(target, roles, ids, decoder.sampling, gen, decoder.eos_ids):
        new += len(getattr(event, "tokens", ()))
    return {"key": job.key, "suite": job.suite, "prompt_id": job.prompt_id, "temperature": job.temperature,
            "seed": job.seed, "new_tokens": new, "seconds": round(time.perf_counter() - t0, 3),
            "steps": transitions(controller.log)}
