"""A thin wrapper over any Hugging Face causal LM, batch size 1.

The wrapper owns one KV cache and the list of token ids whose keys/values it holds
(`cached`). Callers never manage positions: `logits_for(seq, n)` makes the cache hold
seq[:-1]'s prefix that it shares with what is cached, feeds the rest in ONE forward call
and returns the logits of the last n positions of seq. Rollback is cropping the cache to
the committed prefix, so every invariant is "the cache is a prefix of the committed
tokens", checked, not assumed.

With `reset(keep_features=True)` (hidden-state drafts, proposer `eagle`) the wrapper also
keeps the target's final, post-norm hidden state of every cached position: the draft
reads the features of committed tokens, and rollback drops them with the cache.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch


@dataclass
class ForwardOutput:
    logits: torch.Tensor                      # (n, V) float32 on the CPU, V = self.vocab_size
    hidden: dict[int, torch.Tensor] | None    # layer index -> (n, d), when asked for
    seconds: float                            # wall time of the model call


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


class CausalLM:
    """model: a transformers *ForCausalLM in eval mode; tokenizer: its tokenizer.
    vocab_subset: optional LongTensor (V',) of token ids; logits are then computed only
    for those rows of the LM head and are -inf elsewhere (a cheap draft head, FR-Spec)."""

    kind = "lm"  # drafts: "lm" (this) or "feature" (models/feature_draft.py)

    def __init__(self, model, tokenizer, name: str, identity: str, vocab_subset=None):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.identity = identity  # short hash of the weights, for records
        self.device = next(model.parameters()).device
        self.vocab_subset = None if vocab_subset is None else vocab_subset.to(self.device)
        self.vocab_size = model.get_output_embeddings().weight.shape[0]
        self.max_length = int(getattr(model.config, "max_position_embeddings", 1 << 30))
        self.cached: list[int] = []
        self.cache = None
        self.calls = 0
        # Calls of 2..min_rows-1 tokens are padded to min_rows (pad positions are cropped
        # right after). CPU BLAS runs 2-3-row matmuls as row-by-row GEMV: on the 2-core
        # machine a 3-token SmolLM2 call took 90 ms but a 5-token call 60 ms.
        self.min_rows = 1
        self.keep_features = False
        self.copy_head: tuple[int, int] | None = None  # (n_min, n_max): see proposers/draft.py
        self._feat: torch.Tensor | None = None  # (capacity, d); rows < len(cached) are valid

    # -- cache management ------------------------------------------------------------
    def reset(self, keep_features: bool = False) -> None:
        self.cached, self.cache = [], None
        self.keep_features = keep_features

    def features(self, start: int, stop: int) -> torch.Tensor:
        """(stop - start, d) post-norm last hidden states of cached positions [start, stop)."""
        if not self.keep_features or stop > len(self.cached) or start < 0:
            raise RuntimeError(f"features [{start}, {stop}) not kept (cached {len(self.cached)})")
        return self._feat[start:stop]

    def _store_features(self, h: torch.Tensor) -> None:
        """h (m, d): features of the positions just appended after len(cached)."""
        n, m = len(self.cached), h.shape[0]
        if self._feat is None or self._feat.shape[0] < n + m:
            grown = torch.empty(max(2 * (n + m), 1024), h.shape[1], dtype=h.dtype, device=h.device)
            if self._feat is not None:
                grown[:n] = self._feat[:n]
            self._feat = grown
        self._feat[n : n + m] = h

    def rollback_to(self, length: int) -> None:
        """Keep the first `length` cached positions; drop the rest."""
        drop = len(self.cached) - length
        if drop > 0:
            self.cache.crop(-drop)
            del self.cached[length:]

    # -- forward -----------------------------------------------------------------------
    @torch.inference_mode()
    def logits_for(self, seq: list[int], n: int = 1, hidden_layers: tuple[int, ...] = ()) -> ForwardOutput:
        """Logits (n, V) predicting the token after each of seq's last n positions.
        Reuses the cached prefix; seq's last token is always fed so it has logits."""
        keep = min(common_prefix(self.cached, seq), len(seq) - n)
        if self.cache is not None:
            self.rollback_to(keep)
        return self.forward(seq[keep:], hidden_layers=hidden_layers, n_logits=n)

    @torch.inference_mode()
    def forward(self, new_ids: list[int], *, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, hidden_layers: tuple[int, ...] = (),
                n_logits: int | None = None) -> ForwardOutput:
        """Append new_ids (m,) to the cache in one model call.
        attention_mask: optional bool (m, cached + m), True = may attend; it replaces the
          causal mask (token trees pass ancestor-only masks). position_ids: optional (m,).
        Returns logits for the last n_logits positions (all m when None)."""
        from transformers import DynamicCache

        if self.cache is None:
            self.cache = DynamicCache(config=self.model.config)
        m = len(new_ids)
        n_logits = m if n_logits is None else n_logits
        plain = attention_mask is None and position_ids is None and not hidden_layers
        pad = self.min_rows - m if plain and 1 < m < self.min_rows else 0
        ids = torch.tensor([new_ids + new_ids[-1:] * pad], dtype=torch.long, device=self.device)
        kwargs = {"past_key_values": self.cache, "use_cache": True}
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask.to(self.device)[None, None]
        if position_ids is not None:
            kwargs["position_ids"] = position_ids.to(self.device)[None]
        self._sync()
        t0 = time.perf_counter()
        if self.vocab_subset is None and not self.keep_features:
            out = self.model(ids, output_hidden_states=bool(hidden_layers), logits_to_keep=n_logits + pad, **kwargs)
            logits = out.logits[0, : n_logits].float()  # (n_logits, V), pad rows dropped
        else:  # body, then the head on the rows we need (a subset head, or the full one)
            out = self.model.base_model(ids, output_hidden_states=bool(hidden_layers), **kwargs)
            h = out.last_hidden_state[0]  # (m + pad, d), post final norm
            rows = h[m - n_logits : m]
            if self.vocab_subset is not None:
                logits = self._subset_logits(rows)
            else:  # plain Llama-style head (no logit soft-capping): what model() computes
                logits = self.model.get_output_embeddings()(rows).float()
            if self.keep_features:
                self._store_features(h[:m])
        hs = out.hidden_states if hidden_layers else None
        if pad:
            self.cache.crop(-pad)  # the pad positions never enter the committed cache
        logits = logits.cpu()  # (n, V) small; sampling and verification run on the CPU
        self._sync()
        seconds = time.perf_counter() - t0
        self.calls += 1
        self.cached.extend(new_ids)
        hidden = {i: hs[i][0] for i in hidden_layers} if hidden_layers else None
        return ForwardOutput(logits=logits, hidden=hidden, seconds=seconds)

    def _subset_logits(self, h: torch.Tensor) -> torch.Tensor:
        """h (n, d) -> logits (n, V): LM-head rows of the subset only, -inf elsewhere."""
        weight = self.model.get_output_embeddings().weight
        if not hasattr(self, "_subset_w"):
            self._subset_w = weight[self.vocab_subset].detach()  # (V', d)
        sub = torch.nn.functional.linear(h, self._subset_w).float()  # (n, V')
        full = torch.full((h.shape[0], self.vocab_size), float("-inf"), device=h.device)
        full[:, self.vocab_subset] = sub
        return full

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def __repr__(self) -> str:
        return f"CausalLM({self.name!r}, vocab={self.vocab_size}, max_length={self.max_length})"
