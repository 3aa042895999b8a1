"""The benchmark runner on the tiny zoo pair: records, resume after SIGKILL, repair of a
truncated line, one-line config errors, and the Ray executor matching the local one."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specdecode.bench.config import load_config
from specdecode.bench.records import repair
from specdecode.bench.runner import model_identities, plan, run_bench
from specdecode.bench.schema import validate_record
from specdecode.cli import main

FAST = ["n_prompts=2", "max_new_tokens=12", "warmup_tokens=2", "suites=[code, math]"]
METHODS = ["target-only", "draft-k4", "eagle-k4", "ngram-k4", "hf-greedy", "hf-assisted-k4", "hf-prompt-lookup"]


def read(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "run.jsonl"
    cfg = load_config("smoke", FAST, METHODS)
    outcome = run_bench(cfg, out, progress=False)
    return cfg, out, outcome


def test_records_are_valid_and_complete(local_run):
    cfg, out, outcome = local_run
    records = read(out)
    assert outcome.planned == len(records) == 2 * 2 * len(METHODS)
    assert len({r["key"] for r in records}) == len(records)
    for r in records:
        assert validate_record(r) == [], r["method"]
        assert r["status"] == "ok", r["error"]
        assert r["counters"]["total_s"] >= r["counters"]["decode_s"] > 0
    manifest = json.loads(out.with_name("run.manifest.json").read_text())
    assert {"git_sha", "packages", "hardware", "torch_threads", "config"} <= set(manifest)


def test_t0_exact_methods_match_target_only(local_run):
    _, out, outcome = local_run
    assert outcome.mismatches == []
    by = {}
    for r in read(out):
        by.setdefault((r["suite"], r["prompt_id"]), {})[r["method"]] = r["output_ids"]
    for methods in by.values():
        assert all(ids == methods["target-only"] for ids in methods.values())


def test_rerun_skips_finished_items(local_run):
    cfg, out, _ = local_run
    again = run_bench(cfg, out, progress=False)
    assert again.written == 0 and again.skipped == again.planned


def test_truncated_last_line_is_repaired_and_rerun(local_run, tmp_path):
    cfg, out, _ = local_run
    copy = tmp_path / "cut.jsonl"
    lines = out.read_text().splitlines(keepends=True)
    copy.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # killed mid-write
    assert repair(copy) > 0 and len(read(copy)) == len(lines) - 1
    copy.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    outcome = run_bench(cfg, copy, progress=False)
    assert outcome.written == 1
    assert sorted(r["key"] for r in read(copy)) == sorted(r["key"] for r in read(out))


def test_sigkill_at_a_random_moment_then_resume(tmp_path):
    out = tmp_path / "killed.jsonl"
    argv = [sys.executable, "-m", "specdecode", "bench", "smoke", "--out", str(out), "--no-progress",
            "--methods", ",".join(METHODS)] + [a for s in FAST for a in ("--set", s)]
    cfg = load_config("smoke", FAST, METHODS)
    planned = {it.key for it in plan(cfg, model_identities(cfg))}
    # kill at a random record count in the middle of the run (then up to 20 ms later,
    # which may land inside a line being written)
    target = random.Random(os.getpid()).randint(1, len(planned) - 4)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= target:
            break
        time.sleep(0.002)
    time.sleep(random.Random(os.getpid() + 1).uniform(0.0, 0.02))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(out.read_text().splitlines()) if out.exists() else 0
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    records = read(out)
    keys = [r["key"] for r in records]
    assert before < len(planned), "the run finished before the kill: nothing was tested"
    assert sorted(keys) == sorted(planned), f"{before} lines before the kill"
    assert len(keys) == len(set(keys))


BAD_CONFIGS = {
    "unknown method": (["--methods", "target-only,warp-drive"], "unknown method 'warp-drive'. Available: target-only"),
    "unknown suite": (["--set", "suites=[poetry]"], "Unknown suite 'poetry'"),
    "unknown key": (["--set", "n_promtps=3"], "unknown key 'n_promtps'. Allowed:"),
    "wrong type": (["--set", "n_prompts=many"], "n_prompts must be int"),
    "empty grid": (["--set", "seeds=[]"], "seeds: the grid is empty"),
    "no methods": (["--set", "methods={}"], "methods: the grid is empty"),
    "unknown proposer": (["--set", "methods.draft-k4.proposer=magic"], "Unknown proposer 'magic'. Available:"),
    "unknown peer": (["--set", "methods.hf-greedy.peer=vllm"], "unknown peer 'vllm'. Allowed: hf-greedy"),
    "bad method key": (["--set", "methods.draft-k4.kk=3"], "methods.draft-k4: unknown key 'kk'. Allowed:"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_one_line(capsys, tmp_path, case):
    extra, expected = BAD_CONFIGS[case]
    code = main(["bench", "smoke", "--out", str(tmp_path / "x.jsonl"), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err


def test_validate_flags_bad_records(local_run, tmp_path, capsys):
    _, out, _ = local_run
    assert main(["validate", str(out)]) == 0
    bad = tmp_path / "bad.jsonl"
    rec = read(out)[0]
    rec["counters"]["new_tokens"] = -1
    del rec["seed"]
    bad.write_text(json.dumps(rec) + "\n")
    assert main(["validate", str(bad)]) == 1
    assert "seed" in capsys.readouterr().out


def test_ray_executor_matches_local(local_run, tmp_path):
    import ray

    cfg, out, _ = local_run
    ray_out = tmp_path / "ray.jsonl"
    try:
        outcome = run_bench(cfg, ray_out, executor="ray", workers=2, progress=False)
    finally:
        ray.shutdown()
    assert outcome.errors == 0
    local = {r["key"]: r["output_ids"] for r in read(out)}
    remote = {r["key"]: r["output_ids"] for r in read(ray_out)}
    assert remote == local  # same keys, same T=0 tokens
