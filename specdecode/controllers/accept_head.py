"""The SpecDec++ acceptance head (2405.19715): a logistic regression on features of the
draft at the position it just drafted, predicting P(the target accepts that token).

Features, (F,) = (d + 2,): the draft's post-norm last hidden state (d,), its top
probability and its entropy (nats) over the target's vocabulary (untempered softmax of
the raw draft logits, so the same at every temperature). The head is stored as
HEAD_WEIGHTS (safetensors: weight (F,), bias (1,), mean (F,), scale (F,); the features
are standardised with mean / scale before the dot product) and HEAD_META (JSON: hidden
size, feature names, the training summary). It is built by training/accept_head.py and
cached as a zoo entry (zoo:*-specdecpp); this module only reads it.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import SpecDecodeError

HEAD_WEIGHTS = "accept_head.safetensors"
HEAD_META = "accept_head.json"
FEATURES = ("hidden[0..d)", "top_prob", "entropy")


def confidence_features(logits: torch.Tensor) -> torch.Tensor:
    """logits (..., V) raw -> (..., 2): top probability and entropy (nats)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    p = logp.exp()
    entropy = -(p * logp).nan_to_num().sum(-1)  # -inf logits (ids the draft lacks) add 0
    return torch.stack([p.max(-1).values, entropy], dim=-1)


def head_features(logits: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """logits (..., V), hidden (..., d) -> (..., d + 2)."""
    return torch.cat([hidden.float(), confidence_features(logits)], dim=-1)


@dataclass(frozen=True)
class AcceptHead:
    weight: torch.Tensor   # (F,)
    bias: float
    mean: torch.Tensor     # (F,)
    scale: torch.Tensor    # (F,)
    hidden_size: int
    source: str            # where it was loaded from, for error messages

    def prob(self, logits: torch.Tensor, hidden: torch.Tensor | None) -> float:
        """P(accept) of the token just drafted; logits (V,), hidden (d,)."""
        if hidden is None:
            raise SpecDecodeError(f"specdecpp head {self.source} reads the draft's hidden state, but this "
                                  "proposer gives none; use --proposer draft (or controller_params head: '')")
        if hidden.shape[-1] != self.hidden_size:
            raise SpecDecodeError(f"specdecpp head {self.source} was trained on a draft with hidden size "
                                  f"{self.hidden_size}, this draft's is {hidden.shape[-1]}; "
                                  "use the head built for this draft")
        x = (head_features(logits, hidden) - self.mean) / self.scale
        return float(torch.sigmoid(x @ self.weight + self.bias))


def save_head(out_dir: Path, weight, bias: float, mean, scale, meta: dict) -> None:
    from safetensors.torch import save_file

    tensors = {"weight": torch.as_tensor(weight, dtype=torch.float32).contiguous(),
               "bias": torch.tensor([float(bias)]),
               "mean": torch.as_tensor(mean, dtype=torch.float32).contiguous(),
               "scale": torch.as_tensor(scale, dtype=torch.float32).contiguous()}
    save_file(tensors, str(Path(out_dir) / HEAD_WEIGHTS))
    (Path(out_dir) / HEAD_META).write_text(json.dumps({"features": FEATURES, **meta}, indent=1))


@functools.lru_cache(maxsize=8)
def load_head(spec: str) -> AcceptHead:
    """A head by zoo id (`zoo:NAME`, built on first use like any zoo entry) or directory.
    Cached per process: a controller is built per generation, the head read once."""
    from safetensors.torch import load_file

    from ..zoo import local_path

    where = Path(local_path(spec))
    if not (where / HEAD_WEIGHTS).is_file():
        raise SpecDecodeError(f"specdecpp head {spec}: no {HEAD_WEIGHTS} in {where}; "
                              "give a zoo:*-specdecpp entry (see `specdecode zoo list`) or its directory")
    t = load_file(str(where / HEAD_WEIGHTS))
    meta = json.loads((where / HEAD_META).read_text())
    return AcceptHead(t["weight"], float(t["bias"][0]), t["mean"], t["scale"].clamp_min(1e-6),
                      int(meta["hidden_size"]), spec)
