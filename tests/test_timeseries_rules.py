"""The exact Gaussian rule reproduces the target's predictive distribution; biased rules
are caught by the same test. Statistical: KS / chi-square over many seeds (scipy.stats)."""
import numpy as np
import pytest
import torch
from scipy import stats

from specdecode.timeseries.controllers import TS_CONTROLLERS
from specdecode.timeseries.gaussian import Gaussian, residual_sample
from specdecode.timeseries.loop import speculative_forecast
from specdecode.timeseries.model import ModelConfig, PatchForecaster
from specdecode.timeseries.rules import RULES

N = 20_000
P_DIST = Gaussian(np.array([0.0]), np.array([1.0]))
Q_DIST = Gaussian(np.array([0.9]), np.array([0.6 ** 2]))   # shifted and narrower: TV ~ 0.4


def emitted(rule_name: str, n: int = N, seed: int = 0, **params) -> np.ndarray:
    """What one speculative position emits: the accepted draft or the recovered patch."""
    cls = RULES.get(rule_name)
    rule = cls(cls.Params(**params))
    rng = np.random.default_rng(seed)
    out = np.empty(n)
    for i in range(n):
        x = Q_DIST.sample(rng)
        out[i] = x[0] if rule.decide(P_DIST, Q_DIST, x, rng).accepted else rule.recover(P_DIST, Q_DIST, rng)[0][0]
    return out


def ks_p(samples: np.ndarray) -> float:
    return stats.kstest(samples, "norm", args=(0.0, 1.0)).pvalue


def test_exact_rule_reproduces_target():
    assert ks_p(emitted("gaussian")) > 1e-3


@pytest.mark.parametrize("rule, params", [("stride-resample", {}), ("gaussian", {"bias": 5.0}),
                                          ("gaussian", {"mse_tol": 0.5})])
def test_biased_rules_are_rejected(rule, params):
    assert ks_p(emitted(rule, **params)) < 1e-6


def test_residual_sampler_has_the_residual_density():
    """Chi-square of binned residual draws against max(0, p - q) integrated per bin."""
    rng = np.random.default_rng(1)
    draws = np.array([residual_sample(P_DIST, Q_DIST, rng)[0][0] for _ in range(6000)])
    edges = np.linspace(-4, 4, 25)
    grid = np.linspace(-4, 4, 24001)
    dens = np.maximum(0, stats.norm.pdf(grid, 0, 1) - stats.norm.pdf(grid, 0.9, 0.6))
    cdf = np.concatenate([[0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))])
    mass = np.diff(np.interp(edges, grid, cdf / cdf[-1]))
    observed = np.histogram(draws, edges)[0]
    keep = mass * len(draws) > 5
    expected = mass[keep] / mass[keep].sum() * observed[keep].sum()
    assert stats.chisquare(observed[keep], expected).pvalue > 1e-3


def test_multivalue_patch_exact():
    """A 3-value patch: each coordinate of the emitted patch keeps the target's marginal."""
    p = Gaussian(np.array([0.0, 1.0, -1.0]), np.array([1.0, 0.5, 2.0]))
    q = Gaussian(np.array([0.4, 0.7, -0.5]), np.array([0.8, 0.6, 1.5]))
    rule = RULES.get("gaussian")(RULES.get("gaussian").Params())
    rng = np.random.default_rng(2)
    out = []
    for _ in range(8000):
        x = q.sample(rng)
        out.append(x if rule.decide(p, q, x, rng).accepted else rule.recover(p, q, rng)[0])
    out = np.array(out)
    for j in range(3):
        z = (out[:, j] - p.mean[j]) / np.sqrt(p.var[j])
        assert stats.kstest(z, "norm").pvalue > 1e-3


def _tiny(seed: int, layers: int) -> PatchForecaster:
    torch.manual_seed(seed)
    return PatchForecaster(ModelConfig(patch=1, d_model=16, n_layers=layers, n_heads=2, max_patches=8)).eval()


def test_loop_end_to_end_matches_target_only():
    """The second forecast patch through the whole loop (draft K=2, one target call):
    same distribution as target-only sampling (two-sample KS over seeds)."""
    target, draft = _tiny(0, 2), _tiny(1, 1)
    ctx = np.linspace(-1, 1, 4).reshape(4, 1)
    fixed = TS_CONTROLLERS.get("fixed")
    exact = RULES.get("gaussian")(RULES.get("gaussian").Params())
    only = RULES.get("target-only")(None)
    spec, base = [], []
    for s in range(1500):
        spec.append(speculative_forecast(target, draft, exact, fixed(None, 2, 1.0), ctx, 3,
                                         np.random.default_rng(s)).patches[1][0])
        base.append(speculative_forecast(target, None, only, fixed(None, 2, 1.0), ctx, 3,
                                         np.random.default_rng(10_000 + s)).patches[1][0])
    assert stats.ks_2samp(spec, base).pvalue > 1e-3
