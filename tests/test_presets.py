"""Every shipped preset is a valid bench config (parsed and checked, no model loaded)."""
from pathlib import Path

import pytest

import specdecode.bench.presets as presets_pkg
from specdecode.bench.config import PRESETS, load_config


def test_presets_are_the_shipped_files():
    files = {p.stem for p in Path(presets_pkg.__file__).parent.glob("*.yaml")}
    assert set(PRESETS) == files and {"quick", "lossy", "lossy-real", "trees-bf16"} <= files


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads(name):
    cfg = load_config(name)
    assert cfg.methods and cfg.suites and cfg.baseline in {m.name for m in cfg.methods}


def test_lossy_real_is_lossy_on_three_methods():
    lossy, real = load_config("lossy"), load_config("lossy-real")
    assert (real.target, real.draft, real.dtype, real.suites, real.n_prompts, real.temperatures,
            real.max_new_tokens) == (lossy.target, lossy.draft, lossy.dtype, lossy.suites, lossy.n_prompts,
                                     lossy.temperatures, lossy.max_new_tokens)
    by_name = {m.name: m for m in lossy.methods}
    assert [m.name for m in real.methods] == ["target-only", "exact-k4", "topk-8"]
    assert all(m == by_name[m.name] for m in real.methods)
    assert real.n_prompts >= 40 and {(r["goal"], r["temperature"]) for r in real.ratios} == {(1.3, 0.7)}


@pytest.mark.parametrize("name,base", [("general", "quick"), ("real-general", "real")])
def test_general_presets_are_their_base_setting_on_the_held_out_suites(name, base):
    cfg, ref = load_config(name), load_config(base)
    assert cfg.suites == tuple(f"general-{s}" for s in ref.suites)
    keep = ("target", "draft", "dtype", "temperatures", "max_new_tokens", "chat", "split", "min_verify_rows")
    assert all(getattr(cfg, k) == getattr(ref, k) for k in keep)
    by_name = {m.name: m for m in ref.methods}
    assert all(m == by_name[m.name] for m in cfg.methods)  # the same methods, nothing retuned
    assert {r["suite"] for r in cfg.ratios} <= {"all", *cfg.suites}


def test_real_int8_is_the_real_setting_with_each_draft_in_both_loops():
    cfg, ref = load_config("real-int8"), load_config("real")
    keep = ("target", "draft", "dtype", "suites", "n_prompts", "temperatures", "max_new_tokens", "chat", "split")
    assert all(getattr(cfg, k) == getattr(ref, k) for k in keep)
    by_name = {m.name: m for m in ref.methods}
    assert all(m == by_name[m.name] for m in cfg.methods if m.name in by_name)  # nothing retuned
    int8 = {m.name: m.model_ids(cfg.draft)["draft"] for m in cfg.methods if m.name in by_name and m.name != "target-only"}
    bf16 = {m.name: m.model_ids(cfg.draft)["draft"] for m in cfg.methods if m.name not in by_name}
    assert set(int8) == {"qwen05q8-k4", "hf-assisted-q8-k4"} and set(bf16) == {"qwen05-k4", "hf-assisted-k4"}
    assert set(int8.values()) == {"zoo:qwen2.5-coder-0.5b-int8"} and set(bf16.values()) == {"zoo:qwen2.5-coder-0.5b"}


def test_real_compares_ours_and_hf_assisted_with_the_same_draft_and_k():
    cfg = load_config("real")
    by_name = {m.name: m for m in cfg.methods}
    for ratio in cfg.ratios:
        num, den = by_name[ratio["num"]], by_name[ratio["den"]]
        if den.peer == "hf-assisted":
            assert num.model_ids(cfg.draft)["draft"] == den.model_ids(cfg.draft)["draft"] and num.loop.k == den.peer_k


def test_real_0p5b_is_the_real_setting_with_the_bf16_0p5b_variants():
    cfg, ref = load_config("real-0p5b"), load_config("real")
    keep = ("target", "draft", "dtype", "suites", "n_prompts", "temperatures", "max_new_tokens", "chat", "split")
    assert all(getattr(cfg, k) == getattr(ref, k) for k in keep)
    drafts = {m.model_ids(cfg.draft).get("draft") for m in cfg.methods if m.name != "target-only"}
    assert drafts == {"zoo:qwen2.5-coder-0.5b", "zoo:qwen2.5-coder-0.5b-fr48k"}  # nothing int8: any device
