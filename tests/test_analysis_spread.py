"""Repetitions: item times are the median over repetitions, the baseline's spread (CV,
vs itself, vs hf-greedy) and the noise flag, on hand-built records with known answers."""
import statistics

import pytest

from analysis_fixtures import counters, known_run, rec, with_repeats
from specdecode.analysis import AnalysisConfig, RunSet, build_summary
from specdecode.analysis.render_md import render_markdown
from specdecode.analysis.render_term import render_terminal
from specdecode.records import median_repetition, validate_record

CFG = AnalysisConfig(n_boot=200)
IDS = list(range(1, 12))   # 11 new tokens


def base(prompt, totals, suite="code"):
    return with_repeats(rec("target", "none", prompt, counters(11, 0.1, 1.0, cycles=10,
                                                               target_s=1.0), IDS, suite=suite),
                        totals)


def method(name, prompt, totals, suite="code", proposer="ngram"):
    return with_repeats(rec(name, proposer, prompt, counters(11, 0.1, 0.5, cycles=5,
                                                             target_s=0.5), IDS, suite=suite),
                        totals)


def hf_greedy(prompt, total, ids=IDS, suite="code"):
    r = rec("hf-greedy", "hf", prompt, counters(11, 0.1, total - 0.1, cycles=10, target_s=1.0),
            ids, suite=suite)
    r["method_config"] = {"kind": "peer", "peer": "hf-greedy", "k": None, "params": {}}
    return r


def cell(summary, name, suite="code"):
    (c,) = [c for c in summary["cells"] if c["method"] == name and c["suite"] == suite]
    return c


def test_median_repetition_is_the_lower_middle_by_total_time():
    reps = lambda ts: [{"total_s": t} for t in ts]  # noqa: E731
    assert median_repetition(reps([3.0, 1.0, 2.0])) == 2
    assert median_repetition(reps([4.0, 1.0, 3.0, 2.0])) == 3   # 1, 2, [3 or 2] -> 2
    assert median_repetition(reps([5.0])) == 0


def test_speed_figures_use_the_per_item_median():
    # p0: 4 repetitions, median 2.5 (the counters hold the lower middle one, 2.0);
    # p1: 3 repetitions with one slow outlier, median 2.2
    records = [base("p0", [1.0, 4.0, 2.0, 3.0]), base("p1", [2.0, 2.2, 9.0]),
               method("spec", "p0", [1.0, 1.5, 0.9, 1.1]), method("spec", "p1", [1.1, 8.0, 1.0])]
    assert records[0]["counters"]["total_s"] == 2.0
    s = build_summary(RunSet(records, ["x"]), CFG)
    c = cell(s, "spec")
    assert c["tokens_per_s"] == pytest.approx(22 / (1.05 + 1.1))
    assert c["speedup"] == pytest.approx((2.5 + 2.2) / (1.05 + 1.1))
    assert c["median_prompt_speedup"] == pytest.approx(statistics.median([2.5 / 1.05, 2.2 / 1.1]))
    assert c["decode_speedup"] == pytest.approx((2.4 + 2.1) / (0.95 + 1.0))
    assert cell(s, "target")["ttft_median"] == pytest.approx(0.1)


def test_planted_noise_is_flagged():
    # the baseline's repetition 2 is always 30% slower than repetition 1: it is 1.30x
    # "faster" than itself; 'small' claims a steady 1.05x (CI [1.05, 1.05]), 'big' 2x
    records = []
    for i, t in enumerate([1.0, 2.0, 1.5]):
        b = base(f"p{i}", [t, 1.3 * t])
        med = 1.15 * t
        records += [b, method("small", f"p{i}", [med / 1.05] * 2),
                    method("big", f"p{i}", [med / 2.0, med / 2.0])]
    s = build_summary(RunSet(records, ["x"]), CFG)
    (row,) = s["spread"]["rows"]
    assert row["n_repeated"] == 3 and row["repeats"] == 2
    assert row["cv_median"] == pytest.approx(statistics.stdev([1.0, 1.3]) / 1.15)
    assert row["self_speedup"] == pytest.approx(1.3)
    assert row["noise_floor"] == pytest.approx(0.3)
    assert cell(s, "small")["speedup"] == pytest.approx(1.05)
    assert cell(s, "small")["within_noise"] is True
    assert cell(s, "big")["within_noise"] is False
    assert s["spread"]["noisy"] is True
    assert [w["method"] for w in s["spread"]["within_noise"]] == ["small"]
    md = render_markdown(s, [])
    assert "NOISY RUN" in md and "1.05x [1.05, 1.05] ‡" in md and "2.00x [2.00, 2.00] |" in md
    assert "NOISY RUN" in render_terminal(s, color=False)


def test_quiet_baseline_is_not_flagged():
    records = []
    for i, t in enumerate([1.0, 2.0, 1.5]):
        records += [base(f"p{i}", [t, t]), method("small", f"p{i}", [t / 1.05, t / 1.05])]
    s = build_summary(RunSet(records, ["x"]), CFG)
    assert s["spread"]["rows"][0]["cv_median"] == 0.0
    assert s["spread"]["rows"][0]["noise_floor"] == pytest.approx(0.0)
    assert s["spread"]["noisy"] is False and cell(s, "small")["within_noise"] is False
    assert "NOISY" not in render_markdown(s, [])


def test_target_only_against_hf_greedy_on_the_same_tokens():
    # one repetition: the floor comes from our target-only vs hf-greedy (0.8x here);
    # p2's hf-greedy output differs, so p2 does not enter that ratio
    records = [base("p0", [1.0]), base("p1", [2.0]), base("p2", [3.0]),
               hf_greedy("p0", 0.8), hf_greedy("p1", 1.6), hf_greedy("p2", 0.1, IDS[:-1] + [7]),
               method("spec", "p0", [1.0 / 1.1]), method("spec", "p1", [2.0 / 1.1]),
               method("spec", "p2", [3.0 / 1.1])]
    s = build_summary(RunSet(records, ["x"]), CFG)
    (row,) = s["spread"]["rows"]
    assert s["spread"]["reference"] == "hf-greedy"
    assert row["n_reference"] == 2 and row["self_speedup"] is None
    assert row["vs_reference"] == pytest.approx(0.8)
    assert row["noise_floor"] == pytest.approx(0.2)
    assert cell(s, "spec")["within_noise"] is True          # 1.10x < +-20%
    assert cell(s, "hf-greedy")["within_noise"] is None     # the reference claims nothing
    assert s["spread"]["noisy"] is True


def test_without_repeats_or_reference_the_spread_is_not_measured():
    s = build_summary(RunSet(known_run(), ["known"]), CFG)
    assert s["spread"]["noisy"] is None
    assert s["spread"]["rows"][0]["n_items"] == 3 and s["spread"]["rows"][0]["repeats"] == 1
    assert "spread not measured" in render_markdown(s, [])


def test_repeats_field_is_optional_and_checked():
    r = base("p0", [1.0, 1.2])
    assert validate_record(r) == []
    old = dict(r)
    del old["repeats"]                         # v2 records written before the field
    assert validate_record(old) == []
    assert validate_record({**r, "repeats": None}) == []
    assert validate_record({**r, "repeats": []})
    assert validate_record({**r, "repeats": [{"new_tokens": 11, "prefill_s": 0.1,
                                              "decode_s": 0.9}]})
