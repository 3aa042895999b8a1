"""Hidden-state (EAGLE-style) drafts: a small network that reads the target's features.

Row i of the draft reads the token x_{i+1} and the target's feature f_i (its post-norm
last hidden state at position i):

    z_i = fc([emb(x_{i+1}); f_i])            (2d -> d; emb = the target's input embedding)
    o_i = norm(layers(z_0..z_i))            a few Llama decoder layers, causal, own KV cache
    logits(x_{i+2}) = head(o_i)              LM-head rows of a vocabulary subset only

o_i is trained to be f_{i+1}, so drafting runs on: the next row reads (draft token, o_i).
Rows whose f_i came from the target are "true" rows and stay cached across cycles; rows
fed with the draft's own o are speculative and are dropped at commit.

On disk (a zoo directory): tokenizer files, `model.safetensors` (the net's state dict) and
FEATURE_META (format, body config, vocabulary subset, target hidden size).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import SpecDecodeError
from .loading import FEATURE_META, read_meta, register_model_kind

KIND = "feature"  # the meta `kind` of these directories (MODEL_KINDS); "eagle" in older builds
WEIGHTS = "model.safetensors"


def body_config(target_config, n_layers: int):
    """The draft body's LlamaConfig: the target's layer shape, n_layers layers, and a
    1-token embedding table (the body never embeds ids; rows arrive as z)."""
    import copy

    from transformers import LlamaConfig

    cfg = LlamaConfig(**{k: v for k, v in copy.deepcopy(target_config).to_dict().items()
                         if k not in ("architectures", "model_type", "transformers_version")})
    cfg.num_hidden_layers = n_layers
    cfg.vocab_size, cfg.pad_token_id, cfg.tie_word_embeddings = 1, None, False
    cfg.bos_token_id = cfg.eos_token_id = None
    if getattr(cfg, "layer_types", None):
        cfg.layer_types = cfg.layer_types[:n_layers]
    return cfg


class FeatureDraftNet(torch.nn.Module):
    """fc (2d -> d), a LlamaModel body of a few layers, and head (V', d) subset rows."""

    def __init__(self, cfg, subset_size: int):
        from transformers import LlamaModel

        super().__init__()
        d = cfg.hidden_size
        self.fc = torch.nn.Linear(2 * d, d)
        self.body = LlamaModel(cfg)
        self.head = torch.nn.Parameter(torch.zeros(subset_size, d))

    def rows(self, tok_emb: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """tok_emb, feats (.., d) -> z (.., d)."""
        return self.fc(torch.cat([tok_emb, feats.to(tok_emb.dtype)], -1))

    def forward(self, z, cache, position_ids, attention_mask=None) -> torch.Tensor:
        """z (B, m, d) -> o (B, m, d); appends m rows to `cache` (a DynamicCache)."""
        return self.body(inputs_embeds=z, cache=cache, position_ids=position_ids,
                         attention_mask=attention_mask, use_cache=True).last_hidden_state

    def logits(self, o: torch.Tensor) -> torch.Tensor:
        return F.linear(o, self.head)  # (.., V')


def save(out_dir: Path, net: FeatureDraftNet, subset: torch.Tensor, target_hidden: int,
         vocab_size: int, meta: dict) -> None:
    """Write the net and FEATURE_META into out_dir (tokenizer files are the caller's)."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().contiguous().cpu() for k, v in net.state_dict().items()}, str(out_dir / WEIGHTS))
    info = {"format": 1, "kind": KIND, "body_config": net.body.config.to_dict(),
            "vocab_subset": subset.tolist(), "target_hidden": target_hidden,
            "vocab_size": vocab_size, **meta}
    (out_dir / FEATURE_META).write_text(json.dumps(info))


def is_feature_draft(path) -> bool:
    """True for a hidden-state draft directory (its meta kind is "feature")."""
    return isinstance(path, Path) and read_meta(path)["kind"] == KIND


def load_net(path: Path, dtype=torch.float32) -> tuple[FeatureDraftNet, torch.Tensor, dict]:
    """(net in eval mode, subset (V',), meta) from a directory written by save()."""
    from safetensors.torch import load_file
    from transformers import LlamaConfig

    info = json.loads((Path(path) / FEATURE_META).read_text())
    if info.get("format") != 1:
        raise SpecDecodeError(f"{path}: unknown hidden-state draft format {info.get('format')!r}; rebuild it")
    subset = torch.tensor(info["vocab_subset"], dtype=torch.long)
    net = FeatureDraftNet(LlamaConfig(**info["body_config"]), len(subset))
    net.load_state_dict(load_file(str(Path(path) / WEIGHTS)))
    return net.to(dtype).eval(), subset, info


class FeatureDraft:
    """Batch-1 runtime of a FeatureDraftNet: owns its KV cache (one row per position i,
    see the module docstring), yields full-width logits (-inf outside the subset)."""

    kind = "feature"

    def __init__(self, net: FeatureDraftNet, tokenizer, name: str, identity: str,
                 subset: torch.Tensor, vocab_size: int, target_hidden: int):
        self.net, self.tokenizer, self.name, self.identity = net, tokenizer, name, identity
        self.device = next(net.parameters()).device
        self.subset = subset.to(self.device)
        self.vocab_size = vocab_size
        self.target_hidden = target_hidden
        self.calls = 0
        self.cache = None
        self.length = 0       # rows in the cache
        self._emb = None      # the target's input embedding (V, d), set by bind()

    def bind(self, target) -> None:
        """Share the target's input embedding; check the feature width matches."""
        emb = target.model.get_input_embeddings().weight
        if emb.shape[1] != self.target_hidden or self.target_hidden != self.net.fc.out_features:
            raise SpecDecodeError(
                f"hidden-state draft {self.name} reads {self.target_hidden}-dim features but the target "
                f"{target.name} has {emb.shape[1]}; use the draft built for this target")
        self._emb = emb.detach()

    def reset(self) -> None:
        self.cache, self.length = None, 0

    def rollback_to(self, length: int) -> None:
        if self.length > length:
            self.cache.crop(length - self.length)  # negative: drop that many rows
            self.length = length

    @torch.inference_mode()
    def step(self, tokens: list[int], feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append m rows (x_{i+1} = tokens[j], f_i = feats[j]); feats (m, d).
        Returns (o of the last row (1, d), logits (1, V) for the token after the next)."""
        from transformers import DynamicCache

        if self.cache is None:
            self.cache = DynamicCache(config=self.net.body.config)
        m = len(tokens)
        ids = torch.tensor(tokens, device=self.device)
        z = self.net.rows(self._emb[ids], feats.to(self.device))[None]  # (1, m, d)
        pos = torch.arange(self.length, self.length + m, device=self.device)[None]
        o = self.net(z, self.cache, pos)[0, -1:]  # (1, d)
        sub = self.net.logits(o).float()
        full = torch.full((1, self.vocab_size), float("-inf"), device=self.device)
        full[:, self.subset] = sub
        self.length += m
        self.calls += 1
        return o, full.cpu()

    def __repr__(self) -> str:
        return f"FeatureDraft({self.name!r}, layers={self.net.body.config.num_hidden_layers})"


@register_model_kind(KIND, proposer="eagle", summary="a hidden-state (EAGLE-style) draft that reads the "
                     "target's features (specdecode_feature_draft.json)")
def load_feature_draft(path: Path, name: str, identity: str, meta: dict | None = None, device: str = "cpu",
                       dtype: str = "float32") -> FeatureDraft:
    from transformers import AutoTokenizer

    if not isinstance(path, Path) or not (path / FEATURE_META).is_file():
        raise SpecDecodeError(f"model '{name}' says it is a hidden-state draft but has no {FEATURE_META}; rebuild it")
    net, subset, info = load_net(path, getattr(torch, dtype))
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    return FeatureDraft(net.to(device), tokenizer, name, identity, subset, int(info["vocab_size"]),
                        int(info["target_hidden"]))
