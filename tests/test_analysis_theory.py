"""Leviathan prediction, efficiency == 1 on model-exact data, bootstrap CI coverage."""
import numpy as np
import pytest

from analysis_fixtures import counters, rec
from specdecode.analysis.synthetic import counters_from_trace, trace_entry
from specdecode.analysis import AnalysisConfig, RunSet, build_summary
from specdecode.analysis.stats import bootstrap_ratio_ci
from specdecode.analysis.theory import (expected_tau, expected_tau_positional, fit_v_slope,
                                        projection_grid)

T1 = 0.01          # seconds per 1-token target call
SLOPE = 0.15       # v(k) = 1 + SLOPE * k


def test_expected_tau_forms_agree():
    assert expected_tau(0.6, 4) == pytest.approx(1 + 0.6 + 0.36 + 0.216 + 0.1296)
    assert expected_tau_positional([0.6] * 4) == pytest.approx(expected_tau(0.6, 4))
    assert expected_tau(1.0, 5) == 6.0
    assert expected_tau(0.0, 5) == 1.0


def test_v_slope_fit_and_grid():
    points = [(k, 1 + 0.2 * k, 10) for k in (1, 2, 4)]
    assert fit_v_slope(points) == pytest.approx(0.2)
    assert fit_v_slope([(0, 1.0, 5)]) is None
    grid = projection_grid(0.1, 0.2, [0.8], [4])
    assert grid[0][0] == pytest.approx(expected_tau(0.8, 4) / (4 * 0.1 + 1 + 0.2 * 4))


def ideal_records(alpha_num: int, alpha_den: int, k: int, c: float, per_cycle: bool):
    """Counts that follow iid acceptance EXACTLY: N = den^k cycles all draft k tokens;
    position i is reached by N * a^i cycles and accepted by N * a^(i+1). Timings follow
    the cost model with no overhead: cycle = k*c*T1 (or c*T1 per cycle) + T1*(1+SLOPE*k)."""
    n = alpha_den ** k
    reached = [n * alpha_num ** i // alpha_den ** i for i in range(k)]
    acc = [n * alpha_num ** (i + 1) // alpha_den ** (i + 1) for i in range(k)]
    new_tokens = 1 + n + sum(acc)
    draft_s = n * (c * T1 if per_cycle else k * c * T1)
    target_s = n * T1 * (1 + SLOPE * k)
    method = rec("spec", "ngram" if per_cycle else "draft", "p0",
                 counters(new_tokens, 0.5, draft_s + target_s, cycles=n, target_s=target_s,
                          draft_s=draft_s, draft_calls=0 if per_cycle else n * k,
                          drafted=n * k, accepted=sum(acc), acc_pos=acc, reached_pos=reached),
                 [1])
    base_tokens = 1001
    base = rec("target", "none", "p0",
               counters(base_tokens, 0.5, (base_tokens - 1) * T1, cycles=base_tokens - 1,
                        target_s=(base_tokens - 1) * T1), [1])
    return [base, method]


@pytest.mark.parametrize("alpha_num,alpha_den,k,c,per_cycle", [
    (3, 5, 4, 0.1, False), (4, 5, 3, 0.05, False), (1, 2, 6, 0.2, False),
    (3, 5, 4, 0.02, True)])
def test_efficiency_is_one_when_the_model_holds(alpha_num, alpha_den, k, c, per_cycle):
    records = ideal_records(alpha_num, alpha_den, k, c, per_cycle)
    s = build_summary(RunSet(records, ["ideal"]), AnalysisConfig(n_boot=100))
    (cell,) = [x for x in s["cells"] if x["method"] == "spec"]
    alpha = alpha_num / alpha_den
    assert cell["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert cell["c"] == pytest.approx(c) and cell["v"] == pytest.approx(1 + SLOPE * k)
    assert cell["c_per"] == ("cycle" if per_cycle else "token")
    assert cell["tau"] == pytest.approx(expected_tau(alpha, k))
    draft_cost = c if per_cycle else k * c
    assert cell["predicted_speedup"] == pytest.approx(
        expected_tau(alpha, k) / (draft_cost + 1 + SLOPE * k))
    assert cell["ceiling_speedup"] == pytest.approx((k + 1) / (draft_cost + 1 + SLOPE * k))
    assert cell["predicted_speedup"] < cell["ceiling_speedup"]
    assert abs(cell["efficiency"] - 1.0) < 1e-6
    assert abs(cell["efficiency_drafted"] - 1.0) < 1e-6


def test_drafted_efficiency_is_one_with_ngram_misses():
    """3125 cycles draft k=4 with exact iid counts (accept exactly j: N a^j (1-a); all:
    N a^k) and 1000 cycles draft nothing; the per-cycle lookup costs c whatever happens."""
    k, c, n_miss = 4, 0.02, 1000
    exact_j = [1250, 750, 450, 270, 405]            # N = 5^5, a = 3/5
    shapes = [(0, 0)] * n_miss + [(k, j) for j, n in enumerate(exact_j) for _ in range(n)]
    trace = [trace_entry(k, d, j, token_index=i, draft_s=c * T1, target_s=T1 * (1 + SLOPE * d),
                         draft_calls=0) for i, (d, j) in enumerate(shapes)]
    new_tokens = 1 + sum(t["emitted"] for t in trace)
    ctr = counters_from_trace(trace, new_tokens, 0.5)
    method = rec("ngram", "ngram", "p0", ctr, [1])
    method["trace"] = trace
    base = ideal_records(3, 5, 4, c, True)[0]
    s = build_summary(RunSet([base, method], ["ideal"]), AnalysisConfig(n_boot=100))
    (cell,) = [x for x in s["cells"] if x["method"] == "ngram"]
    assert cell["alpha"] == pytest.approx(0.6)
    assert abs(cell["efficiency_drafted"] - 1.0) < 1e-6
    assert cell["efficiency"] < 0.9      # k asked = 4 every cycle: the misses cost efficiency


def test_efficiency_drops_with_overhead():
    records = ideal_records(3, 5, 4, 0.1, False)
    ctr = records[1]["counters"]
    ctr["overhead_s"] = 0.25 * ctr["decode_s"]
    ctr["decode_s"] += ctr["overhead_s"]
    ctr["total_s"] = ctr["prefill_s"] + ctr["decode_s"]
    s = build_summary(RunSet(records, ["ideal"]), AnalysisConfig(n_boot=100))
    (cell,) = [x for x in s["cells"] if x["method"] == "spec"]
    assert cell["efficiency"] == pytest.approx(1 / 1.25)


def simulated_units(rng, n: int, true_speedup: float):
    """Per-prompt token and time sums whose population aggregate speedup is true_speedup:
    equal token counts, baseline times lognormal, method time = baseline / S * noise with
    E[noise] = 1 (so E[time_m] = E[time_b] / S)."""
    tokens = np.full(n, 128.0)
    time_b = 128 * 0.02 * rng.lognormal(0.0, 0.4, n)
    noise = rng.lognormal(-0.15 ** 2 / 2, 0.15, n)
    return tokens, time_b / true_speedup * noise, tokens, time_b


def test_bootstrap_ci_covers_at_nominal_rate():
    rng = np.random.default_rng(1234)
    hits, n_sets = 0, 200
    for i in range(n_sets):
        lo, hi = bootstrap_ratio_ci(*simulated_units(rng, 40, 1.7), n_boot=1000, seed=i)
        hits += lo <= 1.7 <= hi
    assert 0.90 <= hits / n_sets <= 0.99, hits / n_sets


def test_bootstrap_ci_is_seeded_and_needs_two_units():
    units = simulated_units(np.random.default_rng(0), 10, 2.0)
    assert bootstrap_ratio_ci(*units, seed=3) == bootstrap_ratio_ci(*units, seed=3)
    assert bootstrap_ratio_ci([1.0], [1.0], [1.0], [2.0]) is None


def test_c_is_per_drafted_token_when_a_copy_head_skips_calls():
    """A draft with a copy head drafts half its tokens without a forward call: c is the
    drafting time per drafted token (not per call), so the model still holds exactly."""
    records = ideal_records(3, 5, 4, 0.1, False)
    records[1]["counters"]["draft_calls"] //= 2
    s = build_summary(RunSet(records, ["ideal"]), AnalysisConfig(n_boot=100))
    (cell,) = [x for x in s["cells"] if x["method"] == "spec"]
    assert cell["c"] == pytest.approx(0.1) and cell["c_per"] == "token"
    assert abs(cell["efficiency"] - 1.0) < 1e-6
