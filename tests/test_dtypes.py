"""The dtype policy (dtypes.py): choices, errors, and `auto` measured once then cached."""
import pytest

from specdecode import dtypes
from specdecode.errors import SpecDecodeError
from specdecode.models.loading import load_model


def test_choices_and_names():
    assert dtypes.check_choice("bfloat16") == "bf16" and dtypes.check_choice("fp32") == "fp32"
    with pytest.raises(SpecDecodeError, match="use one of auto, fp32, bf16"):
        dtypes.check_choice("fp16")


def test_env_default(monkeypatch):
    monkeypatch.setenv(dtypes.ENV_VAR, "bf16")
    assert dtypes.default_choice() == "bf16"
    monkeypatch.setenv(dtypes.ENV_VAR, "half")
    with pytest.raises(SpecDecodeError, match=r"\$SPECDECODE_DTYPE 'half' is not a dtype"):
        dtypes.default_choice()


def test_asked_dtype_is_what_loads(tmp_path):
    from specdecode.zoo import resolve

    path = str(resolve("tiny"))
    lm = load_model(path, dtype="bf16")
    assert str(lm.model.dtype) == "torch.bfloat16" and lm.dtype_decision.source == "asked"


def test_auto_is_measured_once_then_cached(tmp_path, monkeypatch):
    from specdecode.zoo import resolve

    path = str(resolve("tiny"))  # built in the real cache; the decision goes to tmp_path
    monkeypatch.setenv("SPECDECODE_CACHE", str(tmp_path))
    first = dtypes.resolve("auto", path)
    assert first.source == "measured" and first.dtype in ("float32", "bfloat16")
    assert set(first.timings) == {"fp32", "bf16"}
    assert all(t["t1"] > 0 and t["tv"] > 0 for t in first.timings.values())
    cost = {k: v["t1"] + v["tv"] for k, v in first.timings.items()}
    assert (first.dtype == "bfloat16") == (cost["bf16"] < cost["fp32"])
    step = {k: v["t1"] for k, v in first.timings.items()}   # a draft only takes single steps
    as_draft = dtypes.resolve("auto", path, role="draft")
    assert (as_draft.dtype == "bfloat16") == (step["bf16"] < step["fp32"])
    again = dtypes.resolve("auto", path)
    assert again.source == "cached" and again.dtype == first.dtype and again.timings == first.timings
    assert len(list((tmp_path / "dtype").glob("*.json"))) == 1
