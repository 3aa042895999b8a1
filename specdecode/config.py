"""Frozen configuration dataclasses. Every knob lives here, validated on construction,
so a bad value fails with one line that names the fix before any model is loaded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import SpecDecodeError
from .inputs import check_float, check_int, check_seed, show

# Below this a positive temperature overflows float32 logits / T (use 0 for greedy).
MIN_TEMPERATURE = 1e-6
# Upper bound of --min-verify-rows / min_verify_rows: pads a 2..N-1-token target call to N rows.
MAX_VERIFY_ROWS = 64
# Upper bound of torch threads per worker (threads: 0 = torch's default).
MAX_THREADS = 1024


@dataclass(frozen=True)
class SamplingConfig:
    """How a distribution is drawn from logits; applied to target AND draft alike.
    temperature 0 means greedy (argmax); top_k 0 means no top-k cut."""

    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0

    def __post_init__(self):
        t = check_float(self.temperature, "temperature", lo=0, fix="use 0 for greedy")
        if 0 < t < MIN_TEMPERATURE:
            raise SpecDecodeError(f"temperature must be 0 or >= {MIN_TEMPERATURE} (got {t!r}): smaller values "
                                  "overflow the scaled logits; use 0 for greedy")
        object.__setattr__(self, "temperature", t)
        check_int(self.top_k, "top-k", lo=0, fix="use 0 to disable it")
        p = check_float(self.top_p, "top-p", lo=0, hi=1, lo_open=True, fix="use 1 to disable it")
        object.__setattr__(self, "top_p", p)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class GenerationConfig:
    """Stopping rules and the seed of one generation."""

    max_new_tokens: int = 128
    seed: int = 0
    stop_strings: tuple[str, ...] = ()
    stop_at_eos: bool = True

    def __post_init__(self):
        check_int(self.max_new_tokens, "max_new_tokens", lo=0, fix="use e.g. --max-new-tokens 128")
        check_seed(self.seed)
        stops = self.stop_strings
        if isinstance(stops, str) or not isinstance(stops, (tuple, list)):
            raise SpecDecodeError(f"stop strings must be a list of strings (got {show(stops)})")
        for stop in stops:
            if not isinstance(stop, str) or not stop:
                raise SpecDecodeError(f"a stop string must be a non-empty string (got {show(stop)}); "
                                      "drop the empty --stop")
        object.__setattr__(self, "stop_strings", tuple(stops))
        if not isinstance(self.stop_at_eos, bool):
            raise SpecDecodeError(f"stop_at_eos must be true or false (got {show(self.stop_at_eos)})")


@dataclass(frozen=True)
class MethodConfig:
    """A method = proposer + verifier + controller, each chosen by registry name, plus
    their parameters. `k` is the draft length the controller starts from: `fixed` keeps
    it, `confidence` never exceeds it, `heuristic` and `auto` move it (see controllers/).
    position_stats: record per-position statistics (entropies, KL, p(x), q(x)) in every
    cycle; off by default because they cost a softmax over the vocabulary per position."""

    proposer: str = "none"
    verifier: str = "auto"
    controller: str = "fixed"
    k: int = 4
    proposer_params: dict[str, Any] = field(default_factory=dict)
    verifier_params: dict[str, Any] = field(default_factory=dict)
    controller_params: dict[str, Any] = field(default_factory=dict)
    position_stats: bool = False

    def __post_init__(self):
        check_int(self.k, "k", lo=1, fix="use e.g. --k 4")
        for role in ("proposer", "verifier", "controller"):
            params = getattr(self, f"{role}_params")
            if not isinstance(params, dict):
                raise SpecDecodeError(f"{role}_params must be a mapping (got {show(params)})")
        if not isinstance(self.position_stats, bool):
            raise SpecDecodeError(f"position_stats must be true or false (got {show(self.position_stats)})")

    def files(self) -> dict[str, str]:
        """'role.param' -> the file or zoo id each file param (params.file_param) of the
        proposer, verifier and controller names, e.g. {"controller.head": "zoo:...-specdecpp"}:
        what the method reads besides its models, hashed into record keys by the bench."""
        from .controllers import CONTROLLERS
        from .params import file_fields
        from .proposers import PROPOSERS
        from .verifiers import VERIFIERS

        out = {}
        for role, registry in (("proposer", PROPOSERS), ("verifier", VERIFIERS), ("controller", CONTROLLERS)):
            cls = registry.get(getattr(self, role))
            for name, value in file_fields(cls.Params, getattr(self, f"{role}_params")).items():
                out[f"{role}.{name}"] = value
        return out
