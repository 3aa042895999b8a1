"""Benchmark configuration: a YAML file (or a named preset) -> frozen, validated dataclasses.

    target: zoo:smollm2-135m          # any model id the loader accepts
    draft: zoo:smollm2-135m-draft     # optional; needed by draft-model methods
    suites: [code, math]              # suite names or user JSONL paths
    n_prompts: 4                      # first n prompts of each suite's split
    repeats: 2                        # timed runs per item, interleaved across methods (median)
    methods:                          # name -> a loop method or a peer
      target-only: {proposer: none}
      draft-k4: {proposer: draft, k: 4}
      eagle-k4: {proposer: eagle, k: 4, draft: zoo:smollm2-135m-eagle}   # per-method draft
      lm-only: {proposer: draft, proposer_params: {copy: false}, verifier_params: {}}
      two-drafts: {proposer: some-cascade, models: {draft: A, draft2: B}}  # named models
      hf-assisted: {peer: hf-assisted, k: 4, params: {confidence_threshold: 0.0}}
    position_stats: false             # true: every cycle records per-position statistics
    scorers: {chat: agreement}        # optional: suite -> quality scorer (default: the suite's own)

Every error names the key and the allowed values, in one line.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..config import MAX_THREADS, MAX_VERIFY_ROWS, MIN_TEMPERATURE, MethodConfig
from ..errors import SpecDecodeError
from ..inputs import (check_distinct, check_float, check_int, check_model_path, check_seed, check_target_spec,
                      is_finite_number, is_int, read_text_file, show, warn)

# The shipped presets: every YAML file in specdecode/bench/presets (a new preset is one file).
PRESETS = tuple(sorted(f.name.removesuffix(".yaml") for f in resources.files("specdecode.bench.presets").iterdir()
                       if f.name.endswith(".yaml")))
MAX_REPEATS = 20   # timed generations per item; more is a typo, not a benchmark


@dataclass(frozen=True)
class MethodSpec:
    """One benchmarked method: either a loop method (proposer/verifier/controller) or a
    peer implementation (`peer: hf-greedy | hf-assisted | hf-prompt-lookup`).
    models: role -> model id given for this method (`draft:` is short for models.draft);
    roles it reads but does not name fall back to the config's `draft` for role draft."""

    name: str
    loop: MethodConfig | None = None
    peer: str | None = None
    peer_k: int | None = None
    peer_params: dict[str, Any] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        """The named models (besides the target) this method reads."""
        if self.loop is not None:
            from ..proposers import PROPOSERS

            return PROPOSERS.get(self.loop.proposer).model_roles
        from .peers import PEERS

        return PEERS.get(self.peer).model_roles

    @property
    def drafts(self) -> bool:
        """Whether the target verifies tokens it did not choose (target-only and HF greedy do not)."""
        if self.loop is not None:
            from ..proposers import PROPOSERS

            return PROPOSERS.get(self.loop.proposer).drafts
        from .peers import PEERS

        return PEERS.get(self.peer).takes_k

    @property
    def uses_draft(self) -> bool:
        return "draft" in self.roles

    def model_ids(self, default_draft: str | None) -> dict[str, str | None]:
        """role -> model id for every role this method reads (None: not given)."""
        return {r: self.models.get(r) or (default_draft if r == "draft" else None) for r in self.roles}

    def files(self) -> dict[str, str]:
        """'role.param' -> file or zoo id the loop method's components read (config.MethodConfig.files)."""
        return self.loop.files() if self.loop is not None else {}

    def draft_name(self, default: str | None) -> str | None:
        """The draft model this method runs with (None when it uses none)."""
        return self.model_ids(default).get("draft")

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
    repeats: int = 1           # timed generations per item (1..MAX_REPEATS), interleaved with the
                               # other methods of the prompt; analysis times it by their median
    threads: int = 0           # torch threads per worker; 0 = torch's default
    top_k: int = 0
    top_p: float = 1.0
    min_verify_rows: int = 1   # pad 2..N-1-token target calls to N rows (CPU BLAS quirk)
    position_stats: bool = False  # every loop method records per-position statistics
    dtype: str = "fp32"        # fp32 | bf16 | auto (dtypes.py: measured once per machine and model)
    # side-by-side ratios to print and report: {label, num, den, suite (or "all"), goal?}
    ratios: tuple[dict, ...] = ()
    # quality scorer per suite (as named in `suites`), overriding the suite's own scorer
    scorers: dict[str, str] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        """The target-only method (proposer none) the others are compared with: the first."""
        return next(m.name for m in self.methods if m.loop is not None and m.loop.proposer == "none")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["methods"] = {m.name: {**m.resolved(), "models": m.model_ids(self.draft)} for m in self.methods}
        return d


_LOOP_KEYS = {"proposer", "verifier", "controller", "k", "proposer_params", "verifier_params",
              "controller_params", "position_stats", "draft", "models", "params"}
_PEER_KEYS = {"peer", "k", "params", "draft", "models"}


def _method(name: str, raw: Any) -> MethodSpec:
    where = f"methods.{name}"
    if not isinstance(raw, dict):
        raise SpecDecodeError(f"{where} must be a mapping, e.g. {{proposer: draft, k: 4}}")
    if "peer" in raw:
        _no_unknown(raw, _PEER_KEYS, where)
        from .peers import make_peer  # the peer registry: name, k and params, one-line errors

        k, params = raw.get("k"), _mapping(raw.get("params"), f"{where}.params")
        try:
            make_peer(raw["peer"], k, params)
        except SpecDecodeError as exc:
            raise SpecDecodeError(f"{where}: {exc}") from None
        return MethodSpec(name, peer=raw["peer"], peer_k=k, peer_params=params, models=_models(raw, where))
    _no_unknown(raw, _LOOP_KEYS, where)
    try:
        stats = raw.get("position_stats", False)
        if not isinstance(stats, bool):
            raise SpecDecodeError(f"position_stats must be true or false (got {stats!r})")
        loop = MethodConfig(proposer=raw.get("proposer", "none"), verifier=raw.get("verifier", "auto"),
                            controller=raw.get("controller", "fixed"), k=raw.get("k", 4),
                            proposer_params=_proposer_params(raw, where),
                            verifier_params=_mapping(raw.get("verifier_params"), f"{where}.verifier_params"),
                            controller_params=_mapping(raw.get("controller_params"), f"{where}.controller_params"),
                            position_stats=stats)
        _registered(loop)
    except SpecDecodeError as exc:
        raise SpecDecodeError(f"{where}: {exc}") from None
    return MethodSpec(name, loop=loop, models=_models(raw, where))


def _registered(loop: MethodConfig) -> None:
    """An unknown proposer, verifier or controller name, reported under the method's name."""
    from ..controllers import CONTROLLERS
    from ..proposers import PROPOSERS
    from ..verifiers import VERIFIERS

    for registry, name in ((PROPOSERS, loop.proposer), (VERIFIERS, loop.verifier), (CONTROLLERS, loop.controller)):
        registry.get(name)


def _proposer_params(raw: dict, where: str) -> dict:
    """`proposer_params:`; the old key `params:` still works, with a deprecation note."""
    if "params" in raw:
        if "proposer_params" in raw:
            raise SpecDecodeError("give proposer_params only (params is its deprecated old name)")
        print(f"[config] {where}.params is deprecated; rename it to proposer_params", file=sys.stderr)
        return _mapping(raw["params"], f"{where}.params")
    return _mapping(raw.get("proposer_params"), f"{where}.proposer_params")


def _models(raw: dict, where: str) -> dict[str, str]:
    """Per-method named models: `models: {role: MODEL}` and the shorthand `draft: MODEL`."""
    models = _mapping(raw.get("models"), f"{where}.models")
    if raw.get("draft") is not None:
        models.setdefault("draft", raw["draft"])
    for role, value in models.items():
        if not isinstance(value, str):
            raise SpecDecodeError(f"{where}.models.{role} must be a model id such as zoo:smollm2-135m-eagle "
                                  f"(got {value!r})")
    return models


def _mapping(value, where) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecDecodeError(f"{where} must be a mapping (got {value!r})")
    return dict(value)


def _no_unknown(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed, key=str)  # YAML keys may be numbers, null, ...
    if unknown:
        raise SpecDecodeError(f"{where}: unknown key {show(unknown[0])}. Allowed: {', '.join(sorted(allowed))}")


def _typed(raw: dict, key: str, kind, default):
    value = raw.get(key, default)
    if kind is float and is_int(value) and is_finite_number(value):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SpecDecodeError(f"{key} must be {kind.__name__} (got {show(value)})")
    if kind is float and not is_finite_number(value):  # NaN / Infinity: no JSON record can hold them
        raise SpecDecodeError(f"{key} must be a finite number (got {show(value)})")
    return value


def _list(raw: dict, key: str, kind, default) -> tuple:
    value = raw.get(key, default)
    value = [value] if not isinstance(value, (list, tuple)) else value
    return tuple(_typed({key: v}, key, kind, None) for v in value)


def _dtype(raw: dict) -> str:
    from ..dtypes import check_choice

    return check_choice(_typed(raw, "dtype", str, "fp32"), "dtype:")


def from_dict(raw: dict) -> BenchConfig:
    fields = {f.name for f in dataclasses.fields(BenchConfig)}
    _no_unknown(raw, fields, "config")
    methods = raw.get("methods") or {}
    if not isinstance(methods, dict) or not methods:
        raise SpecDecodeError("methods: the grid is empty; define at least one method (e.g. target-only: {proposer: none})")
    for name in methods:
        if not isinstance(name, str) or not name:
            raise SpecDecodeError(f"methods: a method name must be a non-empty string (got {show(name)})")
    suites = _list(raw, "suites", str, [])
    temperatures = _list(raw, "temperatures", float, [0.0])
    cfg = BenchConfig(
        target=_typed(raw, "target", str, "zoo:smollm2-135m"),
        draft=raw.get("draft") if raw.get("draft") is None else _typed(raw, "draft", str, None),
        methods=tuple(_method(n, m) for n, m in methods.items()),
        suites=suites, split=_typed(raw, "split", str, "test"),
        n_prompts=_typed(raw, "n_prompts", int, 4), seeds=_list(raw, "seeds", int, [0]),
        temperatures=temperatures,
        max_new_tokens=_typed(raw, "max_new_tokens", int, 128), chat=_typed(raw, "chat", bool, True),
        warmup=_typed(raw, "warmup", int, 1), warmup_tokens=_typed(raw, "warmup_tokens", int, 16),
        repeats=_typed(raw, "repeats", int, 1),
        threads=_typed(raw, "threads", int, 0), top_k=_typed(raw, "top_k", int, 0),
        top_p=_typed(raw, "top_p", float, 1.0),
        min_verify_rows=_typed(raw, "min_verify_rows", int, 1),
        position_stats=_typed(raw, "position_stats", bool, False),
        dtype=_dtype(raw),
        ratios=_ratios(raw.get("ratios") or [], methods, temperatures),
        scorers=_scorers(raw.get("scorers"), suites),
    )
    if cfg.position_stats:
        cfg = dataclasses.replace(cfg, methods=tuple(_with_stats(m) for m in cfg.methods))
    _check_grid(cfg)
    _check_scorers(cfg)
    _check_methods(cfg)
    _warn_ignored(cfg)
    return cfg


def _with_stats(spec: MethodSpec) -> MethodSpec:
    if spec.loop is None:
        return spec
    return dataclasses.replace(spec, loop=dataclasses.replace(spec.loop, position_stats=True))


def _check_methods(cfg: BenchConfig) -> None:
    """Every loop method through the one resolver, at every temperature of the grid, so a
    combination that cannot run (e.g. the greedy verifier at T = 1) is one error up front."""
    from ..config import SamplingConfig
    from ..decoder import check_method

    for t in cfg.temperatures:
        sampling = SamplingConfig(t, cfg.top_k, cfg.top_p)
        for m in cfg.methods:
            if m.loop is None:
                continue
            try:
                check_method(m.loop, sampling)
            except SpecDecodeError as exc:
                raise SpecDecodeError(f"methods.{m.name} at temperature {t}: {exc}") from None


def _ratios(raw: list, methods: dict, temperatures: tuple[float, ...] = (0.0,)) -> tuple[dict, ...]:
    """Checked ratio specs; one without `temperature` is judged at the config's only
    temperature (a grid at T = 0.7 alone needs none), else at T = 0."""
    only = set(temperatures)
    t = only.pop() if len(only) == 1 else 0.0
    default_t = t if is_finite_number(t) and t >= 0 else 0.0  # a bad temperature is _check_grid's error
    if not isinstance(raw, (list, tuple)):
        raise SpecDecodeError(f"ratios must be a list of {{label, num, den, suite, goal}} (got {show(raw)})")
    out = []
    for i, spec in enumerate(raw):
        where = f"ratios[{i}]"
        if not isinstance(spec, dict):
            raise SpecDecodeError(f"{where} must be a mapping {{label, num, den, suite, goal}}")
        _no_unknown(spec, {"label", "num", "den", "suite", "goal", "temperature"}, where)
        for key in ("num", "den"):
            name = spec.get(key)
            if not isinstance(name, str) or name not in methods:
                raise SpecDecodeError(f"{where}.{key}: unknown method {show(name)}. "
                                      f"Available: {', '.join(map(str, methods))}")
        for key in ("label", "suite"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise SpecDecodeError(f"{where}.{key} must be a string (got {show(spec[key])})")
        goal = spec.get("goal")
        if goal is not None:
            goal = check_float(goal, f"{where}.goal", lo=0, lo_open=True,
                               fix="a goal is a speedup ratio such as 1.5 (or leave it out)")
        temperature = check_float(spec.get("temperature", default_t), f"{where}.temperature", lo=0,
                                  fix="use one of the config's temperatures")
        out.append({"label": spec.get("label") or f"{spec['num']} / {spec['den']}", "num": spec["num"],
                    "den": spec["den"], "suite": spec.get("suite") or "all", "goal": goal,
                    "temperature": temperature})
    return tuple(out)


def _scorers(raw, suites: tuple[str, ...]) -> dict[str, str]:
    """`scorers: {suite: scorer}`; each key one of `suites`, each value a scorer name."""
    from ..quality import SCORERS

    scorers = _mapping(raw, "scorers")
    for suite, name in scorers.items():
        if suite not in suites:
            raise SpecDecodeError(f"scorers: {show(suite)} is not one of the suites. "
                                  f"Available: {', '.join(suites) or '(none)'}")
        if not isinstance(name, str) or name not in SCORERS:
            raise SpecDecodeError(f"scorers.{suite}: unknown scorer {show(name)}. "
                                  f"Available: {', '.join(SCORERS.names())}")
    return scorers


def _check_scorers(cfg: BenchConfig) -> None:
    """Every overridden suite's items carry what its scorer needs (a reference, HumanEval
    meta), before any model loads; the suites' own scorers fit their items by design."""
    from ..quality import check_items
    from ..suites import load_suite

    for suite, scorer in cfg.scorers.items():
        check_items(suite, scorer, load_suite(suite, split=cfg.split, n=cfg.n_prompts).items)


def _check_grid(cfg: BenchConfig) -> None:
    for key in ("suites", "seeds", "temperatures"):
        if not getattr(cfg, key):
            raise SpecDecodeError(f"{key}: the grid is empty; give at least one value")
    _check_numbers(cfg)
    if not 1 <= cfg.repeats <= MAX_REPEATS:
        raise SpecDecodeError(f"repeats must be between 1 and {MAX_REPEATS} (got {cfg.repeats})")
    if cfg.split not in ("dev", "test"):
        raise SpecDecodeError(f"split: {cfg.split!r} is not allowed. Allowed: dev, test")
    for m in cfg.methods:
        missing = [r for r, mid in m.model_ids(cfg.draft).items() if not mid]
        if missing == ["draft"]:
            raise SpecDecodeError(f"draft: methods {m.name} need a draft model; set draft: MODEL "
                                  "(or a per-method draft: MODEL)")
        if missing:
            raise SpecDecodeError(f"methods.{m.name} needs models {', '.join(missing)}; "
                                  f"set models: {{{missing[0]}: MODEL}} in that method")
    if not any(m.loop is not None and m.loop.proposer == "none" for m in cfg.methods):
        raise SpecDecodeError("methods: no target-only baseline; add e.g. target-only: {proposer: none}")
    from ..suites import SUITES

    for s in cfg.suites:
        if s not in SUITES and not Path(s).suffix == ".jsonl":
            SUITES.get(s)  # raises: Unknown suite ... Available: ...
    _check_paths(cfg)


def _check_numbers(cfg: BenchConfig) -> None:
    """Every number of the config: an int where a count is meant (not a bool), finite, in
    range; each value of a sweep grid listed once. One line naming the key and the fix."""
    check_int(cfg.n_prompts, "n_prompts", lo=1, fix="use e.g. n_prompts: 4")
    check_int(cfg.max_new_tokens, "max_new_tokens", lo=1, fix="use e.g. max_new_tokens: 128")
    check_int(cfg.warmup, "warmup", lo=0, fix="use 0 for no warm-up generation")
    check_int(cfg.warmup_tokens, "warmup_tokens", lo=1, fix="use e.g. warmup_tokens: 16")
    check_int(cfg.threads, "threads", lo=0, hi=MAX_THREADS, fix="use 0 for torch's default")
    check_int(cfg.top_k, "top_k", lo=0, fix="use 0 to disable it")
    check_float(cfg.top_p, "top_p", lo=0, hi=1, lo_open=True, fix="use 1 to disable it")
    check_int(cfg.min_verify_rows, "min_verify_rows", lo=1, hi=MAX_VERIFY_ROWS, fix="use 1 for no padding, 4 on CPU")
    for seed in cfg.seeds:
        check_seed(seed, "seeds")
    for t in cfg.temperatures:
        check_float(t, "temperatures", lo=0, fix="use 0 for greedy")
        if 0 < t < MIN_TEMPERATURE:
            raise SpecDecodeError(f"temperatures must be 0 or >= {MIN_TEMPERATURE} (got {t!r}): smaller values "
                                  "overflow the scaled logits; use 0 for greedy")
    for key in ("suites", "seeds", "temperatures"):
        check_distinct(getattr(cfg, key), key)


def _check_paths(cfg: BenchConfig) -> None:
    """Local paths in the config, before any model loads: user suite files must be readable
    UTF-8 files, model paths readable directories (zoo:NAME and hub ids are left to the loader)."""
    from ..suites import SUITES

    for s in cfg.suites:
        if s not in SUITES:
            read_text_file(s, "suite file", fix="give an existing JSONL file or a built-in suite name")
    check_model_path(cfg.target, "target")
    check_target_spec(cfg.target, any(m.drafts for m in cfg.methods))  # not an int8 target
    if cfg.draft is not None:
        check_model_path(cfg.draft, "draft")
    for m in cfg.methods:
        for role, model in m.models.items():
            check_model_path(model, f"methods.{m.name}.models.{role}")


def _warn_ignored(cfg: BenchConfig) -> None:
    """Settings that are accepted but change nothing get one warning line each."""
    for m in cfg.methods:
        extra = sorted(set(m.models) - set(m.roles))
        if extra:
            reads = f"reads {', '.join(m.roles)}" if m.roles else "reads no model besides the target"
            warn(f"methods.{m.name}: {', '.join(extra)} ignored: it {reads}")
    if all(t == 0 for t in cfg.temperatures) and (cfg.top_k != 0 or cfg.top_p != 1):
        warn("top_k / top_p are ignored: every temperature is 0 (greedy)")
    peers = [m.name for m in cfg.methods if m.loop is None]
    if cfg.position_stats and peers:
        warn(f"position_stats: the peers {', '.join(peers)} record no per-position statistics")
    for r in cfg.ratios:
        if r["temperature"] not in cfg.temperatures:
            warn(f"ratio {r['label']!r} is at temperature {r['temperature']}, which the grid does not run "
                 f"(temperatures: {', '.join(map(str, cfg.temperatures))}); it will have no data")


def apply_override(raw: dict, item: str) -> None:
    """'methods.draft.k=6' -> raw['methods']['draft']['k'] = 6 (value parsed as YAML)."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise SpecDecodeError(f"bad --set {item!r}; use KEY.PATH=VALUE, e.g. methods.draft.k=6")
    parts = key.split(".")
    methods = raw.get("methods") if isinstance(raw.get("methods"), dict) else {}
    if parts[0] == "methods" and len(parts) > 2 and parts[1] not in methods:
        raise SpecDecodeError(
            f"bad --set {item!r}: unknown method {parts[1]!r}. Available: {', '.join(map(str, methods))}"
        )
    node = raw
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise SpecDecodeError(f"bad --set {item!r}: {part!r} is not a mapping")
        node = child
    try:
        node[parts[-1]] = yaml.safe_load(value)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. a date such as 2020-13-45
        raise SpecDecodeError(f"bad --set {item!r}: the value is not valid YAML ({_first_line(exc)}); "
                              f"quote text values, e.g. {key}='text'") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_raw(preset_or_path: str, _chain: tuple[str, ...] = ()) -> dict:
    """The config's mapping; `extends: BASE` (a preset name or a YAML path, relative to the
    extending file's folder) starts from BASE's mapping and replaces its top-level keys with
    this file's, e.g. a preset that is another with more prompts."""
    raw = _read_raw(preset_or_path)
    if "extends" not in raw:
        return raw
    base = raw.pop("extends")
    if not isinstance(base, str) or not base:
        raise SpecDecodeError(f"config {preset_or_path!r}: extends must be a preset name or a YAML path "
                              f"(got {show(base)})")
    if base not in PRESETS and preset_or_path not in PRESETS and not Path(base).is_absolute():
        base = str(Path(preset_or_path).parent / base)
    if base in _chain + (preset_or_path,):
        raise SpecDecodeError(f"config {preset_or_path!r}: extends {base!r} loops back to itself; "
                              f"remove one of the extends: lines")
    return {**load_raw(base, _chain + (preset_or_path,)), **raw}


def _read_raw(preset_or_path: str) -> dict:
    if preset_or_path in PRESETS:
        text = resources.files("specdecode.bench.presets").joinpath(f"{preset_or_path}.yaml").read_text()
    else:
        path = Path(preset_or_path)
        if not path.exists():
            raise SpecDecodeError(
                f"config {preset_or_path!r} is neither a preset ({', '.join(PRESETS)}) nor an existing YAML file"
            )
        text = read_text_file(path, "config file")  # a directory, unreadable, binary, not UTF-8
    try:
        raw = yaml.safe_load(text) or {}
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. a date such as 2020-13-45
        raise SpecDecodeError(f"config {preset_or_path!r} is not valid YAML: {_first_line(exc)}") from None
    except RecursionError:
        raise SpecDecodeError(f"config {preset_or_path!r} nests too deeply to be a config") from None
    if not isinstance(raw, dict):
        raise SpecDecodeError(f"config {preset_or_path!r} must be a YAML mapping")
    return raw


def select_methods(raw: dict, names: list[str]) -> None:
    """Keep only the named methods (the baseline must be among them to get speedups)."""
    methods = raw.get("methods") if isinstance(raw.get("methods"), dict) else {}
    for name in names:
        if name not in methods:
            raise SpecDecodeError(f"unknown method {name!r}. Available: {', '.join(map(str, methods))}")
    raw["methods"] = {n: m for n, m in methods.items() if n in names}
    ratios = raw.get("ratios") or []
    if isinstance(ratios, list):  # anything else is reported by from_dict
        raw["ratios"] = [r for r in ratios if not isinstance(r, dict)
                         or (r.get("num") in names and r.get("den") in names)]


def load_config(preset_or_path: str = "quick", overrides: list[str] = (),
                methods: list[str] | None = None) -> BenchConfig:
    raw = load_raw(preset_or_path)
    for item in overrides:
        apply_override(raw, item)
    if methods:
        select_methods(raw, methods)
    return from_dict(raw)
