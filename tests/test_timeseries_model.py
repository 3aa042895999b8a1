"""Model invariants the loop relies on, and the controllers."""
import numpy as np
import torch

from specdecode.timeseries.controllers import TS_CONTROLLERS, predicted_speedup
from specdecode.timeseries.loop import Seq, last_rows
from specdecode.timeseries.model import ModelConfig, PatchForecaster, PatchMLP
from specdecode.types import CycleRecord, Interval


def test_one_causal_call_scores_every_prefix():
    """Rows of one call over [ctx, x1..xK] == the last row of K+1 separate prefix calls."""
    torch.manual_seed(0)
    model = PatchForecaster(ModelConfig(patch=2, d_model=32, n_layers=2, n_heads=4, max_patches=12)).eval()
    x = torch.randn(1, 9, 2)
    batched = last_rows(model, x, 4, 1.0)
    for i, g in enumerate(batched):
        single = last_rows(model, x[:, : 6 + i], 1, 1.0)[0]
        assert np.allclose(g.mean, single.mean, atol=1e-5) and np.allclose(g.var, single.var, rtol=1e-4)


def test_mlp_rows_see_only_their_window():
    torch.manual_seed(0)
    mlp = PatchMLP(ModelConfig(patch=2, d_model=16, arch="mlp", window=3)).eval()
    x = torch.randn(1, 8, 2)
    full = last_rows(mlp, x, 2, 1.0)
    with torch.inference_mode():
        mean, _ = mlp(x[:, 3:7])              # row 6 of x sees patches 4..6
    assert np.allclose(full[0].mean, mean[0, -1].double().numpy(), atol=1e-6)


def test_seq_buffer_drafts_do_not_commit():
    seq = Seq(np.zeros((3, 2)), horizon=4)
    view = seq.extended([np.ones(2), np.ones(2)])
    assert view.shape == (1, 5, 2) and seq.x.shape == (1, 3, 2)
    seq.append([np.full(2, 7.0)])
    assert seq.x.shape == (1, 4, 2) and float(seq.x[0, -1, 0]) == 7.0


def _cycle(outcomes, draft_s=0.001, target_s=0.01):
    k = len(outcomes)
    return CycleRecord(k=k, drafted=k, accepted=sum(outcomes), outcomes=tuple(outcomes), kind="bonus",
                       tokens=[0], start=0.0, end=1.0,
                       intervals=(Interval("draft", 0.0, draft_s * k), Interval("target", 0.5, 0.5 + target_s)),
                       draft_calls=k, token_index=0)


def test_adaptive_controller_moves_k_and_sigma_within_bounds():
    cls = TS_CONTROLLERS.get("adaptive")
    ctl = cls(cls.Params(sigma_min=0.5, sigma_max=2.0), 3, 1.0)
    for _ in range(20):
        ctl.observe(_cycle([True, True, True, True]))
    k_high = ctl.next_k()
    assert ctl.sigma() == 0.5                      # high acceptance: sigma down to its floor
    for _ in range(30):
        ctl.observe(_cycle([False]))
    assert ctl.next_k() < k_high and ctl.sigma() == 2.0
    fixed = cls(cls.Params(sigma_min=1.0, sigma_max=1.0), 3, 1.0)
    fixed.observe(_cycle([False]))
    assert fixed.sigma() == 1.0 and not fixed.moves_sigma


def test_predicted_speedup_prefers_longer_drafts_when_acceptance_is_high():
    assert predicted_speedup(0.9, 4, 0.03) > predicted_speedup(0.9, 1, 0.03)
    assert predicted_speedup(0.1, 1, 0.3) > predicted_speedup(0.1, 4, 0.3)
