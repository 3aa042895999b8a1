"""The one place models are loaded: `SCHEME:NAME` (e.g. `zoo:NAME`), a local directory,
or a Hugging Face hub id already in the local cache (nothing is downloaded at run time).

Model-id schemes live in registry.MODEL_SCHEMES: the zoo registers `zoo` itself, so this
package never imports the zoo.

Model kinds. A model directory may carry a meta file (DRAFT_META, or FEATURE_META for
hidden-state drafts) whose `kind` field ("lm" when absent, and for directories without a
meta file or hub ids) picks the loader in MODEL_KINDS:

    @register_model_kind("adapter", proposer="adapter", summary="...")
    def load_adapter(where, name, identity, meta, device, dtype): ...

Built-in kinds: "lm" (a causal LM, CausalLM) and "feature" (a hidden-state draft,
models/feature_draft.py). The loaded object's `.kind` is its kind's name.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import SpecDecodeError
from ..registry import MODEL_SCHEMES, Registry
from .quantize import check_scheme, quantize
from .wrapper import CausalLM

DRAFT_META = "specdecode_draft.json"  # optional: {"kind"?, "vocab_subset": [ids], "copy_head": {n_min, n_max}, "quantize"?: "int8"}
FEATURE_META = "specdecode_feature_draft.json"  # hidden-state drafts (models/feature_draft.py)
META_FILES = (FEATURE_META, DRAFT_META)  # the first one present is the directory's meta
DEFAULT_KIND = "lm"
ZOO_MANIFEST = "zoo-manifest.json"  # the zoo's build record (zoo/integrity.MANIFEST): not model content
_OLD_KIND_NAMES = {"eagle": "feature"}  # hidden-state drafts built before kinds had a registry

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_.+-]*):(.+)$")

# load(where: Path | str, name: str, identity: str, meta: dict, device: str, dtype: str) -> model
Loader = Callable[..., Any]


@dataclass(frozen=True)
class ModelKind:
    name: str
    load: Loader
    proposer: str | None = None  # the proposer a draft of this kind runs with when none is named
    summary: str = ""


MODEL_KINDS: Registry[ModelKind] = Registry("model kind")


def register_model_kind(name: str, proposer: str | None = None, summary: str = "") -> Callable[[Loader], Loader]:
    """Decorator: register `load` as the loader of model directories whose meta kind is `name`."""

    def deco(load: Loader) -> Loader:
        MODEL_KINDS.register(name)(ModelKind(name, load, proposer, summary))
        return load

    return deco


def resolve_path(spec: str) -> Path | str:
    """SCHEME:NAME -> that scheme's directory (zoo:NAME -> built zoo directory); an existing
    path -> Path; else the hub id."""
    path = Path(spec).expanduser()
    if path.exists():
        return path
    match = _SCHEME.match(spec)
    if match:
        return Path(MODEL_SCHEMES.get(match.group(1))(match.group(2)))
    if spec.startswith((".", "/", "~")):  # hub ids look like "org/name", never like these
        raise SpecDecodeError(f"model path '{spec}' does not exist; give an existing directory or zoo:NAME")
    return spec


def read_meta(where: Path | str) -> dict:
    """The directory's meta file as a dict, with `kind` always set ("lm" when absent)."""
    meta: dict = {}
    if isinstance(where, Path):
        for name in META_FILES:
            if (where / name).is_file():
                meta = json.loads((where / name).read_text())
                break
    kind = meta.get("kind") or DEFAULT_KIND
    return {**meta, "kind": _OLD_KIND_NAMES.get(kind, kind)}


def model_kind(spec: str) -> ModelKind:
    """The kind of model `spec` names, from its meta file alone (no weights are read)."""
    return MODEL_KINDS.get(read_meta(resolve_path(spec))["kind"])


def model_identity(name: str, path: str, decision) -> dict:
    """{name, hash} of a model, + dtype: bf16 when `decision` (dtypes.Decision) picked it,
    so fp32 identities (record keys, policy manifests) stay as they were."""
    ident = {"name": name, "hash": fingerprint(path)}
    return {**ident, "dtype": "bf16"} if decision is not None and decision.dtype == "bfloat16" else ident


def fingerprint(path: Path | str) -> str:
    """A short identity of the weights: hash of config + every weight file's size and its
    first and last MiB (fast on 500 MB files, changes when the weights change). The zoo's
    bookkeeping (zoo-manifest.json with its build time, the .zoo-verified.json stamp) is
    left out, so a rebuild of the same recipe on another machine keeps the identity and
    its run files resume. A single file (a solved policy table) is hashed the same way;
    anything else (a hub id) by its name."""
    h = hashlib.sha256()
    path = Path(path)
    if path.is_file():
        _hash_file(h, path)
        return h.hexdigest()[:16]
    if not path.is_dir():
        return hashlib.sha256(str(path).encode()).hexdigest()[:16]
    for f in sorted(path.iterdir()):
        if f.name.startswith(".") or f.name == ZOO_MANIFEST:
            continue
        if f.suffix in {".json", ".safetensors", ".bin"}:
            _hash_file(h, f)
    return h.hexdigest()[:16]


def _hash_file(h, f: Path) -> None:
    """name:size, then the first MiB and (past 2 MiB) the last MiB of f into h."""
    size = f.stat().st_size
    h.update(f"{f.name}:{size}".encode())
    with open(f, "rb") as fh:
        h.update(fh.read(1 << 20))
        if size > 2 << 20:
            fh.seek(-(1 << 20), os.SEEK_END)
            h.update(fh.read())


def load_model(spec: str, device: str = "cpu", dtype: str = "float32", role: str = "target"):
    """Load a model ready for the loop (eval mode, no grad) through its kind's loader:
    a causal LM (CausalLM), a hidden-state draft (FeatureDraft), or a plug-in kind.

    dtype: fp32 | bf16 (or the torch names) | auto (specdecode/dtypes.py: measured once per
    machine and model, weighed for `role`: target or draft). The decision is kept on the
    model as `.dtype_decision`."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # loading is quick; keep stderr for our own lines
    hf_logging.set_verbosity_error()
    where = resolve_path(spec)
    meta = read_meta(where)
    kind = MODEL_KINDS.get(meta["kind"])
    decision = dtype_decision(dtype, spec, device, role, meta)
    model = kind.load(where, name=spec, identity=fingerprint(where), meta=meta, device=device,
                      dtype=decision.dtype)
    model.dtype_decision = decision
    if getattr(model, "kind", None) != kind.name:
        raise TypeError(f"the loader of model kind '{kind.name}' returned {type(model).__name__} "
                        f"whose .kind is {getattr(model, 'kind', None)!r}")
    return model


def dtype_decision(dtype: str, spec: str, device: str = "cpu", role: str = "target", meta: dict | None = None):
    """What model `spec` runs in under `dtype` (dtypes.Decision): the dtype policy's
    decision, unless the model's meta fixes it (int8 weights load in fp32 whatever was
    asked, models/quantize.py). The one rule for loading and for record identities."""
    from .. import dtypes

    meta = read_meta(resolve_path(spec)) if meta is None else meta
    if meta.get("quantize"):
        check_scheme(meta["quantize"], spec, device)
        return dtypes.Decision("float32", dtypes.check_choice(dtype), "fixed")
    return dtypes.resolve(dtype, spec, device, role=role)


@register_model_kind("lm", proposer="draft", summary="a Hugging Face causal LM (optionally a vocabulary "
                     "subset and a copy head, from specdecode_draft.json)")
def load_causal_lm(where: Path | str, name: str, identity: str, meta: dict, device: str = "cpu",
                   dtype: str = "float32") -> CausalLM:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(where), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            str(where), dtype=getattr(torch, dtype), local_files_only=True
        )
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecDecodeError(
            f"cannot load model '{name}' ({first[:160]}); use zoo:NAME (see `specdecode zoo list`) "
            "or a local model directory (no hub downloads here)"
        ) from None
    model.to(device).eval()
    ids = meta.get("vocab_subset")
    if meta.get("quantize"):
        quantize(model, keep_head=bool(ids))  # a subset head reads its fp32 rows
    subset = torch.tensor(sorted(ids), dtype=torch.long) if ids else None
    lm = CausalLM(model, tokenizer, name=name, identity=identity, vocab_subset=subset)
    lm.copy_head = _copy_head(meta)
    return lm


def _copy_head(meta: dict) -> tuple[int, int] | None:
    head = meta.get("copy_head")
    return (int(head["n_min"]), int(head["n_max"])) if head else None


def copy_head_of(where) -> tuple[int, int] | None:
    """(n_min, n_max) of a draft's copy head, from DRAFT_META {"copy_head": {...}}."""
    return _copy_head(read_meta(where)) if isinstance(where, Path) else None
