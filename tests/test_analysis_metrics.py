"""Analysis figures on hand-built records with known values (see analysis_fixtures)."""
import pytest

from analysis_fixtures import counters, known_run, rec
from specdecode.analysis import AnalysisConfig, RunSet, build_summary
from specdecode.analysis.render_md import render_markdown
from specdecode.analysis.render_term import render_terminal
from specdecode.analysis.stats import two_proportion_z

CFG = AnalysisConfig(n_boot=200)


def cell(summary, method, suite="code"):
    (c,) = [c for c in summary["cells"] if c["method"] == method and c["suite"] == suite]
    return c


@pytest.fixture(scope="module")
def summary():
    return build_summary(RunSet(known_run(), ["known"]), CFG)


def test_speed_figures(summary):
    c = cell(summary, "spec")
    assert c["tokens_per_s"] == pytest.approx(22 / 1.5)
    assert c["speedup"] == pytest.approx(2.2 / 1.5)
    assert c["median_prompt_speedup"] == pytest.approx(1.65)
    assert c["decode_speedup"] == pytest.approx((20 / 1.3) / (20 / 2.0))
    assert c["n_pairs"] == 2


def test_mechanics(summary):
    c = cell(summary, "spec")
    assert c["tau"] == pytest.approx(2.0)
    assert c["alpha"] == pytest.approx(0.5)
    assert c["per_position_acceptance"] == pytest.approx([0.5, 0.6, 1 / 3])
    assert c["draft_yield"] == pytest.approx(9 / 20)
    assert c["rejection_rate"] == pytest.approx(0.5)
    # baseline step on the shared items p0, p1 (not p2): 2.0 s / 20 calls
    t1 = 2.0 / 20
    assert c["c"] == pytest.approx((0.4 / 20) / t1)
    assert c["v"] == pytest.approx((0.9 / 10) / t1)


def test_errors_counted_and_excluded(summary):
    c = cell(summary, "spec")
    assert (c["n_ok"], c["n_err"]) == (2, 1)
    assert c["error_example"] == "RuntimeError: out of memory"
    base = cell(summary, "target")
    assert base["tokens_per_s"] == pytest.approx(33 / 11.3)   # all three ok baseline items
    md = render_markdown(summary, [])
    assert "RuntimeError: out of memory" in md and "| spec | code | 0 | 1 |" in md


def test_exactness_mismatch_is_loud(summary):
    c = cell(summary, "spec")
    assert c["exact_t0"] == {"status": "NO", "n": 2, "mismatched": 1}
    md = render_markdown(summary, [])
    assert "**NO** (1/2 mismatched)" in md and "WARNING" in md
    term = render_terminal(summary, color=True)
    assert "\033[31;1m" in term and "NO (1/2 mismatched)" in term
    assert "\033[" not in render_terminal(summary, color=False)


def test_exactness_yes_and_lossy():
    ids = [5, 6, 7]
    ctr = counters(3, 0.1, 0.2, cycles=2, target_s=0.2)
    records = [rec("target", "none", "p0", ctr, ids), rec("good", "ngram", "p0", ctr, ids),
               rec("lossy", "draft", "p0", ctr, [5, 6, 8], exact=False)]
    s = build_summary(RunSet(records, ["x"]), CFG)
    assert cell(s, "good")["exact_t0"] == {"status": "yes", "n": 1, "mismatched": 0}
    assert cell(s, "lossy")["exact_t0"] is None
    assert "yes (1/1)" in render_markdown(s, []) and "lossy" in render_markdown(s, [])


def test_peer_nulls_render_as_dash():
    ids = [1, 2, 3]
    peer = counters(3, 0.1, 0.1, cycles=2, target_s=0.1)
    for name in ("target_calls", "draft_calls", "cycles", "drafted", "accepted",
                 "accepted_per_position", "reached_per_position", "tau_hist", "draft_s",
                 "target_s", "overhead_s", "recovered", "bonus"):
        peer[name] = None
    records = [rec("target", "none", "p0", counters(3, 0.1, 0.2, cycles=2, target_s=0.2), ids),
               rec("hf-assisted", "hf", "p0", peer, ids)]
    s = build_summary(RunSet(records, ["x"]), CFG)
    c = cell(s, "hf-assisted")
    assert c["speedup"] == pytest.approx((3 / 0.2) / (3 / 0.3))
    assert c["tau"] is None and c["alpha"] is None and c["c"] is None
    assert c["predicted_speedup"] is None
    row = [line for line in render_markdown(s, []).splitlines() if "| hf-assisted |" in line][0]
    assert row.count("—") >= 6


def test_no_baseline_still_reports():
    ctr = counters(3, 0.1, 0.2, cycles=2, target_s=0.2)
    s = build_summary(RunSet([rec("spec", "ngram", "p0", ctr, [1, 2, 3])], ["x"]), CFG)
    assert s["baseline"] is None and cell(s, "spec")["speedup"] is None
    assert "no baseline" in render_terminal(s, color=False)


def test_two_proportion_z_known_value():
    z, p = two_proportion_z(30, 100, 10, 100)
    assert z == pytest.approx(3.5355, abs=1e-4)
    assert p == pytest.approx(4.07e-4, rel=0.01)
    assert two_proportion_z(0, 0, 1, 2) is None
