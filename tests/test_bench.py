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
from specdecode.bench.runfile import repair
from specdecode.bench.runner import model_identities, plan, run_bench
from specdecode.records import SCHEMA_VERSION, TIMING_KEYS, median_repetition, validate_record
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
        assert r["schema_version"] == SCHEMA_VERSION
    # records (and keys) name every model besides the target that a method used
    models = {r["method"]: {role: m["name"] for role, m in r["models"].items()} for r in records}
    assert models["target-only"] == models["ngram-k4"] == models["hf-greedy"] == {}
    assert models["draft-k4"] == models["hf-assisted-k4"] == {"draft": "zoo:tiny-draft"}
    assert models["eagle-k4"] == {"draft": "zoo:tiny-eagle"}
    for r in records:
        if r["method_config"]["kind"] == "loop":   # v2 traces: outcomes, intervals, timeline
            assert r["prefill_intervals"] and r["prefill_intervals"][0][1] >= 0
            for c in r["trace"]:
                assert len(c["outcomes"]) in (c["accepted"], c["accepted"] + 1)
                assert c["emitted"] == len(c["tokens"]) and c["positions"] is None
                assert all(c["start"] <= s <= e <= c["end"] for _, s, e in c["intervals"])
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


def test_resumed_groups_compare_against_the_recorded_baseline(local_run, tmp_path):
    """A resumed run whose baseline item was recorded by an earlier invocation still
    scores agreement and audits T = 0 exactness against that recorded output. The copy's
    baseline of one prompt is forged (its last token changed), so the re-run exact
    methods must be reported diverging there: a real mismatch in fp32."""
    cfg, out, _ = local_run
    records = read(out)
    kept = [r for r in records if r["method"] == "target-only"]
    forged = kept[0]
    forged["output_ids"] = forged["output_ids"][:-1] + [(forged["output_ids"][-1] + 1) % 50]
    copy = tmp_path / "resumed.jsonl"
    copy.write_text("".join(json.dumps(r) + "\n" for r in kept))
    outcome = run_bench(cfg, copy, progress=False)
    assert outcome.written == len(records) - len(kept)
    new = [r for r in read(copy) if r["method"] != "target-only"]
    assert all(r["quality"]["agreement"]["baseline"] == "target-only" for r in new)
    same = [r for r in new if r["exact"] and r["prompt_id"] == forged["prompt_id"] and r["suite"] == forged["suite"]]
    assert same and all(r["divergence"]["numerical"] is False for r in same)
    others = [r for r in new if (r["suite"], r["prompt_id"]) != (forged["suite"], forged["prompt_id"])]
    assert all("divergence" not in r or r["divergence"] is None for r in others)
    assert outcome.mismatches


def test_sigkill_at_a_random_moment_then_resume(tmp_path):
    out = tmp_path / "killed.jsonl"
    argv = [sys.executable, "-m", "specdecode", "bench", "smoke", "--out", str(out), "--no-progress",
            "--methods", ",".join(METHODS)] + [a for s in FAST for a in ("--set", s)]
    cfg = load_config("smoke", FAST, METHODS)
    planned = {it.key for it in plan(cfg, model_identities(cfg))}
    # kill at a random record count in the middle of the run (then up to 20 ms later,
    # which may land inside a line being written). Records arrive a Group (one prompt's
    # methods) at a time, so the count must be reached before the last Group is written,
    # or the run finishes before the kill and the test tests nothing.
    target = random.Random(os.getpid()).randint(1, len(planned) - len(METHODS) - 1)
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
    "unknown proposer": (["--set", "methods.draft-k4.proposer=magic"],
                         "methods.draft-k4: Unknown proposer 'magic'. Available:"),
    "unknown verifier": (["--set", "methods.draft-k4.verifier=magic"],
                         "methods.draft-k4: Unknown verifier 'magic'."),
    "unknown controller": (["--set", "methods.draft-k4.controller=magic"],
                           "methods.draft-k4: Unknown controller 'magic'."),
    "unknown peer": (["--set", "methods.hf-greedy.peer=vllm"], "Unknown peer 'vllm'. Available: hf-assisted"),
    "bad method key": (["--set", "methods.draft-k4.kk=3"], "methods.draft-k4: unknown key 'kk'. Allowed:"),
    "repeats out of range": (["--set", "repeats=0"], "repeats must be between 1 and 20 (got 0)"),
}


def _keys_with_files(tmp_path, head, policy):
    """plan() keys and method_models of a config whose methods name a specdecpp head and a
    jointadaspec table (no model runs: keys only)."""
    from specdecode.bench.worker import method_models

    config = tmp_path / "files.yaml"
    config.write_text(
        "extends: smoke\nratios: []\nmethods:\n  target-only: {proposer: none}\n"
        f"  sdpp: {{proposer: draft, k: 4, controller: specdecpp, controller_params: {{head: '{head}'}}}}\n"
        f"  joint: {{proposer: draft, verifier: fuzzy, controller: jointadaspec,"
        f" controller_params: {{policy: '{policy}'}}}}\n")
    cfg = load_config(str(config), FAST)
    ids = model_identities(cfg)
    keys = {}
    for it in plan(cfg, ids):
        keys.setdefault(it.method, set()).add(it.key)
    return keys, {m.name: method_models(ids, cfg, m) for m in cfg.methods}


def test_files_named_by_params_are_hashed_into_keys_and_records(tmp_path):
    head, policy = tmp_path / "head", tmp_path / "policy.json"
    head.mkdir()
    (head / "accept_head.json").write_text('{"trained": 1}')
    policy.write_text('{"table": 1}')
    keys, models = _keys_with_files(tmp_path, head, policy)
    assert models["target-only"] == {}
    assert models["sdpp"]["controller.head"]["name"] == str(head)
    assert models["joint"]["controller.policy"]["hash"] not in ("", "absent")
    (head / "accept_head.json").write_text('{"trained": 2}')  # a rebuilt head
    keys2, _ = _keys_with_files(tmp_path, head, policy)
    assert keys2["sdpp"].isdisjoint(keys["sdpp"])
    assert keys2["joint"] == keys["joint"] and keys2["target-only"] == keys["target-only"]
    policy.write_text('{"table": 2}')  # a re-solved table
    keys3, _ = _keys_with_files(tmp_path, head, policy)
    assert keys3["joint"].isdisjoint(keys2["joint"]) and keys3["sdpp"] == keys2["sdpp"]
    policy.unlink()  # a missing file plans (the controller's own loader reports it per item)
    _, models4 = _keys_with_files(tmp_path, head, policy)
    assert models4["joint"]["controller.policy"]["hash"] == "absent"


def test_dry_run_counts_the_items_a_run_would_plan(capsys, tmp_path):
    import re

    sets = [x for f in [*FAST, "seeds=[0, 1]"] for x in ("--set", f)]
    out = tmp_path / "x.jsonl"
    assert main(["bench", "smoke", "--out", str(out), "--dry-run", "--no-progress", *sets]) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    cfg = load_config("smoke", [*FAST, "seeds=[0, 1]"])
    n = len(plan(cfg, model_identities(cfg)))
    assert re.match(rf"\[bench\] dry run: {n} items \(4 prompts x 2 seeds x 1 temperature x "
                    rf"{len(cfg.methods)} methods\)", line), line
    assert not out.exists()


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


def test_validate_shows_the_first_invalid_lines_and_counts_all(tmp_path, capsys):
    from specdecode.commands.validate import SHOWN_LINES

    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n" * (SHOWN_LINES + 7))
    assert main(["validate", str(junk)]) == 1
    captured = capsys.readouterr()
    shown = [line for line in captured.out.splitlines() if "not JSON" in line]
    assert len(shown) == SHOWN_LINES and "... and 7 more invalid lines" in captured.out
    assert f"{SHOWN_LINES + 7} invalid" in captured.err


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


def test_repeats_interleave_methods_and_keep_every_timing(tmp_path, monkeypatch):
    """repeats: 2 -> per prompt, repetition 1 of every method then repetition 2; no record
    of a prompt is written before all its repetitions are done; each record keeps both
    timings and the counters of the median repetition."""
    from specdecode.bench.worker import Worker

    methods = ["target-only", "draft-k4", "hf-greedy"]
    cfg = load_config("smoke", FAST + ["repeats=2", "n_prompts=1"], methods)
    out = tmp_path / "rep.jsonl"
    calls, real = [], Worker._generate

    def spy(self, item, max_new_tokens):
        if max_new_tokens == cfg.max_new_tokens:   # a timed generation, not a warm-up
            lines = len(out.read_text().splitlines()) if out.exists() else 0
            calls.append((item.prompt_key, item.method, lines))
        return real(self, item, max_new_tokens)

    monkeypatch.setattr(Worker, "_generate", spy)
    outcome = run_bench(cfg, out, progress=False)
    records = read(out)
    assert outcome.errors == 0 and outcome.written == len(records) == 2 * len(methods)
    prompts = list(dict.fromkeys(key for key, _, _ in calls))
    assert len(prompts) == 2 and len(calls) == 2 * 2 * len(methods)
    for g, prompt in enumerate(prompts):
        mine = [(m, lines) for key, m, lines in calls if key == prompt]
        assert [m for m, _ in mine] == methods * 2
        assert {lines for _, lines in mine} == {g * len(methods)}
    for r in records:
        assert validate_record(r) == [] and r["status"] == "ok", r["error"]
        reps = r["repeats"]
        assert len(reps) == 2 and all(x["new_tokens"] == r["counters"]["new_tokens"] for x in reps)
        kept = reps[median_repetition(reps)]
        assert all(r["counters"][k] == kept[k] for k in TIMING_KEYS)
    assert outcome.mismatches == []
    again = run_bench(cfg, out, progress=False)       # resume: every item is complete
    assert again.written == 0 and again.skipped == again.planned
