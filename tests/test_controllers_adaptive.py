"""Adaptive draft-length controllers: `ewma` and `breakeven` decisions on synthetic cycle
records, the `specdecpp` stop rule (with and without a trained head), carried estimates
across the generations of one decoder, and exactness (T = 0 identity, chi-square at T > 0)
of every controller added here. test_exact_greedy.py runs every registered controller too."""
import math

import pytest
import torch

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, SpeculativeDecoder, generate
from specdecode.controllers import CONTROLLERS
from specdecode.controllers.breakeven import expected_tau
from specdecode.errors import SpecDecodeError
from specdecode.params import build_params
from specdecode.types import CycleRecord, Interval
from scipy.stats import chisquare

from specdecode.sampling import warp
from tiny_models import copy_of, perturbed, tiny_lm

NEW = ("ewma", "breakeven", "specdecpp")


def make(name, k=4, **params):
    cls = CONTROLLERS.get(name)
    return cls(build_params(cls.Params, params, f"controller '{name}'"), k)


def cycle(k, accepted, seconds):
    """A synthetic cycle: k drafted, `accepted` of them kept, one more token committed."""
    rejected = accepted < k
    return CycleRecord(k=k, drafted=k, accepted=accepted, outcomes=(True,) * accepted + (False,) * rejected,
                       kind="recovered" if rejected else "bonus", tokens=[0] * (accepted + 1),
                       start=0.0, end=seconds, intervals=(Interval("target", 0.0, seconds),),
                       draft_calls=k, token_index=0)


def world(a=0.8, c=0.1, t0=1.0):
    """A cycle at size k: accepted = round(expected accepted), time = t0 * (1 + c k)."""
    def step(k):
        acc = min(k, round(expected_tau(a, k) - 1)) if k else 0
        return cycle(k, acc, t0 * (1 + c * k))
    return step


def drive(ctl, step, n):
    ks = []
    for _ in range(n):
        k = ctl.next_k()
        ks.append(k)
        ctl.observe(step(k))
    return ks


# -- ewma ------------------------------------------------------------------------------
def test_ewma_warms_up_round_robin_then_takes_the_best():
    ctl = make("ewma", candidates=[4, 0, 1, 2], warmup_rounds=2, cooldown=0, probe_every=1000)
    ks = drive(ctl, world(a=0.8, c=0.1), 9)
    assert ks[:8] == [0, 1, 2, 4, 0, 1, 2, 4]       # sorted candidates, twice
    best = max((0, 1, 2, 4), key=lambda b: ctl.table[b].score)
    assert ks[8] == best == ctl.current


def test_ewma_switches_only_after_streak_consecutive_gains():
    ctl = make("ewma", candidates=[1, 2], alpha=1.0, streak=3, cooldown=0, probe_every=1000, margin=0.1)
    drive(ctl, lambda k: cycle(k, 0, 1.0) if k == 2 else cycle(k, 1, 1.0), 2)  # warm-up: k = 1 wins
    assert ctl.current == 1
    ctl.table[2].tau, ctl.table[2].cycle_s = 3.0, 1.0      # as if a probe found k = 2 at 3 tok/s
    ctl.observe(cycle(1, 1, 1.0)) if ctl.next_k() == 1 else None
    ctl.observe(cycle(1, 1, 1.0)) if ctl.next_k() == 1 else None
    assert ctl.current == 1 and ctl.streak == 2            # two wins: not yet
    ctl.table[2].tau = 2.1                                 # gain 5% < margin: the streak breaks
    assert ctl.next_k() == 1
    ctl.observe(cycle(1, 1, 1.0))
    assert ctl.current == 1 and ctl.streak == 0
    ctl.table[2].tau = 3.0
    for _ in range(3):
        assert ctl.next_k() == 1
        ctl.observe(cycle(1, 1, 1.0))
    assert ctl.current == 2                                # the third consecutive win switches


def test_ewma_cools_down_after_a_switch():
    ctl = make("ewma", candidates=[1, 2, 4], alpha=1.0, streak=1, cooldown=5, probe_every=2)
    drive(ctl, lambda k: cycle(k, 1, 1.0), 3)              # warm-up: k = 4, 2, 1 all tau 2 ...
    first = ctl.current
    ks = drive(ctl, lambda k: cycle(k, 1, 1.0), 5)
    assert ks == [first] * 5                               # cooling down: no probe, no switch
    assert ctl.next_k() != first                           # then the probes resume


def test_ewma_probes_the_neighbours_every_n_cycles():
    ctl = make("ewma", candidates=[0, 1, 2, 4, 6], cooldown=0, probe_every=4, margin=10.0, low_ratio=0.0)
    drive(ctl, world(a=0.8, c=0.05), 5)
    ctl.current = 2
    ks = drive(ctl, world(a=0.8, c=0.05), 20)
    assert ks == [2, 2, 2, 2, 4, 2, 2, 2, 2, 1, 2, 2, 2, 2, 4, 2, 2, 2, 2, 1]  # alternating up / down


def test_ewma_steps_down_when_tau_over_k_is_low_for_two_cycles():
    ctl = make("ewma", candidates=[0, 1, 2, 4, 6, 8], cooldown=0, probe_every=1000, margin=10.0)
    ctl.warm, ctl.current = [], 8
    ctl.table = {b: type(ctl.table[0])(tau=b + 1.0, cycle_s=1.0) for b in ctl.table}
    ctl.next_k(); ctl.observe(cycle(8, 1, 1.0))          # tau / k = 2 / 8 < 0.35: once
    ctl.next_k(); ctl.observe(cycle(8, 7, 1.0))          # 8 / 8: the count resets
    ctl.next_k(); ctl.observe(cycle(8, 1, 1.0))
    assert ctl.current == 8
    ctl.next_k(); ctl.observe(cycle(8, 1, 1.0))          # twice in a row: one size down
    assert ctl.current == 6


@pytest.mark.parametrize("name", ["ewma", "breakeven"])
def test_scheduler_settles_on_target_only_when_drafting_does_not_pay(name):
    ctl = make(name, candidates=[0, 1, 2, 4])
    ks = drive(ctl, world(a=0.1, c=0.6), 300)
    assert sum(k == 0 for k in ks[100:]) / 200 > 0.8


@pytest.mark.parametrize("name", ["ewma", "breakeven"])
def test_scheduler_finds_the_best_fixed_size(name):
    step = world(a=0.85, c=0.08)
    rates = {b: (step(b).accepted + 1) / step(b).cycle_s for b in (0, 1, 2, 4, 6, 8)}
    ctl = make(name)
    ks = drive(ctl, step, 300)
    chosen = max(set(ks[100:]), key=ks[100:].count)
    assert rates[chosen] >= 0.97 * max(rates.values())


def test_breakeven_moves_between_adjacent_sizes_only():
    ctl = make("breakeven", candidates=[0, 1, 2, 4, 6, 8], cooldown=0, streak=1, probe_every=1000)
    step = world(a=0.95, c=0.02)
    drive(ctl, step, 6)
    ctl.current, ctl.accept = 0, 0.95
    path = [ctl.current]
    for _ in range(12):
        ctl.next_k()
        ctl.observe(step(ctl.current))
        if ctl.current != path[-1]:
            path.append(ctl.current)
    sizes = [0, 1, 2, 4, 6, 8]
    assert all(abs(sizes.index(x) - sizes.index(y)) == 1 for x, y in zip(path, path[1:]))
    assert path[-1] == 8


def test_breakeven_tau_is_the_tau_that_matches_the_current_rate():
    ctl = make("breakeven", candidates=[2, 4], alpha=1.0)
    drive(ctl, lambda k: cycle(k, 1, 1.0 + 0.1 * k), 2)
    ctl.current = 2
    need = ctl.breakeven_tau(4)
    assert math.isclose(need / ctl.table[4].cycle_s, expected_tau(ctl.accept, 2) / ctl.table[2].cycle_s)


# -- specdecpp ---------------------------------------------------------------------------
def test_specdecpp_stops_when_the_rejection_chance_exceeds_h():
    ctl = make("specdecpp", k=16)                           # no trained head: P(accept) = top prob
    half = torch.tensor([0.0, 0.0])                         # top prob 0.5
    assert ctl.next_k() == 16
    assert [ctl.stop(i, half) for i in range(2)] == [False, True]   # 1 - 0.25 > 0.7
    sure = torch.tensor([math.log(9.0), 0.0])               # top prob 0.9: 0.9^12 < 0.3 < 0.9^11
    ctl.next_k()                                            # a new proposal resets the product
    assert [ctl.stop(i, sure) for i in range(12)] == [False] * 11 + [True]
    assert not make("specdecpp", threshold=0.95).stop(0, half)


@pytest.fixture(scope="module")
def zoo_pair():
    """The tiny zoo pair and its SpecDec++ head (normal cache; seconds once tiny is built)."""
    from specdecode import zoo
    from specdecode.models import load_model

    zoo.resolve("tiny-draft-specdecpp")
    return load_model("zoo:tiny", dtype="fp32"), load_model("zoo:tiny-draft", dtype="fp32", role="draft")


def test_specdecpp_trained_head_is_exact_and_stops_early(zoo_pair):
    target, draft = zoo_pair
    ids = target.tokenizer("def main():\n    args = parse(")["input_ids"]
    gen_cfg = GenerationConfig(max_new_tokens=32, stop_at_eos=False)
    ref = generate(target, ids, method=MethodConfig(proposer="none"), sampling=SamplingConfig(0.0), gen_cfg=gen_cfg)
    method = MethodConfig(proposer="draft", controller="specdecpp", k=8,
                          controller_params={"head": "zoo:tiny-draft-specdecpp", "threshold": 0.5},
                          proposer_params={"copy": False})
    out = generate(target, ids, draft=draft, method=method, sampling=SamplingConfig(0.0), gen_cfg=gen_cfg)
    assert out.output_ids == ref.output_ids
    assert any(c.drafted < c.k for c in out.cycles[:-1])    # the head ended some drafts early


def test_specdecpp_head_refuses_a_draft_of_another_width(zoo_pair):
    target, _ = zoo_pair
    other = tiny_lm(vocab=target.vocab_size, hidden=48)
    other.tokenizer = target.tokenizer
    method = MethodConfig(proposer="draft", controller="specdecpp", k=4,
                          controller_params={"head": "zoo:tiny-draft-specdecpp"})
    with pytest.raises(SpecDecodeError, match="hidden size .* use the head built for this draft"):
        generate(target, [5, 6, 7], draft=other, method=method, sampling=SamplingConfig(0.0),
                 gen_cfg=GenerationConfig(max_new_tokens=8, stop_at_eos=False))


# -- carry ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair():
    target = tiny_lm(vocab=24, seed=0, scale=3.0)
    return target, perturbed(target, 0.3)


def decoder_for(pair, controller, **params):
    target, draft = pair
    method = MethodConfig(proposer="draft", controller=controller, k=4, controller_params=params)
    return SpeculativeDecoder(target, method, SamplingConfig(0.0), {"draft": draft})


def ks_of(dec, n=3):
    prompt = [1, 2, 3, 4, 5, 1, 2, 3]
    return [[c.k for c in dec.generate(prompt, GenerationConfig(max_new_tokens=30, stop_at_eos=False)).cycles]
            for _ in range(n)]


def test_ewma_carries_its_estimates_to_the_next_generation(pair):
    runs = ks_of(decoder_for(pair, "ewma", candidates=[0, 1, 2, 4]))
    assert runs[0][:4] == [0, 1, 2, 4]                     # warm-up once ...
    assert runs[1][:4] != [0, 1, 2, 4]                     # ... not again
    fresh = ks_of(decoder_for(pair, "ewma", candidates=[0, 1, 2, 4], carry=False))
    assert all(r[:4] == [0, 1, 2, 4] for r in fresh)       # carry off: every generation warms up


def test_auto_resumes_carried_rates_without_a_new_warmup():
    first = make("auto")
    for _ in range(20):  # speculation at 3 tok / 0.1 s pays against 1 tok / 0.2 s
        k = first.next_k()
        first.observe(cycle(0, 0, 0.2) if k == 0 else cycle(k, 2, 0.1))
    second = make("auto")
    second.resume(first.carry())
    assert second.next_k() > 0 and second.rate == first.rate   # no target-only warm-up again
    off = make("auto", carry=False)
    assert off.carry() is None and off.next_k() == 0


def test_auto_k_never_falls_under_k_min():
    """HF's schedule (+2 on a full accept, -1 otherwise) drops k to 1 in a run of
    rejections; `k_min` floors it (speculation still pays here, so auto keeps drafting)."""
    ks = {}
    for k_min in (1, 3):
        ctl, seen = make("auto", k_min=k_min), []
        for _ in range(30):
            k = ctl.next_k()
            seen.append(k)
            ctl.observe(cycle(0, 0, 0.2) if k == 0 else cycle(k, k - 1, 0.1))   # never all accepted
        ks[k_min] = [k for k in seen if k]
    assert min(ks[1]) == 1 and min(ks[3]) == 3 and ks[3][-1] == 3


def test_decoder_hands_the_carried_state_on(pair):
    target, _ = pair
    dec = SpeculativeDecoder(target, MethodConfig(proposer="draft", controller="auto", k=4),
                             SamplingConfig(0.0), {"draft": copy_of(target)})
    ks_of(dec, 1)
    assert dec.carried["rate"]["plain"] is not None         # measured in generation 1
    seen = []
    original = CONTROLLERS.get("auto").resume
    try:
        CONTROLLERS.get("auto").resume = lambda self, state: (seen.append(state), original(self, state))
        ks_of(dec, 1)
    finally:
        CONTROLLERS.get("auto").resume = original
    assert seen[0]["rate"]["plain"] is not None              # generation 2 started from it


def test_controllers_without_state_carry_nothing(pair):
    dec = decoder_for(pair, "fixed")
    ks_of(dec, 1)
    assert dec.carried is None


# -- exactness -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NEW)
def test_new_controllers_are_exact_at_t0(pair, name):
    target, draft = pair
    prompt = [1, 2, 3, 4, 5, 1, 2, 3, 6, 7]
    gen_cfg = GenerationConfig(max_new_tokens=40, stop_at_eos=False)
    ref = generate(target, prompt, method=MethodConfig(proposer="none"), sampling=SamplingConfig(0.0),
                   gen_cfg=gen_cfg).output_ids
    dec = decoder_for(pair, name)
    for _ in range(3):  # the carried state changes the choices, never the tokens
        assert dec.generate(prompt, gen_cfg).output_ids == ref


DIST_V, DIST_NEW, DIST_RUNS, DIST_PROMPT = 5, 3, 1000, [1, 2, 3, 1, 2, 3, 1, 2]


def joint_law(lm, sampling):
    """P(y1..y3 | DIST_PROMPT) of every sequence, by enumeration over the vocabulary."""
    law = {(): 1.0}
    for _ in range(DIST_NEW):
        nxt = {}
        for prefix, mass in law.items():
            with torch.no_grad():
                p = warp(lm.model(torch.tensor([DIST_PROMPT + list(prefix)])).logits[0, -1:], sampling)[0]
            nxt.update({prefix + (v,): mass * float(p[v]) for v in range(DIST_V)})
        law = nxt
    return law


@pytest.mark.parametrize("name", NEW)
def test_new_controllers_keep_the_target_distribution(name):
    """Chi-square of 1000 seeded runs (the controller's state carried from run to run, so
    its choices move) against the exact law of the first 3 tokens."""
    target = tiny_lm(vocab=DIST_V, seed=3, layers=1, hidden=16, scale=2.0)
    sampling = SamplingConfig(1.0)
    params = {"candidates": [0, 1, 2, 3], "probe_every": 2, "cooldown": 1} if name != "specdecpp" else {}
    method = MethodConfig(proposer="draft", controller=name, k=3, controller_params=params)
    dec = SpeculativeDecoder(target, method, sampling, {"draft": perturbed(target, 0.5)})
    counts = {}
    for seed in range(DIST_RUNS):
        out = tuple(dec.generate(DIST_PROMPT, GenerationConfig(max_new_tokens=DIST_NEW, seed=seed,
                                                               stop_at_eos=False)).output_ids)
        counts[out] = counts.get(out, 0) + 1
    law = joint_law(target, sampling)
    keys = [k for k in law if law[k] * DIST_RUNS >= 5]
    rest = [k for k in law if k not in keys]
    expected = [law[k] * DIST_RUNS for k in keys] + [sum(law[k] for k in rest) * DIST_RUNS]
    observed = [counts.get(k, 0) for k in keys] + [sum(counts.get(k, 0) for k in rest)]
    assert set(counts) <= set(law)
    scale = sum(observed) / sum(expected)  # float sums: make the totals agree exactly
    assert chisquare(observed, [e * scale for e in expected]).pvalue > 1e-3


# -- bad params ------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params,match", [
    ("ewma", {"candidates": []}, "non-empty list of integers"),
    ("ewma", {"candidates": [1, 1, 2]}, "repeat a draft length"),
    ("ewma", {"candidates": [1, -2]}, "integers >= 0"),
    ("ewma", {"alpha": 0}, r"alpha must be in \(0, 1\]"),
    ("ewma", {"margin": -0.1}, "margin must be >= 0"),
    ("ewma", {"low_ratio": 2.0}, "low_ratio"),
    ("ewma", {"streak": 0}, "streak must be >= 1"),
    ("breakeven", {"probe_every": 0}, "probe_every must be >= 1"),
    ("breakeven", {"margin": 0.1}, "Unknown parameter 'margin'"),
    ("specdecpp", {"threshold": 1.5}, r"threshold must be in \(0, 1\)"),
    ("auto", {"carry": "yes"}, "must be bool"),
    ("auto", {"k_min": 20}, "1 <= k_min <= k_max"),
])
def test_bad_params_give_one_line_errors(name, params, match):
    with pytest.raises(SpecDecodeError, match=match) as err:
        make(name, **params)
    assert "\n" not in str(err.value)


def test_missing_head_is_a_one_line_error(tmp_path):
    ctl = make("specdecpp", head=str(tmp_path))
    with pytest.raises(SpecDecodeError, match="no accept_head.safetensors") as err:
        ctl.stop(0, torch.zeros(4), torch.zeros(8))
    assert "\n" not in str(err.value)


# -- analysis: oracle best fixed k, k-per-cycle plot -------------------------------------
def run_records():
    def r(method, controller, k, ks, t=0.0, proposer="draft"):
        cfg = {"kind": "loop", "proposer": proposer, "controller": controller, "k": k, "proposer_params": {},
               "verifier": "auto", "verifier_params": {}}
        return {"method": method, "method_config": cfg, "temperature": t, "status": "ok",
                "trace": [{"k": x} for x in ks]}
    return [r("target-only", "fixed", 4, [0, 0], proposer="none"), r("k2", "fixed", 2, [2, 2]),
            r("k4", "fixed", 4, [4, 4]), r("ewma", "ewma", 4, [0, 1, 2, 4, 4]), r("ewma", "ewma", 4, [4, 2])]


def test_oracle_best_fixed_k_per_suite():
    from specdecode.analysis.oracle import oracle_fixed_k, render_oracle_md

    cells = [{"method": m, "suite": s, "temperature": 0.0, "tokens_per_s": v}
             for s, vals in {"code": (10, 20, 30, 29.5), "chat": (10, 14, 12, 12.0)}.items()
             for m, v in zip(("target-only", "k2", "k4", "ewma"), vals)]
    rows = {r["suite"]: r for r in oracle_fixed_k(cells, run_records())}
    assert rows["code"]["best_method"] == "k4" and rows["chat"]["best_method"] == "k2"
    assert rows["code"]["fixed_tried"] == [2, 4]
    (code,), (chat,) = rows["code"]["adaptive"], rows["chat"]["adaptive"]
    assert math.isclose(code["ratio"], 29.5 / 30) and code["within"]
    assert math.isclose(chat["ratio"], 12 / 14) and not chat["within"]
    assert "## Oracle best fixed k per suite" in render_oracle_md(list(rows.values()))


def test_oracle_compares_an_adaptive_method_only_with_fixed_k_of_its_own_draft_model():
    from specdecode.analysis.oracle import oracle_fixed_k

    def r(method, controller, draft):
        rec = run_records()[1]
        cfg = dict(rec["method_config"], controller=controller, k=4)
        return dict(rec, method=method, method_config=cfg, models={"draft": {"name": draft, "hash": draft[-1]}})
    recs = [r("big-k4", "fixed", "zoo:big"), r("small-k4", "fixed", "zoo:small"), r("small-auto", "auto", "zoo:small")]
    cells = [{"method": m, "suite": "code", "temperature": 0.0, "tokens_per_s": v}
             for m, v in (("big-k4", 20.0), ("small-k4", 10.0), ("small-auto", 12.0))]
    (row,) = oracle_fixed_k(cells, recs)
    assert row["best_method"] == "small-k4" and row["fixed_tried"] == [4]
    assert [a["method"] for a in row["adaptive"]] == ["small-auto"] and math.isclose(row["adaptive"][0]["ratio"], 1.2)


def test_k_per_cycle_plot(tmp_path):
    from specdecode.analysis.plots_controllers import adaptive_methods, k_series, write_controller_plots

    recs = run_records()
    assert adaptive_methods(recs) == ["ewma"]
    ks, starts = k_series(recs, "ewma", 0.0)
    assert list(ks) == [0, 1, 2, 4, 4, 4, 2] and starts == [0, 5]
    # a stop-hook controller asks for its cap and stops earlier: the plot shows where
    stopper = dict(recs[-1], method="conf", trace=[{"k": 8, "drafted": 3}, {"k": 8, "drafted": 8}])
    assert list(k_series(recs + [stopper], "conf", 0.0)[0]) == [3, 8]
    assert [name for name, _ in write_controller_plots(recs, tmp_path)] == ["controllers_k.png"]
    assert (tmp_path / "controllers_k.png").stat().st_size > 0
