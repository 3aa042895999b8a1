"""Registries for what used to be if-chains: model kinds (by the meta file's `kind`),
model-id schemes (`zoo:` registered by the zoo, so models/ never imports it), plug-ins
found automatically (entry points, SPECDECODE_PLUGINS), and CLI help built from the
registries."""
import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import specdecode
from specdecode.errors import SpecDecodeError
from specdecode.models import MODEL_KINDS, load_model, model_kind, read_meta, register_model_kind, resolve_path
from specdecode.models.feature_draft import FeatureDraft, is_feature_draft
from specdecode.models.loading import DRAFT_META, FEATURE_META
from specdecode.registry import MODEL_SCHEMES, Registry
from tiny_models import tiny_feature_draft, tiny_lm

PKG = Path(specdecode.__file__).parent


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm")
    lm = tiny_lm(vocab=24, seed=0)
    lm.model.save_pretrained(path)
    lm.tokenizer.save_pretrained(path)
    return path


@pytest.fixture
def scratch_registry():
    """Names a test registers in a global registry are removed afterwards."""
    added = []
    yield lambda registry, name: added.append((registry, name))
    for registry, name in added:
        registry._items.pop(name, None)


def test_registry_errors_are_one_line():
    reg = Registry("widget")
    reg.register("alpha")(1)
    with pytest.raises(SpecDecodeError, match=r"Unknown widget 'alpah'\. Did you mean 'alpha'\? Available: alpha"):
        reg.get("alpah")
    with pytest.raises(SpecDecodeError, match=r"widget must be a name \(got 3\)"):
        reg.get(3)
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("alpha")(2)


# -- model kinds ---------------------------------------------------------------------------
def test_builtin_model_kinds():
    assert {"lm", "feature"} <= set(MODEL_KINDS.names())
    assert MODEL_KINDS.get("lm").proposer == "draft" and MODEL_KINDS.get("feature").proposer == "eagle"


def test_meta_kind_defaults_to_lm(lm_dir, tmp_path):
    assert read_meta(lm_dir)["kind"] == "lm" and read_meta("org/hub-id")["kind"] == "lm"
    lm = load_model(str(lm_dir))
    assert lm.kind == "lm" and lm.vocab_subset is None and lm.copy_head is None
    # an LM meta file without `kind` (every zoo draft built so far) still loads as an LM
    (tmp_path / "d").mkdir()
    for f in lm_dir.iterdir():
        (tmp_path / "d" / f.name).write_bytes(f.read_bytes())
    (tmp_path / "d" / DRAFT_META).write_text(json.dumps({"vocab_subset": [3, 1, 2], "copy_head": {"n_min": 1, "n_max": 3}}))
    draft = load_model(str(tmp_path / "d"))
    assert draft.kind == "lm" and draft.vocab_subset.tolist() == [1, 2, 3] and draft.copy_head == (1, 3)
    assert model_kind(str(tmp_path / "d")).name == "lm"


def test_feature_draft_kind_round_trip(tmp_path):
    from specdecode.models import feature_draft

    target = tiny_lm(vocab=24, seed=0)
    fd = tiny_feature_draft(target)
    feature_draft.save(tmp_path, fd.net, fd.subset.cpu(), fd.target_hidden, fd.vocab_size, {})
    target.tokenizer.save_pretrained(tmp_path)
    assert json.loads((tmp_path / FEATURE_META).read_text())["kind"] == "feature"
    loaded = load_model(str(tmp_path))
    assert isinstance(loaded, FeatureDraft) and loaded.kind == "feature" and is_feature_draft(tmp_path)
    # directories built before the registry say "eagle": still a hidden-state draft
    meta = json.loads((tmp_path / FEATURE_META).read_text())
    (tmp_path / FEATURE_META).write_text(json.dumps({**meta, "kind": "eagle"}))
    assert model_kind(str(tmp_path)).name == "feature" and load_model(str(tmp_path)).kind == "feature"


def test_load_model_dispatches_on_kind(tmp_path, scratch_registry):
    class Toy:
        kind = "toy"

        def __init__(self, name, meta):
            self.name, self.meta = name, meta

    @register_model_kind("toy", proposer="none", summary="a test kind")
    def load_toy(where, name, identity, meta, device, dtype):
        return Toy(name, meta)

    scratch_registry(MODEL_KINDS, "toy")
    (tmp_path / DRAFT_META).write_text(json.dumps({"kind": "toy", "size": 3}))
    toy = load_model(str(tmp_path))
    assert isinstance(toy, Toy) and toy.meta["size"] == 3 and toy.name == str(tmp_path)
    (tmp_path / DRAFT_META).write_text(json.dumps({"kind": "hologram"}))
    with pytest.raises(SpecDecodeError, match=r"Unknown model kind 'hologram'\. Available: .*feature, lm"):
        load_model(str(tmp_path))


# -- model-id schemes: models/ never imports the zoo -----------------------------------------
def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            out |= {base} | {f"{base}.{a.name}" for a in node.names}
    return out


def test_models_package_does_not_import_the_zoo():
    for path in sorted((PKG / "models").glob("*.py")):
        bad = [m for m in _imports(path) if "zoo" in m.split(".")]
        assert not bad, f"{path.name} imports {bad}"
    code = ("import sys, specdecode.models, specdecode.models.loading, specdecode.models.feature_draft; "
            "print(sorted(m for m in sys.modules if m.startswith('specdecode.zoo')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "[]", out.stdout


def test_zoo_registers_its_scheme():
    from specdecode import zoo

    assert MODEL_SCHEMES.get("zoo") is zoo.resolve  # found through the built-in plug-in
    with pytest.raises(SpecDecodeError, match=r"Unknown model scheme 'zo'\. Did you mean 'zoo'\?"):
        resolve_path("zo:tiny")


def test_a_registered_scheme_resolves(tmp_path, scratch_registry):
    MODEL_SCHEMES.register("scratch")(lambda name: tmp_path / name)
    scratch_registry(MODEL_SCHEMES, "scratch")
    assert resolve_path("scratch:abc") == tmp_path / "abc"
    assert resolve_path(str(tmp_path)) == tmp_path  # existing paths first


# -- plug-ins and CLI help -----------------------------------------------------------------
PLUGIN = textwrap.dedent('''
    from dataclasses import dataclass

    from specdecode.bench.peers import PEERS, Peer
    from specdecode.proposers import PROPOSERS
    from specdecode.proposers.base import Proposer


    @PROPOSERS.register("{proposer}")
    class Echo(Proposer):
        pass


    @PEERS.register("{peer}")
    class EchoPeer(Peer):
        pass
''')

HELP_SCRIPT = textwrap.dedent('''
    import contextlib, io, sys
    from specdecode.cli import main
    for argv in (["--help"], ["generate", "--help"], ["bench", "--help"]):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                main(argv)
            except SystemExit:
                pass
        print("=====", " ".join(argv))
        print(buf.getvalue())
''')


def _write_plugin(root: Path, module: str, proposer: str, peer: str) -> None:
    (root / f"{module}.py").write_text(PLUGIN.format(proposer=proposer, peer=peer))


def test_plugins_are_discovered_and_listed_in_help(tmp_path):
    # one plug-in named by SPECDECODE_PLUGINS, one by an installed package's entry point
    _write_plugin(tmp_path, "envplug", "envecho", "envpeer")
    _write_plugin(tmp_path, "epplug", "epecho", "eppeer")
    dist = tmp_path / "epplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: epplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[specdecode.plugins]\nepplug = epplug\n")
    env = {**os.environ, "SPECDECODE_PLUGINS": "envplug", "COLUMNS": "250",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", HELP_SCRIPT], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    sections = dict(s.split("\n", 1) for s in out.stdout.split("===== ")[1:])
    top, gen, bench = sections["--help"], sections["generate --help"], sections["bench --help"]
    for name in ("envecho", "epecho", "draft", "ngram"):
        assert name in top and name in gen and name in bench, name
    for name in ("envpeer", "eppeer", "hf-assisted"):
        assert name in top and name in bench, name
    assert "envplug (SPECDECODE_PLUGINS)" in top and "epplug (entry point epplug" in top
    gen_line = next(line for line in gen.splitlines() if "--proposer" in line and "one of" in line)
    assert "envecho" in gen_line and "epecho" in gen_line


def test_broken_plugin_is_a_one_line_error(tmp_path):
    env = {**os.environ, "SPECDECODE_PLUGINS": "no_such_plugin_mod"}
    out = subprocess.run([sys.executable, "-m", "specdecode", "suites", "list"], capture_output=True, text=True,
                         env=env, timeout=300)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert lines[0].startswith("error: plug-in module 'no_such_plugin_mod' (from SPECDECODE_PLUGINS) failed to import")
