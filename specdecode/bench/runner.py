"""The benchmark runner: methods x suites x prompts x seeds x temperatures -> JSONL.

Items are ordered prompt-major, method-minor, so every method sees the machine in the
same state for the same prompt (drift hits all methods alike). Finished keys in the
output file are skipped, which makes any interrupted run resumable.
"""
from __future__ import annotations

import functools
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .config import BenchConfig
from .manifest import write_manifest
from .records import RecordWriter, item_key, open_run
from .worker import Item, Worker, draft_identity


def model_identities(cfg: BenchConfig) -> dict:
    """Resolve (and build, for zoo models) the models once in the driver; identities
    name + weight fingerprint go into every key and record."""
    from ..models.loading import fingerprint, resolve_path

    ids = {"target_path": str(resolve_path(cfg.target)), "drafts": {}}
    ids["target"] = {"name": cfg.target, "hash": fingerprint(ids["target_path"])}
    for m in cfg.methods:  # drafts: name -> {"path", "identity": {name, hash}}
        name = m.draft_name(cfg.draft)
        if name and name not in ids["drafts"]:
            path = str(resolve_path(name))
            ids["drafts"][name] = {"path": path, "identity": {"name": name, "hash": fingerprint(path)}}
    return ids



def plan(cfg: BenchConfig, identities: dict) -> list[Item]:
    from ..suites import load_suite

    items = []
    sampling = {"top_k": cfg.top_k, "top_p": cfg.top_p, "chat": cfg.chat}
    for suite_name in cfg.suites:
        suite = load_suite(suite_name, split=cfg.split, n=cfg.n_prompts)
        for prompt in suite.items:
            for seed in cfg.seeds:
                for temp in cfg.temperatures:
                    for m in cfg.methods:
                        draft = draft_identity(identities, cfg, m)
                        key = item_key(m.resolved(), suite.name, suite.version, prompt.id, seed, temp,
                                       cfg.max_new_tokens, identities["target"], draft, sampling)
                        items.append(Item(key, m.name, suite.name, suite.version, prompt.id, prompt.prompt, seed, temp))
    return items


@dataclass
class RunOutcome:
    path: Path
    planned: int
    skipped: int
    written: int = 0
    errors: int = 0
    mismatches: list = field(default_factory=list)
    keys: frozenset = frozenset()  # every key this config plans (done before or now)


def run_bench(cfg: BenchConfig, out: Path, executor: str = "local", ray_address: str | None = None,
              workers: int | None = None, progress: bool = True, config_name: str = "") -> RunOutcome:
    identities = model_identities(cfg)
    items = plan(cfg, identities)
    done = open_run(out)
    todo = [it for it in items if it.key not in done]
    outcome = RunOutcome(out, len(items), len(items) - len(todo), keys=frozenset(it.key for it in items))
    run_id = uuid.uuid4().hex[:12]
    write_manifest(out, cfg, run_id, executor, config_name)
    make_worker = functools.partial(Worker, cfg, run_id, identities)
    if executor == "ray":
        from .executors import run_ray

        stream = run_ray(todo, make_worker, ray_address, workers, max(1, cfg.threads or 1))
    else:
        from .executors import run_local

        stream = run_local(todo, make_worker)
    _consume(stream, out, outcome, len(todo), progress)
    outcome.mismatches = exactness(out, {it.key for it in items})
    return outcome


def _consume(stream, out: Path, outcome: RunOutcome, total: int, progress: bool) -> None:
    from tqdm import tqdm

    writer = RecordWriter(out)
    tokens, seconds = 0, 0.0
    bar = tqdm(total=total, desc="bench", unit="item", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        for record in stream:
            writer.write(record)
            outcome.written += 1
            if record["status"] == "ok":
                tokens += record["counters"]["new_tokens"]
                seconds += record["counters"]["total_s"]
            else:
                outcome.errors += 1
            bar.set_postfix_str(f"{tokens / seconds if seconds else 0:.1f} tok/s, {outcome.errors} err")
            bar.update(1)
    finally:
        bar.close()
        writer.close()


def exactness(path: Path, keys: set[str]) -> list[dict]:
    """At T = 0 every exact method must reproduce target-only's token ids on every
    prompt. Returns the mismatches (empty = all exact)."""
    records = [r for r in _read(path) if r["key"] in keys and r["status"] == "ok" and r["temperature"] == 0]
    base = {(r["suite"], r["prompt_id"], r["seed"]): r["output_ids"] for r in records
            if r["method_config"].get("proposer") == "none"}
    bad = []
    for r in records:
        ref = base.get((r["suite"], r["prompt_id"], r["seed"]))
        if r["exact"] and ref is not None and r["output_ids"] != ref:
            first = next((i for i, (a, b) in enumerate(zip(r["output_ids"], ref)) if a != b),
                         min(len(ref), len(r["output_ids"])))
            bad.append({"method": r["method"], "suite": r["suite"], "prompt_id": r["prompt_id"],
                        "seed": r["seed"], "first_diff": first})
    return bad


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def default_out(config_name: str) -> Path:
    stem = Path(config_name).stem if config_name else "bench"
    return Path("runs") / f"{stem}-{time.strftime('%Y%m%d')}.jsonl"
