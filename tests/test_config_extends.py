"""`extends:` in bench configs: a config that starts from another's mapping."""
import pytest

from specdecode.bench.config import load_config, load_raw
from specdecode.errors import SpecDecodeError


def test_real_full_is_real_with_more_prompts():
    real, full = load_config("real"), load_config("real-full")
    assert full.n_prompts == 8 and real.n_prompts == 4
    assert full.methods == real.methods and full.ratios == real.ratios and full.dtype == real.dtype


def test_a_file_extends_its_sibling_and_overrides_keys(tmp_path):
    (tmp_path / "base.yaml").write_text("target: zoo:tiny\nn_prompts: 2\nmax_new_tokens: 16\n"
                                        "methods: {target-only: {proposer: none}}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nn_prompts: 5\n")
    raw = load_raw(str(tmp_path / "child.yaml"))
    assert raw == {"target": "zoo:tiny", "n_prompts": 5, "max_new_tokens": 16,
                   "methods": {"target-only": {"proposer": "none"}}}


def test_a_file_extends_a_preset(tmp_path):
    (tmp_path / "mine.yaml").write_text("extends: smoke\nmax_new_tokens: 7\n")
    cfg = load_config(str(tmp_path / "mine.yaml"))
    assert cfg.max_new_tokens == 7 and cfg.methods == load_config("smoke").methods


def test_extends_loops_and_bad_values_are_one_line_errors(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(SpecDecodeError, match=r"loops back to itself; remove one of the extends: lines"):
        load_raw(str(tmp_path / "a.yaml"))
    (tmp_path / "c.yaml").write_text("extends: 3\n")
    with pytest.raises(SpecDecodeError, match=r"extends must be a preset name or a YAML path"):
        load_raw(str(tmp_path / "c.yaml"))
    (tmp_path / "d.yaml").write_text("extends: missing.yaml\n")
    with pytest.raises(SpecDecodeError, match=r"is neither a preset .* nor an existing YAML file"):
        load_raw(str(tmp_path / "d.yaml"))
