"""The time-series model cache, built like the zoo (specdecode/zoo/cache.py): one
directory per (data set, model), a manifest with the recipe hash, file hashes checked on
load (zoo/integrity.py), an fcntl lock per entry, and an atomic rename into place.

Layout under the cache root ($SPECDECODE_CACHE, else the user cache dir + /specdecode):
    ts/DATASET/NAME[@SCALE-STEPS]/   model.safetensors, config.json, zoo-manifest.json
    ts/.tmp/...                      builds in progress
    ts/.locks/DATASET-NAME.lock

The recipe hash covers the recipe, the model shape, the data (Series.version: values and
geometry), the build options and seed, and (drafts) the target's weights hash: a draft is
rebuilt when its target changes.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from ..errors import SpecDecodeError
from ..zoo import integrity as ig
from ..zoo.cache import build_lock, cache_root
from . import recipes, train
from .data import Series, training_crops
from .model import ModelConfig, PatchForecaster, build_model, parameter_count

FORMAT = 1
WEIGHTS, CONFIG = "model.safetensors", "config.json"


@dataclass(frozen=True)
class BuildOptions:
    scale: float = 1.0         # width multiplier (tests: tiny models)
    steps: int | None = None   # overrides every recipe's training steps (tests)
    seed: int = 0

    @property
    def suffix(self) -> str:
        return "" if (self.scale, self.steps) == (1.0, None) else f"@{self.scale:g}-{self.steps}"


def entry_dir(series: Series, name: str, opts: BuildOptions) -> Path:
    return cache_root() / "ts" / series.name / (name + opts.suffix)


def _train_cfg(name: str, opts: BuildOptions) -> recipes.TrainConfig:
    cfg = recipes.recipe(name).train
    if opts.steps is None or cfg.steps == 0:
        return cfg
    return dataclasses.replace(cfg, steps=opts.steps, warmup=min(cfg.warmup, opts.steps))


def recipe_hash(series: Series, name: str, opts: BuildOptions, deps: dict[str, str]) -> str:
    payload = {"format": FORMAT, "recipe": dataclasses.asdict(recipes.recipe(name)),
               "train": dataclasses.asdict(_train_cfg(name, opts)),
               "model": dataclasses.asdict(recipes.model_config(name, series.geometry, opts.scale)),
               "data": series.version(), "options": dataclasses.asdict(opts), "deps": deps}
    if name != "target":   # the distillation set's recipe
        payload["distill"] = {"max": train.DISTILL_MAX, "sigma_range": train.SIGMA_RANGE,
                              "rollout": train.ROLLOUT_SHARE, "loss": train.DISTILL_LOSS}
    return ig.canonical_sha256(payload)


def _deps(series: Series, name: str, opts: BuildOptions, build: bool) -> dict[str, str]:
    if name == "target":
        return {}
    resolve(series, "target", opts, build)
    return {"target": ig.read_json(entry_dir(series, "target", opts) / ig.MANIFEST)["weights_hash"]}


def _problem(path: Path, want_hash: str) -> str | None:
    manifest = ig.read_json(path / ig.MANIFEST)
    if manifest is None:
        return "is not built"
    if manifest.get("recipe_hash") != want_hash:
        return "recipe, data or target changed"
    corrupt = ig.find_corruption(path, manifest["files"])
    return None if corrupt is None else f"cache corrupted ({corrupt})"


def resolve(series: Series, name: str, opts: BuildOptions = BuildOptions(), build: bool = True,
            force: bool = False) -> Path:
    """The built directory of model `name` for `series`; builds (target first) when
    missing, stale or corrupt. build=False raises instead of building."""
    deps = _deps(series, name, opts, build)
    want = recipe_hash(series, name, opts, deps)
    path = entry_dir(series, name, opts)
    with _locked(f"{series.name}-{name}{opts.suffix}"):
        problem = "forced rebuild" if force else _problem(path, want)
        if problem is None:
            return path
        if not build:
            raise SpecDecodeError(f"ts model {series.name}/{name} {problem}; run "
                                  f"`specdecode ts build --data {series.name}`")
        _build(series, name, opts, deps, want, path)
    return path


def load(series: Series, name: str, opts: BuildOptions = BuildOptions(),
         build: bool = True) -> tuple[PatchForecaster, dict]:
    """(model in eval mode, {"name", "hash"} identity for records)."""
    from safetensors.torch import load_file

    path = resolve(series, name, opts, build)
    manifest = ig.read_json(path / ig.MANIFEST)
    cfg = ModelConfig(**json.loads((path / CONFIG).read_text()))
    model = build_model(cfg)
    model.load_state_dict(load_file(str(path / WEIGHTS)))
    model.eval()
    return model, {"name": f"ts:{series.name}/{name}{opts.suffix}", "hash": manifest["weights_hash"]}


def _make(series: Series, name: str, opts: BuildOptions, progress) -> tuple[PatchForecaster, dict]:
    """Train (or truncate) model `name`; returns it and the training facts."""
    g, role = series.geometry, recipes.recipe(name).role
    torch.manual_seed(opts.seed)
    model = build_model(recipes.model_config(name, g, opts.scale))
    crops = train.crop_tensor(training_crops(series), g)
    cfg = _train_cfg(name, opts)
    if role == "target":
        return model, {"final_loss": train.train_target(model, crops, g, cfg, opts.seed, progress)}
    target, _ = load(series, "target", opts)
    if role == "undistilled":
        train.truncate(target, model)
        return model, {"final_loss": None}
    dset = _distill_set(series, target, crops, opts)
    return model, {"final_loss": train.distill(model, dset, g, cfg, opts.seed + 2, progress)}


_DISTILL_SETS: dict[tuple, tuple] = {}


def _distill_set(series: Series, target: PatchForecaster, crops, opts: BuildOptions):
    """The target's distillation set, computed once per process for all drafts of a data set."""
    key = (series.name, series.version(), _deps(series, "stoch-0.5", opts, False)["target"], opts)
    if key not in _DISTILL_SETS:
        _DISTILL_SETS.clear()   # one data set at a time: keep memory flat
        _DISTILL_SETS[key] = train.distill_set(target, crops, series.geometry, opts.seed + 1)
    return _DISTILL_SETS[key]


def call_ms(model: PatchForecaster, series: Series, repeats: int = 30) -> float:
    """Median ms of one batch-1 call at the middle of a forecast (W + H/2 patches)."""
    g = series.geometry
    x = torch.randn(1, g.context + g.horizon // 2, g.patch)
    times = []
    with torch.inference_mode():
        for i in range(repeats + 3):
            start = time.perf_counter()
            model(x)
            if i >= 3:
                times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _build(series, name, opts, deps, want, final: Path) -> None:
    from safetensors.torch import save_file
    from tqdm import tqdm

    tmp_parent = cache_root() / "ts" / ".tmp"
    tmp_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{series.name}-{name}-", dir=tmp_parent))
    steps = _train_cfg(name, opts).steps if recipes.recipe(name).role != "undistilled" else 0
    try:
        start = time.perf_counter()
        with tqdm(total=steps, desc=f"ts {series.name}/{name}", unit="step", disable=None,
                  leave=False) as bar:
            model, facts = _make(series, name, opts, bar.update)
        seconds = time.perf_counter() - start
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp / WEIGHTS))
        (tmp / CONFIG).write_text(json.dumps(dataclasses.asdict(model.cfg), indent=2))
        files = ig.file_table(tmp)
        ig.write_json(tmp / ig.MANIFEST, {
            "format": FORMAT, "name": f"ts:{series.name}/{name}", "recipe_hash": want,
            "recipe": dataclasses.asdict(recipes.recipe(name)), "options": dataclasses.asdict(opts),
            "data": {"name": series.name, "version": series.version(), "source": series.source},
            "deps": deps, "files": files, "weights_hash": ig.weights_hash(files),
            "parameters": parameter_count(model), "call_ms": round(call_ms(model, series), 3),
            "build_seconds": round(seconds, 2), **facts,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(final)
        ig.write_stamp(final, files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ts:{series.name}/{name}: built in {seconds:.1f} s", file=sys.stderr)


def manifest(series: Series, name: str, opts: BuildOptions = BuildOptions()) -> dict | None:
    return ig.read_json(entry_dir(series, name, opts) / ig.MANIFEST)


def _locked(key: str):
    """Exclusive lock on ts/.locks/KEY.lock: one builder per entry across processes."""
    return build_lock("ts", key, f"ts:{key}")
