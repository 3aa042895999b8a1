"""ts bench end to end with tiny models: records valid, resume without loss or
duplicates after a kill mid-write, the report written, the model cache verified."""
import json

import pytest

from specdecode.records import read_records
from specdecode.timeseries import store
from specdecode.timeseries.config import load_config
from specdecode.timeseries.data import load_builtin
from specdecode.timeseries.report import write_report
from specdecode.timeseries.runner import run_bench

TINY = store.BuildOptions(scale=0.125, steps=3)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("ts-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("SPECDECODE_CACHE", str(root))
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def full_run(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "full.jsonl"
    counts = run_bench(load_config("smoke"), out, TINY, progress=False)
    return out, counts


def _keys(path):
    return [r["key"] for r in read_records(path).records]


def test_records_are_valid_and_complete(full_run):
    out, counts = full_run
    recs = read_records(out).records
    cfg = load_config("smoke")
    assert counts["written"] == len(recs) == len(cfg.methods) * cfg.windows
    assert all(r["status"] == "ok" and r["forecast"] is not None for r in recs)
    base = [r for r in recs if r["method_config"]["proposer"] == "none"]
    assert base and all(r["exact"] and r["counters"]["drafted"] == 0 for r in base)
    spec = [r for r in recs if r["method_config"]["rule"] == "gaussian"]
    assert all(r["counters"]["new_tokens"] == 12 for r in spec)   # sunspots: 12 patches


def test_resume_after_kill_loses_and_duplicates_nothing(full_run, tmp_path):
    out, _ = full_run
    lines = out.read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:5]) + lines[5][: len(lines[5]) // 2])   # killed mid-write
    counts = run_bench(load_config("smoke"), cut, TINY, progress=False)
    assert counts["skipped"] == 5 and counts["written"] == len(lines) - 5
    keys = _keys(cut)
    assert len(keys) == len(set(keys)) and set(keys) == set(_keys(out))
    again = run_bench(load_config("smoke"), cut, TINY, progress=False)
    assert again["written"] == 0 and len(_keys(cut)) == len(keys)


def test_report(full_run, tmp_path):
    out, _ = full_run
    md = write_report(out, tmp_path / "rep", plots_on=True)
    text = md.read_text()
    assert "## sunspots" in text and "target-only s=1" in text and "Goals" in text
    assert (tmp_path / "rep" / "sunspots-heatmaps.png").exists()
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    rows = summary["sunspots"]["rows"]
    assert all(r["speedup"]["value"] is not None for r in rows if r["config"]["rule"] == "gaussian")


def test_cache_detects_corruption(full_run):
    series = load_builtin("sunspots")
    path = store.entry_dir(series, "stoch-0.5", TINY)
    weights = path / store.WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert "corrupted" in store._problem(path, store.recipe_hash(
        series, "stoch-0.5", TINY, {"target": store.manifest(series, "target", TINY)["weights_hash"]}))
    store.resolve(series, "stoch-0.5", TINY)    # rebuilt
    assert store._problem(path, json.loads((path / "zoo-manifest.json").read_text())["recipe_hash"]) is None


def test_a_user_csv_runs_through_the_bench(cache, tmp_path):
    """`--data my.csv`: the CSV becomes a data set named by its stem, its models are built
    (tiny here) and the smoke grid runs on its test windows; a bad CSV is one line."""
    import dataclasses
    import math

    from specdecode.commands.ts import data_names
    from specdecode.errors import SpecDecodeError

    path = tmp_path / "mine.csv"
    rows = "\n".join(f"{t},{math.sin(t / 5) + 0.01 * t}" for t in range(400))
    path.write_text("t,value\n" + rows + "\n")
    assert data_names([str(path)]) == ["mine"] == data_names([str(path)])  # registering twice is fine
    assert load_builtin("mine").values.shape == (400, 1)
    cfg = dataclasses.replace(load_config("smoke"), datasets=("mine",))
    out = tmp_path / "csv.jsonl"
    counts = run_bench(cfg, out, TINY, progress=False)
    records = read_records(out).records
    assert counts["written"] == len(records) > 0 and {r["suite"] for r in records} == {"mine"}
    bad = tmp_path / "words.csv"
    bad.write_text("t,label\n1,a\n2,b\n")
    with pytest.raises(SpecDecodeError, match="no numeric value column"):
        data_names([str(bad)])
