"""Goal ratios: tokens/s of one method over another on a suite cell, with a verdict."""
import pytest

from specdecode.analysis.ratios import compute_ratios, ratio_specs
from specdecode.bench.config import load_config
from specdecode.errors import SpecDecodeError


def cell(method, suite, tps, n=3):
    return {"method": method, "suite": suite, "temperature": 0.0, "tokens_per_s": tps, "n_ok": n}


def test_ratio_value_and_verdict():
    cells = [cell("a", "code", 30.0), cell("b", "code", 12.0), cell("a", "all", 20.0), cell("b", "all", 20.0)]
    specs = [{"label": "x", "num": "a", "den": "b", "suite": "code", "goal": 2.0},
             {"label": "y", "num": "a", "den": "b", "suite": "all", "goal": 1.5},
             {"label": "z", "num": "a", "den": "missing", "suite": "all", "goal": None}]
    out = compute_ratios(cells, specs)
    assert out[0]["value"] == pytest.approx(2.5) and out[0]["met"] is True
    assert out[1]["value"] == pytest.approx(1.0) and out[1]["met"] is False
    assert out[2]["value"] is None and out[2]["met"] is None


def test_all_over_a_run_of_one_suite_is_that_suite():
    """A run of one suite has no pooled cell; its "all" ratio is the suite's, not blank."""
    cells = [cell("a", "code", 30.0), cell("b", "code", 12.0)]
    spec = {"label": "y", "num": "a", "den": "b", "suite": "all", "goal": 2.0}
    out = compute_ratios(cells, [spec, {**spec, "suite": "math"}])
    assert out[0]["value"] == pytest.approx(2.5) and out[0]["met"] is True and out[0]["n"] == 3
    assert out[1]["value"] is None


def test_a_spec_without_temperature_uses_the_configs_only_one():
    ratio = "ratios=[{num: target-only, den: target-only}]"
    hot = load_config("smoke", ["temperatures=[0.7]", ratio]).ratios[0]
    both = load_config("smoke", ["temperatures=[0.0, 0.7]", ratio]).ratios[0]
    assert hot["temperature"] == 0.7 and both["temperature"] == 0.0
    spec = {"label": "x", "num": "a", "den": "b", "suite": "all", "goal": 1.3}
    cells = [{**cell("a", "all", 13.0), "temperature": 0.7}, {**cell("b", "all", 10.0), "temperature": 0.7},
             cell("a", "all", 30.0), cell("b", "all", 10.0)]
    assert compute_ratios(cells, [{**spec, "temperature": 0.7}])[0]["value"] == pytest.approx(1.3)
    assert compute_ratios(cells, [{**spec, "temperature": 0.0}])[0]["value"] == pytest.approx(3.0)


def test_specs_come_from_manifests_once():
    spec = {"label": "x", "num": "a", "den": "b", "suite": "all", "goal": 1.0}
    manifests = {"r1": {"config": {"ratios": [spec]}}, "r2": {"config": {"ratios": [spec]}}, "r3": None}
    assert ratio_specs(manifests) == [spec]


def test_ratio_naming_an_unknown_method_is_a_config_error():
    with pytest.raises(SpecDecodeError, match="ratios\\[0\\].num: unknown method 'nope'"):
        load_config("smoke", ["ratios=[{num: nope, den: target-only}]"])
