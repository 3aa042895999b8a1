"""The dtype policy: which floating-point type each model runs in (`--dtype auto|fp32|bf16`).

Why a policy: on a CPU with native bf16 matmul (AMX / avx512_bf16) a bf16 model stays
memory-bound, so verifying 9 tokens costs about 1.1 single steps where fp32 costs 2-3;
on a CPU without it bf16 may be slower than fp32. Only a measurement on the machine at
hand can tell, so `auto` measures once per (machine, torch, device, threads, model) and
caches the decision in CACHE/dtype/KEY.json:

    t(n) = median seconds of an n-token call after a CONTEXT-token prefix (KV cache)
    cost(dtype) = t(1) + t(VERIFY_ROWS)     a target: one decode step plus one verify call
    cost(dtype) = t(1)                      a draft: its calls are single steps
    decision = bf16 if cost(bf16) < cost(fp32) else fp32

(Measured on the 2-core Xeon VM: the 0.5B draft takes 115 ms per step in fp32 and 155 ms
in bf16, while its 9-token call is 2x cheaper in bf16; a draft wants fp32 there.)

The decision (with its timings) goes into the run manifest. Exactness at T = 0 is then
against target-only in the same dtype (see analysis/exactness.py for near-ties).
The default for every command is $SPECDECODE_DTYPE, else `auto`.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import SpecDecodeError
from .hostinfo import cpuinfo_field

CHOICES = ("auto", "fp32", "bf16")
TORCH_NAMES = {"fp32": "float32", "bf16": "bfloat16", "float32": "float32", "bfloat16": "bfloat16"}
SHORT = {"float32": "fp32", "bfloat16": "bf16"}
ENV_VAR = "SPECDECODE_DTYPE"
CONTEXT, VERIFY_ROWS, REPEATS = 128, 9, 5
_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@dataclass(frozen=True)
class Decision:
    """What a model runs in and why: `source` is "asked" (fp32 / bf16 given), "measured"
    (auto, measured now), "cached" (auto, measured earlier on this machine) or "fixed"
    (the model's own meta decides: int8 weights load in fp32, models/quantize.py)."""

    dtype: str                      # torch name: float32 | bfloat16
    choice: str                     # what was asked: auto | fp32 | bf16
    source: str
    timings: dict = field(default_factory=dict)  # {fp32: {t1, tv}, bf16: {t1, tv}} seconds

    def to_json(self) -> dict:
        return asdict(self)


def default_choice() -> str:
    """$SPECDECODE_DTYPE when set (checked), else auto."""
    return check_choice(os.environ.get(ENV_VAR) or "auto", f"${ENV_VAR}")


def check_choice(choice: str, where: str = "--dtype") -> str:
    if choice not in CHOICES and choice not in TORCH_NAMES:
        raise SpecDecodeError(f"{where} {choice!r} is not a dtype; use one of {', '.join(CHOICES)}")
    return SHORT.get(choice, choice)


def check_supported(choice: str, device: str) -> None:
    """bf16 asked where it cannot run: a one-line error before any model loads."""
    if check_choice(choice) != "bf16":
        return
    import torch

    if device.startswith("cuda") and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        raise SpecDecodeError(f"--dtype bf16: {torch.cuda.get_device_name(0)} has no bf16 support; "
                              f"use --dtype fp32 or auto")
    if device == "cpu":
        try:
            a = torch.ones(4, 4, dtype=torch.bfloat16)
            (a @ a).sum().item()
        except RuntimeError as exc:
            raise SpecDecodeError(f"--dtype bf16: this torch build cannot run bf16 on the CPU "
                                  f"({str(exc).splitlines()[0][:80]}); use --dtype fp32 or auto") from None


def native_bf16() -> bool | None:
    """Whether the CPU advertises native bf16 matmul (Linux /proc/cpuinfo); None if unknown."""
    flags = cpuinfo_field("flags")
    return None if flags is None else any(f in flags.split() for f in _BF16_FLAGS)


ROLES = ("target", "draft")


def resolve(choice: str, spec: str, device: str = "cpu", role: str = "target") -> Decision:
    """The dtype model `spec` runs in, as `role`, under `choice` (auto: from timings
    cached for this machine, else measured now)."""
    choice = check_choice(choice)
    if choice != "auto":
        check_supported(choice, device)
        return Decision(TORCH_NAMES[choice], choice, "asked")
    path = _cache_file(spec, device)
    try:
        timings, source = json.loads(path.read_text())["timings"], "cached"
        float(timings["fp32"]["t1"]), float(timings["bf16"]["tv"])
    except (OSError, ValueError, KeyError, TypeError):
        print(f"dtype auto: measuring fp32 against bf16 for {spec} on this machine (once)",
              file=sys.stderr)
        timings = {short: _measure(spec, device, TORCH_NAMES[short]) for short in ("fp32", "bf16")}
        source = "measured"
        _write(path, {"timings": timings, "spec": spec, "machine": _machine(device)})
    return Decision(_pick(timings, role), "auto", source, timings)


def _pick(timings: dict, role: str) -> str:
    """bf16 when it is cheaper for what `role` calls the model for (see module doc)."""
    cost = {k: v["t1"] + (v["tv"] if role == "target" else 0.0) for k, v in timings.items()}
    return "bfloat16" if cost["bf16"] < cost["fp32"] else "float32"


def _measure(spec: str, device: str, dtype: str) -> dict:
    """{t1, tv}: median seconds of a 1-token and a VERIFY_ROWS-token call after CONTEXT
    tokens, the model loaded in `dtype`."""
    import torch

    from .models.loading import load_model

    from .models.wrapper import CausalLM

    lm = load_model(spec, device=device, dtype=dtype)
    if not isinstance(lm, CausalLM):
        return {"t1": 0.0, "tv": 0.0}  # a hidden-state draft: equal costs keep it in fp32
    gen = torch.Generator().manual_seed(0)
    ctx = torch.randint(0, lm.vocab_size, (CONTEXT,), generator=gen).tolist()
    times = {}
    for label, rows in (("t1", 1), ("tv", VERIFY_ROWS)):
        runs = []
        for _ in range(REPEATS + 1):  # the first run warms up and is dropped
            lm.reset()
            lm.forward(ctx)
            tail = torch.randint(0, lm.vocab_size, (rows,), generator=gen).tolist()
            start = time.perf_counter()
            lm.forward(tail)
            runs.append(time.perf_counter() - start)
        times[label] = round(statistics.median(runs[1:]), 6)
    del lm
    return times


def _machine(device: str) -> dict:
    import torch

    return {"cpu": cpuinfo_field("model name") or platform.processor() or platform.machine(),
            "torch": torch.__version__, "device": device, "threads": torch.get_num_threads(),
            "native_bf16": native_bf16()}


def _cache_file(spec: str, device: str) -> Path:
    from .zoo.cache import cache_root
    from .models.loading import fingerprint, resolve_path

    key = json.dumps({"machine": _machine(device), "model": fingerprint(resolve_path(spec))},
                     sort_keys=True)
    return cache_root() / "dtype" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
