"""The benchmark runner: methods x suites x prompts x seeds x temperatures -> JSONL.

Items are ordered prompt-major, method-minor, so every method sees the machine in the
same state for the same prompt (drift hits all methods alike); the items of one (suite,
prompt, seed, temperature) go to a worker together as a Group, which interleaves their
`repeats` repetitions (1 of every method, then 2, ...) and returns their records once
all are done. Items with an ok record in the output file are skipped (failed ones run
again), which makes any interrupted run resumable; the file's rules (one writer, only
run files, repair of a cut last line) are in runfile.py.
"""
from __future__ import annotations

import functools
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .config import BenchConfig
from .manifest import record_peak_memory, write_manifest
from .runfile import RecordWriter, RunLock, item_key, open_run
from .worker import Group, Item, Worker, method_models


def model_identities(cfg: BenchConfig) -> dict:
    """Resolve (and build, for zoo models) the models once in the driver; identities
    name + weight fingerprint go into every key and record."""
    from ..models.loading import resolve_path

    ids = {"target_path": str(resolve_path(cfg.target)), "models": {}, "dtypes": {}}
    ids["target"] = _identity(cfg, cfg.target, ids["target_path"], ids["dtypes"], "target")
    for m in cfg.methods:  # every other model: id -> {"path", "identity": {name, hash}}
        for model_id in m.model_ids(cfg.draft).values():
            if model_id and model_id not in ids["models"]:
                path = str(resolve_path(model_id))
                ids["models"][model_id] = {"path": path,
                                           "identity": _identity(cfg, model_id, path, ids["dtypes"],
                                                                 "draft")}
    ids["files"] = {spec: _file_identity(spec) for m in cfg.methods for spec in m.files().values()}
    return ids


def _file_identity(spec: str) -> dict:
    """{name, hash} of what a component's file param names (a zoo entry is built here like
    a model); hash 'absent' when it names nothing: the component's own loader then fails
    the item with the message that says how to make the file."""
    from ..errors import SpecDecodeError
    from ..models.loading import fingerprint, resolve_path

    try:
        path = resolve_path(spec)
    except SpecDecodeError:
        path = None
    return {"name": spec, "hash": fingerprint(path) if isinstance(path, Path) and path.exists() else "absent"}


def _identity(cfg: BenchConfig, model_id: str, path: str, decisions: dict, role: str) -> dict:
    """{name, hash} (+ dtype: bf16 when the policy picks it, so fp32 keys are unchanged);
    the dtype decision with its timings goes to `decisions` (the manifest)."""
    from ..models.loading import dtype_decision, model_identity

    decision = dtype_decision(cfg.dtype, path, role=role)
    decisions[model_id] = decision.to_json()
    return model_identity(model_id, path, decision)


def plan(cfg: BenchConfig, identities: dict) -> list[Item]:
    from ..suites import load_suite

    items = []
    sampling = {"top_k": cfg.top_k, "top_p": cfg.top_p, "chat": cfg.chat}
    for suite_name in cfg.suites:
        suite = load_suite(suite_name, split=cfg.split, n=cfg.n_prompts)
        scorer = cfg.scorers.get(suite_name, suite.scorer)
        for prompt in suite.items:
            for seed in cfg.seeds:
                for temp in cfg.temperatures:
                    for m in cfg.methods:
                        models = method_models(identities, cfg, m)
                        key = item_key(m.resolved(), suite.name, suite.version, prompt.id, seed, temp,
                                       cfg.max_new_tokens, identities["target"], models, sampling)
                        items.append(Item(key, m.name, suite.name, suite.version, prompt.id, prompt.prompt,
                                          seed, temp, scorer, prompt.reference, prompt.meta))
    return items


def group_items(items: list[Item], recorded: dict[tuple, tuple] | None = None) -> list[Group]:
    """The items of each (suite, prompt, seed, temperature) as one Group, in plan order.
    recorded: prompt_key -> the baseline's (output_ids, output_text) already in the run file."""
    groups: dict[tuple, list[Item]] = {}
    for it in items:
        groups.setdefault(it.prompt_key, []).append(it)
    recorded = recorded or {}
    return [Group(tuple(g), recorded.get(k)) for k, g in groups.items()]


def recorded_baselines(items: list[Item], baseline: str | None, outputs: dict[str, tuple]) -> dict[tuple, tuple]:
    """prompt_key -> the recorded ok output of that prompt's baseline item (a resumed run)."""
    return {it.prompt_key: outputs[it.key] for it in items if it.method == baseline and it.key in outputs}


def _records(stream):
    """Executors yield one list of records per Group; the writer takes them one by one."""
    for batch in stream:
        yield from batch


@dataclass
class RunOutcome:
    path: Path
    planned: int
    skipped: int
    written: int = 0
    errors: int = 0
    mismatches: list = field(default_factory=list)   # real T = 0 mismatches (bugs)
    near_ties: list = field(default_factory=list)    # bf16 divergences the audit excused
    peak_rss_bytes: int | None = None  # of the process running the models (local executor)
    keys: frozenset = frozenset()  # every key this config plans (done before or now)
    retried: int = 0               # items whose earlier records were all errors, run again now
    failed: list = field(default_factory=list)  # error message of each planned item with no ok record
    baseline: str | None = None
    exact_checked: dict = field(default_factory=dict)  # exact method -> (T=0 items checked, its T=0 items)


def run_bench(cfg: BenchConfig, out: Path, executor: str = "local", ray_address: str | None = None,
              workers: int | None = None, progress: bool = True, config_name: str = "",
              keep_errors: bool = False) -> RunOutcome:
    """Run every planned item that `out` holds no ok record of (and, with `keep_errors`,
    no error record either). The run file's lock is held throughout: a second bench on
    the same file stops at once, and a file that is not a run file is refused untouched."""
    with RunLock(out):
        state = open_run(out)
        identities = model_identities(cfg)
        items = plan(cfg, identities)
        done = state.ok | (set(state.failed) if keep_errors else set())
        todo = [it for it in items if it.key not in done]
        outcome = RunOutcome(out, len(items), len(items) - len(todo), keys=frozenset(it.key for it in items),
                             retried=sum(it.key in state.failed for it in todo))
        run_id = uuid.uuid4().hex[:12]
        write_manifest(out, cfg, run_id, executor, config_name, dtypes=identities.get("dtypes"))
        make_worker = functools.partial(Worker, cfg, run_id, identities)
        groups = group_items(todo, recorded_baselines(items, cfg.baseline, state.outputs))
        if executor == "ray":
            from .executors import run_ray

            stream = run_ray(groups, make_worker, ray_address, workers, max(1, cfg.threads or 1))
        else:
            from .executors import run_local

            stream = run_local(groups, make_worker)
        _consume(_records(stream), out, outcome, len(todo), progress)
        _close(outcome)
        if executor != "ray":
            outcome.peak_rss_bytes = record_peak_memory(out)
    return outcome


def _consume(stream, out: Path, outcome: RunOutcome, total: int, progress: bool) -> None:
    from tqdm import tqdm

    writer = RecordWriter(out)
    tokens, seconds = 0, 0.0
    # Records arrive in bursts, one per prompt group, and the first burst also holds model
    # loading and warm-ups: a moving-average rate would keep that first wait for much of
    # the run (an ETA of 4 h for the half-hour `quick` run), so the rate is the run's average.
    bar = tqdm(total=total, desc="bench", unit="item", disable=not progress, file=sys.stderr,
               dynamic_ncols=True, smoothing=0)
    bar.set_postfix_str("loading models, warming up")
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


def _close(outcome: RunOutcome) -> None:
    """The closing figures over every planned item (done before or now), one record per
    item (an ok record over earlier errors): which failed and why, and the T = 0 check."""
    from ..analysis.cells import find_baseline
    from ..analysis.exactness import real, t0_mismatches
    from ..analysis.load import latest_per_key
    from ..records import read_records

    records = latest_per_key([r for r in read_records(outcome.path).records if r["key"] in outcome.keys])
    outcome.failed = [r["error"] for r in records if r["status"] != "ok"]
    found = t0_mismatches(records)
    outcome.mismatches = real(found)
    outcome.near_ties = [m for m in found if m["numerical"]]
    outcome.baseline = find_baseline(records)
    outcome.exact_checked = exact_checked(records, outcome.baseline)


def exactness(path: Path, keys: set[str]) -> list[dict]:
    """The T = 0 exactness check of the analysis (analysis.exactness) over this run's
    records: one dict per mismatched item (empty = every exact method matched on every
    item both it and the baseline ran ok; see exact_checked for how many that was)."""
    from ..analysis.exactness import t0_mismatches
    from ..analysis.load import latest_per_key
    from ..records import read_records

    return t0_mismatches(latest_per_key([r for r in read_records(path).records if r["key"] in keys]))


def exact_checked(records: list[dict], baseline: str | None) -> dict[str, tuple[int, int]]:
    """method -> (T = 0 items the exactness check covered, the method's T = 0 items) for
    every method other than the baseline whose records claim exactness. An item is
    covered only where the method and the baseline both ran it ok: a failed item is not
    evidence of exactness."""
    from ..analysis.cells import pair_up

    t0 = [r for r in records if r["temperature"] == 0]
    base_ok = [r for r in t0 if r["method"] == baseline and r["status"] == "ok"]
    out: dict[str, tuple[int, int]] = {}
    for method in dict.fromkeys(r["method"] for r in t0):
        mine = [r for r in t0 if r["method"] == method]
        ok = [r for r in mine if r["status"] == "ok" and r["exact"]]
        if method != baseline and (ok or any(r["exact"] for r in mine)):
            out[method] = (len(pair_up(ok, base_ok)) if baseline else 0, len(mine))
    return out


def default_out(config_name: str) -> Path:
    stem = Path(config_name).stem if config_name else "bench"
    return Path("runs") / f"{stem}-{time.strftime('%Y%m%d')}.jsonl"
