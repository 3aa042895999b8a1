"""Benchmark configuration: a YAML file (or a named preset) -> frozen, validated dataclasses.

    target: zoo:smollm2-135m          # any model id the loader accepts
    draft: zoo:smollm2-135m-draft     # optional; needed by draft-model methods
    suites: [code, math]              # suite names or user JSONL paths
    n_prompts: 4                      # first n prompts of each suite's split
    methods:                          # name -> a loop method or a peer
      target-only: {proposer: none}
      draft-k4: {proposer: draft, k: 4}
      eagle-k4: {proposer: eagle, k: 4, draft: zoo:smollm2-135m-eagle}   # per-method draft
      hf-assisted: {peer: hf-assisted, k: 4, params: {confidence_threshold: 0.0}}

Every error names the key and the allowed values, in one line.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..config import MethodConfig
from ..errors import SpecDecodeError

PRESETS = ("quick", "full", "smoke")


@dataclass(frozen=True)
class MethodSpec:
    """One benchmarked method: either a loop method (proposer/verifier/controller) or a
    peer implementation (`peer: hf-greedy | hf-assisted | hf-prompt-lookup`)."""

    name: str
    loop: MethodConfig | None = None
    peer: str | None = None
    peer_k: int | None = None
    peer_params: dict[str, Any] = field(default_factory=dict)
    draft: str | None = None  # this method's draft model; None = the config's `draft`

    @property
    def uses_draft(self) -> bool:
        if self.loop is not None:
            from ..proposers import PROPOSERS

            return PROPOSERS.get(self.loop.proposer).needs_draft_model
        return self.peer == "hf-assisted"

    def draft_name(self, default: str | None) -> str | None:
        """The draft model this method runs with (None when it uses none)."""
        return (self.draft or default) if self.uses_draft else None

    def resolved(self) -> dict:
        """The fully resolved method, as stored in every record and hashed into its key."""
        if self.loop is not None:
            return {"kind": "loop", **dataclasses.asdict(self.loop)}
        return {"kind": "peer", "peer": self.peer, "k": self.peer_k, "params": dict(self.peer_params)}


@dataclass(frozen=True)
class BenchConfig:
    target: str
    methods: tuple[MethodSpec, ...]
    suites: tuple[str, ...]
    draft: str | None = None
    split: str = "test"
    n_prompts: int = 4
    seeds: tuple[int, ...] = (0,)
    temperatures: tuple[float, ...] = (0.0,)
    max_new_tokens: int = 128
    chat: bool = True
    warmup: int = 1            # warm-up generations per method (stage 0, not recorded)
    warmup_tokens: int = 16
    threads: int = 0           # torch threads per worker; 0 = torch's default
    top_k: int = 0
    top_p: float = 1.0
    min_verify_rows: int = 1   # pad 2..N-1-token target calls to N rows (CPU BLAS quirk)
    # side-by-side ratios to print and report: {label, num, den, suite (or "all"), goal?}
    ratios: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["methods"] = {m.name: {**m.resolved(), "draft": m.draft_name(self.draft)} for m in self.methods}
        return d


_LOOP_KEYS = {"proposer", "verifier", "controller", "k", "params", "controller_params", "draft"}
_PEER_KEYS = {"peer", "k", "params", "draft"}
PEER_NAMES = ("hf-greedy", "hf-assisted", "hf-prompt-lookup")


def _method(name: str, raw: Any) -> MethodSpec:
    where = f"methods.{name}"
    if not isinstance(raw, dict):
        raise SpecDecodeError(f"{where} must be a mapping, e.g. {{proposer: draft, k: 4}}")
    if "peer" in raw:
        _no_unknown(raw, _PEER_KEYS, where)
        if raw["peer"] not in PEER_NAMES:
            raise SpecDecodeError(f"{where}.peer: unknown peer {raw['peer']!r}. Allowed: {', '.join(PEER_NAMES)}")
        k = raw.get("k")
        if k is not None and (not isinstance(k, int) or k < 1):
            raise SpecDecodeError(f"{where}.k must be an integer >= 1 (got {k!r})")
        return MethodSpec(name, peer=raw["peer"], peer_k=k, peer_params=_mapping(raw.get("params"), f"{where}.params"),
                          draft=_draft(raw, where))
    _no_unknown(raw, _LOOP_KEYS, where)
    try:
        loop = MethodConfig(proposer=raw.get("proposer", "none"), verifier=raw.get("verifier", "auto"),
                            controller=raw.get("controller", "fixed"), k=raw.get("k", 4),
                            proposer_params=_mapping(raw.get("params"), f"{where}.params"),
                            controller_params=_mapping(raw.get("controller_params"), f"{where}.controller_params"))
        from ..config import SamplingConfig
        from ..decoder import check_method

        check_method(loop, SamplingConfig())
    except SpecDecodeError as exc:
        raise SpecDecodeError(f"{where}: {exc}") from None
    return MethodSpec(name, loop=loop, draft=_draft(raw, where))


def _draft(raw: dict, where: str) -> str | None:
    value = raw.get("draft")
    if value is not None and not isinstance(value, str):
        raise SpecDecodeError(f"{where}.draft must be a model id such as zoo:smollm2-135m-eagle (got {value!r})")
    return value


def _mapping(value, where) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecDecodeError(f"{where} must be a mapping (got {value!r})")
    return dict(value)


def _no_unknown(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecDecodeError(f"{where}: unknown key {unknown[0]!r}. Allowed: {', '.join(sorted(allowed))}")


def _typed(raw: dict, key: str, kind, default):
    value = raw.get(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SpecDecodeError(f"{key} must be {kind.__name__} (got {value!r})")
    return value


def _list(raw: dict, key: str, kind, default) -> tuple:
    value = raw.get(key, default)
    value = [value] if not isinstance(value, (list, tuple)) else value
    return tuple(_typed({key: v}, key, kind, None) for v in value)


def from_dict(raw: dict) -> BenchConfig:
    fields = {f.name for f in dataclasses.fields(BenchConfig)}
    _no_unknown(raw, fields, "config")
    methods = raw.get("methods") or {}
    if not isinstance(methods, dict) or not methods:
        raise SpecDecodeError("methods: the grid is empty; define at least one method (e.g. target-only: {proposer: none})")
    suites = _list(raw, "suites", str, [])
    cfg = BenchConfig(
        target=_typed(raw, "target", str, "zoo:smollm2-135m"),
        draft=raw.get("draft") if raw.get("draft") is None else _typed(raw, "draft", str, None),
        methods=tuple(_method(n, m) for n, m in methods.items()),
        suites=suites, split=_typed(raw, "split", str, "test"),
        n_prompts=_typed(raw, "n_prompts", int, 4), seeds=_list(raw, "seeds", int, [0]),
        temperatures=_list(raw, "temperatures", float, [0.0]),
        max_new_tokens=_typed(raw, "max_new_tokens", int, 128), chat=_typed(raw, "chat", bool, True),
        warmup=_typed(raw, "warmup", int, 1), warmup_tokens=_typed(raw, "warmup_tokens", int, 16),
        threads=_typed(raw, "threads", int, 0), top_k=_typed(raw, "top_k", int, 0),
        top_p=_typed(raw, "top_p", float, 1.0),
        min_verify_rows=_typed(raw, "min_verify_rows", int, 1),
        ratios=_ratios(raw.get("ratios") or [], methods),
    )
    _check_grid(cfg)
    return cfg


def _ratios(raw: list, methods: dict) -> tuple[dict, ...]:
    out = []
    for i, spec in enumerate(raw):
        where = f"ratios[{i}]"
        if not isinstance(spec, dict):
            raise SpecDecodeError(f"{where} must be a mapping {{label, num, den, suite, goal}}")
        _no_unknown(spec, {"label", "num", "den", "suite", "goal", "temperature"}, where)
        for key in ("num", "den"):
            if spec.get(key) not in methods:
                raise SpecDecodeError(f"{where}.{key}: unknown method {spec.get(key)!r}. Available: {', '.join(methods)}")
        goal = spec.get("goal")
        out.append({"label": str(spec.get("label") or f"{spec['num']} / {spec['den']}"), "num": spec["num"],
                    "den": spec["den"], "suite": str(spec.get("suite", "all")),
                    "goal": None if goal is None else float(goal),
                    "temperature": float(spec.get("temperature", 0.0))})
    return tuple(out)


def _check_grid(cfg: BenchConfig) -> None:
    for key in ("suites", "seeds", "temperatures"):
        if not getattr(cfg, key):
            raise SpecDecodeError(f"{key}: the grid is empty; give at least one value")
    if cfg.n_prompts < 1 or cfg.max_new_tokens < 1:
        raise SpecDecodeError("n_prompts and max_new_tokens must be >= 1")
    if any(t < 0 for t in cfg.temperatures):
        raise SpecDecodeError("temperatures must be >= 0")
    if cfg.split not in ("dev", "test"):
        raise SpecDecodeError(f"split: {cfg.split!r} is not allowed. Allowed: dev, test")
    users = [m.name for m in cfg.methods if m.uses_draft and not m.draft_name(cfg.draft)]
    if users:
        raise SpecDecodeError(f"draft: methods {', '.join(users)} need a draft model; set draft: MODEL "
                              "(or a per-method draft: MODEL)")
    if not any(m.loop is not None and m.loop.proposer == "none" for m in cfg.methods):
        raise SpecDecodeError("methods: no target-only baseline; add e.g. target-only: {proposer: none}")
    from ..suites import SUITES

    for s in cfg.suites:
        if s not in SUITES and not Path(s).suffix == ".jsonl":
            SUITES.get(s)  # raises: Unknown suite ... Available: ...


def apply_override(raw: dict, item: str) -> None:
    """'methods.draft.k=6' -> raw['methods']['draft']['k'] = 6 (value parsed as YAML)."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise SpecDecodeError(f"bad --set {item!r}; use KEY.PATH=VALUE, e.g. methods.draft.k=6")
    parts = key.split(".")
    methods = raw.get("methods") or {}
    if parts[0] == "methods" and len(parts) > 2 and parts[1] not in methods:
        raise SpecDecodeError(
            f"bad --set {item!r}: unknown method {parts[1]!r}. Available: {', '.join(methods)}"
        )
    node = raw
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise SpecDecodeError(f"bad --set {item!r}: {part!r} is not a mapping")
        node = child
    node[parts[-1]] = yaml.safe_load(value)


def load_raw(preset_or_path: str) -> dict:
    if preset_or_path in PRESETS:
        text = resources.files("specdecode.bench.presets").joinpath(f"{preset_or_path}.yaml").read_text()
    else:
        path = Path(preset_or_path)
        if not path.exists():
            raise SpecDecodeError(
                f"config {preset_or_path!r} is neither a preset ({', '.join(PRESETS)}) nor an existing YAML file"
            )
        text = path.read_text()
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SpecDecodeError(f"config {preset_or_path!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise SpecDecodeError(f"config {preset_or_path!r} must be a YAML mapping")
    return raw


def select_methods(raw: dict, names: list[str]) -> None:
    """Keep only the named methods (the baseline must be among them to get speedups)."""
    methods = raw.get("methods") or {}
    for name in names:
        if name not in methods:
            raise SpecDecodeError(f"unknown method {name!r}. Available: {', '.join(methods)}")
    raw["methods"] = {n: m for n, m in methods.items() if n in names}
    raw["ratios"] = [r for r in raw.get("ratios") or [] if r.get("num") in names and r.get("den") in names]


def load_config(preset_or_path: str = "quick", overrides: list[str] = (),
                methods: list[str] | None = None) -> BenchConfig:
    raw = load_raw(preset_or_path)
    for item in overrides:
        apply_override(raw, item)
    if methods:
        select_methods(raw, methods)
    return from_dict(raw)
