"""Hyperparameters of the analysis layer (one frozen dataclass, no magic numbers in bodies)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisConfig:
    n_boot: int = 1000            # bootstrap resamples for every CI
    ci_level: float = 0.95        # two-sided percentile interval
    seed: int = 0                 # bootstrap RNG seed (reports are reproducible)
    late_from: int = 2            # "late" draft positions are >= this (0-based) in the z-test
    alpha_grid: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)  # projection rows
    k_grid: tuple[int, ...] = (1, 2, 4, 6, 8)                         # projection columns
    main_method: str | None = None  # method for the projection table (None: best draft model)
    trace_prompt: str | None = None  # "suite/prompt_id" for the trace plot (None: first shared)


DEFAULT = AnalysisConfig()
