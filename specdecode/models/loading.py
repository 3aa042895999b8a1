"""The one place models are loaded: `zoo:NAME`, a local directory, or a Hugging Face hub id
already in the local cache (nothing is downloaded at run time)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import SpecDecodeError
from .wrapper import CausalLM

DRAFT_META = "specdecode_draft.json"  # optional: {"vocab_subset": [ids], "copy_head": {n_min, n_max}}


def resolve_path(spec: str) -> Path | str:
    """zoo:NAME -> built zoo directory; an existing path -> Path; else the hub id."""
    if spec.startswith("zoo:"):
        from .. import zoo

        return Path(zoo.resolve(spec[4:]))
    path = Path(spec).expanduser()
    if path.exists():
        return path
    if spec.startswith((".", "/", "~")):  # hub ids look like "org/name", never like these
        raise SpecDecodeError(f"model path '{spec}' does not exist; give an existing directory or zoo:NAME")
    return spec


def fingerprint(path: Path | str) -> str:
    """A short identity of the weights: hash of config + every weight file's size and its
    first and last MiB (fast on 500 MB files, changes when the weights change)."""
    h = hashlib.sha256()
    path = Path(path)
    if not path.is_dir():
        return hashlib.sha256(str(path).encode()).hexdigest()[:16]
    for f in sorted(path.iterdir()):
        if f.suffix in {".json", ".safetensors", ".bin"}:
            size = f.stat().st_size
            h.update(f"{f.name}:{size}".encode())
            with open(f, "rb") as fh:
                h.update(fh.read(1 << 20))
                if size > 2 << 20:
                    fh.seek(-(1 << 20), os.SEEK_END)
                    h.update(fh.read())
    return h.hexdigest()[:16]


def load_model(spec: str, device: str = "cpu", dtype: str = "float32") -> CausalLM:
    """Load a causal LM and its tokenizer, ready for the loop (eval mode, no grad).
    A hidden-state draft directory (models/feature_draft.py) loads as a FeatureDraft."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # loading is quick; keep stderr for our own lines
    hf_logging.set_verbosity_error()
    where = resolve_path(spec)
    from .feature_draft import is_feature_draft, load_feature_draft

    if is_feature_draft(where):  # an EAGLE-style draft: not a causal LM on its own
        return load_feature_draft(where, spec, fingerprint(where), device, dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(where), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            str(where), dtype=getattr(torch, dtype), local_files_only=True
        )
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecDecodeError(
            f"cannot load model '{spec}' ({first[:160]}); use zoo:NAME (see `specdecode zoo list`) "
            "or a local model directory (no hub downloads here)"
        ) from None
    model.to(device).eval()
    lm = CausalLM(model, tokenizer, name=spec, identity=fingerprint(where), vocab_subset=_vocab_subset(where))
    lm.copy_head = copy_head_of(where)
    return lm


def _vocab_subset(where):
    meta = Path(where) / DRAFT_META if isinstance(where, Path) else None
    if meta is None or not meta.exists():
        return None
    import torch

    ids = json.loads(meta.read_text()).get("vocab_subset")
    return torch.tensor(sorted(ids), dtype=torch.long) if ids else None


def copy_head_of(where) -> tuple[int, int] | None:
    """(n_min, n_max) of a draft's copy head, from DRAFT_META {"copy_head": {...}}."""
    meta = Path(where) / DRAFT_META if isinstance(where, Path) else None
    if meta is None or not meta.exists():
        return None
    head = json.loads(meta.read_text()).get("copy_head")
    return (int(head["n_min"]), int(head["n_max"])) if head else None


def shared_vocab_size(target: CausalLM, draft: CausalLM) -> int:
    """Check the two tokenizers agree token by token; return the common logits width
    (embedding tables may differ in padding: logits are sliced to the smaller)."""
    tv, dv = target.tokenizer.get_vocab(), draft.tokenizer.get_vocab()
    t_by_id = {i: t for t, i in tv.items()}
    d_by_id = {i: t for t, i in dv.items()}
    diff = sorted(i for i in set(t_by_id) | set(d_by_id) if t_by_id.get(i) != d_by_id.get(i))
    if diff:
        show = ", ".join(f"{i}: {t_by_id.get(i)!r} vs {d_by_id.get(i)!r}" for i in diff[:3])
        raise SpecDecodeError(
            f"draft and target vocabularies differ at {len(diff)} token ids (e.g. {show}); "
            "use a draft with the target's tokenizer (or --proposer ngram)"
        )
    return min(target.vocab_size, draft.vocab_size)
