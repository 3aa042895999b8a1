"""Run files and reports under failure (issue 10): one writer per run file, never touching a
file that is not a run file, keeping a complete last record, retrying failed items,
honest exit statuses, validate's counts, reports that compare only like with like and
that are replaced whole or not at all. Concurrency and kills use real processes.

No model is loaded: a fake worker (below) stands in for the models, so the bench runner,
the run file and the CLI run for real around it. Run this file as a script to get the
`specdecode` CLI with the fake worker (the subprocess tests do)."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specdecode import runio
from specdecode.analysis import load_runs, write_report
from specdecode.analysis.load import select_runs
from specdecode.analysis.synthetic import SynthConfig, synthetic_run, write_run
from specdecode.bench.runfile import RunLock, lock_path, open_run, repair
from specdecode.cli import main as cli_main
from specdecode.errors import SpecDecodeError
from specdecode.records import counters, dumps, new_record, read_records

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
# smoke's target-only and ngram-k4 (no draft model) on 2 code prompts: 4 items
BENCH = ["bench", "smoke", "--methods", "target-only,ngram-k4", "--set", "n_prompts=2",
         "--set", "suites=[code]", "--no-progress"]


# ---------------------------------------------------------------------------- the fake worker

def fake_identities(cfg):
    return {"target_path": "/nonexistent", "target": {"name": cfg.target, "hash": "f" * 16},
            "models": {}}


class FakeWorker:
    """Makes each item's record without a model. Environment:
    FAKE_FAIL  'all', or comma-separated method names whose items fail;
    FAKE_SLEEP seconds per item; FAKE_READY a path touched when an item starts;
    FAKE_WAIT a path each item waits for (up to 2 minutes)."""

    def __init__(self, cfg, run_id, identities):
        self.cfg, self.run_id, self.identities = cfg, run_id, identities
        self.methods = {m.name: m for m in cfg.methods}

    def run(self, unit):
        items = getattr(unit, "items", None)   # a Group of items, or one item
        return [self.one(it) for it in items] if items is not None else self.one(unit)

    def one(self, item):
        if os.environ.get("FAKE_READY"):
            Path(os.environ["FAKE_READY"]).touch()
        deadline = time.time() + 120
        while os.environ.get("FAKE_WAIT") and not Path(os.environ["FAKE_WAIT"]).exists() \
                and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
        failing = os.environ.get("FAKE_FAIL", "")
        fails = failing == "all" or item.method in failing.split(",")
        ok = {} if fails else dict(
            prompt_tokens=3, output_ids=[1, 2, 3], output_text="1 2 3", finish_reason="length",
            counters=counters([], 3, 0.01, 0.02), trace=[], prefill_intervals=None)
        return new_record(
            key=item.key, run_id=self.run_id, method=item.method,
            method_config=self.methods[item.method].resolved(), exact=True, suite=item.suite,
            suite_version=item.suite_version, prompt_id=item.prompt_id, seed=item.seed,
            temperature=item.temperature, max_new_tokens=self.cfg.max_new_tokens,
            target=self.identities["target"], models={},
            error="RuntimeError: fake out of memory" if fails else None, **ok)


def install_fakes(patch=None):
    import specdecode.bench.runner as runner

    patch = patch or (lambda obj, name, value: setattr(obj, name, value))
    patch(runner, "model_identities", fake_identities)
    patch(runner, "Worker", FakeWorker)


@pytest.fixture
def fake(monkeypatch):
    install_fakes(monkeypatch.setattr)
    for var in ("FAKE_FAIL", "FAKE_SLEEP", "FAKE_READY", "FAKE_WAIT"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def main(args) -> int:
    """The specdecode CLI in this process (paths may be Path objects)."""
    return cli_main([str(a) for a in args])


def cli(args, env=None, **kw):
    """This file as the specdecode CLI with the fake worker, in a new process."""
    return subprocess.Popen([sys.executable, str(HERE), *map(str, args)], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def lines(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def one_record(key="ab" * 16, status="ok"):
    failed = status == "error"
    return new_record(key=key, run_id="r", method="target-only",
                      method_config={"kind": "loop", "proposer": "none"}, exact=True,
                      suite="code", suite_version="1", prompt_id="p0", seed=0, temperature=0.0,
                      max_new_tokens=8, target={"name": "t", "hash": "0"}, models={},
                      output_ids=[1], output_text="1", finish_reason="length",
                      counters=None if failed else counters([], 1, 0.01, 0.0),
                      error="RuntimeError: boom" if failed else None)


# ---------------------------------------------------------------------------- 4. foreign files

@pytest.mark.parametrize("content", [b"my notes\nsecond line without newline",
                                     b"x,y\n1,2\n", b'{"a": 1}\n{"b": 2}'])
def test_out_that_is_not_a_run_file_is_left_untouched(fake, tmp_path, capsys, content):
    out = tmp_path / "notes.txt"
    out.write_bytes(content)
    assert main([*BENCH, "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a specdecode run file" in err[0], err
    assert out.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]   # no manifest, no lock


def test_complete_last_record_without_newline_is_kept(tmp_path):
    run = tmp_path / "run.jsonl"
    first, last = one_record("aa" * 16), one_record("bb" * 16)
    run.write_text(dumps(first) + "\n" + dumps(last))          # no final newline
    state = open_run(run)
    assert state.ok == {"aa" * 16, "bb" * 16} and state.cut == 0
    assert run.read_text() == dumps(first) + "\n" + dumps(last) + "\n"


def test_partial_last_line_is_cut_and_anything_else_refused(tmp_path):
    run = tmp_path / "run.jsonl"
    line = dumps(one_record()) + "\n"
    run.write_text(line + line[:40])                           # killed mid-write
    assert repair(run) == 40 and run.read_text() == line
    run.write_text(line[:10])                                  # killed writing the first record
    assert open_run(run).ok == set() and run.read_text() == ""
    for tail in ('{"note": "by hand"}', "by hand"):            # no kill leaves these
        run.write_text(line + tail)
        with pytest.raises(SpecDecodeError, match="run.jsonl:2: not a record"):
            open_run(run)
        assert run.read_text() == line + tail


# ---------------------------------------------------------------------------- 5. one writer

def test_second_bench_on_the_same_file_is_refused_naming_the_first(tmp_path):
    out, ready, go = tmp_path / "run.jsonl", tmp_path / "ready", tmp_path / "go"
    # the first bench holds the file: its items wait for `go`, made once the second is done
    first = cli([*BENCH, "--out", out], env={"FAKE_READY": str(ready), "FAKE_WAIT": str(go)})
    try:
        deadline = time.time() + 120
        while not ready.exists() and first.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert ready.exists(), first.communicate()
        second = cli([*BENCH, "--out", out])
        _, err = second.communicate(timeout=120)
        go.touch()
        assert second.returncode == 2, err
        msg = err.strip().splitlines()
        assert len(msg) == 1 and "is being written by another bench" in msg[0], err
        assert f"pid {first.pid} on " in msg[0]
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        first.kill()
    keys = [r["key"] for r in lines(out)]
    assert len(keys) == 4 and len(set(keys)) == 4
    assert not lock_path(out).exists()


def test_lock_of_a_killed_bench_does_not_block(tmp_path):
    out = tmp_path / "run.jsonl"
    code = ("import sys, time; from pathlib import Path; from specdecode.bench.runfile import RunLock; "
            "RunLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SpecDecodeError, match=f"pid {holder.pid} on"):
            RunLock(out).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_path(out).exists()          # left behind by the kill, but no longer held
    with RunLock(out):
        pass
    assert not lock_path(out).exists()


# ---------------------------------------------------------------------------- 3. failed items

def test_bench_whose_items_all_failed_exits_3_and_says_why(fake, tmp_path, capsys):
    fake.setenv("FAKE_FAIL", "all")
    out = tmp_path / "run.jsonl"
    assert main([*BENCH, "--out", out]) == 3
    err = capsys.readouterr().err
    assert "4 of 4 items failed: RuntimeError: fake out of memory (x4)" in err
    assert "reproduced" not in err


def test_some_failed_items_exit_3_and_exactness_is_not_claimed_for_them(fake, tmp_path, capsys):
    fake.setenv("FAKE_FAIL", "ngram-k4")
    assert main([*BENCH, "--out", tmp_path / "run.jsonl"]) == 3
    err = capsys.readouterr().err
    assert "2 of 4 items failed: RuntimeError: fake out of memory (x2)" in err
    assert "ngram-k4 checked on 0 of 2 items only" in err
    assert "reproduced" not in err


def test_all_ok_exits_0_and_names_what_was_checked(fake, tmp_path, capsys):
    assert main([*BENCH, "--out", tmp_path / "run.jsonl"]) == 0
    err = capsys.readouterr().err
    assert "ngram-k4 reproduced target-only's tokens on every item" in err
    assert "failed" not in err


# ---------------------------------------------------------------------------- 7. retry, validate

def test_failed_items_are_retried_on_resume_and_validate_counts_it(fake, tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    fake.setenv("FAKE_FAIL", "ngram-k4")
    assert main([*BENCH, "--out", out]) == 3
    fake.setenv("FAKE_FAIL", "")
    assert main([*BENCH, "--out", out, "--keep-errors"]) == 3      # kept: nothing run
    assert len(lines(out)) == 4
    capsys.readouterr()
    assert main([*BENCH, "--out", out]) == 0                       # default: run them again
    assert "2 new records (0 errors, 2 of them failed items run again)" in capsys.readouterr().err
    assert len(lines(out)) == 6
    runs = load_runs([out])
    assert len(runs.records) == 4 and runs.superseded == 2
    assert {r["status"] for r in runs.records} == {"ok"}
    assert main(["validate", out]) == 0
    err = capsys.readouterr().err
    assert "6 records (4 ok, 2 error), 0 invalid, 0 duplicate keys, 2 items retried" in err


def test_ok_record_wins_over_a_later_error_record(tmp_path):
    run = tmp_path / "run.jsonl"
    run.write_text(dumps(one_record()) + "\n" + dumps(one_record(status="error")) + "\n")
    assert [r["status"] for r in load_runs([run]).records] == ["ok"]


def test_validate_reports_duplicate_keys_per_file(tmp_path, capsys):
    good, dup = tmp_path / "good.jsonl", tmp_path / "dup.jsonl"
    good.write_text(dumps(one_record("aa" * 16)) + "\n")
    dup.write_text((dumps(one_record("bb" * 16)) + "\n") * 2)
    assert main(["validate", good, dup]) == 1
    captured = capsys.readouterr()
    assert f"{dup}: key {'bb' * 16} has 2 ok records, lines 1 (ok), 2 (ok): duplicate" in captured.out
    assert f"{good}: 1 records (1 ok, 0 error), 0 invalid, 0 duplicate keys" in captured.err
    assert f"{dup}: 2 records (2 ok, 0 error), 0 invalid, 1 duplicate keys" in captured.err


# ---------------------------------------------------------------------------- 2. configurations

def synth(max_new_tokens: int, run_id: str, **kw) -> list[dict]:
    records = synthetic_run(SynthConfig(n_prompts=3, max_new_tokens=max_new_tokens, noise=0.0, **kw))
    for r in records:   # keys cover every setting, as bench's do
        blob = json.dumps([r["key"], max_new_tokens, sorted(kw.items())])
        r.update(run_id=run_id, key=hashlib.sha256(blob.encode()).hexdigest()[:32])
    return records


def test_report_refuses_mixed_configurations_and_reports_one_by_id(tmp_path, capsys):
    run = write_run(synth(32, "run32") + synth(64, "run64"), tmp_path / "RUN.jsonl")
    assert main(["report", run, "--out", tmp_path / "r", "--no-plots", "--n-boot", "100"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "mixes 2 configurations" in err and "max_new_tokens=32" in err and "--config" in err
    assert not (tmp_path / "r").exists()
    config_id = re.search(r"(\w{6}) \(max_new_tokens=64", err).group(1)
    assert main(["report", run, "--out", tmp_path / "r", "--no-plots", "--n-boot", "100",
                 "--config", config_id, "--format", "json"]) == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["inputs"]["n_records"] == len(synth(64, "x"))
    assert summary["inputs"]["configuration"]["max_new_tokens"] == 64


def test_report_refuses_one_item_run_with_settings_the_records_do_not_show(tmp_path, capsys):
    k4 = synth(32, "runA")
    k6 = synth(32, "runB", verify_slope=0.2)       # same items, other keys and figures
    run = write_run(k4 + k6, tmp_path / "RUN.jsonl")
    assert main(["report", run, "--out", tmp_path / "r", "--no-plots", "--n-boot", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different settings that the records do not show" in err
    assert "--run-id" in err and "runA" in err and "runB" in err
    assert main(["report", run, "--out", tmp_path / "r", "--no-plots", "--n-boot", "100",
                 "--run-id", "runB"]) == 0


def test_a_resumed_run_is_one_configuration(tmp_path):
    """Records of an earlier invocation (no manifest config) join the latest one's."""
    records = synth(32, "old")
    for r in records[len(records) // 2:]:
        r["run_id"] = "new"
    manifest = {"run_id": "new", "history": [{"run_id": "old"}],
                "config": {"split": "test", "top_k": 0, "top_p": 1.0, "chat": True}}
    run = write_run(records, tmp_path / "RUN.jsonl", manifest=manifest)
    runs = load_runs([run])
    assert select_runs(runs).records == runs.records


# ---------------------------------------------------------------------------- 6. atomic reports

def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_report_that_fails_part_way_leaves_the_old_one(tmp_path, monkeypatch):
    out = tmp_path / "report"
    write_report(load_runs([write_run(synth(32, "a"), tmp_path / "A.jsonl")]), out, plots=False)
    before = _snapshot(out)

    def broken_plots(summary, records, where):
        (where / "speedup.png").write_bytes(b"half a plot")
        raise RuntimeError("plotting failed")

    import specdecode.analysis.plots as plots

    monkeypatch.setattr(plots, "write_plots", broken_plots)
    new = load_runs([write_run(synth(64, "b"), tmp_path / "B.jsonl")])
    with pytest.raises(RuntimeError, match="plotting failed"):
        write_report(new, out, plots=True)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A.jsonl", "B.jsonl", "report"]


KILLED_REPORT = """
import sys, time
from pathlib import Path
import specdecode.analysis.plots as plots
from specdecode.analysis import load_runs, write_report

def slow_plots(summary, records, where):
    (where / "speedup.png").write_bytes(b"half a plot")
    Path(sys.argv[3]).touch()
    time.sleep(600)

plots.write_plots = slow_plots
write_report(load_runs([sys.argv[1]]), Path(sys.argv[2]), plots=True)
"""


def test_report_killed_part_way_leaves_the_old_one(tmp_path):
    out, ready = tmp_path / "report", tmp_path / "ready"
    write_report(load_runs([write_run(synth(32, "a"), tmp_path / "A.jsonl")]), out, plots=False)
    before = _snapshot(out)
    new = write_run(synth(64, "b"), tmp_path / "B.jsonl")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_REPORT, str(new), str(out), str(ready)],
                            cwd=ROOT)
    try:
        deadline = time.time() + 120
        while not ready.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the report process did not reach its plots"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _snapshot(out) == before


def test_report_keeps_files_it_did_not_write_and_refuses_foreign_summaries(tmp_path):
    out = tmp_path / "quick"
    out.mkdir()
    run = write_run(synth(32, "a"), out / "quick.jsonl")         # the run beside its report
    write_report(load_runs([run]), out, plots=False)
    write_report(load_runs([run]), out, plots=False)
    assert sorted(p.name for p in out.iterdir()) == ["quick.jsonl", "report.md", "summary.json"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.json").write_text('{"totals": 3}')
    with pytest.raises(SpecDecodeError, match="was not written by specdecode report"):
        write_report(load_runs([run]), mine, plots=False)
    assert (mine / "summary.json").read_text() == '{"totals": 3}'


# ---------------------------------------------------------------------------- compressed run files

def gz_lines(path) -> list[dict]:
    return [json.loads(x) for x in gzip.decompress(Path(path).read_bytes()).splitlines() if x.strip()]


def test_gz_run_appends_one_member_per_record_and_resumes(fake, tmp_path, capsys):
    out = tmp_path / "run.jsonl.gz"
    assert main([*BENCH, "--out", out]) == 0
    records = gz_lines(out)                       # gzip itself reads it: standard members
    assert len(records) == 4 and out.read_bytes().count(b"\x1f\x8b\x08") >= 4
    assert (tmp_path / "run.manifest.json").exists()
    assert [r["key"] for r in load_runs([out]).records] == [r["key"] for r in records]
    capsys.readouterr()
    assert main([*BENCH, "--out", out]) == 0      # resumed: nothing to run
    assert "0 new records" in capsys.readouterr().err and len(gz_lines(out)) == 4
    assert main(["validate", out]) == 0
    assert "4 records (4 ok, 0 error), 0 invalid, 0 duplicate keys" in capsys.readouterr().err


def test_gz_killed_at_every_byte_of_its_last_member_resumes_losing_nothing(tmp_path):
    """A kill can stop the append of a member after any byte: each such file opens with the
    complete records kept, the cut one dropped unless all of its JSON was already written
    (then it is kept whole, as in a plain file), and the file is a valid gzip again."""
    run = tmp_path / "run.jsonl.gz"
    first, second = (dumps(one_record(k * 16)) + "\n" for k in ("aa", "bb"))
    kept = gzip.compress(first.encode(), mtime=0)
    member = gzip.compress(second.encode(), mtime=0)
    outcomes = set()
    for cut in range(len(member)):
        run.write_bytes(kept + member[:cut])
        state = open_run(run)
        whole = "bb" * 16 in state.ok
        assert state.ok == {"aa" * 16} | ({"bb" * 16} if whole else set()), cut
        assert gzip.decompress(run.read_bytes()).decode() == first + (second if whole else ""), cut
        assert open_run(run).cut == 0, cut         # the repaired file needs nothing more
        outcomes.add(whole)
    assert outcomes == {False, True}               # both the dropped and the kept case ran
    with open(run, "ab") as fh:
        fh.write(member)
    assert [r["key"] for r in read_records(run).records] == ["aa" * 16, "bb" * 16, "bb" * 16]


def test_whole_file_gzip_resumes_and_corrupt_gzip_is_refused_untouched(tmp_path):
    run = tmp_path / "run.jsonl.gz"
    lines_ = "".join(dumps(one_record(k * 16)) + "\n" for k in ("aa", "bb"))
    run.write_bytes(gzip.compress(lines_.encode()))    # what `gzip run.jsonl` makes: one member
    assert open_run(run).ok == {"aa" * 16, "bb" * 16}
    with open(run, "ab") as fh:
        fh.write(gzip.compress((dumps(one_record("cc" * 16)) + "\n").encode()))
    assert len(read_records(run).records) == 3
    bad = tmp_path / "notes.jsonl.gz"
    bad.write_bytes(b"my notes, not gzip\n")
    for call in (open_run, read_records):
        with pytest.raises(SpecDecodeError, match="not valid gzip data at byte 0"):
            call(bad)
    assert bad.read_bytes() == b"my notes, not gzip\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines_=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=8),
       groups=st.lists(st.integers(1, 3), min_size=8, max_size=8), cut=st.integers(0, 30),
       chunk=st.sampled_from([1, 3, 7, 64, 1 << 16]), gz=st.booleans())
def test_iter_lines_streams_the_bytes_read_members_reads(tmp_path, lines_, groups, cut, chunk, gz):
    """Whatever the member grouping, the block size and a cut anywhere in the last member
    (a kill), the streamed lines are the whole-file bytes split at newlines; complete files
    give back exactly the lines written."""
    text = b"".join(line + b"\n" for line in lines_)
    members, i = [], 0
    for g in groups:  # records grouped into members, as a whole-file gzip or per-record appends
        if i < len(lines_):
            members.append(gzip.compress(b"".join(x + b"\n" for x in lines_[i:i + g]), mtime=0))
            i += g
    body = b"".join(members) if gz else text
    path = tmp_path / ("r.jsonl.gz" if gz else "r.jsonl")
    for data in (body, body[:max(0, len(body) - cut)]):
        path.write_bytes(data)
        with patch.object(runio, "_CHUNK", chunk):
            whole, truncated = runio.read_members(path)
            assert list(runio.iter_lines(path)) == whole.split(b"\n")
        if data is body:
            assert (whole, truncated) == (text, False)
        else:
            assert text.startswith(whole)


def test_corrupt_gzip_names_the_member_where_it_starts(tmp_path):
    good = gzip.compress(b'{"a": 1}\n', mtime=0)
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(good + good + b"\x1f\x8bnot a member")
    with pytest.raises(SpecDecodeError, match=f"not valid gzip data at byte {2 * len(good)} "):
        list(runio.iter_lines(path))


def test_gz_bench_killed_at_random_moments_resumes_without_loss_or_duplicates(fake, tmp_path):
    ref = tmp_path / "ref.jsonl"
    assert main([*BENCH, "--out", ref]) == 0
    planned = sorted(r["key"] for r in lines(ref))
    out, rng = tmp_path / "killed.jsonl.gz", random.Random(os.getpid())
    for _ in range(3):
        proc = cli([*BENCH, "--out", out], env={"FAKE_SLEEP": "0.05"}, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and not (out.exists() and out.stat().st_size):
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.15))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    proc = cli([*BENCH, "--out", out])
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    keys = [r["key"] for r in read_records(out).records]
    assert sorted(keys) == planned and len(keys) == len(set(keys))


if __name__ == "__main__":   # the specdecode CLI with the fake worker (for the tests above)
    install_fakes()
    sys.exit(cli_main(sys.argv[1:]))
