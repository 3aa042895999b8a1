"""`specdecode report` end to end on a synthetic run, checked by independent arithmetic."""
import json
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from specdecode.analysis.synthetic import SynthConfig, synthetic_run, write_run
from specdecode.records import validate_record
from specdecode.cli import main

ROOT = Path(__file__).resolve().parents[1]


def synth_config() -> SynthConfig:
    base = SynthConfig(n_prompts=4, max_new_tokens=48)
    methods = list(base.methods)
    methods[1] = replace(methods[1], error_prompts=(2,))       # draft-k4: one error per suite
    methods[2] = replace(methods[2], mismatch_prompts=(1,))    # ngram: an exactness bug
    return replace(base, methods=tuple(methods))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    run = write_run(synthetic_run(synth_config()), tmp / "RUN.jsonl",
                    manifest={"git_sha": "deadbeef", "torch_threads": 2})
    assert main(["report", str(run), "--out", str(tmp / "out"), "--n-boot", "200", "--color", "never"]) == 0
    return run, tmp / "out"


def test_synthetic_records_are_valid():
    records = synthetic_run(synth_config())
    assert records and all(validate_record(r) == [] for r in records)
    assert {r["status"] for r in records} == {"ok", "error"}


def test_writes_report_and_plots(report):
    _, out = report
    md = (out / "report.md").read_text()
    for png in ("speedup.png", "acceptance.png", "tau_hist.png", "predicted.png", "trace.png"):
        assert (out / png).stat().st_size > 10_000
        assert f"]({png})" in md
    assert "deadbeef" in md and "**NO**" in md and "RuntimeError: synthetic failure" in md


def _independent(records):
    """Headline figures per (method, suite) from raw records, written without the library."""
    ok = [r for r in records if r["status"] == "ok"]
    base = {(r["suite"], r["prompt_id"], r["seed"]): r for r in ok
            if r["method_config"]["proposer"] == "none"}
    out = {}
    for method, suite in {(r["method"], r["suite"]) for r in records}:
        mine = [r for r in ok if r["method"] == method and r["suite"] == suite]
        pairs = [(r, base[(r["suite"], r["prompt_id"], r["seed"])]) for r in mine]
        m_tok = sum(r["counters"]["new_tokens"] for r, _ in pairs)
        m_s = sum(r["counters"]["total_s"] for r, _ in pairs)
        b_tok = sum(b["counters"]["new_tokens"] for _, b in pairs)
        b_s = sum(b["counters"]["total_s"] for _, b in pairs)
        fig = {"n_err": sum(r["status"] == "error" and r["method"] == method
                            and r["suite"] == suite for r in records),
               "tokens_per_s": sum(r["counters"]["new_tokens"] for r in mine)
               / sum(r["counters"]["total_s"] for r in mine),
               "speedup": (m_tok / m_s) / (b_tok / b_s),
               "median_prompt_speedup": statistics.median(
                   (r["counters"]["new_tokens"] / r["counters"]["total_s"])
                   / (b["counters"]["new_tokens"] / b["counters"]["total_s"]) for r, b in pairs),
               "ttft_median": statistics.median(r["counters"]["prefill_s"] for r in mine)}
        if mine[0]["counters"]["cycles"] is not None:
            cycles = [c for r in mine for c in r["trace"]]
            fig["tau"] = sum(c["emitted"] for c in cycles) / len(cycles)
            reached = sum(min(c["accepted"] + 1, c["drafted"]) for c in cycles)
            fig["alpha"] = sum(c["accepted"] for c in cycles) / reached if reached else None
        out[(method, suite)] = fig
    return out


def test_summary_matches_independent_recomputation(report):
    run, out = report
    records = [json.loads(line) for line in run.read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    cells = {(c["method"], c["suite"]): c for c in summary["cells"]}
    expected = _independent(records)
    assert set(expected) <= set(cells)
    for key, fig in expected.items():
        for name, value in fig.items():
            want = None if value is None else pytest.approx(value, rel=1e-9)
            assert cells[key][name] == want, (key, name)
    assert cells[("draft-k4", "code")]["n_err"] == 1
    assert cells[("ngram", "code")]["exact_t0"]["status"] == "NO"


def test_cli_subprocess_json_and_errors(report, tmp_path):
    run, _ = report
    cmd = [sys.executable, "-m", "specdecode", "report", str(run), "--out", str(tmp_path / "o"),
           "--format", "json", "--no-plots", "--n-boot", "100"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["baseline"] == "target"
    assert not (tmp_path / "o" / "speedup.png").exists()
    bad = tmp_path / "BAD.jsonl"
    bad.write_text(run.read_text().splitlines()[0].replace('"status": "ok"', '"status": "meh"'))
    done = subprocess.run(cmd[:4] + [str(bad)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "BAD.jsonl:1" in done.stderr


def test_later_line_with_same_key_wins(report, tmp_path):
    run, _ = report
    lines = run.read_text().splitlines()
    err = next(json.loads(line) for line in lines if json.loads(line)["status"] == "error")
    fixed = next(json.loads(line) for line in lines if json.loads(line)["status"] == "ok"
                 and json.loads(line)["method"] == err["method"])
    fixed.update(key=err["key"], prompt_id=err["prompt_id"], suite=err["suite"])
    merged = tmp_path / "MERGED.jsonl"
    merged.write_text("\n".join(lines + [json.dumps(fixed)]) + "\n")
    from specdecode.analysis import load_runs

    runs = load_runs([merged])
    assert runs.superseded == 1
    assert not any(r["key"] == err["key"] and r["status"] == "error" for r in runs.records)


def test_analysis_import_does_not_load_torch():
    code = ("import sys, specdecode.analysis, specdecode.commands.report; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


@pytest.mark.parametrize("flag", [["--main-method", "nope"], ["--baseline", "nope"],
                                  ["--trace-prompt", "code/nope"], ["--n-boot", "5"]])
def test_user_errors_are_one_line(report, tmp_path, capsys, flag):
    run, _ = report
    assert main(["report", str(run), "--out", str(tmp_path), "--n-boot", "100"] + flag) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_main_method_and_trace_prompt_are_used(report, tmp_path):
    run, _ = report
    assert main(["report", str(run), "--out", str(tmp_path), "--n-boot", "100",
                 "--main-method", "ngram", "--trace-prompt", "math/math-001",
                 "--color", "never"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["projection"]["method"] == "ngram"
    assert summary["projection"]["c_per"] == "cycle"
    assert summary["trace_item"] == {"suite": "math", "prompt_id": "math-001", "seed": 0,
                                     "temperature": 0.0}
    assert (tmp_path / "trace.png").exists()
