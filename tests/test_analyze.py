"""`specdecode analyze`: planted effects found, absent ones not, calibration under the
null, bad input (v1, empty, single-domain), user hypotheses, comparison across runs."""
import json
from dataclasses import replace
from pathlib import Path

import pytest

from specdecode.analysis.analyze import AnalyzeConfig, analyze_records, prepare
from specdecode.analysis.hypotheses import hypotheses_table, load_hypotheses
from specdecode.analysis.planted import PlantConfig, planted_run
from specdecode.analysis.synthetic import write_run
from specdecode.cli import main
from specdecode.records import validate_record

ROOT = Path(__file__).resolve().parents[1]
FAST = AnalyzeConfig(n_boot=200, n_perm=500)
FAST_ARGS = ["--n-boot", "200", "--n-perm", "500"]
# every default hypothesis true: code accepted most, translation slowest, early and rare
# positions rejected more, entropy(q) predicts rejection
PLANTED = PlantConfig(accept={"code": 0.88, "prose": 0.72, "translation": 0.7},
                      slowdown={"translation": 1.6}, position_effect=0.15, rare_effect=0.2,
                      confidence_effect=0.4, n_prompts=10)
NULL = PlantConfig(n_prompts=6, max_new_tokens=32)     # no effect at all


def verdicts(summary: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in summary["hypotheses"]}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("analyze")
    run = write_run(planted_run(PLANTED), tmp / "RUN.jsonl")
    assert main(["analyze", str(run), "--out", str(tmp / "out"), *FAST_ARGS]) == 0
    return tmp / "out"


def test_planted_records_are_valid():
    records = planted_run(replace(PLANTED, n_prompts=2))
    assert records and all(validate_record(r) == [] for r in records)


def test_finds_every_planted_effect(planted):
    s = json.loads((planted / "analysis.json").read_text())
    assert s["method"] == "draft"
    assert verdicts(s) == {"H1": "supported", "H2": "supported", "H3": "supported", "H4": "supported"}
    assert s["domain"]["differ"]["p"] < 0.05
    rates = {r["domain"]: r["rejection"] for r in s["domain"]["rows"]}
    assert rates["code"] < rates["prose"] and rates["code"] < rates["translation"]
    assert s["confidence"]["stats"]["entropy_q"]["auc"] > 0.58
    for name in ("analysis.md", "rejection_by_domain.png", "position_heatmap.png",
                 "frequency_deciles.png", "confidence.png"):
        assert (planted / name).is_file(), name
    md = (planted / "analysis.md").read_text()
    assert "| H1 |" in md and "**supported**" in md and "(position_heatmap.png)" in md


def test_absent_effects_are_not_found():
    only_domain = replace(PLANTED, position_effect=0.0, rare_effect=0.0, confidence_effect=0.0)
    s = analyze_records(planted_run(only_domain), FAST)
    v = verdicts(s)
    assert v["H1"] == "supported"
    assert v["H2"] == "inconclusive" and v["H3"] == "inconclusive"
    assert abs(s["confidence"]["stats"]["entropy_q"]["auc"] - 0.5) < 0.06


def test_opposite_effect_is_falsified():
    code_worst = replace(NULL, accept={"code": 0.6, "prose": 0.8, "translation": 0.8}, n_prompts=10)
    assert verdicts(analyze_records(planted_run(code_worst), FAST))["H1"] == "falsified"


def test_false_positives_under_the_null_stay_near_alpha():
    """40 seeds of the global null (bench/analyze_calibration.py runs 200 and reports power):
    any row not inconclusive counts as a false positive of the whole table (Holm keeps
    that family-wise rate <= 5%; 6+ of 40 would have probability ~1% at 5%)."""
    cfg = AnalyzeConfig(n_boot=100, n_perm=200)
    hypotheses = load_hypotheses()
    false = 0
    for seed in range(40):
        _, _, data, _ = prepare(planted_run(replace(NULL, seed=seed)), cfg)
        rows = hypotheses_table(hypotheses, data)
        false += any(r["verdict"] != "inconclusive" for r in rows)
    assert false <= 5, f"{false} of 40 null runs found an effect"


def test_v1_records_run_what_they_can(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["analyze", str(ROOT / "tests/data/quick_v1.jsonl"), "--out", str(out),
                 "--no-plots", "--n-boot", "100", "--n-perm", "100"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    needs = [line for line in err if "position_stats: true" in line]
    assert len(needs) == 1 and needs[0].startswith("warning:") and "schema v2" in needs[0]
    s = json.loads((out / "analysis.json").read_text())
    rows = {r["id"]: r for r in s["hypotheses"]}
    assert all(rows[h]["testable"] for h in ("H1", "H2", "H4"))
    assert not rows["H3"]["testable"] and "position_stats" in rows["H3"]["reason"]
    assert not s["frequency"]["available"] and not s["confidence"]["available"]


def test_empty_file_says_what_it_cannot_test(tmp_path, capsys):
    run = tmp_path / "empty.jsonl"
    run.write_text("")
    assert main(["analyze", str(run), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing can be tested" in err[0] and "specdecode bench" in err[0]


def test_single_domain_says_what_it_cannot_test():
    s = analyze_records(planted_run(replace(NULL, accept={"code": 0.8})), FAST)
    rows = {r["id"]: r for r in s["hypotheses"]}
    assert rows["H1"]["verdict"] == rows["H4"]["verdict"] == "not testable"
    assert "another domain" in rows["H1"]["reason"] and "2 domains" in rows["H4"]["reason"]
    assert rows["H2"]["testable"] and rows["H3"]["testable"]
    assert any("only one domain" in n for n in s["notes"])
    assert "untestable" in s["domain"]["differ"]


def test_user_hypotheses_and_bad_ones(tmp_path, capsys):
    good = tmp_path / "h.yaml"
    good.write_text("hypotheses:\n  - id: H5\n    text: translation rejected more\n"
                    "    test: domain_vs_rest\n    params: {domain: translation, direction: higher}\n")
    s = analyze_records(planted_run(PLANTED), replace(FAST, hypotheses=str(good)))
    assert verdicts(s)["H5"] == "supported" and len(s["hypotheses"]) == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text("hypotheses:\n  - {id: X, text: t, test: no_such_test}\n")
    run = write_run(planted_run(replace(NULL, n_prompts=2)), tmp_path / "RUN.jsonl")
    assert main(["analyze", str(run), "--hypotheses", str(bad), "--no-plots"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown test 'no_such_test'" in err[0] and "Available:" in err[0]


def test_compare_flags_a_flip(tmp_path, capsys):
    a = write_run(planted_run(replace(NULL, accept={"code": 0.9, "prose": 0.7, "translation": 0.7},
                                      n_prompts=10)), tmp_path / "A.jsonl")
    b = write_run(planted_run(replace(NULL, accept={"code": 0.6, "prose": 0.8, "translation": 0.8},
                                      n_prompts=10)), tmp_path / "B.jsonl")
    out = tmp_path / "out"
    assert main(["analyze", str(a), "--compare", str(b), "--out", str(out), "--no-plots", *FAST_ARGS]) == 0
    s = json.loads((out / "analysis.json").read_text())
    flags = {r["id"]: r["flip"] for r in s["compare"]["rows"]}
    assert flags["H1"] == "flips"
    assert "H1 flips" in capsys.readouterr().out
    assert "## 6. Comparison" in (out / "analysis.md").read_text()


def test_help_explains(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "position_stats: true" in text and "--hypotheses" in text and "--compare" in text


def test_analyze_does_not_load_torch():
    import subprocess
    import sys

    code = ("import sys, specdecode.analysis.analyze, specdecode.analysis.planted, "
            "specdecode.commands.analyze; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
