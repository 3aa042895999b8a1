"""Quality statistics in the report: paired tests against hand-computed values, the Pareto
front, mismatch rates, and the report with and without scored records.

Records carry `quality` as bench writes it (records.QUALITY_SCHEMA; the fixtures validate
them). Most reports are built from a RunSet directly; one goes through the run file, the
reader and the CLI.
"""
import json
import math
from dataclasses import replace

import pytest
from analysis_fixtures import counters, quality, rec, with_quality

from specdecode.analysis import AnalysisConfig, build_summary, write_report
from specdecode.analysis.load import RunSet
from specdecode.analysis.pareto import PARETO_FILE, pareto_front, pareto_plot
from specdecode.analysis.quality import mismatch_rate, paired_quality
from specdecode.analysis.quality_stats import (cluster_mean_ci, holm, mcnemar_test,
                                               wilcoxon_test)
from specdecode.analysis.render_term import render_terminal
from specdecode.analysis.synthetic import SynthConfig, SynthMethod, synthetic_run

CFG = AnalysisConfig(n_boot=400)


# ---------------------------------------------------------------------------- tests proper


def test_mcnemar_exact_is_the_binomial_tail():
    # 1 item only the method passes, 7 only the baseline passes, 5 both, 3 neither
    m = [True] * 1 + [False] * 7 + [True] * 5 + [False] * 3
    b = [False] * 1 + [True] * 7 + [True] * 5 + [False] * 3
    t = mcnemar_test(m, b)
    assert t["table"] == [[5, 1], [7, 3]] and t["test"] == "mcnemar-exact"
    # two-sided exact: 2 * P(X <= 1), X ~ Binomial(8, 1/2) = 2 * (1 + 8) / 256
    assert t["p_value"] == pytest.approx(2 * (math.comb(8, 0) + math.comb(8, 1)) / 2 ** 8)


def test_mcnemar_chi_square_from_many_discordant_pairs():
    m = [True] * 5 + [False] * 25
    b = [False] * 5 + [True] * 25
    t = mcnemar_test(m, b, exact_below=25)
    stat = (abs(5 - 25) - 1) ** 2 / 30     # continuity-corrected chi-square, 1 dof
    assert t["test"] == "mcnemar-chi2" and t["statistic"] == pytest.approx(stat)
    assert t["p_value"] == pytest.approx(math.erfc(math.sqrt(stat / 2)))


def test_mcnemar_without_discordant_pairs_is_one():
    assert mcnemar_test([True, False, True], [True, False, True])["p_value"] == 1.0


def test_wilcoxon_exact_all_positive():
    # 6 nonzero differences of distinct size, all positive: the exact two-sided p is 2 / 2^6
    t = wilcoxon_test([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    assert t["test"] == "wilcoxon" and t["p_value"] == pytest.approx(2 / 2 ** 6)
    assert wilcoxon_test([0.0, 0.0, 0.0])["p_value"] == 1.0


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3 * 0.01, max(0.03, 2 * 0.03), max(0.06, 1 * 0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_cluster_mean_ci_resamples_prompts():
    mean, ci = cluster_mean_ci([1.0, 0.0, 1.0, 1.0], ["p0", "p0", "p1", "p2"], n_boot=500)
    assert mean == pytest.approx(0.75)       # items weigh equally; a prompt brings its seeds
    assert ci[0] <= mean <= ci[1] and ci[0] >= 0.5 - 1e-12   # p0's mean (0.5) is the floor
    assert cluster_mean_ci([0.3, 0.5], ["p0", "p0"])[1] is None   # one unit: no CI
    assert cluster_mean_ci([], []) == (None, None)


def _pairs(m_scores, b_scores, binary):
    mk = lambda method, p, s: {"method": method, "suite": "code", "prompt_id": p,
                               "seed": 0, "quality": quality(s, binary=binary)}
    return [(mk("m", f"p{i}", a), mk("b", f"p{i}", b))
            for i, (a, b) in enumerate(zip(m_scores, b_scores))]


@pytest.mark.parametrize("binary", [True, False])
def test_identical_scores_give_p_one_and_a_ci_around_zero(binary):
    scores = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0] if binary else [0.2, 0.9, 0.5, 0.7, 0.4, 0.6]
    t = paired_quality(_pairs(scores, scores, binary), CFG)
    assert t["test"].startswith("mcnemar" if binary else "wilcoxon")
    assert t["p_value"] == 1.0 and t["mean_diff"] == 0.0
    assert t["diff_ci"][0] <= 0.0 <= t["diff_ci"][1]


def test_mixed_scorers_use_wilcoxon_and_the_mean_difference():
    pairs = _pairs([0.5, 0.25, 0.0], [1.0, 1.0, 1.0], binary=False)
    pairs[0][1]["quality"]["binary"] = True
    t = paired_quality(pairs, CFG)
    assert t["test"] == "wilcoxon" and t["mean_diff"] == pytest.approx(-0.75)
    assert t["n_pairs"] == 3


def test_pareto_front_by_hand():
    pts = [(1.0, 0.90), (1.5, 0.90), (2.0, 0.70), (1.8, 0.60), (2.5, 0.50), (2.5, 0.50),
           (1.2, 0.95)]
    # (1.0, .90) is beaten by (1.5, .90); (1.8, .60) by (2.0, .70); equal points both stay
    assert pareto_front(pts) == [6, 1, 2, 4, 5]
    assert pareto_front([]) == []


def test_mismatch_rate_per_accepted_and_drafted():
    lossy = [rec("lossy", "draft", p, counters(11, 0.1, 0.5, cycles=4, target_s=0.4,
                                               drafted=20, accepted=10), [1], exact=False)
             for p in ("p0", "p1")]
    lossy[0]["counters"]["mismatches"], lossy[1]["counters"]["mismatches"] = 3, 1
    got = mismatch_rate(lossy)
    assert got["per_accepted"] == pytest.approx(4 / 20)
    assert got["per_drafted"] == pytest.approx(4 / 40)
    exact = [rec("spec", "draft", "p0", counters(11, 0.1, 0.5, cycles=4, target_s=0.4,
                                                 drafted=20, accepted=10), [1])]
    assert mismatch_rate(exact)["per_accepted"] == 0.0
    base = [rec("target", "none", "p0", counters(11, 0.1, 1.0, cycles=10, target_s=1.0), [1])]
    assert mismatch_rate(base) is None        # nothing accepted: no rate


# ---------------------------------------------------------------------------- the report

METHODS = (SynthMethod("target", "none", k=0),
           SynthMethod("draft-k4", "draft", k=4, alpha=0.8, c=0.08),
           SynthMethod("lossy-bad", "draft", exact=False, k=4, alpha=0.95, c=0.08),
           SynthMethod("lossy-ok", "draft", exact=False, k=4, alpha=0.9, c=0.08))
MEANS = {"target": 0.9, "draft-k4": 0.9, "lossy-bad": 0.2, "lossy-ok": 0.9}


def scored_run(binary=True):
    cfg = SynthConfig(n_prompts=12, max_new_tokens=24, methods=METHODS)
    records = with_quality(synthetic_run(cfg), MEANS, binary=binary)
    for r in records:   # lossy methods: some of their accepted tokens are mismatches
        if not r["exact"] and r["status"] == "ok":
            r["counters"]["mismatches"] = r["counters"]["accepted"] // 4
    return records


def rows_by(summary):
    return {(r["method"], r["suite"]): r for r in summary["quality"]["rows"]}


@pytest.mark.parametrize("binary", [True, False])
def test_summary_quality_rows(binary):
    records = scored_run(binary)
    s = build_summary(RunSet(records=records, paths=["x"]), CFG)
    rows = rows_by(s)
    same, bad = rows[("draft-k4", "all")], rows[("lossy-bad", "all")]
    assert same["n"] == 36 and same["paired"]["n_pairs"] == 36
    assert same["paired"]["p_value"] == 1.0 and same["paired"]["significant"] is False
    assert same["paired"]["diff_ci"][0] <= 0.0 <= same["paired"]["diff_ci"][1]
    assert bad["paired"]["p_value"] < 0.05 and bad["paired"]["significant"] is True
    assert bad["paired"]["diff_ci"][1] < 0.0
    # the baseline's mean equals its scores' mean; it is not tested against itself
    base_scores = [r["quality"]["score"] for r in records if r["method"] == "target"]
    assert rows[("target", "all")]["mean"] == pytest.approx(sum(base_scores) / len(base_scores))
    assert rows[("target", "all")]["paired"] is None
    # Holm within (suite, T) across the three compared methods
    ps = [rows[(m, "code")]["paired"]["p_value"] for m in ("draft-k4", "lossy-bad", "lossy-ok")]
    assert [rows[(m, "code")]["paired"]["p_holm"] for m in ("draft-k4", "lossy-bad", "lossy-ok")
            ] == pytest.approx(holm(ps))
    # agreement: exact methods match the baseline; synthetic lossy ones differ mid-output
    assert rows[("draft-k4", "all")]["agreement"]["prefix_match"] == 1.0
    assert rows[("lossy-ok", "all")]["agreement"]["prefix_match"] == pytest.approx(0.5)
    assert rows[("draft-k4", "all")]["mismatch"]["per_accepted"] == 0.0
    assert rows[("lossy-ok", "all")]["mismatch"]["per_accepted"] > 0.0


def test_test_choice_follows_the_scorer():
    rows = rows_by(build_summary(RunSet(records=scored_run(True), paths=["x"]), CFG))
    pooled, code = rows[("lossy-bad", "all")]["paired"], rows[("lossy-bad", "code")]["paired"]
    # exact binomial below 25 discordant pairs (a suite), chi-square from there (pooled)
    assert sum(code["table"][0][1:] + code["table"][1][:1]) < 25 and code["test"] == "mcnemar-exact"
    assert sum(pooled["table"][0][1:] + pooled["table"][1][:1]) >= 25
    assert pooled["test"] == "mcnemar-chi2"
    assert rows_by(build_summary(RunSet(records=scored_run(False), paths=["x"]), CFG))[
        ("lossy-bad", "all")]["paired"]["test"] == "wilcoxon"


def test_unscored_and_error_records_are_left_out():
    records = scored_run()
    hidden = [r for r in records if r["method"] == "lossy-ok" and r["suite"] == "code"][:3]
    for r in hidden:
        r["quality"] = None
    row = rows_by(build_summary(RunSet(records=records, paths=["x"]), CFG))[("lossy-ok", "code")]
    assert row["n"] == 9 and row["n_unscored"] == 3 and row["paired"]["n_pairs"] == 9


def test_report_without_quality_is_unchanged(tmp_path):
    records = synthetic_run(SynthConfig(n_prompts=3, max_new_tokens=24, methods=METHODS))
    s = write_report(RunSet(records=records, paths=["x"]), tmp_path / "out", CFG)
    md = (tmp_path / "out" / "report.md").read_text()
    assert "quality" not in s and "quality" not in s["definitions"]
    assert "## Quality" not in md and not (tmp_path / "out" / PARETO_FILE).exists()
    assert "Quality" not in render_terminal(s, color=False)


def test_report_with_quality(tmp_path):
    s = write_report(RunSet(records=scored_run(), paths=["x"]), tmp_path / "out", CFG)
    out = tmp_path / "out"
    md = (out / "report.md").read_text()
    assert (out / PARETO_FILE).stat().st_size > 10_000 and f"]({PARETO_FILE})" in md
    assert "## Quality" in md and "Agreement with target-only" in md
    assert "Mismatch acceptance" in md and "mcnemar-exact" in md
    section = md.split("## Quality")[1].split("\n## ")[0].splitlines()
    bad_row = next(line for line in section if line.startswith("| lossy-bad | **all suites**"))
    assert bad_row.rstrip(" |").endswith("*")       # significant: marked
    same_row = next(line for line in section if line.startswith("| draft-k4 | **all suites**"))
    assert not same_row.rstrip(" |").endswith("*")
    saved = json.loads((out / "summary.json").read_text())
    assert saved["quality"]["config"]["p_shown"] == "p_holm"
    assert "quality_test" in saved["definitions"]
    cells = {(c["method"], c["suite"], c["temperature"]): c for c in saved["cells"]}
    headroom = [r for r in saved["quality"]["rows"] if r["headroom"]]
    assert headroom and "decode speedup / ceiling" in md
    for r in headroom:  # the all-accepted ceiling of the row's own cell; tau never above k + 1
        h = r["headroom"]
        assert h["ceiling"] == pytest.approx(cells[(r["method"], r["suite"], r["temperature"])]["ceiling_speedup"])
        assert h["tau"] <= h["k"] + 1 + 1e-9
    term = render_terminal(s, color=False)
    assert "Quality vs baseline" in term and "lossy-bad" in term.split("Quality vs baseline")[1]


def test_pareto_plot_marks_the_front(tmp_path):
    from specdecode.analysis.pareto import pareto_points

    s = build_summary(RunSet(records=scored_run(), paths=["x"]), CFG)
    pts = [p for p in pareto_points(s) if p["suite"] == "all"]
    kinds = {p["method"]: p["kind"] for p in pts}
    assert kinds == {"target": "baseline", "draft-k4": "exact", "lossy-bad": "lossy",
                     "lossy-ok": "lossy"}
    front = [pts[i]["method"] for i in pareto_front([(p["x"], p["y"]) for p in pts])]
    # lossy-ok scores as the exact methods do and is faster; lossy-bad is faster still
    # but scores far lower: both are on the front, the slower equal-quality ones are not
    assert front == ["lossy-ok", "lossy-bad"]
    path = tmp_path / PARETO_FILE
    assert pareto_plot(s, path) and path.stat().st_size > 10_000


def test_holm_can_be_switched_off():
    from specdecode.analysis.quality import quality_summary
    from specdecode.analysis.quality_stats import QualityConfig
    from specdecode.analysis.summary import summarize_cell
    from specdecode.analysis.cells import cell_keys

    records = scored_run()
    cells = [summarize_cell(records, k, "target", CFG) for k in cell_keys(records)]
    q = quality_summary(records, cells, "target", CFG, replace(QualityConfig(), holm=False))
    assert q["config"]["p_shown"] == "p_value"
    for row in q["rows"]:
        if row["paired"]:
            assert row["paired"]["significant"] == (row["paired"]["p_value"] < 0.05)


def test_scored_run_file_through_the_cli(tmp_path):
    from specdecode.cli import main
    from specdecode.analysis.synthetic import write_run

    run = write_run(scored_run(), tmp_path / "RUN.jsonl")
    assert main(["report", str(run), "--out", str(tmp_path / "out"), "--n-boot", "200",
                 "--color", "never", "--no-plots"]) == 0
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    bad = next(r for r in saved["quality"]["rows"]
               if (r["method"], r["suite"]) == ("lossy-bad", "all"))
    assert bad["paired"]["significant"] is True and bad["n"] == 36
    assert "## Quality" in (tmp_path / "out" / "report.md").read_text()
