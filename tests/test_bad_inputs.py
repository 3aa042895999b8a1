"""Bad inputs of every class, driven through the CLI (`specdecode.cli.main`, in process).

Each case asserts: a non-zero exit, exactly ONE line on stderr (`error: ...` naming the
fix), no traceback, and no file changed (names + sha256 of the whole work directory, the
current directory and the zoo cache included, before and after). The classes:

    numbers    every numeric option, on the CLI and in YAML: finite, in range (NaN, Infinity,
               negatives, out-of-range counts, bools where counts are meant, repeated grid values)
    files      missing, a directory, unreadable, binary, not UTF-8; malformed YAML in a
               config file, in --set and in --param values
    outputs    a directory where a file is needed, a file where a directory is needed, an
               unwritable location
    devices    an unknown device string, CUDA on a build (or machine) without it
    usage      argparse's own errors (unknown flag, bad choice) are one line too

and, outside the table: options that change nothing warn (one `warning:` line, exit 0),
and a genuine bug keeps its traceback plus one line asking for a report.

"Unreadable" is simulated by making open() raise PermissionError for that one path: the
tests run as root on CI, where chmod cannot take read access away.
"""
from __future__ import annotations

import builtins
import hashlib
import json
import os
from pathlib import Path

import pytest

from specdecode.analysis.synthetic import SynthConfig, synthetic_run, write_run
from specdecode.cli import BUG_LINE, EXIT_BUG, main
from tiny_models import tiny_lm


# -- the work directory ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad-inputs")
    for name, seed, layers in (("target", 0, 2), ("draft", 1, 1)):
        lm = tiny_lm(vocab=24, seed=seed, layers=layers, hidden=16, max_len=64)
        lm.model.save_pretrained(root / name)
        lm.tokenizer.save_pretrained(root / name)
    (root / "target-int8").mkdir()  # the target's files, with a meta asking for int8 weights
    for f in (root / "target").iterdir():
        (root / "target-int8" / f.name).write_bytes(f.read_bytes())
    (root / "target-int8" / "specdecode_draft.json").write_text('{"quantize": "int8"}')
    (root / "prompt.txt").write_text("w1 w2 w3", encoding="utf-8")
    (root / "unreadable.txt").write_text("w1 w2", encoding="utf-8")
    (root / "empty.txt").write_text("")
    (root / "binary.bin").write_bytes(b"w1\x00\x01\x02w2")
    (root / "latin1.txt").write_bytes("café w1".encode("latin-1"))
    (root / "adir").mkdir()
    (root / "dir.jsonl").mkdir()
    (root / "dir.yaml").mkdir()
    (root / "afile").write_text("a plain file\n")
    (root / "suite.jsonl").write_text('{"id": "a", "prompt": "w1 w2", "split": "test"}\n', encoding="utf-8")
    (root / "latin1.jsonl").write_bytes('{"prompt": "café"}\n'.encode("latin-1"))
    (root / "binary.jsonl").write_bytes(b'{"prompt": "w1"}\n\x00\x00')
    (root / "latin1.yaml").write_bytes("target: café\n".encode("latin-1"))
    (root / "broken.yaml").write_text("methods: [1,\n")
    (root / "list.yaml").write_text("- target-only\n- ngram\n")
    (root / "unreadable.yaml").write_text("target: x\n")
    (root / "config.yaml").write_text(
        f"target: {root / 'target'}\nsuites: [{root / 'suite.jsonl'}]\nn_prompts: 1\nmax_new_tokens: 2\n"
        "warmup: 0\nthreads: 1\nmethods:\n  target-only: {proposer: none}\n  ngram-k4: {proposer: ngram, k: 4}\n"
        "ratios:\n  - {num: ngram-k4, den: target-only, goal: 1.1}\n", encoding="utf-8")
    write_run(synthetic_run(SynthConfig(n_prompts=2, max_new_tokens=8)), root / "run.jsonl")
    (root / "cache").mkdir()  # the zoo cache of every case ($SPECDECODE_CACHE)
    return root


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """A directory this process cannot create anything in."""
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        yield ro
        ro.chmod(0o755)
        return
    if not os.access("/proc/sys", os.W_OK):  # root: chmod does not stop root; /proc/sys does
        yield Path("/proc/sys")
        return
    pytest.skip("no unwritable location for root on this machine")


def unreadable(monkeypatch, path: Path) -> None:
    """open() of this one path fails as for a file without read permission."""
    real = builtins.open
    target = os.path.realpath(path)

    def fake_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(os.fspath(file)) == target:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: --help, or a usage error through Parser.error
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the table -------------------------------------------------------------------------------
# argv: "@/" is the work directory, "!RO" an unwritable directory. expected: a piece of the one
# error line. A third element names the command file whose boundary check the case exercises.

def gen(*extra, prompt: bool = True) -> list[str]:
    return ["generate", "--target", "@/target", "--max-new-tokens", "2",
            *(["--prompt", "w1 w2"] if prompt else []), *extra]


def bench(*extra, config: str = "@/config.yaml") -> list[str]:
    return ["bench", config, "--out", "@/out.jsonl", "--dry-run", "--no-progress", *extra]


def report(*extra) -> list[str]:
    return ["report", "@/run.jsonl", "--n-boot", "100", "--no-plots", "--color", "never", *extra]


S = "--set"
CASES: dict[str, tuple[list[str], str] | tuple[list[str], str, str]] = {
    # numbers: generate
    "temperature nan": (gen("--temperature", "nan"), "temperature must be a finite number >= 0 (got nan)"),
    "temperature inf": (gen("--temperature", "inf"), "temperature must be a finite number >= 0 (got inf)"),
    "temperature < 0": (gen("--temperature=-1"), "temperature must be a finite number >= 0"),
    "temperature tiny": (gen("--temperature", "1e-30"), "temperature must be 0 or >= 1e-06"),
    "temperature text": (gen("--temperature", "hot"), "argument --temperature: invalid float value"),
    "top-p nan": (gen("--top-p", "nan"), "top-p must be a finite number in (0, 1]"),
    "top-p 0": (gen("--top-p", "0"), "top-p must be a finite number in (0, 1]"),
    "top-p > 1": (gen("--top-p", "1.5"), "top-p must be a finite number in (0, 1]"),
    "top-k < 0": (gen("--top-k=-1"), "top-k must be an integer >= 0"),
    "top-k float": (gen("--top-k", "2.5"), "argument --top-k: invalid int value"),
    "seed < 0": (gen("--seed=-1"), "seed must be an integer in [0, 9223372036854775807]"),
    "seed 2**64": (gen("--seed", str(2**64)), "seed must be an integer in [0,"),
    "k 0": (gen("--k", "0"), "k must be an integer >= 1"),
    "k nan": (gen("--k", "nan"), "argument --k: invalid int value"),
    "max-new-tokens < 0": (gen("--max-new-tokens=-5"), "max_new_tokens must be an integer >= 0"),
    "min-verify-rows 0": (gen("--min-verify-rows", "0"), "--min-verify-rows: must be an integer in [1, 64]"),
    "min-verify-rows huge": (gen("--min-verify-rows", "100000"), "must be an integer in [1, 64]"),
    "param nan": (gen("--controller", "confidence", "--param", "controller.threshold=.nan"),
                  "Parameter 'threshold' of controller 'confidence' must be a finite number (got nan)"),
    "param inf": (gen("--controller", "auto", "--param", "controller.ewma=.inf"),
                  "Parameter 'ewma' of controller 'auto' must be a finite number (got inf)"),
    "param huge int as float": (gen("--controller", "confidence", "--param", f"controller.threshold={10**400}"),
                                "must be a finite number"),
    "param bool as int": (gen("--proposer", "ngram", "--param", "proposer.n_max=true"),
                          "Parameter 'n_max' of proposer 'ngram' must be int (got True)"),
    "empty stop string": (gen("--stop", ""), "a stop string must be a non-empty string"),
    # numbers: YAML (the bench config, through --set; --dry-run so that a missed check runs nothing)
    "temperatures nan": (bench(S, "temperatures=[.nan]"), "temperatures must be a finite number (got nan)"),
    "temperatures inf": (bench(S, "temperatures=[0, .inf]"), "temperatures must be a finite number (got inf)"),
    "temperatures < 0": (bench(S, "temperatures=[-0.5]"), "temperatures must be a finite number >= 0"),
    "temperatures repeated": (bench(S, "temperatures=[0.0, 0]"), "temperatures: 0.0 is listed twice"),
    "temperatures bool": (bench(S, "temperatures=[true]"), "temperatures must be float (got True)"),
    "seeds < 0": (bench(S, "seeds=[-1]"), "seeds must be an integer in [0,"),
    "seeds huge": (bench(S, f"seeds=[{2**64}]"), "seeds must be an integer in [0,"),
    "seeds repeated": (bench(S, "seeds=[3, 3]"), "seeds: 3 is listed twice"),
    "seeds float": (bench(S, "seeds=[1.5]"), "seeds must be int (got 1.5)"),
    "top_p nan": (bench(S, "top_p=.nan"), "top_p must be a finite number (got nan)"),
    "top_p 0": (bench(S, "top_p=0"), "top_p must be a finite number in (0, 1]"),
    "top_k < 0": (bench(S, "top_k=-3"), "top_k must be an integer >= 0"),
    "threads < 0": (bench(S, "threads=-1"), "threads must be an integer in [0, 1024]"),
    "threads huge": (bench(S, "threads=100000"), "threads must be an integer in [0, 1024]"),
    "min_verify_rows 0": (bench(S, "min_verify_rows=0"), "min_verify_rows must be an integer in [1, 64]"),
    "min_verify_rows huge": (bench(S, "min_verify_rows=4096"), "min_verify_rows must be an integer in [1, 64]"),
    "n_prompts 0": (bench(S, "n_prompts=0"), "n_prompts must be an integer >= 1"),
    "n_prompts bool": (bench(S, "n_prompts=true"), "n_prompts must be int (got True)"),
    "max_new_tokens 0": (bench(S, "max_new_tokens=0"), "max_new_tokens must be an integer >= 1"),
    "warmup < 0": (bench(S, "warmup=-1"), "warmup must be an integer >= 0"),
    "warmup_tokens 0": (bench(S, "warmup_tokens=0"), "warmup_tokens must be an integer >= 1"),
    "k nan (yaml)": (bench(S, "methods.ngram-k4.k=.nan"), "methods.ngram-k4: k must be an integer >= 1 (got nan)"),
    "k float (yaml)": (bench(S, "methods.ngram-k4.k=2.0"), "k must be an integer >= 1 (got 2.0)"),
    "proposer param inf (yaml)": (bench(S, "methods.ngram-k4.proposer_params={n_max: .inf}"),
                                  "Parameter 'n_max' of proposer 'ngram' must be a finite number (got inf)"),
    "controller param nan (yaml)": (bench(S, "methods.ngram-k4.controller=confidence",
                                          S, "methods.ngram-k4.controller_params={threshold: .nan}"),
                                    "Parameter 'threshold' of controller 'confidence' must be a finite number"),
    "peer param nan (yaml)": (bench(S, "methods.hf={peer: hf-assisted, k: 2, params: {confidence_threshold: .nan}}"),
                              "must be a finite number (got nan)"),
    "goal nan": (bench(S, "ratios=[{num: ngram-k4, den: target-only, goal: .nan}]"),
                 "ratios[0].goal must be a finite number > 0 (got nan)"),
    "goal negative": (bench(S, "ratios=[{num: ngram-k4, den: target-only, goal: -2}]"),
                      "ratios[0].goal must be a finite number > 0"),
    "goal text": (bench(S, "ratios=[{num: ngram-k4, den: target-only, goal: fast}]"),
                  "ratios[0].goal must be a finite number > 0 (got 'fast')"),
    "ratio temperature inf": (bench(S, "ratios=[{num: ngram-k4, den: target-only, temperature: .inf}]"),
                              "ratios[0].temperature must be a finite number >= 0"),
    "ratios not a list": (bench(S, "ratios=7"), "ratios must be a list"),
    "ratio method unhashable": (bench(S, "ratios=[{num: [a], den: target-only}]"),
                                "ratios[0].num: unknown method ['a']"),
    # numbers: the other subcommands
    "suites show --n 0": (["suites", "show", "code", "--n", "0"], "argument --n: must be an integer >= 1"),
    "zoo build --seed < 0": (["zoo", "build", "tiny", "--seed=-1"], "argument --seed: must be an integer in [0,"),
    "zoo measure --n 0": (["zoo", "measure", "--n", "0"], "argument --n: must be an integer >= 1"),
    "zoo measure --new-tokens": (["zoo", "measure", "--new-tokens", "nan"], "argument --new-tokens: must be an integer"),
    "zoo measure unknown suite": (["zoo", "measure", "--suites", "code,poetry"], "--suites: unknown suite 'poetry'"),
    "zoo measure --general": (["zoo", "measure", "--general", "-1"], "argument --general: must be an integer >= 0"),
    "report --n-boot nan": (report("--n-boot", "nan"), "argument --n-boot: invalid int value"),
    # files: prompts
    "prompt file missing": (gen("--prompt-file", "@/nope.txt", prompt=False), "prompt file '"),
    "prompt file is a directory": (gen("--prompt-file", "@/adir", prompt=False), "is a directory; give a file"),
    "prompt file unreadable": (gen("--prompt-file", "@/unreadable.txt", prompt=False), "is not readable (permission denied)"),
    "prompt file binary": (gen("--prompt-file", "@/binary.bin", prompt=False), "looks binary (it contains NUL bytes)"),
    "prompt file not UTF-8": (gen("--prompt-file", "@/latin1.txt", prompt=False), "is not UTF-8 text (byte 0xe9"),
    "prompt file empty": (gen("--prompt-file", "@/empty.txt", prompt=False), "is empty"),
    "prompt empty": (gen("--prompt", "", prompt=False), "the prompt is empty"),
    "no prompt": (gen(prompt=False), "no prompt; give --prompt TEXT or --prompt-file PATH"),
    # files: models
    "target is a file": (["generate", "--target", "@/afile", "--prompt", "w1"], "--target '"),
    "target missing": (["generate", "--target", "@/no-model", "--prompt", "w1"], "does not exist"),
    "draft is a file": (gen("--draft", "@/afile"), "--draft '"),
    "draft is not a model": (gen("--draft", "@/adir"), "cannot load model"),
    "bench target is a file": (bench(S, "target=@/afile"), "target '"),
    "int8 target, generate": (["generate", "--target", "@/target-int8", "--proposer", "ngram", "--prompt", "w1"],
                              "has int8 Linear layers, which suit drafts only"),
    "int8 target, bench": (bench(S, "target=@/target-int8"), "use the unquantized model as the target"),
    "int8 zoo target, never built": (bench(S, "target=zoo:qwen2.5-coder-0.5b-int8"),
                                     "target 'zoo:qwen2.5-coder-0.5b-int8' has int8 Linear layers"),
    # files: configs, suites, --set / --param values
    "config is a directory": (bench(config="@/dir.yaml"), "config file '"),
    "config unreadable": (bench(config="@/unreadable.yaml"), "is not readable (permission denied)"),
    "config binary": (bench(config="@/binary.bin"), "looks binary"),
    "config not UTF-8": (bench(config="@/latin1.yaml"), "is not UTF-8 text"),
    "config malformed YAML": (bench(config="@/broken.yaml"), "is not valid YAML"),
    "config not a mapping": (bench(config="@/list.yaml"), "must be a YAML mapping"),
    "config missing": (bench(config="@/nope.yaml"), "is neither a preset"),
    "--set malformed YAML": (bench(S, "n_prompts=[1,"), "bad --set 'n_prompts=[1,': the value is not valid YAML"),
    "--set bad date": (bench(S, "seeds=2020-13-45"), "the value is not valid YAML"),
    "--set no value": (bench(S, "n_prompts"), "bad --set 'n_prompts'; use KEY.PATH=VALUE"),
    "--param malformed YAML": (gen("--proposer", "ngram", "--param", "proposer.n_max={a: 1"),
                               "bad --param 'proposer.n_max={a: 1': the value is not valid YAML"),
    "--param no key": (gen("--param", "proposer.=3"), "bad --param 'proposer.=3'; use ROLE.KEY=VALUE"),
    "suite file missing": (["suites", "show", "@/nope.jsonl"], "suite file '"),
    "suite file is a directory": (["suites", "show", "@/dir.jsonl"], "is a directory; give a file"),
    "suite file binary": (["suites", "show", "@/binary.jsonl"], "looks binary"),
    "suite file not UTF-8": (["suites", "show", "@/latin1.jsonl"], "is not UTF-8 text"),
    "bench suite missing": (bench(S, "suites=[@/nope.jsonl]"), "suite file '"),
    "bench suite is a directory": (bench(S, "suites=[@/dir.jsonl]"), "is a directory; give a file"),
    "bench suite not UTF-8": (bench(S, "suites=[@/latin1.jsonl]"), "is not UTF-8 text"),
    "validate missing": (["validate", "@/nope.jsonl"], "nope.jsonl"),
    "validate a directory": (["validate", "@/adir"], "is a directory", "specdecode/commands/validate.py"),
    "validate not UTF-8": (["validate", "@/latin1.txt"], "is not UTF-8 text", "specdecode/commands/validate.py"),
    "report run missing": (["report", "@/nope.jsonl", "--no-plots"], "nope.jsonl"),
    "report run is a directory": (["report", "@/adir", "--no-plots"], "is a directory",
                                  "specdecode/commands/report.py"),
    # outputs
    "bench --out is a directory": (bench("--out", "@/adir"), "is a directory; give a file path",
                                   "specdecode/commands/bench.py"),
    "bench --out under a file": (bench("--out", "@/afile/run.jsonl"), "is a file, not a directory",
                                 "specdecode/commands/bench.py"),
    "bench --out unwritable": (bench("--out", "!RO/run.jsonl"), "is not writable", "specdecode/commands/bench.py"),
    "bench --report is a file": (bench("--report", "@/afile"), "is an existing file, not a directory",
                                 "specdecode/commands/bench.py"),
    "report --out is a file": (report("--out", "@/afile"), "is an existing file, not a directory",
                               "specdecode/commands/report.py"),
    "report --out unwritable": (report("--out", "!RO/report"), "is not writable", "specdecode/commands/report.py"),
    "zoo cache is a file": (["zoo", "build", "tiny"], "is an existing file, not a directory"),
    "zoo cache unwritable": (["zoo", "build", "tiny"], "is not writable"),
    "zoo path, cache is a file": (["zoo", "path", "tiny"], "is an existing file, not a directory"),
    "zoo unknown entry": (["zoo", "build", "huge"], "Unknown"),
    # devices
    "device unknown": (gen("--device", "tpu"), "unknown device 'tpu' for --device; use cpu, cuda, cuda:N or mps"),
    "device bad index": (gen("--device", "cpu:3"), "unknown device 'cpu:3'"),
    "device cuda": (gen("--device", "cuda"), "--device cuda: "),
    "device cuda:99": (gen("--device", "cuda:99"), "--device cuda:99: "),
    # usage
    "unknown flag": (["generate", "--bogus"], "unrecognized arguments: --bogus"),
    "unknown subcommand": (["fly"], "argument COMMAND: invalid choice: 'fly'"),
    "no subcommand": ([], "the following arguments are required: COMMAND"),
    "bad choice": (["bench", "--executor", "slurm"], "argument --executor: invalid choice: 'slurm'"),
}

# $SPECDECODE_CACHE of the cases that need one other than the work directory's empty cache
CACHE = {"zoo cache is a file": "@/afile", "zoo path, cache is a file": "@/afile",
         "zoo cache unwritable": "!RO/cache"}
UNREADABLE = {"prompt file unreadable": "unreadable.txt", "config unreadable": "unreadable.yaml"}


def _params():
    for case in CASES:
        yield pytest.param(case, id=case)


def _fill(arg: str, work: Path, ro: Path | None) -> str:
    arg = arg.replace("@/", f"{work}/")
    if "!RO" in arg:
        assert ro is not None
        arg = arg.replace("!RO", str(ro))
    return arg


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input_is_one_clean_line(case, work, capsys, monkeypatch, request):
    spec = CASES[case]
    argv, expected = spec[0], spec[1]
    if case.startswith("device cuda"):
        import torch

        if torch.cuda.is_available() and case == "device cuda":
            pytest.skip("this machine has CUDA: --device cuda is valid here")
    needs_ro = any("!RO" in a for a in argv) or "!RO" in CACHE.get(case, "")
    ro = request.getfixturevalue("unwritable") if needs_ro else None
    monkeypatch.chdir(work)  # default outputs (runs/...) would land in the snapshot
    monkeypatch.setenv("SPECDECODE_CACHE", _fill(CACHE.get(case, "@/cache"), work, ro))
    if case in UNREADABLE:
        unreadable(monkeypatch, work / UNREADABLE[case])
    argv = [_fill(a, work, ro) for a in argv]
    before = snapshot(work)
    code, _, err = run_cli(capsys, argv)
    lines = err.strip().splitlines()
    assert code not in (0, None), f"exit {code}; stderr: {err}"
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert expected.replace("@/", f"{work}/") in lines[0], lines[0]
    assert snapshot(work) == before, "a file changed"


# -- warnings: options that change nothing ---------------------------------------------------

def test_ignored_draft_and_sampling_options_warn(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    before = snapshot(work)
    code, out, err = run_cli(capsys, [a.replace("@/", f"{work}/") for a in gen(
        "--proposer", "ngram", "--draft", "@/draft", "--top-k", "5", "--json")])
    assert code == 0 and json.loads(out)["token_ids"]
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any("--draft is ignored: proposer 'ngram' reads no model besides the target" in w for w in warnings), err
    assert any("--top-k / --top-p are ignored at --temperature 0" in w for w in warnings), err
    assert snapshot(work) == before


def test_target_only_ignores_k(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    code, _, err = run_cli(capsys, [a.replace("@/", f"{work}/") for a in gen("--k", "7", "--json")])
    assert code == 0
    assert "warning: --k ignored: proposer 'none' drafts nothing" in err, err


def test_ignored_config_settings_warn(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    before = snapshot(work)
    code, out, err = run_cli(capsys, [a.replace("@/", f"{work}/") for a in bench(
        S, "methods.ngram-k4.draft=@/draft", S, "top_k=5", S, "ratios=[{num: ngram-k4, den: target-only, "
        "temperature: 0.7}]")])
    assert code == 0 and json.loads(out)["methods"]["ngram-k4"]
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any("methods.ngram-k4: draft ignored" in w for w in warnings), err
    assert any("top_k / top_p are ignored" in w for w in warnings), err
    assert any("temperature 0.7, which the grid does not run" in w for w in warnings), err
    assert snapshot(work) == before


# -- a bug is not an input error ---------------------------------------------------------------

def test_a_bug_keeps_its_traceback_and_asks_for_a_report(capsys, monkeypatch):
    import specdecode.commands.suites as suites_cmd

    def broken(args):
        return {}["no such key"]

    monkeypatch.setattr(suites_cmd, "run_list", broken)
    code, _, err = run_cli(capsys, ["suites", "list"])
    assert code == EXIT_BUG
    assert "Traceback (most recent call last)" in err and "KeyError: 'no such key'" in err
    assert err.strip().splitlines()[-1] == BUG_LINE


def test_json_output_never_holds_nan(work, capsys, monkeypatch):
    """--json of generate writes strict JSON (allow_nan=False): NaN or Infinity would fail loudly."""
    monkeypatch.chdir(work)
    code, out, _ = run_cli(capsys, [a.replace("@/", f"{work}/") for a in gen(
        "--draft", "@/draft", "--temperature", "0.7", "--top-p", "0.9", "--seed", "3", "--json")])
    assert code == 0

    def no_constant(name):
        raise AssertionError(f"{name} in JSON output")

    json.loads(out, parse_constant=no_constant)


def test_the_api_refuses_a_drafting_method_on_an_int8_target(work):
    """Past the CLI too: the decoder refuses an int8 target for any method that drafts,
    and runs target-only on it (models/quantize.check_target)."""
    from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
    from specdecode.errors import SpecDecodeError
    from specdecode.models import load_model

    target = load_model(str(work / "target-int8"))
    cfg = GenerationConfig(max_new_tokens=4, stop_at_eos=False)
    with pytest.raises(SpecDecodeError, match="int8 Linear layers, which suit drafts only"):
        generate(target, [1, 2, 3], method=MethodConfig(proposer="ngram", k=4), sampling=SamplingConfig(0.0),
                 gen_cfg=cfg)
    got = generate(target, [1, 2, 3], method=MethodConfig(proposer="none"), sampling=SamplingConfig(0.0), gen_cfg=cfg)
    assert len(got.output_ids) == 4
