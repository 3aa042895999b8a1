"""Series: the built-in offline data sets, a user CSV loader, time splits, normalisation.

Every series is a float array (n, C): n time steps, C channels. Multivariate series are
forecast channel-independently (one model, each channel its own window), as patch
forecasters usually are.

Splits are by time: train = the first 70% of steps, val = the next 10%, test = the rest.
Normalisation (a z-score per channel) uses the TRAIN steps only; nothing after the train
boundary reaches the statistics or the training crops (tests/test_timeseries_data.py).

No ETTh1 offline: it is in no package installable here. Its stand-in is `seattle-temps`
(vega_datasets, 8,759 hourly temperatures of 2010), the closest hourly series available.
"""
from __future__ import annotations

import dataclasses

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import SpecDecodeError
from ..registry import Registry

TRAIN_FRAC, VAL_FRAC = 0.7, 0.1


@dataclass(frozen=True)
class Geometry:
    """How a series is cut into patches: P values per patch, W context patches, H
    horizon patches (the forecast is H * P steps)."""

    patch: int
    context: int
    horizon: int

    @property
    def window(self) -> int:   # steps one training crop / forecast window spans
        return (self.context + self.horizon) * self.patch


@dataclass(frozen=True)
class Series:
    name: str
    values: np.ndarray          # (n, C) float64, finite
    channels: tuple[str, ...]
    freq: str                   # "hourly", "weekly", ...
    source: str                 # where it comes from, one line
    geometry: Geometry

    @property
    def n(self) -> int:
        return self.values.shape[0]

    def version(self) -> str:
        """Short hash of the values and geometry: the record's suite_version."""
        h = hashlib.sha256(np.ascontiguousarray(self.values, dtype=np.float64).tobytes())
        h.update(repr(self.geometry).encode())
        return h.hexdigest()[:12]


@dataclass(frozen=True)
class Split:
    train_end: int   # steps [0, train_end) are train
    val_end: int     # [train_end, val_end) val, [val_end, n) test


def split_of(n: int) -> Split:
    return Split(int(n * TRAIN_FRAC), int(n * (TRAIN_FRAC + VAL_FRAC)))


@dataclass(frozen=True)
class Scaler:
    mean: np.ndarray   # (C,)
    std: np.ndarray    # (C,)

    def apply(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.std


def fit_scaler(series: Series) -> Scaler:
    """Per-channel mean / std of the TRAIN steps only."""
    train = series.values[: split_of(series.n).train_end]          # (n_train, C)
    std = train.std(axis=0)
    return Scaler(train.mean(axis=0), np.where(std > 0, std, 1.0))


def normalised(series: Series) -> np.ndarray:
    """(n, C) z-scored with training statistics."""
    return fit_scaler(series).apply(series.values)


def check_series(series: Series) -> Series:
    """One-line errors for what no forecaster can use."""
    v = series.values
    if v.ndim != 2 or v.shape[1] == 0:
        raise SpecDecodeError(f"{series.name}: no numeric value column; give at least one column of numbers")
    if not np.isfinite(v).all():
        bad = int((~np.isfinite(v)).sum())
        raise SpecDecodeError(f"{series.name}: {bad} missing or non-finite values (NaN); fill or drop "
                              "them before forecasting")
    g, split = series.geometry, split_of(series.n)
    need = g.window
    if series.n - split.val_end < g.horizon * g.patch or split.train_end < need:
        raise SpecDecodeError(
            f"{series.name}: {series.n} steps is too short for context + horizon = {need} steps "
            f"(train needs {need}, test {g.horizon * g.patch}); use a longer series or smaller "
            "--context / --horizon / --patch")
    return series


# ---------------------------------------------------------------------------- windows


def training_crops(series: Series) -> np.ndarray:
    """(N, window) normalised crops lying wholly inside the TRAIN steps, every channel,
    stride 1: what the models are trained on."""
    z = normalised(series)[: split_of(series.n).train_end]           # (n_train, C)
    w = series.geometry.window
    crops = [z[s: s + w, c] for c in range(z.shape[1]) for s in range(z.shape[0] - w + 1)]
    return np.stack(crops)


def test_windows(series: Series, count: int) -> list[tuple[int, int]]:
    """`count` (channel, origin) pairs, evenly spaced over channels x test origins: the
    forecast covers steps [origin, origin + H*P), all in the test period; the context
    [origin - W*P, origin) may reach back into train/val (observed past, no leakage)."""
    g, split = series.geometry, split_of(series.n)
    first = max(split.val_end, g.context * g.patch)
    last = series.n - g.horizon * g.patch
    pairs = [(c, o) for o in range(first, last + 1) for c in range(series.values.shape[1])]
    if not pairs:
        raise SpecDecodeError(f"{series.name}: no test window fits; use a longer series")
    idx = np.unique(np.linspace(0, len(pairs) - 1, min(count, len(pairs))).round().astype(int))
    return [pairs[i] for i in idx]


# ---------------------------------------------------------------------------- loaders

DATASETS: Registry[Callable[[], Series]] = Registry("time-series data set")

SHORT = Geometry(patch=2, context=12, horizon=12)    # short annual / quarterly series
# Short patches: acceptance is per patch, so it falls roughly as (per-value overlap)^P.
LONG = Geometry(patch=2, context=24, horizon=16)     # weekly / hourly series


def _column(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


def _interpolate(v: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN gaps of a built-in series (co2 has 59)."""
    out = v.copy()
    for c in range(out.shape[1]):
        col, ok = out[:, c], np.isfinite(out[:, c])
        col[~ok] = np.interp(np.flatnonzero(~ok), np.flatnonzero(ok), col[ok])
    return out


@DATASETS.register("co2")
def co2() -> Series:
    import statsmodels.api as sm

    df = sm.datasets.co2.load_pandas().data
    return Series("co2", _interpolate(_column(df["co2"])), ("co2",), "weekly",
                  "statsmodels co2 (Mauna Loa, weekly 1958-2001; 59 gaps interpolated)", LONG)


@DATASETS.register("sunspots")
def sunspots() -> Series:
    import statsmodels.api as sm

    df = sm.datasets.sunspots.load_pandas().data
    return Series("sunspots", _column(df["SUNACTIVITY"]), ("SUNACTIVITY",), "yearly",
                  "statsmodels sunspots (yearly 1700-2008)", SHORT)


MACRO_COLUMNS = ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                 "tbilrate", "unemp", "pop", "infl", "realint")


@DATASETS.register("macrodata")
def macrodata() -> Series:
    import statsmodels.api as sm

    df = sm.datasets.macrodata.load_pandas().data
    values = df[list(MACRO_COLUMNS)].to_numpy(dtype=np.float64)
    return Series("macrodata", values, MACRO_COLUMNS, "quarterly",
                  "statsmodels macrodata (US quarterly 1959-2009, 12 variables)", SHORT)


@DATASETS.register("seattle-temps")
def seattle_temps() -> Series:
    from vega_datasets import data

    df = data.seattle_temps()
    return Series("seattle-temps", _column(df["temp"]), ("temp",), "hourly",
                  "vega_datasets seattle-temps (hourly 2010); the offline stand-in for ETTh1, "
                  "which no offline package ships", LONG)


def load_builtin(name: str) -> Series:
    return check_series(DATASETS.get(name)())


def load_csv(path: str | Path, time_column: str | None = None,
             geometry: Geometry = LONG, name: str | None = None) -> Series:
    """A user CSV: one time column (the first column unless named) and numeric value
    columns; rows are sorted by time. Non-numeric columns besides the time are refused."""
    import pandas as pd

    path = Path(path)
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise SpecDecodeError(f"{path}: cannot read as CSV ({' '.join(str(exc).split())}); "
                              "give a CSV file with a header row") from None
    if df.empty:
        raise SpecDecodeError(f"{path}: no rows; give a CSV with a header and data rows")
    time_column = time_column or df.columns[0]
    if time_column not in df.columns:
        raise SpecDecodeError(f"{path}: no column {time_column!r}; columns are {', '.join(df.columns)}")
    df = df.sort_values(time_column, kind="stable")
    values = df.drop(columns=[time_column])
    numeric = [c for c in values.columns if pd.api.types.is_numeric_dtype(values[c])]
    if not numeric:
        raise SpecDecodeError(f"{path}: no numeric value column besides {time_column!r}; "
                              "give at least one column of numbers")
    other = [c for c in values.columns if c not in numeric]
    if other:
        raise SpecDecodeError(f"{path}: column {other[0]!r} is not numeric; drop it or fix its values")
    series = Series(name or path.stem, values[numeric].to_numpy(dtype=np.float64),
                    tuple(map(str, numeric)), "csv", f"user CSV {path}", geometry)
    return check_series(series)


def use_csv(path: str | Path) -> str:
    """Register a user CSV as a data set (named by the file's stem) for this process and
    return its name; the geometry is LONG when the series is long enough, else SHORT."""
    path = Path(path)
    name = path.stem
    if name in DATASETS.names():
        if getattr(DATASETS.get(name), "csv_path", None) == path:
            return name
        raise SpecDecodeError(f"{path}: its name {name!r} is taken by a built-in data set; rename the file")
    series = load_csv(path, geometry=LONG, name=name)
    geometry = LONG if series.n >= 10 * (LONG.context + LONG.horizon) else SHORT
    check_series(dataclasses.replace(series, geometry=geometry))

    def load() -> Series:
        return load_csv(path, geometry=geometry, name=name)

    load.csv_path = path
    DATASETS.register(name)(load)
    return name


# ---------------------------------------------------------------------------- instance norm

STD_FLOOR = 1e-3


def instance_stats(context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over the context steps (last axis), shape (..., 1): each window is
    modelled in its own units (RevIN-style), computed from the observed context only."""
    mean = context.mean(axis=-1, keepdims=True)
    return mean, np.maximum(context.std(axis=-1, keepdims=True), STD_FLOOR)


def to_patches(values: np.ndarray, patch: int) -> np.ndarray:
    """(..., T * P) -> (..., T, P)."""
    return values.reshape(*values.shape[:-1], values.shape[-1] // patch, patch)
