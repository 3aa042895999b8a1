"""The README and docs/ stay true to the code: every relative link resolves, every
`specdecode ...` command they show parses with today's CLI (a bench command's preset,
--set overrides and --methods also load; a generate command's names are registered), and
every zoo entry they name exists; the README's Python example and plug-in example run on
tiny models (zoo:tiny). Nothing here loads SmolLM2 or Qwen or runs a benchmark."""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from specdecode.cli import COMMANDS, build_parser
from specdecode.commands.bench import config_of
from specdecode.commands.generate import parse_models, parse_params
from specdecode.registry import names_of
from specdecode.zoo import registry as zoo

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")          # [text](target#anchor)
SPAN = re.compile(r"`([^`\n]*\bspecdecode [^`\n]*)`")       # `specdecode ...` in prose
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
INDENTED = re.compile(r"^ {4}((?:\S*python -m )?specdecode .*)$", re.M)   # an indented code block's line
PROGRAM = re.compile(r"(^|[\s/])specdecode\s")              # the program's name, then arguments
ZOO_NAME = re.compile(r"\bzoo:([a-z0-9][a-z0-9.\-]*[a-z0-9])")


def _rel(doc: Path) -> str:
    return str(doc.relative_to(ROOT))


def _fenced_commands(block: str) -> list[str]:
    """Shell lines of a fenced block, a trailing backslash joining the next line."""
    out, pending = [], ""
    for line in block.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append(pending + line)
        pending = ""
    return out


def _commands(text: str) -> list[str]:
    """Each `specdecode ...` invocation (comments cut, `a ; b` split), as one string."""
    lines = SPAN.findall(text) + INDENTED.findall(text)
    for block in FENCE.findall(text):
        lines += _fenced_commands(block)
    found = []
    for line in filter(PROGRAM.search, lines):
        for words in _shell_commands(line):
            at = words.index("specdecode") if "specdecode" in words else -1
            # the program itself (not `from specdecode import ...`): first, after `-m`, or after VAR=value
            if at >= 0 and all(w == "-m" or "=" in w or w.endswith("python") for w in words[:at]):
                found.append(words[at + 1:])
    return [" ".join(map(shlex.quote, w)) for w in found if w]


def _shell_commands(line: str) -> list[list[str]]:
    """`a ; b && c  # note` -> [[a...], [b...], [c...]], quotes respected."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&")
    lex.whitespace_split = True
    out = [[]]
    for token in lex:
        if token in {";", "&&"}:
            out.append([])
        else:
            out[-1].append(token)
    return out


def _cases() -> list:
    seen, cases = set(), []
    for doc in DOCS:
        for cmd in _commands(doc.read_text(encoding="utf-8")):
            if cmd not in seen:
                seen.add(cmd)
                cases.append(pytest.param(cmd, id=f"{_rel(doc)}: {cmd[:60]}"))
    return cases


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_every_relative_link_resolves(doc):
    missing = [t for t in LINK.findall(doc.read_text(encoding="utf-8"))
               if not t.startswith(("http://", "https://", "mailto:"))
               and not (doc.parent / t).exists()]
    assert not missing, f"{_rel(doc)} links to missing files: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_every_zoo_entry_named_exists(doc):
    unknown = sorted(set(ZOO_NAME.findall(doc.read_text(encoding="utf-8"))) - set(zoo.names()) - {"NAME"})
    assert not unknown, f"{_rel(doc)} names zoo entries that do not exist: {unknown}"


def test_the_docs_show_commands_of_every_kind():
    """The extraction itself can fail: it must find the README's usage lines."""
    verbs = {shlex.split(c.values[0])[0] for c in _cases()}
    assert {"generate", "bench", "report", "zoo", "ts"} <= verbs


@pytest.mark.parametrize("command", _cases())
def test_every_command_shown_parses(command):
    words = shlex.split(command)
    if len(words) == 1 or "|" in words:   # `specdecode policy`, `policy collect | solve | check`: names
        assert words[0] in COMMANDS, f"no subcommand {words[0]!r}"
        return
    if any(w.startswith("[") for w in words):   # a synopsis: `analyze RUNS.jsonl [--out DIR] ...`
        known = _innermost(words)._option_string_actions
        named = [w.strip("[]") for w in words if w.startswith("[-")]
        assert named and not [o for o in named if o not in known], f"options not in `{command} --help`"
        return
    try:
        args = build_parser().parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"`specdecode {command}` does not parse (exit {exc.code})")
    if args.command == "bench":
        config_of(args)   # the preset or file, --set and --methods load as `bench` loads them
    if args.command == "generate":
        parse_params(args.param)
        parse_models(args)
        for role in ("proposer", "verifier", "controller"):
            name = getattr(args, role)
            assert name in (None, "auto") or name in names_of(role), f"unknown {role} {name!r}"


def _innermost(words: list[str]):
    """The parser of the deepest subcommand the words name (`policy check` -> check's)."""
    parser = build_parser()
    for word in words:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or word not in subs[0].choices:
            break
        parser = subs[0].choices[word]
    return parser


PLUGIN_SCRIPT = """
from specdecode import GenerationConfig, MethodConfig, SamplingConfig, generate
from specdecode.verifiers.base import VERIFIERS
from tiny_models import perturbed, tiny_lm

assert "plain-topk" in VERIFIERS.names(), VERIFIERS.names()
target = tiny_lm(vocab=24, seed=0, scale=3.0)
draft = perturbed(target, 0.3)
prompt, cfg = [1, 2, 3, 4, 5, 1, 2, 3], GenerationConfig(max_new_tokens=32, stop_at_eos=False)
def run(method):
    return generate(target, prompt, draft=draft, method=method, sampling=SamplingConfig(0.0), gen_cfg=cfg)
base = run(MethodConfig(proposer="none"))
strict = run(MethodConfig(proposer="draft", k=3, verifier="plain-topk", verifier_params={"top_k": 1}))
loose = run(MethodConfig(proposer="draft", k=3, verifier="plain-topk", verifier_params={"top_k": 8}))
assert strict.output_ids == base.output_ids, "top_k = 1 at T = 0 must reproduce target-only"
def rate(result):  # accepted / drafted, and accepted tokens the exact rule would have rejected
    return (sum(c.accepted for c in result.cycles) / sum(c.drafted for c in result.cycles),
            sum(c.mismatches for c in result.cycles))
print(*rate(strict), *rate(loose))
"""


def test_the_readme_plugin_example_runs_as_a_plugin(tmp_path):
    """The README's `my_plugin.py` (Adding a method), loaded the way it says
    (SPECDECODE_PLUGINS=my_plugin): it registers, and at top_k = 1 it is exact."""
    import os
    import subprocess
    import sys

    blocks = [b for b in FENCE.findall((ROOT / "README.md").read_text(encoding="utf-8"))
              if b.startswith("# my_plugin.py")]
    assert len(blocks) == 1, "the README's plug-in example was not found"
    (tmp_path / "my_plugin.py").write_text(blocks[0], encoding="utf-8")
    env = {**os.environ, "SPECDECODE_PLUGINS": "my_plugin",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "tests"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", PLUGIN_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    strict_rate, strict_mismatches, loose_rate, loose_mismatches = map(float, done.stdout.split())
    assert strict_mismatches == 0 and loose_mismatches > 0   # top_k = 8 accepts what greedy would not
    assert loose_rate > strict_rate


def test_the_readme_python_example_runs_on_the_tiny_zoo_pair():
    """The Quick start's Python lines, with zoo:tiny / zoo:tiny-draft standing in for
    the SmolLM2 pair: the API names, stats keys and cycle fields it shows exist."""
    import contextlib
    import io

    (block,) = [b for b in FENCE.findall((ROOT / "README.md").read_text(encoding="utf-8"))
                if b.startswith("from specdecode import generate")]
    code = block.replace("zoo:smollm2-135m-draft", "zoo:tiny-draft").replace("zoo:smollm2-135m", "zoo:tiny")
    code += "\nfields = [(c.k, c.drafted, c.accepted, c.draft_s, c.target_s) for c in out.cycles]\n"
    scope: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, "README.md (Quick start)", "exec"), scope)
    assert scope["out"].output_ids and scope["fields"]
    assert printed.getvalue().strip()


CODE_PATH = re.compile(r"\b((?:bench|specdecode|tests|scripts)/[\w./-]+\.(?:py|yaml|sh))\b")


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_every_source_file_named_exists(doc):
    """`bench/loop_profile.py`, `specdecode/verifiers/topk.py`, ...: from the repository
    root, or from the package (`bench/runfile.py` in docs written inside specdecode/)."""
    named = set(CODE_PATH.findall(doc.read_text(encoding="utf-8")))
    missing = sorted(p for p in named if not (ROOT / p).exists() and not (ROOT / "specdecode" / p).exists())
    assert not missing, f"{_rel(doc)} names files that do not exist: {missing}"


def _undocumented(parser, path: tuple = ()) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _undocumented(sub, (*path, name))
        elif not action.help:
            out.append(" ".join([*path, *(action.option_strings or [action.dest])]))
    return out


def test_every_option_and_argument_has_help():
    """`--help` explains every option and argument of every subcommand."""
    assert not _undocumented(build_parser())


def test_version_is_pyprojects(capsys):
    import tomllib

    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"specdecode {version}"


THEORY = ROOT / "docs" / "theory.md"
STATUS = re.compile(r"\*\*Implemented\*\*(?: \(([^)]*)\)|:([^\n]*))")   # (names ...) or: names


def test_theory_defines_every_registered_method_and_implements_only_registered_ones():
    """docs/theory.md's status labels: each registered proposer, verifier and controller is
    named there, and each name an **Implemented** label gives is registered."""
    text = THEORY.read_text(encoding="utf-8")
    registered = {n for role in ("proposer", "verifier", "controller") for n in names_of(role)}
    assert not [n for n in sorted(registered) if f"`{n}`" not in text]
    labelled = {n for groups in STATUS.findall(text) for n in re.findall(r"`([\w-]+)`", "".join(groups))}
    assert len(labelled) > 20 and not labelled - registered - _parameters(), labelled - registered


def _parameters() -> set[str]:
    """What else a status label may name: the registered classes' parameters and the
    fields of a Proposal (`draft_probs`)."""
    import dataclasses

    from specdecode.controllers import CONTROLLERS
    from specdecode.proposers import PROPOSERS
    from specdecode.types import Proposal
    from specdecode.verifiers import VERIFIERS

    out = {f.name for f in dataclasses.fields(Proposal)}
    for registry in (PROPOSERS, VERIFIERS, CONTROLLERS):
        for name in registry.names():
            params = getattr(registry.get(name), "Params", None)
            out |= {f.name for f in dataclasses.fields(params)} if dataclasses.is_dataclass(params) else set()
    return out
