"""`ts bench`: every method x test window x seed of every data set, one record each,
appended to a resumable JSONL run file (bench/runfile.py: lock, repair, skip done keys).

Order: per data set, per window, per seed, every method in turn (interleaved, so a slow
patch of the shared CPU hits all methods alike), after one unrecorded warm-up forecast
per method. All methods of one (window, seed) draw from the same random stream seed
(common random numbers: paired comparisons are tighter).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..bench.runfile import RecordWriter, RunLock, item_key, open_run
from ..errors import SpecDecodeError
from ..records import generation_to_json, manifest_path, new_record
from .config import BenchConfig, Method
from .data import Series, instance_stats, load_builtin, normalised, test_windows, to_patches
from .gaussian import crps
from .loop import Forecast, draft_only, speculative_forecast
from .store import BuildOptions, load

RUN_PREFIX = "ts"


@dataclass
class Models:
    """The models of one data set, loaded (built when missing) on first use."""

    series: Series
    opts: BuildOptions

    def __post_init__(self):
        self._cache: dict[str, tuple] = {}

    def get(self, name: str):
        if name not in self._cache:
            self._cache[name] = load(self.series, name, self.opts)
        return self._cache[name]


@dataclass(frozen=True)
class Window:
    channel: int
    origin: int
    context: np.ndarray   # (W, P) instance-normalised
    truth: np.ndarray     # (H * P,) z-scored
    mean: float           # instance stats of the context, z-scored units
    std: float

    @property
    def prompt_id(self) -> str:
        return f"c{self.channel}-t{self.origin}"


def windows_of(series: Series, count: int) -> list[Window]:
    z, g = normalised(series), series.geometry
    out = []
    for channel, origin in test_windows(series, count):
        ctx = z[origin - g.context * g.patch: origin, channel]
        mean, std = instance_stats(ctx)
        out.append(Window(channel, origin, to_patches((ctx - mean) / std, g.patch),
                          z[origin: origin + g.horizon * g.patch, channel], float(mean[0]), float(std[0])))
    return out


def forecast_once(method: Method, models: Models, window: Window, seed: int) -> Forecast:
    rng = np.random.default_rng([seed, window.channel, window.origin])
    horizon, controller, rule = models.series.geometry.horizon, method.make_controller(), method.make_rule()
    if not rule.verifies:
        return draft_only(models.get(method.draft)[0], controller, window.context, horizon, rng)
    draft = models.get(method.draft)[0] if rule.drafts else None
    return speculative_forecast(models.get("target")[0], draft, rule, controller, window.context,
                                horizon, rng)


def scores(fc: Forecast, window: Window) -> dict:
    """Errors in z-scored units: the instance normalisation is undone first."""
    pred = np.concatenate(fc.patches) * window.std + window.mean               # (H * P,)
    mean = np.concatenate([d.mean for d in fc.dists]) * window.std + window.mean
    std = np.concatenate([d.std for d in fc.dists]) * window.std
    err = pred - window.truth
    return {"channel": window.channel, "origin": window.origin,
            "mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err))),
            "crps": float(np.mean(crps(mean, std, window.truth))),
            "prediction": [round(float(v), 6) for v in pred],
            "truth": [round(float(v), 6) for v in window.truth]}


def identities(method: Method, models: Models) -> tuple[dict | None, dict]:
    rule = method.make_rule()
    target = models.get("target")[1] if rule.verifies else None
    drafts = {"draft": models.get(method.draft)[1]} if rule.drafts else {}
    return target, drafts


def run_item(method: Method, models: Models, window: Window, seed: int, key: str,
             run_id: str) -> dict:
    target, drafts = identities(method, models)
    common = dict(key=key, run_id=run_id, method=method.name, method_config=method.config(),
                  exact=method.make_rule().exact and not method.make_controller().moves_sigma,
                  suite=models.series.name, suite_version=models.series.version(),
                  prompt_id=window.prompt_id, seed=seed, temperature=method.sigma,
                  max_new_tokens=models.series.geometry.horizon, target=target, models=drafts,
                  prompt_tokens=models.series.geometry.context)
    try:
        fc = forecast_once(method, models, window, seed)
    except (SpecDecodeError, RuntimeError) as exc:   # a failed item is a record, never a skip
        return {**new_record(**common, error=f"{type(exc).__name__}: {exc}"), "forecast": None}
    end = time.perf_counter()
    prefill_s = fc.prefill.end - fc.prefill.start
    rec = new_record(**common, finish_reason="length",
                     **generation_to_json(fc, prefill_s, end - fc.prefill.end))
    return {**rec, "forecast": scores(fc, window)}


def _key(method: Method, models: Models, window: Window, seed: int) -> str:
    target, drafts = identities(method, models)
    return item_key(method.config(), models.series.name, models.series.version(), window.prompt_id,
                    seed, method.sigma, models.series.geometry.horizon, target or {}, drafts, {})


def run_bench(cfg: BenchConfig, out: Path, opts: BuildOptions = BuildOptions(),
              progress: bool = True) -> dict:
    """Run (or resume) the whole configuration into `out`. Returns {written, skipped}."""
    from tqdm import tqdm

    torch.set_num_threads(cfg.threads)
    counts = {"written": 0, "skipped": 0}
    with RunLock(out):
        state = open_run(out)
        writer = RecordWriter(out)
        try:
            for name in cfg.datasets:
                series = load_builtin(name)
                models, windows = Models(series, opts), windows_of(series, cfg.windows)
                todo = [(m, w, s) for w in windows for s in cfg.seeds for m in cfg.methods]
                keyed = [(m, w, s, _key(m, models, w, s)) for m, w, s in todo]
                pending = [t for t in keyed if t[3] not in state.ok]
                counts["skipped"] += len(keyed) - len(pending)
                if pending:
                    _warm_up(cfg.methods, models, windows[0])
                for m, w, s, key in tqdm(pending, desc=f"ts bench {name}", unit="forecast",
                                         disable=None if progress else True):
                    writer.write(run_item(m, models, w, s, key, cfg.name))
                    counts["written"] += 1
        finally:
            writer.close()
    _write_manifest(cfg, out, opts)
    return counts


def _warm_up(methods, models: Models, window: Window) -> None:
    """Stage 0: one unrecorded forecast per method (lazy init, allocator, caches)."""
    for m in methods:
        forecast_once(m, models, window, seed=0)


def _write_manifest(cfg: BenchConfig, out: Path, opts: BuildOptions) -> None:
    import json

    from ..zoo.integrity import write_json

    payload = {"kind": "ts-bench", "config": json.loads(json.dumps(asdict(cfg), default=str)),
               "build_options": asdict(opts), "torch": torch.__version__}
    write_json(manifest_path(out), payload)
