"""What the tool trains, per data set: one target and its drafts (frozen recipes).

  target          decoder-only patch transformer, d 192 x 4 layers, mean + log-variance
                  heads, Gaussian NLL. One call costs several draft steps (measured by
                  `specdecode ts build`, written to the manifest as call_ms).
  stoch-0.5/0.7   stochastic drafts: MLPs over the last W patches (model.PatchMLP), hidden
                  width 0.5x / 0.7x the target's, mean + log-variance heads, distilled from the target by the expected Gaussian NLL
                  of the target's predictive (KL(p || q) + const).
  det-0.5/0.7     deterministic drafts: mean head only, distilled by MSE to the target's
                  mean; the proposal std is a constant (the target's RMS std on the
                  distillation set), so x = mu_q + sigma * std0 * eps.
  undistilled     the research log's draft: the target's checkpoint truncated to its first
                  layer (embeddings, final norm and heads shared), never trained to match.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import SpecDecodeError
from .data import Geometry
from .model import ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 300
    batch: int = 64          # sizes measured on the 2-core CPU, 1 torch thread: see docs/timeseries.md
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: int = 20


@dataclass(frozen=True)
class Recipe:
    role: str                  # "target" | "stochastic" | "deterministic" | "undistilled"
    width: float = 1.0         # d_model relative to the target
    n_layers: int = 1
    train: TrainConfig = TrainConfig()


TARGET_MODEL = ModelConfig(d_model=192, n_layers=4, n_heads=4)
DRAFT_HEADS = 4

RECIPES: dict[str, Recipe] = {
    "target": Recipe("target", 1.0, TARGET_MODEL.n_layers, TrainConfig(steps=250, batch=32)),
    "stoch-0.5": Recipe("stochastic", 0.5, 1, TrainConfig(steps=1500, batch=128, lr=2e-3)),
    "stoch-0.7": Recipe("stochastic", 0.7, 1, TrainConfig(steps=1500, batch=128, lr=2e-3)),
    "det-0.5": Recipe("deterministic", 0.5, 1, TrainConfig(steps=1500, batch=128, lr=2e-3)),
    "det-0.7": Recipe("deterministic", 0.7, 1, TrainConfig(steps=1500, batch=128, lr=2e-3)),
    "undistilled": Recipe("undistilled", 1.0, 1, TrainConfig(steps=0)),
}
DRAFTS = tuple(n for n in RECIPES if n != "target")


def recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise SpecDecodeError(f"Unknown time-series model {name!r}. Available: {', '.join(RECIPES)}")
    return RECIPES[name]


def model_config(name: str, geometry: Geometry, scale: float = 1.0) -> ModelConfig:
    """The ModelConfig of model `name` for a data set's geometry. `scale` shrinks every
    width (tests use tiny models: scale 0.125)."""
    r = recipe(name)
    base = replace(TARGET_MODEL, patch=geometry.patch,
                   max_patches=geometry.context + geometry.horizon)
    heads = base.n_heads if r.role in ("target", "undistilled") else DRAFT_HEADS
    width = _round(base.d_model * r.width * scale, heads)
    return replace(base, d_model=width, n_layers=r.n_layers, n_heads=heads,
                   variance="fixed" if r.role == "deterministic" else "learned",
                   arch="mlp" if r.role in ("stochastic", "deterministic") else "transformer",
                   window=geometry.context)


def _round(width: float, heads: int) -> int:
    """Nearest multiple of `heads` (attention needs d_model % heads == 0), at least heads."""
    return max(heads, int(round(width / heads)) * heads)
