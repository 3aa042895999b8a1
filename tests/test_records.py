"""specdecode.records: the versioned schema (v1 files still load, validate and report),
the cycle-to-JSON projection, the one counters function and the T = 0 exactness check."""
import json
import math
from pathlib import Path

import pytest

from analysis_fixtures import known_run
from specdecode.analysis.exactness import real, t0_mismatches
from specdecode.analysis.synthetic import SynthConfig, synthetic_run, write_run
from specdecode.cli import main
from specdecode.errors import SpecDecodeError
from specdecode.records import (SCHEMA_VERSION, counters, cycle_from_json, cycle_to_json, dumps,
                                generation_to_json, manifest_path, new_record, read_records,
                                upgrade, validate_record)
from specdecode.types import (CycleRecord, GenerationResult, Interval, PositionStat,
                              PrefillRecord)

ROOT = Path(__file__).resolve().parents[1]
# The quick run of commit 3340099 (schema v1) and the summary.json its report wrote then.
QUICK = ROOT / "tests" / "data" / "quick_v1.jsonl"
T0 = 1000.0                                          # a perf_counter origin


def cycle(k, outcomes, tokens, start, *, draft=0.01, target=0.02, overhead=0.005,
          mismatches=0, positions=None, index=1):
    accepted = len(outcomes) - (1 if outcomes and not outcomes[-1] else 0)
    t_d, t_t = start + draft, start + draft + target
    return CycleRecord(k=k, drafted=k, accepted=accepted, outcomes=tuple(outcomes),
                       kind="none" if k == 0 else "recovered" if len(outcomes) > accepted else "bonus",
                       tokens=list(tokens), start=start, end=t_t + overhead,
                       intervals=(Interval("draft", start, t_d), Interval("target", t_d, t_t)),
                       draft_calls=k, token_index=index, depth=k, mismatches=mismatches,
                       positions=positions)


def stat(kl=0.3):
    return PositionStat(draft_token=7, target_token=8, p_x=0.4, q_x=0.6, entropy_q=1.0,
                        entropy_p=1.5, kl_qp=kl)


def loop_record(trace, ctr, prefill=None):
    return new_record(key="ab" * 16, run_id="t", method="draft-k3",
                      method_config={"kind": "loop", "proposer": "draft"}, exact=True,
                      suite="code", suite_version="1", prompt_id="p0", seed=0, temperature=0.0,
                      max_new_tokens=16, target={"name": "t", "hash": "0"},
                      models={"draft": {"name": "d", "hash": "1"}}, prompt_tokens=5,
                      output_ids=[1, 2, 3], output_text="x", finish_reason="length",
                      counters=ctr, trace=trace, prefill_intervals=prefill)


# -- v1 files ------------------------------------------------------------------------------

def test_committed_v1_file_loads_validates_and_upgrades():
    raw = [json.loads(line) for line in QUICK.read_text().splitlines() if line.strip()]
    assert {r["schema_version"] for r in raw} == {1}
    assert all(validate_record(r) == [] for r in raw)
    run = read_records(QUICK)
    assert run.versions == {1: len(raw)} and len(run.records) == len(raw)
    for old, new in zip(raw, run.records):
        assert new["schema_version"] == SCHEMA_VERSION and validate_record(new) == []
        assert new["models"] == ({"draft": old["draft"]} if old["draft"] else {})
        assert "draft" not in new and new["prefill_intervals"] is None
        assert new["counters"]["mismatches"] is None
        for a, b in zip(old["trace"] or [], new["trace"] or []):
            assert {k: b[k] for k in a} == a            # nothing v1 stored is lost
            assert b["outcomes"] is None and b["intervals"] is None and b["positions"] is None
    assert raw[0]["schema_version"] == 1          # upgrade() does not touch its input
    assert main(["validate", str(QUICK)]) == 0


def test_committed_v1_file_reports_as_before(tmp_path):
    out = tmp_path / "report"
    assert main(["report", str(QUICK), "--out", str(out), "--no-plots", "--color", "never"]) == 0
    md = (out / "report.md").read_text()
    assert "## Per-position statistics" in md
    assert "not recorded (run with position_stats: true)" in md
    assert "v1: 108 lines" in md
    new = json.loads((out / "summary.json").read_text())
    old = json.loads(QUICK.with_name("quick_v1.summary.json").read_text())
    assert len(new["cells"]) == len(old["cells"])
    for a, b in zip(old["cells"], new["cells"]):
        for name in ("method", "suite", "n_ok", "speedup", "speedup_ci", "tau", "alpha", "c",
                     "v", "efficiency", "exact_t0"):
            assert b[name] == (pytest.approx(a[name]) if isinstance(a[name], float) else a[name])
        assert b["position_stats"] is None


def test_unknown_version_and_v1_fields_in_v2_are_rejected(tmp_path):
    rec = loop_record(None, counters([], 1, 0.1, 0.0))
    assert validate_record(rec) == []
    assert "schema_version: 99" in validate_record({**rec, "schema_version": 99})[0]
    assert validate_record({**rec, "draft": None})           # v1's field is not v2's
    bad = tmp_path / "future.jsonl"
    bad.write_text(json.dumps({**rec, "schema_version": 3}) + "\n")
    with pytest.raises(SpecDecodeError, match="future.jsonl:1: schema_version: 3"):
        read_records(bad)


# -- the projection ------------------------------------------------------------------------

def test_cycle_to_json_keeps_everything_relative_to_the_generation_start():
    cy = cycle(3, (True, False), [5, 6], T0 + 1.0, positions=(stat(), stat(kl=math.inf)),
               mismatches=1)
    d = cycle_to_json(cy, origin=T0)
    assert d["outcomes"] == [True, False] and d["kind"] == "recovered" and d["tokens"] == [5, 6]
    assert (d["emitted"], d["depth"], d["mismatches"], d["draft_calls"]) == (2, 3, 1, 3)
    assert d["start"] == pytest.approx(1.0) and d["end"] == pytest.approx(1.035)
    assert [i[0] for i in d["intervals"]] == ["draft", "target"]
    assert d["intervals"][1][1:] == pytest.approx([1.01, 1.03])
    assert (d["draft_s"], d["target_s"], d["overhead_s"]) == pytest.approx((0.01, 0.02, 0.005))
    assert d["positions"][0]["kl_qp"] == pytest.approx(0.3)
    assert d["positions"][1]["kl_qp"] is None                  # inf is kept out of JSON
    assert cycle_to_json(cycle(0, (), [9], T0))["positions"] is None
    json.loads(dumps(d))


def test_counters_are_the_same_from_cycles_and_from_their_json():
    cycles = [cycle(3, (True, True, True), [1, 2, 3, 4], T0, index=1),
              cycle(3, (True, False), [5, 6], T0 + 1, mismatches=1, index=5),
              cycle(0, (), [7], T0 + 2, draft=0.0, index=7)]
    c = counters(cycles, 8, 0.1, 0.2)
    assert c["accepted_per_position"] == [2, 1, 1] and c["reached_per_position"] == [2, 2, 1]
    assert c["tau_hist"] == [0, 1, 1, 0, 1] and (c["bonus"], c["recovered"]) == (1, 1)
    assert c["mismatches"] == 1 and c["target_calls"] == c["cycles"] == 3
    assert c["draft_s"] == pytest.approx(0.02) and c["total_s"] == pytest.approx(0.3)
    again = counters([cycle_from_json(cycle_to_json(x, T0)) for x in cycles], 8, 0.1, 0.2)
    assert again == c


def test_generation_to_json_makes_a_valid_record_and_nan_is_not_json():
    pre = PrefillRecord(prompt_tokens=5, tokens=[1], start=T0, end=T0 + 0.2,
                        intervals=(Interval("target", T0, T0 + 0.15),
                                   Interval("draft", T0 + 0.15, T0 + 0.19)))
    cycles = [cycle(2, (True, True), [2, 3, 4], T0 + 0.2, positions=(stat(), stat()))]
    res = GenerationResult([9] * 5, [1, 2, 3, 4], "x", "length", pre, cycles)
    fields = generation_to_json(res, 0.2, 0.035)
    assert fields["prefill_intervals"][0] == ["target", 0.0, pytest.approx(0.15)]
    assert fields["trace"][0]["start"] == pytest.approx(0.2)
    rec = loop_record(fields["trace"], fields["counters"], fields["prefill_intervals"])
    assert validate_record(rec) == [] and rec["counters"]["new_tokens"] == 4
    rec["counters"]["decode_s"] = math.nan
    with pytest.raises(ValueError):
        dumps(rec)


def test_manifest_path():
    assert manifest_path("runs/a.b.jsonl") == Path("runs/a.b.manifest.json")
    assert manifest_path("runs/a.b.jsonl.gz") == Path("runs/a.b.manifest.json")


# -- analysis on v2 ------------------------------------------------------------------------

def test_one_t0_exactness_check():
    # no audit on the record: the divergence counts as real (not a near-tie)
    assert t0_mismatches(known_run()) == [
        {"method": "spec", "suite": "code", "prompt_id": "p1", "seed": 0, "first_diff": 10,
         "numerical": False, "gap": None, "tolerance": None}]


def test_audited_near_tie_is_kept_apart():
    records = known_run()
    for r in records:
        if r["method"] == "spec" and r["prompt_id"] == "p1":
            r["divergence"] = {"position": 10, "gap": 0.02, "margin": 0.02, "tolerance": 0.4,
                               "numerical": True}
            assert validate_record(r) == []
    found = t0_mismatches(records)
    assert [m["numerical"] for m in found] == [True] and real(found) == []


def test_report_shows_per_position_statistics(tmp_path, capsys):
    records = synthetic_run(SynthConfig(n_prompts=2, max_new_tokens=24, position_stats=True))
    assert all(validate_record(r) == [] for r in records)
    run = write_run(records, tmp_path / "RUN.jsonl")
    assert main(["report", str(run), "--out", str(tmp_path / "out"), "--no-plots",
                 "--n-boot", "100", "--color", "never"]) == 0
    term = capsys.readouterr().out
    assert "Per-position statistics" in term and "KL(q||p)" in term
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    cell = next(c for c in summary["cells"] if c["method"] == "draft-k4" and c["suite"] == "code")
    rows = cell["position_stats"]
    assert [r["position"] for r in rows] == [1, 2, 3, 4, "all"]
    assert rows[0]["n"] == cell["reached_per_position"][0]
    assert rows[0]["rejection_rate"] == pytest.approx(
        1 - cell["accepted_per_position"][0] / cell["reached_per_position"][0])
    ngram = next(c for c in summary["cells"] if c["method"] == "ngram" and c["suite"] == "code")
    assert all(r["kl_qp"] is None and r["q_x"] == 1.0 for r in ngram["position_stats"])
    md = (tmp_path / "out" / "report.md").read_text()
    assert "| draft-k4 | code | 1 |" in md and "not recorded" not in md.split("## Per-position")[1].split("##")[0]
