"""Property-based tests (hypothesis) of the input boundary: the numeric options of the CLI,
the config dataclasses, role params and the benchmark config loader.

The invariant everywhere: an input either validates (and then every number in it is finite
and in range, and its JSON form is strict JSON), or it gets ONE clean error: a
SpecDecodeError (in Python) or exit 2 with one `error:` line and no traceback (the CLI).
No other exception, ever. No model is loaded: generate is stopped where it would load one.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import math
import os
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from specdecode.bench.config import BenchConfig, from_dict, load_config
from specdecode.cli import main
from specdecode.config import (MAX_THREADS, MAX_VERIFY_ROWS, MIN_TEMPERATURE, GenerationConfig, MethodConfig,
                               SamplingConfig)
from specdecode.errors import SpecDecodeError
from specdecode.inputs import SEED_MAX
from specdecode.params import build_params

# SPECDECODE_HYPOTHESIS_SCALE=10 runs ten times the examples (a deeper local hunt)
SCALE = float(os.environ.get("SPECDECODE_HYPOTHESIS_SCALE", "1"))
SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(SETTINGS, max_examples=int(300 * SCALE))
SOME = settings(SETTINGS, max_examples=int(80 * SCALE))

# -- strategies --------------------------------------------------------------------------------

big_ints = st.integers(min_value=-(2**70), max_value=2**70)
small_ints = st.integers(min_value=-3, max_value=80)
floats = st.floats(allow_nan=True, allow_infinity=True)
numbers = st.one_of(small_ints, big_ints, floats, st.booleans(),
                    st.sampled_from([0, 1, 0.0, 0.5, 1.0, 1e-7, 1e-6, 64, 65, 1024, 1025, SEED_MAX, SEED_MAX + 1]))
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)
scalars = st.one_of(st.none(), numbers, text,
                    st.sampled_from(["code", "math", "none", "draft", "ngram", "fixed", "auto", "confidence",
                                     "zoo:tiny", "test", "dev", "hf-assisted", ".nan"]))
yaml_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(text, small_ints), inner, max_size=3)), max_leaves=6)


def strict_json(obj) -> str:
    """json.dumps that refuses NaN / Infinity, as every record writer does."""
    return json.dumps(obj, allow_nan=False, default=str)


def one_line(exc: SpecDecodeError) -> bool:
    return "\n" not in str(exc) and bool(str(exc).strip())


# -- config dataclasses --------------------------------------------------------------------------

@MANY
@given(temperature=numbers, top_k=numbers, top_p=numbers)
def test_sampling_config_validates_or_one_error(temperature, top_k, top_p):
    try:
        cfg = SamplingConfig(temperature, top_k, top_p)
    except SpecDecodeError as exc:
        assert one_line(exc)
        return
    assert math.isfinite(cfg.temperature) and (cfg.temperature == 0 or cfg.temperature >= MIN_TEMPERATURE)
    assert isinstance(cfg.top_k, int) and not isinstance(cfg.top_k, bool) and cfg.top_k >= 0
    assert math.isfinite(cfg.top_p) and 0 < cfg.top_p <= 1
    strict_json(dataclasses.asdict(cfg))


@MANY
@given(max_new_tokens=numbers, seed=numbers, k=numbers,
       stops=st.one_of(st.lists(text, max_size=2).map(tuple), text, st.none()))
def test_generation_and_method_config_validate_or_one_error(max_new_tokens, seed, k, stops):
    try:
        gen = GenerationConfig(max_new_tokens=max_new_tokens, seed=seed, stop_strings=stops)
    except SpecDecodeError as exc:
        assert one_line(exc)
    else:
        assert isinstance(gen.max_new_tokens, int) and not isinstance(gen.max_new_tokens, bool)
        assert gen.max_new_tokens >= 0 and 0 <= gen.seed <= SEED_MAX and not isinstance(gen.seed, bool)
        assert all(isinstance(s, str) and s for s in gen.stop_strings)
    try:
        method = MethodConfig(proposer="ngram", k=k)
    except SpecDecodeError as exc:
        assert one_line(exc)
    else:
        assert isinstance(method.k, int) and not isinstance(method.k, bool) and method.k >= 1


def _role_params():
    from specdecode.bench.peers import PEERS
    from specdecode.controllers import CONTROLLERS
    from specdecode.proposers import PROPOSERS
    from specdecode.verifiers import VERIFIERS

    out = []
    for registry in (PROPOSERS, VERIFIERS, CONTROLLERS, PEERS):
        for name in registry.names():
            out.append((f"{registry.role} '{name}'", registry.get(name).Params))
    return out


ROLE_PARAMS = _role_params()


@MANY
@given(role=st.sampled_from(ROLE_PARAMS), data=st.data())
def test_role_params_validate_or_one_error(role, data):
    where, cls = role
    names = [f.name for f in dataclasses.fields(cls)]
    keys = st.sampled_from(names) if names else text
    params = data.draw(st.one_of(st.dictionaries(st.one_of(keys, text, small_ints), yaml_values, max_size=3),
                                 st.dictionaries(keys, numbers, max_size=3) if names else st.just({}),
                                 yaml_values))
    try:
        built = build_params(cls, params, where)
    except SpecDecodeError as exc:
        assert one_line(exc)
        return
    strict_json(dataclasses.asdict(built))  # no NaN / Infinity got through


# -- the benchmark config loader -------------------------------------------------------------------

BASE = {
    "target": "zoo:tiny", "draft": "zoo:tiny-draft", "suites": ["code", "math"], "split": "test",
    "n_prompts": 2, "seeds": [0], "temperatures": [0.0], "max_new_tokens": 8, "warmup": 0, "threads": 1,
    "methods": {
        "target-only": {"proposer": "none"},
        "draft-k4": {"proposer": "draft", "k": 4},
        "ngram-auto": {"proposer": "ngram", "controller": "auto", "k": 4},
        "conf": {"proposer": "draft", "controller": "confidence", "controller_params": {"threshold": 0.4}},
        "hf-assisted": {"peer": "hf-assisted", "k": 2, "params": {"confidence_threshold": 0.0}},
    },
    "ratios": [{"num": "draft-k4", "den": "target-only", "suite": "all", "goal": 1.5}],
}
assert isinstance(from_dict(copy.deepcopy(BASE)), BenchConfig)  # the base itself validates

NUMERIC_KEYS = ["n_prompts", "max_new_tokens", "warmup", "warmup_tokens", "threads", "top_k", "top_p",
                "min_verify_rows", "seeds", "temperatures"]
PATHS = [("methods", "draft-k4", "k"), ("methods", "ngram-auto", "controller_params"),
         ("methods", "conf", "controller_params", "threshold"), ("methods", "hf-assisted", "params",
                                                                  "confidence_threshold"),
         ("methods", "draft-k4", "proposer_params"), ("methods", "hf-assisted", "k"), ("ratios", 0, "goal"),
         ("ratios", 0, "temperature"), ("ratios", 0, "num"), ("ratios",), ("methods", "new"), ("suites",),
         ("target",), ("draft",), ("split",), ("position_stats",), ("chat",), ("bogus",)]


def _set(raw, path, value):
    node = raw
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def check_loaded(cfg: BenchConfig) -> None:
    """What a validated config guarantees."""
    d = cfg.to_dict()
    strict_json(d)
    for key in ("n_prompts", "max_new_tokens", "warmup_tokens"):
        assert type(d[key]) is int and d[key] >= 1, key
    assert type(d["warmup"]) is int and d["warmup"] >= 0
    assert type(d["threads"]) is int and 0 <= d["threads"] <= MAX_THREADS
    assert type(d["min_verify_rows"]) is int and 1 <= d["min_verify_rows"] <= MAX_VERIFY_ROWS
    assert type(d["top_k"]) is int and d["top_k"] >= 0 and 0 < d["top_p"] <= 1
    assert d["seeds"] and all(type(s) is int and 0 <= s <= SEED_MAX for s in d["seeds"])
    assert len(set(d["seeds"])) == len(d["seeds"]) and len(set(d["temperatures"])) == len(d["temperatures"])
    assert all(t == 0 or t >= MIN_TEMPERATURE for t in d["temperatures"])
    for r in d["ratios"]:
        assert r["goal"] is None or r["goal"] > 0


def loads_or_one_error(raw) -> None:
    try:
        cfg = from_dict(raw)
    except SpecDecodeError as exc:
        assert one_line(exc), str(exc)
        event("error")
        return
    event("validated")
    check_loaded(cfg)


@MANY
@given(changes=st.lists(st.tuples(st.sampled_from(NUMERIC_KEYS), st.one_of(numbers, st.lists(numbers, max_size=3))),
                        min_size=1, max_size=4))
def test_config_numbers_validate_or_one_error(changes):
    raw = copy.deepcopy(BASE)
    for key, value in changes:
        raw[key] = value
    loads_or_one_error(raw)


@MANY
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), yaml_values), min_size=1, max_size=4))
def test_config_any_values_validate_or_one_error(changes):
    raw = copy.deepcopy(BASE)
    for path, value in changes:
        try:
            _set(raw, path, value)
        except (KeyError, IndexError, TypeError):  # an earlier change replaced the parent: skip
            pass
    loads_or_one_error(raw)


@MANY
@given(raw=st.dictionaries(st.one_of(st.sampled_from(sorted(BASE) + NUMERIC_KEYS), text), yaml_values, max_size=6))
def test_config_random_mappings_validate_or_one_error(raw):
    loads_or_one_error(raw)


@pytest.fixture(scope="module")
def yaml_file(tmp_path_factory):
    return tmp_path_factory.mktemp("yaml") / "config.yaml"


@SOME
@given(doc=st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
    yaml_values.map(lambda v: yaml.safe_dump(v, default_flow_style=True)),
    st.lists(st.tuples(st.sampled_from(NUMERIC_KEYS), numbers), max_size=3).map(
        lambda kv: yaml.safe_dump({**BASE, **dict(kv)}, default_flow_style=True))))
def test_config_files_load_or_one_error(yaml_file, doc):
    yaml_file.write_text(doc, encoding="utf-8")
    try:
        cfg = load_config(str(yaml_file))
    except SpecDecodeError as exc:
        assert one_line(exc), str(exc)
        event("error")
        return
    event("validated")
    check_loaded(cfg)


# -- the CLI ---------------------------------------------------------------------------------------

class Validated(BaseException):
    """Raised where generate would load its first model: every input check has passed."""


def run_cli(argv) -> tuple[int | str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        except Validated:
            code = "validated"
    return code, out.getvalue(), err.getvalue()


def assert_one_clean_error(code, err) -> None:
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: "), err


INT_OPTIONS = {"--top-k": (0, None), "--seed": (0, SEED_MAX), "--k": (1, None), "--max-new-tokens": (0, None),
               "--min-verify-rows": (1, MAX_VERIFY_ROWS)}
FLOAT_OPTIONS = ("--temperature", "--top-p")
option_text = st.one_of(numbers.map(str), text,
                        st.sampled_from(["nan", "-nan", "inf", "-inf", "1e400", "1e-7", "0x10", "1_000", " 3",
                                         "+2", "-0", "0.0", "1.", ".5", "", "true"]))


def expected_valid(values: dict[str, str]) -> bool:
    """The oracle: what the CLI must accept (parsed the way Python parses the text)."""
    for flag, text_value in values.items():
        if flag in INT_OPTIONS:
            try:
                v = int(text_value)
            except ValueError:
                return False
            lo, hi = INT_OPTIONS[flag]
            if v < lo or (hi is not None and v > hi):
                return False
        else:
            try:
                v = float(text_value)
            except ValueError:
                return False
            if not math.isfinite(v):
                return False
            if flag == "--temperature" and not (v == 0 or v >= MIN_TEMPERATURE):
                return False
            if flag == "--top-p" and not 0 < v <= 1:
                return False
    return True


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("model")  # exists: generate stops before reading it


@SOME
@given(values=st.dictionaries(st.sampled_from(sorted(INT_OPTIONS) + list(FLOAT_OPTIONS)), option_text,
                              min_size=1, max_size=4),
       proposer=st.sampled_from(["none", "ngram"]))
def test_generate_numeric_options_validate_or_one_error(model_dir, values, proposer):
    argv = ["generate", "--target", str(model_dir), "--prompt", "hello", "--proposer", proposer]
    argv += [f"{flag}={value}" for flag, value in values.items()]  # `=`: a leading '-' stays a value
    with mock.patch("specdecode.models.load_model", side_effect=Validated):
        code, _, err = run_cli(argv)
    event(str(code))
    if code == "validated":
        assert expected_valid(values), (values, err)
    else:
        assert not expected_valid(values), (values, code, err)
        assert_one_clean_error(code, err)


BENCH_KEYS = NUMERIC_KEYS + ["methods.draft-k4.k", "methods.draft-auto.controller_params.ewma"]


@SOME
@given(sets=st.lists(st.tuples(st.sampled_from(BENCH_KEYS), st.one_of(numbers, st.lists(numbers, max_size=3))),
                     min_size=1, max_size=3))
def test_bench_set_numbers_validate_or_one_error(sets):
    argv = ["bench", "smoke", "--dry-run", "--methods", "target-only,draft-k4,draft-auto"]
    for key, value in sets:
        argv += ["--set", f"{key}={yaml.safe_dump(value, default_flow_style=True).removesuffix('...' + chr(10)).strip()}"]
    code, out, err = run_cli(argv)
    event(f"exit {code}")
    if code == 0:
        def no_constant(name):
            raise AssertionError(f"{name} in the resolved config")

        json.loads(out, parse_constant=no_constant)
    else:
        assert_one_clean_error(code, err)
