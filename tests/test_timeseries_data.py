"""Data: time splits without leakage, and one-line errors for bad input."""
import dataclasses

import numpy as np
import pytest

from specdecode.errors import SpecDecodeError
from specdecode.timeseries import data
from specdecode.timeseries.config import Method, from_dict
from specdecode.timeseries.data import Geometry, Series

GEO = Geometry(patch=2, context=4, horizon=3)


def _series(values, geometry=GEO, name="toy") -> Series:
    v = np.asarray(values, dtype=float)
    return Series(name, v.reshape(len(v), -1), ("x",), "toy", "test", geometry)


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


@pytest.mark.parametrize("name", ["co2", "sunspots", "macrodata", "seattle-temps"])
def test_builtin_series_load(name):
    s = data.load_builtin(name)
    assert np.isfinite(s.values).all() and s.n > s.geometry.window
    assert len(data.test_windows(s, 8)) >= 8
    if name == "macrodata":
        assert s.values.shape[1] == 12        # the multivariate one
    if name == "seattle-temps":
        assert s.freq == "hourly" and "ETTh1" in s.source


def test_no_test_value_reaches_normalisation_or_training():
    rng = np.random.default_rng(0)
    base = rng.normal(size=400)
    changed = base.copy()
    split = data.split_of(len(base))
    changed[split.train_end:] += 1000.0       # only after the train boundary
    a, b = _series(base), _series(changed)
    sa, sb = data.fit_scaler(a), data.fit_scaler(b)
    assert np.array_equal(sa.mean, sb.mean) and np.array_equal(sa.std, sb.std)
    assert np.array_equal(data.training_crops(a), data.training_crops(b))


def test_test_windows_forecast_only_test_steps():
    s = _series(np.arange(400.0))
    split = data.split_of(s.n)
    for _, origin in data.test_windows(s, 50):
        assert origin >= split.val_end and origin + GEO.horizon * GEO.patch <= s.n


def test_csv_loader(tmp_path):
    path = tmp_path / "ok.csv"
    rows = "\n".join(f"2020-01-{i % 28 + 1:02d}T{i % 24:02d},{i * 0.5},{-i}" for i in range(200))
    path.write_text("time,a,b\n" + rows + "\n")
    s = data.load_csv(path, geometry=GEO)
    assert s.values.shape == (200, 2) and s.channels == ("a", "b")


def test_csv_without_numeric_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time,label\n1,a\n2,b\n")
    with pytest.raises(SpecDecodeError) as exc:
        data.load_csv(path, geometry=GEO)
    assert "no numeric value column" in _one_line(exc)


def test_csv_with_nans(tmp_path):
    path = tmp_path / "nan.csv"
    path.write_text("time,v\n" + "\n".join(f"{i},{'' if i == 50 else i}" for i in range(200)) + "\n")
    with pytest.raises(SpecDecodeError) as exc:
        data.load_csv(path, geometry=GEO)
    assert "NaN" in _one_line(exc)


def test_series_too_short():
    with pytest.raises(SpecDecodeError) as exc:
        data.check_series(_series(np.arange(12.0)))
    assert "too short" in _one_line(exc)


@pytest.mark.parametrize("field, value, words", [("sigma", 0.0, "sigma > 0"), ("sigma", -1.0, "sigma > 0"),
                                                 ("k", 0, "k >= 1")])
def test_bad_knobs(field, value, words):
    with pytest.raises(SpecDecodeError) as exc:
        dataclasses.replace(Method(), **{field: value})
    assert words in _one_line(exc)


def test_bad_knobs_from_yaml_grid():
    with pytest.raises(SpecDecodeError) as exc:
        from_dict({"datasets": ["sunspots"], "grid": {"sigma": [1.0, 0.0]}}, "x.yaml")
    assert "sigma" in _one_line(exc)
    with pytest.raises(SpecDecodeError) as exc:
        from_dict({"datasets": ["sunspots"], "grid": {"k": [0]}}, "x.yaml")
    assert "k >= 1" in _one_line(exc)


def test_lossy_knob_ranges():
    with pytest.raises(SpecDecodeError):
        Method(bias=0.5)
    with pytest.raises(SpecDecodeError):
        Method(mse_tol=-1.0)
