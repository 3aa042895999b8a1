"""The `ts bench` configuration: frozen dataclasses read from YAML (presets/*.yaml or a
user file), every value checked with a one-line error.

    name: default
    datasets: [co2, sunspots, macrodata, seattle-temps]
    windows: 16            # test windows per data set
    seeds: [0]
    threads: 1             # torch threads (1: stable timings on a shared CPU)
    draft: stoch-0.5       # the draft of the grid
    grid: {sigma: [...], bias: [...], mse_tol: [...], k: [...]}   # the full product, rule gaussian
    extra:                 # more rows: any rule / draft / controller, one setting each
      - {draft: det-0.5, sigma: 1, k: 3}
      - {controller: adaptive, sigma: 1, k: 3, params: {sigma_min: 1.0, sigma_max: 1.0}}

Baselines are added for every sigma that appears: target-only, and draft-only with each
draft used. A setting is one `Method`; its resolved fields go into every record.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SpecDecodeError
from ..inputs import check_float, check_int, is_int
from ..params import build_params
from .controllers import TS_CONTROLLERS
from .data import DATASETS
from .recipes import DRAFTS
from .rules import RULES


@dataclass(frozen=True)
class Method:
    rule: str = "gaussian"
    draft: str | None = "stoch-0.5"
    sigma: float = 1.0
    bias: float = 1.0
    mse_tol: float = 0.0
    k: int = 3
    controller: str = "fixed"
    params: tuple[tuple[str, Any], ...] = ()    # controller params, sorted items

    def __post_init__(self):
        check_float(self.sigma, "sigma", lo=0, lo_open=True, fix="use sigma > 0")
        check_int(self.k, "k", lo=1, fix="use k >= 1")
        RULES.get(self.rule)
        TS_CONTROLLERS.get(self.controller)
        if self.draft is not None and self.draft not in DRAFTS:
            raise SpecDecodeError(f"Unknown draft {self.draft!r}. Available: {', '.join(DRAFTS)}")
        self.make_rule(), self.make_controller()   # parameter errors surface now

    @property
    def name(self) -> str:
        if self.rule == "target-only":
            return f"target-only s={self.sigma:g}"
        if self.rule == "draft-only":
            return f"draft-only/{self.draft} s={self.sigma:g}"
        ctl = "" if self.controller == "fixed" else f" {self.controller}"
        return (f"{self.rule}/{self.draft}{ctl} s={self.sigma:g} b={self.bias:g} "
                f"tol={self.mse_tol:g} k={self.k}")

    def make_rule(self):
        cls = RULES.get(self.rule)
        values = {"bias": self.bias, "mse_tol": self.mse_tol} if self.rule in ("gaussian", "stride-resample") else {}
        return cls(build_params(cls.Params, values, f"rule {self.rule!r}"))

    def make_controller(self):
        cls = TS_CONTROLLERS.get(self.controller)
        return cls(build_params(cls.Params, dict(self.params), f"controller {self.controller!r}"),
                   self.k, self.sigma)

    def config(self) -> dict[str, Any]:
        """method_config of the records; proposer 'none' marks the baseline."""
        return {"proposer": "none" if self.rule == "target-only" else self.draft,
                "rule": self.rule, "sigma": self.sigma, "bias": self.bias, "mse_tol": self.mse_tol,
                "k": self.k, "controller": self.controller, "params": dict(self.params)}


@dataclass(frozen=True)
class BenchConfig:
    name: str
    datasets: tuple[str, ...]
    windows: int = 16
    seeds: tuple[int, ...] = (0,)
    threads: int = 1
    methods: tuple[Method, ...] = field(default_factory=tuple)


GRID_KEYS = ("sigma", "bias", "mse_tol", "k")
TOP_KEYS = {"name", "datasets", "windows", "seeds", "threads", "draft", "grid", "extra"}


def _method(raw: dict, draft: str, where: str) -> Method:
    if not isinstance(raw, dict):
        raise SpecDecodeError(f"{where} must be a mapping like {{sigma: 1, k: 3}}")
    allowed = {"rule", "draft", "sigma", "bias", "mse_tol", "k", "controller", "params"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecDecodeError(f"{where}: unknown key {unknown[0]!r}. Allowed: {', '.join(sorted(allowed))}")
    raw = {"draft": draft, **raw}
    params = raw.pop("params", None) or {}
    if not isinstance(params, dict):
        raise SpecDecodeError(f"{where}: params must be a mapping")
    for key in ("sigma", "bias", "mse_tol"):
        if key in raw and is_int(raw[key]):
            raw[key] = float(raw[key])
    return Method(**raw, params=tuple(sorted(params.items())))


def _grid(grid: dict, draft: str) -> list[Method]:
    if not isinstance(grid, dict) or set(grid) - set(GRID_KEYS):
        raise SpecDecodeError(f"grid must map some of {', '.join(GRID_KEYS)} to lists of values")
    axes = [[*v] if isinstance(v, list) else [v] for v in (grid.get(k, [d]) for k, d in
                                                            zip(GRID_KEYS, (1.0, 1.0, 0.0, 3)))]
    return [_method(dict(zip(GRID_KEYS, combo)), draft, f"grid point {combo}")
            for combo in itertools.product(*axes)]


def _baselines(methods: list[Method]) -> list[Method]:
    sigmas = sorted({m.sigma for m in methods})
    drafts = sorted({m.draft for m in methods if m.draft})
    out = [Method(rule="target-only", draft=None, sigma=s) for s in sigmas]
    return out + [Method(rule="draft-only", draft=d, sigma=s) for d in drafts for s in sigmas]


def from_dict(raw: dict, where: str) -> BenchConfig:
    if not isinstance(raw, dict):
        raise SpecDecodeError(f"{where}: not a mapping; see specdecode/timeseries/presets/default.yaml")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise SpecDecodeError(f"{where}: unknown key {unknown[0]!r}. Allowed: {', '.join(sorted(TOP_KEYS))}")
    datasets = tuple(raw.get("datasets") or DATASETS.names())
    for d in datasets:
        DATASETS.get(d)
    draft = raw.get("draft", "stoch-0.5")
    methods = _grid(raw["grid"], draft) if "grid" in raw else []
    methods += [_method(e, draft, f"{where}: extra[{i}]") for i, e in enumerate(raw.get("extra") or [])]
    if not methods:
        raise SpecDecodeError(f"{where}: no methods; give a `grid` or `extra` list")
    methods = list(dict.fromkeys(_baselines(methods) + methods))
    return BenchConfig(name=str(raw.get("name", Path(where).stem)), datasets=datasets,
                       windows=check_int(raw.get("windows", 16), "windows", lo=1),
                       seeds=tuple(check_int(s, "seed", lo=0) for s in raw.get("seeds", [0])),
                       threads=check_int(raw.get("threads", 1), "threads", lo=1),
                       methods=tuple(methods))


def preset_path(name: str) -> Path:
    path = Path(str(resources.files("specdecode.timeseries") / "presets" / f"{name}.yaml"))
    if not path.exists():
        names = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise SpecDecodeError(f"Unknown ts preset {name!r}. Available: {', '.join(names)} (or a YAML path)")
    return path


def load_config(spec: str) -> BenchConfig:
    """A preset name (default, smoke) or a YAML file path."""
    import yaml

    from ..inputs import read_text_file

    path = Path(spec) if spec.endswith((".yaml", ".yml")) else preset_path(spec)
    text = read_text_file(path, "ts bench config", "give a preset name or a YAML file")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SpecDecodeError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:120]})") from None
    return from_dict(raw, str(path))
