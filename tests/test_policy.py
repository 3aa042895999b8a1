"""JointAdaSpec (specdecode/policy, controllers jointadaspec and random-policy): value
iteration, the Laplace estimator, the structure checks, policy-file errors, and the
collect -> solve -> decode pipeline on tiny models, exact at T = 0."""
import json
import shutil

import numpy as np
import pytest
import scipy.sparse as sp

from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
from specdecode.errors import SpecDecodeError
from specdecode.policy.check import conditions
from specdecode.policy.collect import CollectConfig, collect
from specdecode.policy.estimate import laplace, shrunk_mean
from specdecode.policy.io import SCHEMA, load_policy, policy_name, read_traces
from specdecode.policy.report import run_check
from specdecode.policy.solve import value_iteration
from specdecode.policy.states import CONTINUE, Bins, feasible, index, state_of, unpack
from specdecode.policy.tables import solve_all
from tiny_models import copy_of, perturbed, tiny_lm, with_copy_head

PROMPT = [1, 2, 3, 4, 5, 1, 2, 3, 6, 7]
N_NEW = 40


# -- value iteration and the estimator ---------------------------------------------------
def test_value_iteration_finds_the_known_optimum():
    # state 0: a0 -> state 1 (reward 0), a1 -> stay (reward 1); state 1: a0 -> state 0
    # (reward 10), a1 -> stay (reward 0). With gamma 0.9 the best is to cycle 0 -> 1 -> 0.
    P = sp.csr_matrix(np.array([[0, 1], [1, 0], [1, 0], [0, 1]], dtype=float))  # rows s * A + a
    R = np.array([[0.0, 1.0], [10.0, 0.0]])
    q, v, it, res = value_iteration(P, R, np.ones((2, 2), bool), gamma=0.9, eps=1e-10)
    g = 0.9
    v0 = 10 * g / (1 - g * g)
    assert q.argmax(axis=1).tolist() == [0, 0]
    assert v == pytest.approx([v0, 10 + g * v0], rel=1e-8)
    assert res < 1e-10 and it > 10


def test_value_iteration_respects_forbidden_actions():
    P = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float))
    R = np.array([[5.0, 1.0], [5.0, 1.0]])
    allowed = np.array([[False, True], [True, True]])
    q, _, _, _ = value_iteration(P, R, allowed, gamma=0.5, eps=1e-12)
    assert q.argmax(axis=1).tolist() == [1, 0] and q[0, 0] == -np.inf


def test_laplace_estimator_known_answer():
    probs = laplace(np.array([3.0, 1.0, 0.0]), np.array([True, True, True]), alpha=1.0)
    assert probs == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    # an unreachable next state gets no prior mass, but keeps what was seen there
    probs = laplace(np.array([3.0, 1.0, 2.0]), np.array([True, True, False]), alpha=1.0)
    assert probs == pytest.approx([4 / 8, 2 / 8, 2 / 8])
    # never seen: the prior alone, uniform over the reachable states
    assert laplace(np.zeros(4), np.array([True, False, True, False]), 2.0) == pytest.approx([.5, 0, .5, 0])
    means = shrunk_mean(np.array([[6.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([1.0, 4.0]), alpha=1.0)
    assert means[0] == pytest.approx([7 / 3, 4.0])


def test_state_index_round_trip():
    bins = Bins()
    for s in range(bins.n_states):
        h, k, p = unpack(bins, s)
        assert index(bins, h, k, p) == s
    assert state_of(bins, 0.1, None, 20) == index(bins, 0, 0, bins.window)  # long windows clip
    assert not feasible(bins)[index(bins, 1, 1, bins.window), CONTINUE]


# -- the structure conditions -------------------------------------------------------------
SMALL = Bins(entropy=(1.0,), kl=(1.0,), window=3, grid=(1.0, 2.0))


def structured_table(bins, sign=1.0):
    """Q built to satisfy every condition (sign = 1) or to break the entropy ones (-1):
    stop gain grows with entropy and position; the lossier T pays more where KL is high."""
    q = np.zeros((bins.n_states, bins.n_actions))
    for s in range(bins.n_states):
        h, k, p = unpack(bins, s)
        base = sign * 2 * h + p - 2.2
        q[s, 1] = base
        q[s, 2] = base + 0.5 * k - 0.2
    allowed = feasible(bins)
    q = np.where(allowed, q, -np.inf)
    return {"policy": q.argmax(axis=1).tolist(), "q": [[None if not np.isfinite(x) else x for x in r] for r in q],
            "visits": [10] * bins.n_states}


def by_name(conds):
    return {c.name.split(" ")[0]: c for c in conds}


def test_conditions_hold_on_a_structured_mdp():
    conds = by_name(conditions(SMALL, structured_table(SMALL)))
    assert all(c.passed for c in conds.values()), [c.to_json() for c in conds.values() if not c.passed]
    assert all(c.checked > 0 for c in conds.values())


def test_conditions_fail_on_a_violating_mdp():
    conds = by_name(conditions(SMALL, structured_table(SMALL, sign=-1.0)))
    assert not conds["stop-monotone-entropy"].passed
    assert not conds["supermodular-entropy-stop"].passed
    assert conds["supermodular-entropy-stop"].violations[0]["diff_high"] < conds["supermodular-entropy-stop"].violations[0]["diff_low"]
    assert conds["supermodular-kl-threshold"].passed  # the KL part was left intact


def test_forbidden_sides_are_not_judged():
    # a cascade forbids continue where its length solve stopped (and stop where it went on):
    # that state's gain is +-inf and says nothing about supermodularity
    table = structured_table(SMALL)
    q = np.array([[-np.inf if x is None else x for x in r] for r in table["q"]])
    q[index(SMALL, 1, 0, 1), CONTINUE] = -np.inf
    q[index(SMALL, 0, 0, 1), 1:] = -np.inf
    table["q"] = [[None if not np.isfinite(x) else x for x in r] for r in q]
    cond = by_name(conditions(SMALL, table))["supermodular-entropy-stop"]
    assert cond.passed and cond.checked == by_name(conditions(SMALL, structured_table(SMALL)))["supermodular-entropy-stop"].checked - 1


def test_unvisited_states_are_not_judged():
    table = structured_table(SMALL, sign=-1.0)
    table["visits"] = [0] * SMALL.n_states
    assert all(c.passed and c.checked == 0 for c in conditions(SMALL, table))


# -- policy files -------------------------------------------------------------------------
def write_policy(path, bins, policy, target="tiny-t", draft="tiny-d", traces="", traces_hash=""):
    policy = np.asarray(policy)
    table = {"policy": policy.tolist(), "best_stop": np.maximum(policy, 1).tolist(), "q": [], "visits": [],
             "iterations": 0, "residual": 0.0, "c_time": 0.0, "rate": 0.0, "n_transitions": 0}
    manifest = {"target": {"name": target, "hash": "x"}, "draft": {"name": draft, "hash": "y"},
                "bins": bins.to_json(), "kappa": 0.0, "traces": traces, "traces_hash": traces_hash, "n_traces": 0}
    path.write_text(json.dumps({"schema": SCHEMA, "kind": "jointadaspec", "manifest": manifest,
                                "tables": {"greedy": table, "sampled": table}}))
    return path


def test_missing_policy_names_the_commands(tmp_path):
    with pytest.raises(SpecDecodeError, match=r"not found; build it with `specdecode policy collect.*policy solve"):
        load_policy(str(tmp_path / "nope.json"))
    with pytest.raises(SpecDecodeError, match="needs controller.policy=PATH"):
        load_policy("")


def test_solving_a_file_that_is_not_collected_traces_names_the_command(tmp_path, capsys):
    from specdecode.cli import main

    other = tmp_path / "run.jsonl"
    other.write_text('{"a": 1}\n')
    assert main(["policy", "solve", str(other)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not traces written by `specdecode policy collect`" in err[0], err


def test_bad_policy_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecDecodeError, match=r"not a valid policy table.*specdecode policy solve"):
        load_policy(str(bad))
    short = write_policy(tmp_path / "short.json", Bins(), [1] * 5)
    with pytest.raises(SpecDecodeError, match=r"wrong bins: 5 states in the table, 128 in its bins"):
        load_policy(str(short))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema": 0}))
    with pytest.raises(SpecDecodeError, match="schema 0"):
        load_policy(str(old))


def test_policy_for_another_pair_is_refused(tmp_path):
    path = write_policy(tmp_path / "p.json", SMALL, [1] * SMALL.n_states)
    assert load_policy(str(path), "tiny-t", "tiny-d").bins == SMALL
    with pytest.raises(SpecDecodeError, match=r"solved for target tiny-t, not other.*policy collect"):
        load_policy(str(path), target="other")


def test_stale_policy_is_refused(tmp_path):
    from specdecode.policy.io import traces_hash

    traces = tmp_path / "traces.jsonl"
    traces.write_text('{"a": 1}\n')
    path = write_policy(tmp_path / "p.json", SMALL, [1] * SMALL.n_states, traces=str(traces),
                        traces_hash=traces_hash(traces))
    load_policy(str(path))
    traces.write_text('{"a": 1}\n{"a": 2}\n')
    with pytest.raises(SpecDecodeError, match=r"is stale: .* changed since it was solved; rerun `specdecode policy solve"):
        load_policy(str(path))


# -- the pipeline on tiny models ----------------------------------------------------------
@pytest.fixture(scope="module")
def target():
    return tiny_lm(vocab=24, seed=0, scale=3.0)


@pytest.fixture(scope="module")
def reference(target):
    return run(target, MethodConfig(proposer="none")).output_ids


@pytest.fixture(scope="module")
def pipeline(target, tmp_path_factory):
    """collect (2 code prompts x T in {0, 1}) -> solve (kappa 0 and 2)."""
    out = tmp_path_factory.mktemp("policy")
    draft = perturbed(target, 0.3)
    cfg = CollectConfig(target="tiny-t", draft="tiny-d", suites=("code",), n_prompts=2, max_new_tokens=48,
                        chat=False, min_verify_rows=1, temperatures=(0.0, 1.0))
    ids = {"target": {"name": "tiny-t", "hash": "x"}, "draft": {"name": "tiny-d", "hash": "y"}}
    first = collect(cfg, out, models=(target, draft, ids))
    again = collect(cfg, out, models=(target, draft, ids))  # resumed: nothing left to do
    written = solve_all(out / "traces.jsonl", out, Bins(), kappas=(0.0, 2.0))
    return out, draft, first, again, written


def run(target, method, draft=None, temperature=0.0, seed=0):
    return generate(target, PROMPT, draft=draft, method=method, sampling=SamplingConfig(temperature),
                    gen_cfg=GenerationConfig(max_new_tokens=N_NEW, stop_at_eos=False, seed=seed))


def joint(path, k=4):
    return MethodConfig(proposer="draft", verifier="fuzzy", controller="jointadaspec", k=k,
                        controller_params={"policy": str(path), "target": "tiny-t"})


def test_collect_is_resumable_and_complete(pipeline):
    out, _, first, again, _ = pipeline
    assert first["done"] == 4 and first["steps"] > 20
    assert again == {"done": 0, "skipped": 4, "steps": 0}
    lines = read_traces(out / "traces.jsonl")
    assert sorted(ln["temperature"] for ln in lines) == [0.0, 0.0, 1.0, 1.0]
    steps = lines[0]["steps"]
    n = len(steps["a"])
    assert all(len(v) == n for v in steps.values())
    assert sum(steps["end"]) == 1 and steps["a"][-1] != CONTINUE   # one terminal stop per generation
    stops = [i for i in range(n) if steps["a"][i] != CONTINUE]
    assert all(steps["tokens"][i] == steps["accepted"][i] + 1 for i in stops)
    assert all(steps["pos2"][i] in (1, -1) for i in stops)          # a stop starts a new window
    assert all(ms >= 0 for ms in steps["ms"])


def test_collect_refuses_other_settings(pipeline, target):
    out, draft, *_ = pipeline
    ids = {"target": {"name": "tiny-t", "hash": "x"}, "draft": {"name": "tiny-d", "hash": "y"}}
    cfg = CollectConfig(target="tiny-t", draft="tiny-d", suites=("code",), n_prompts=2, chat=False,
                        min_verify_rows=1, window=5)
    with pytest.raises(SpecDecodeError, match=r"collected with other settings \(.*window.*\)"):
        collect(cfg, out, models=(target, draft, ids))


def test_resume_reads_an_older_manifest_as_fp32(tmp_path):
    from specdecode.policy.collect import check_resume

    cfg = CollectConfig(target="tiny-t", draft="tiny-d")
    old = {k: v for k, v in cfg.manifest({}).items() if k != "dtype"}  # written before --dtype existed
    (tmp_path / "traces.jsonl").write_text("")
    (tmp_path / "traces.manifest.json").write_text(json.dumps(old))
    check_resume(tmp_path, cfg.manifest({}))                     # fp32: the same settings
    with pytest.raises(SpecDecodeError, match=r"collected with other settings \(dtype\)"):
        check_resume(tmp_path, CollectConfig(target="tiny-t", draft="tiny-d", dtype="bf16").manifest({}))


def test_collect_cli_refuses_a_bad_dtype(capsys):
    from specdecode.cli import main

    with pytest.raises(SystemExit) as e:
        main(["policy", "collect", "--dtype", "fp8"])
    assert e.value.code == 2 and "is not a dtype; use one of" in capsys.readouterr().err


def test_solve_writes_every_kind_and_kappa(pipeline):
    out, *_, written = pipeline
    names = sorted(p.name for p in written)
    assert names == sorted(policy_name(k, kappa) for k in ("jointadaspec", "cascade-length", "cascade-threshold")
                           for kappa in (0.0, 2.0))
    raw = json.loads((out / "jointadaspec-kappa0.json").read_text())
    assert set(raw["tables"]) == {"greedy", "sampled"}
    assert raw["manifest"]["target"]["name"] == "tiny-t" and raw["manifest"]["n_traces"] == 4
    for t in raw["tables"].values():
        assert t["residual"] < 1e-4 and t["n_transitions"] > 0
    greedy = np.asarray(raw["tables"]["greedy"]["policy"])
    assert set(greedy.tolist()) <= {0, 1}   # at T = 0 only continue or stop at T = 1
    length_first = json.loads((out / "cascade-length-kappa0.json").read_text())["tables"]["greedy"]
    assert set(length_first["policy"]) <= {0, 1}


@pytest.mark.parametrize("kind", ["jointadaspec", "cascade-length", "cascade-threshold"])
def test_solved_tables_decode_exactly_at_t0(pipeline, target, reference, kind):
    out, draft, *_ = pipeline
    res = run(target, joint(out / policy_name(kind, 2.0)), draft)
    assert res.output_ids == reference
    assert res.stats["drafted"] > 0


def test_solved_table_runs_at_t1(pipeline, target):
    out, draft, *_ = pipeline
    res = run(target, joint(out / policy_name("jointadaspec", 0.0)), draft, temperature=1.0)
    assert len(res.output_ids) == N_NEW


def test_check_reports_conditions_and_plots(pipeline, tmp_path):
    out, *_ = pipeline
    runs = tmp_path / "runs.jsonl"
    rec = {"status": "ok", "method": "jointadaspec-k0", "temperature": 0.0,
           "counters": {"new_tokens": 10, "decode_s": 2.0}, "quality": {"score": 0.5}}
    runs.write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "method": "target-only"}) + "\n")
    summary = run_check([out / "jointadaspec-kappa0.json"], tmp_path / "check", runs, min_visits=1)
    table = summary["policies"][0]["tables"]["sampled"]
    assert len(table["conditions"]) == 5 and table["iterations"] >= 1
    assert (tmp_path / "check" / "check.md").read_text().count("| stop-monotone-entropy |") == 2
    assert (tmp_path / "check" / table["heatmap"]).stat().st_size > 0
    assert (tmp_path / "check" / "pareto.png").exists()
    assert summary["pareto"]["points"][0]["tokens_per_s"] == pytest.approx(5.0)


def test_stale_after_more_collecting(pipeline, target, tmp_path):
    out, draft, *_ = pipeline
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    solve_all(copy / "traces.jsonl", copy, Bins(), kappas=(0.0,))
    with open(copy / "traces.jsonl", "a") as fh:
        fh.write(json.dumps({"key": "x", "temperature": 0.0, "steps": {}}) + "\n")
    with pytest.raises(SpecDecodeError, match="is stale"):
        run(target, joint(copy / policy_name("jointadaspec", 0.0)), draft)


def test_a_moved_policy_folder_checks_its_own_traces(pipeline, target, tmp_path):
    """Policies name their traces relative to their folder, so a committed folder works in
    any clone: after a move the copy is fresh, and a change to the original is not the copy's."""
    out, draft, *_ = pipeline
    solved = tmp_path / "solved"
    shutil.copytree(out, solved)
    solve_all(solved / "traces.jsonl", solved, Bins(), kappas=(0.0,))
    moved = tmp_path / "elsewhere" / "pair"
    shutil.copytree(solved, moved)
    path = moved / policy_name("jointadaspec", 0.0)
    assert json.loads(path.read_text())["manifest"]["traces"] == "traces.jsonl"
    with open(solved / "traces.jsonl", "a") as fh:  # the original grows; the copy is unchanged
        fh.write(json.dumps({"key": "x", "temperature": 0.0, "steps": {}}) + "\n")
    run(target, joint(path), draft)
    with open(moved / "traces.jsonl", "a") as fh:
        fh.write(json.dumps({"key": "x", "temperature": 0.0, "steps": {}}) + "\n")
    with pytest.raises(SpecDecodeError, match=f"is stale: {moved / 'traces.jsonl'} changed"):
        run(target, joint(path), draft)


# -- exactness with all-exact thresholds --------------------------------------------------
def random_exact_policy(bins, seed):
    """Random continue / stop decisions, every stop at T = 1 (exact)."""
    rng = np.random.default_rng(seed)
    policy = rng.choice([CONTINUE, 1], size=bins.n_states)
    policy[~feasible(bins)[:, CONTINUE]] = 1
    return policy


@pytest.mark.parametrize("which", ["perturbed", "different", "identical", "copy-head"])
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_thresholds_give_target_tokens_at_t0(target, reference, tmp_path, which, seed):
    drafts = {"perturbed": lambda: perturbed(target, 0.3),
              "different": lambda: tiny_lm(vocab=24, seed=7, layers=1, hidden=16, scale=3.0),
              "identical": lambda: copy_of(target),
              "copy-head": lambda: with_copy_head(tiny_lm(vocab=24, seed=7, layers=1, hidden=16, scale=3.0), (1, 3))}
    bins = Bins(window=4 + seed)
    path = write_policy(tmp_path / "p.json", bins, random_exact_policy(bins, seed))
    res = run(target, joint(path), drafts[which]())
    assert res.output_ids == reference


def test_exact_thresholds_never_mismatch_at_t1(target, tmp_path):
    bins = Bins(window=5)
    path = write_policy(tmp_path / "p.json", bins, random_exact_policy(bins, 3))
    res = run(target, joint(path), perturbed(target, 0.3), temperature=1.0, seed=4)
    assert res.stats["drafted"] > 0
    assert sum(c.mismatches for c in res.cycles) == 0


def test_lossy_table_switches_to_the_sampled_table(target, tmp_path):
    bins = Bins(window=3)
    policy = np.full(bins.n_states, len(bins.grid))   # stop at once, the loosest T
    path = write_policy(tmp_path / "p.json", bins, policy)
    res = run(target, joint(path), perturbed(target, 1.0), temperature=1.0, seed=2)
    assert sum(c.mismatches for c in res.cycles) > 0   # lossy thresholds did reach the verifier


def test_random_policy_is_exact_at_t0(target, reference):
    method = MethodConfig(proposer="draft", verifier="fuzzy", controller="random-policy",
                          controller_params={"p_stop": 0.4, "seed": 3})
    assert run(target, method, perturbed(target, 0.3)).output_ids == reference
