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

Token trees. `score(ctx, proposal)` is the verify call: ONE forward over the root (the
last committed token) and every proposal node. A chain is a plain causal call; a tree gets
an ancestor-only attention mask and position ids = root position + node depth, compiled
once per tree shape (`compile_tree`). Afterwards the cache holds ctx[:-1], the root and
every node in node order; `keep(path)` gathers the accepted path's KV rows (and kept
features) into place right after the root and drops the rest. For a chain the path is a
prefix, so keep() is a plain crop: a chain costs what it cost before trees existed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import torch


@dataclass
class ForwardOutput:
    logits: torch.Tensor                      # (n, V) float32 on the CPU, V = self.vocab_size
    hidden: dict[int, torch.Tensor] | None    # layer index -> (n, d), when asked for
    start: float                              # perf_counter just before the model call
    end: float                                # ... just after it (device synchronised)
    last_hidden: torch.Tensor | None = None   # (n, d) post-norm last hidden states, when asked for

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class CompiledTree:
    """A tree shape compiled once into the buffers one tree forward needs."""

    depth: torch.Tensor      # (n,) long, 1 for a child of the root
    ancestors: torch.Tensor  # (n, n) bool, [i, j] = node j is node i or one of its ancestors


@lru_cache(maxsize=256)
def compile_tree(parents: tuple[int, ...]) -> CompiledTree:
    """parents (n,), -1 = child of the root, each parent before its child."""
    n = len(parents)
    anc = torch.eye(n, dtype=torch.bool)
    depth = torch.ones(n, dtype=torch.long)
    for i, par in enumerate(parents):
        if not -1 <= par < i:
            raise ValueError(f"node {i} has parent {par}: parents must come before their children")
        if par >= 0:
            anc[i] |= anc[par]
            depth[i] = depth[par] + 1
    return CompiledTree(depth=depth, ancestors=anc)


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
        self.vocab_size = model.get_output_embeddings().out_features  # head rows (an int8 head has no .weight tensor)
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
        self._nodes: tuple[int, list[int]] | None = None  # (cache row of node 0, node tokens) after score()

    # -- cache management ------------------------------------------------------------
    def reset(self, keep_features: bool = False) -> None:
        self.cached, self.cache, self._nodes = [], None, None
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

    @torch.inference_mode()
    def keep(self, path: tuple[int, ...]) -> None:
        """After score(): keep the root and the accepted path's nodes (indices into the
        proposal), gathered into consecutive cache rows; drop every other node."""
        if self._nodes is None:
            raise RuntimeError("keep() needs a preceding score() call")
        base, tokens = self._nodes
        self._nodes = None
        rows = [base + i for i in path]
        if rows != list(range(base, base + len(rows))):  # not a prefix: gather (trees only)
            idx = torch.tensor(rows, device=self.device)
            for layer in self.cache.layers:
                layer.keys[..., base : base + len(rows), :] = layer.keys.index_select(-2, idx)
                layer.values[..., base : base + len(rows), :] = layer.values.index_select(-2, idx)
            if self.keep_features:
                self._feat[base : base + len(rows)] = self._feat[idx]
            self.cached[base : base + len(rows)] = [tokens[i] for i in path]
        self.rollback_to(base + len(rows))

    # -- the verify call -----------------------------------------------------------------
    def score(self, ctx: list[int], proposal, want_hidden: bool = False) -> ForwardOutput:
        """ONE forward over ctx's root (last token) and every node of the proposal.
        Returns logits (1 + n, V): row 0 predicts after the root, row 1 + i after node i.
        Leaves the nodes cached until keep(path)."""
        tokens = list(proposal.tokens)
        if proposal.is_chain:
            out = self.logits_for(ctx + tokens, len(tokens) + 1, want_hidden=want_hidden)
        else:
            out = self._tree_forward(ctx, tokens, proposal.parent_list, want_hidden)
        self._nodes = (len(self.cached) - len(tokens), tokens)
        return out

    def _tree_forward(self, ctx, tokens, parents, want_hidden):
        """Feed ctx's uncached tail causally, then the nodes with an ancestor-only mask."""
        keep = min(common_prefix(self.cached, ctx), len(ctx) - 1)
        if self.cache is not None:
            self.rollback_to(keep)
        tree = compile_tree(tuple(parents))
        a, n = len(ctx) - keep, len(tokens)  # a >= 1 causal rows (the root last), n nodes
        mask = torch.zeros(a + n, keep + a + n, dtype=torch.bool)
        mask[:, :keep] = True                                        # the cached prefix
        mask[:a, keep : keep + a] = torch.ones(a, a, dtype=torch.bool).tril()  # causal tail
        mask[a:, keep : keep + a] = True                             # nodes see the whole tail
        mask[a:, keep + a :] = tree.ancestors                        # ... and their ancestors
        pos = torch.cat([torch.arange(keep, keep + a), keep + a - 1 + tree.depth])
        return self.forward(ctx[keep:] + tokens, attention_mask=mask, position_ids=pos,
                            n_logits=n + 1, want_hidden=want_hidden)

    # -- forward -----------------------------------------------------------------------
    @torch.inference_mode()
    def logits_for(self, seq: list[int], n: int = 1, hidden_layers: tuple[int, ...] = (),
                   want_hidden: bool = False) -> ForwardOutput:
        """Logits (n, V) predicting the token after each of seq's last n positions.
        Reuses the cached prefix; seq's last token is always fed so it has logits."""
        keep = min(common_prefix(self.cached, seq), len(seq) - n)
        if self.cache is not None:
            self.rollback_to(keep)
        return self.forward(seq[keep:], hidden_layers=hidden_layers, n_logits=n, want_hidden=want_hidden)

    @torch.inference_mode()
    def forward(self, new_ids: list[int], *, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, hidden_layers: tuple[int, ...] = (),
                n_logits: int | None = None, want_hidden: bool = False) -> ForwardOutput:
        """Append new_ids (m,) to the cache in one model call.
        attention_mask: optional bool (m, cached + m), True = may attend; it replaces the
          causal mask (token trees pass ancestor-only masks). position_ids: optional (m,).
        Returns logits for the last n_logits positions (all m when None), and their last
        hidden states when want_hidden."""
        from transformers import DynamicCache

        if self.cache is None:
            self.cache = DynamicCache(config=self.model.config)
        m = len(new_ids)
        n_logits = m if n_logits is None else n_logits
        plain = attention_mask is None and position_ids is None and not hidden_layers
        pad = self.min_rows - m if plain and 1 < m < self.min_rows else 0
        ids = torch.tensor([new_ids + new_ids[-1:] * pad], dtype=torch.long, device=self.device)
        kwargs = {"cache": self.cache, "use_cache": True}
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask.to(self.device)[None, None]
        if position_ids is not None:
            kwargs["position_ids"] = position_ids.to(self.device)[None]
        self._sync()
        t0 = time.perf_counter()
        last_hidden = None
        if self.vocab_subset is None and not self.keep_features and not want_hidden:
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
            if want_hidden:
                last_hidden = rows.float().cpu()  # (n_logits, d)
        hs = out.hidden_states if hidden_layers else None
        if pad:
            self.cache.crop(-pad)  # the pad positions never enter the committed cache
        logits = logits.cpu()  # (n, V) small; sampling and verification run on the CPU
        self._sync()
        t1 = time.perf_counter()
        self.calls += 1
        self.cached.extend(new_ids)
        self._nodes = None
        hidden = {i: hs[i][0] for i in hidden_layers} if hidden_layers else None
        return ForwardOutput(logits=logits, hidden=hidden, start=t0, end=t1, last_hidden=last_hidden)

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
