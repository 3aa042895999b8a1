"""Exactness audit at T = 0: is a divergence from target-only a numerical near-tie or a
real mismatch?

In bf16 a (k+1)-row verify call and a 1-row decode step round differently, so greedy
decoding can pick another token where the target's top two logits are nearly equal.
At the first divergent position we recompute, with one fresh forward over prompt +
target-only output (no cache: neither call shape of the runs), the target's logit gap
between target-only's token and the method's token there. The divergence is numerical
only if |gap| is within the dtype's tolerance (REL_TOLERANCE x max |logit|); otherwise it
is a real mismatch: a bug. (A gap far below 0 means the method's token clearly beats the
recorded target-only token: the baseline's record is what is wrong, still not a near-tie.)

fp32 has tolerance 0: an fp32 run must be token-identical. The bf16 tolerance is
measured (bench/call_shape_rounding.py, docs/dtype.md): it bounds how far the margin between
two tokens moves between call shapes in bf16.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .analysis.exactness import first_diff

# tolerance = REL_TOLERANCE[dtype] x max |logit| of the row: bf16 keeps 8 significant
# bits (relative step 2^-8), and the two call shapes' rounding differences grow with the
# scale of the logits. The factor is measured (bench/call_shape_rounding.py, docs/dtype.md).
REL_TOLERANCE = {"float32": 0.0, "bfloat16": 8 * 2.0 ** -8}


@dataclass(frozen=True)
class Divergence:
    position: int         # index into the generated tokens of the first difference
    gap: float | None     # target's logit of target-only's token minus that of the method's
                          # token there, along the target-only path (None: the method ran on
                          # after target-only stopped)
    margin: float | None  # top1 - top2 logit at that row (the near-tie it would need)
    tolerance: float      # REL_TOLERANCE[dtype] x max |logit| of that row
    numerical: bool       # gap <= tolerance: a near-tie flipped by rounding

    def to_json(self) -> dict:
        return asdict(self)


def row_at(target, prompt_ids: list[int], reference: list[int], position: int):
    """The target's logits (V,) predicting reference[position] after prompt +
    reference[:position]: one uncached forward, in the target's own dtype."""
    import torch

    ids = torch.tensor([list(prompt_ids) + list(reference[:position])], device=target.device)
    with torch.no_grad():
        return target.model(ids, logits_to_keep=1).logits[0, -1].float().cpu()


def classify(target, prompt_ids: list[int], reference: list[int], output: list[int]) -> Divergence | None:
    """None when output == reference; else where they part and whether rounding explains it."""
    import torch

    position = first_diff(output, reference)
    if position is None:
        return None
    rel = REL_TOLERANCE.get(str(target.model.dtype).removeprefix("torch."), 0.0)
    if position >= min(len(reference), len(output)):  # one stopped (EOS) where the other ran on
        return Divergence(position, None, None, 0.0, False)
    row = row_at(target, prompt_ids, reference, position)
    gap = float(row[reference[position]] - row[output[position]])
    top = torch.topk(row, 2).values
    tolerance = rel * float(row.abs().max())
    return Divergence(position, round(gap, 6), round(float(top[0] - top[1]), 6), round(tolerance, 6),
                      abs(gap) <= tolerance)
