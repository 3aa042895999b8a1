"""`xtok`: cross-tokenizer drafting (Universal Assisted Generation, arXiv 2502.05202).
The draft is a causal LM with ANOTHER tokenizer; the two models meet in text.

One cycle:
1. Draft context. The target context from `anchor` on is decoded to text (the target's
   tokenizer) and encoded with the draft's. The anchor only moves in jumps: when the
   window exceeds `window_tokens` target tokens it jumps to keep the last half (and it
   halves further if the draft ids would not fit the draft's context). So from cycle to
   cycle the draft ids share a long prefix, and CausalLM.logits_for keeps those cached
   positions (common prefix + rollback): a cycle feeds the draft only the re-encoded new
   text, plus one re-prefill per window_tokens / 2 committed tokens. Cost: one decode and
   one encode of at most window_tokens tokens per cycle (Rust tokenizers: well under a
   millisecond at the default).
2. Draft greedily (argmax) in the draft's vocabulary, one draft step at a time, at most
   ceil(steps_per_token * k) + 1 steps, until k complete target tokens exist, the draft
   emits its EOS, or the controller's stop(i, draft logits row) says so (i = index of
   the last complete target token; asked only once there is one).
3. Back to the target's tokens, after each step. tail = the last `lookbehind` target
   tokens, tail_text = their text; full = target-encode(tail_text + draft text).
   Alignment rule: the longest suffix of `tail` (at least half of it) that `full`
   repeats as a run ending at index i (the earliest such i); the proposal candidates are
   full[i:]. In the common case full[:len(tail)] == tail and i = len(tail). No such run
   (e.g. the target's last token merges with the draft's text into one token) -> nothing
   is proposed this cycle (a target-only step).
   Incomplete last token: the last token of full[i:] is dropped unless the draft ended
   with its EOS, since more text could still merge into it ("Ġhel" + "lo" -> "Ġhello").
   Trailing U+FFFD (half a multi-byte character) is cut off the draft text first.
   At most k tokens are proposed; a token id the target's head lacks ends the proposal.

Exactness. The proposal is deterministic (draft_probs = None: q is one-hot on each
token; the draft's logits are over another vocabulary, so draft_logits = None too).
`auto` verifies it by greedy match at T = 0 and sample-and-match (`match`) at T > 0,
exact at any temperature. `rejection` needs q and refuses it before any model loads.

Identical tokenizers work too (the text round trip is then the identity, up to
tokenization quirks), but proposer `draft` is the better choice there: no re-encoding.
"""
import math
from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..types import EMPTY_PROPOSAL, Proposal
from .base import PROPOSERS, Proposer, require_model

DRAFT_TAIL = 8  # draft context ids decoded with the new draft tokens, so the first
                # new token's text keeps its leading space (SentencePiece drops it alone)


@dataclass(frozen=True)
class Junction:
    """Where the committed context meets the draft text, in both vocabularies."""

    tail: list[int]    # the last `lookbehind` target context ids
    tail_text: str     # ... their text
    d_tail: list[int]  # the last DRAFT_TAIL draft context ids
    d_tail_text: str   # ... their text


@dataclass(frozen=True)
class XtokParams:
    window_tokens: int = 1024     # target tokens the draft reads at most (the last half kept on a jump)
    lookbehind: int = 8           # target context tokens re-encoded with the draft text to align on
    steps_per_token: float = 1.5  # draft steps per cycle at most: ceil(steps_per_token * k) + 1

    def __post_init__(self):
        if self.window_tokens < 2 or self.lookbehind < 1:
            raise SpecDecodeError(f"xtok needs window_tokens >= 2 and lookbehind >= 1 (got "
                                  f"{self.window_tokens}, {self.lookbehind}); use e.g. 1024 and 8")
        if not self.steps_per_token > 0:
            raise SpecDecodeError(f"xtok needs steps_per_token > 0 (got {self.steps_per_token}); use e.g. 1.5")


def text_of(tokenizer, ids: list[int]) -> str:
    """ids -> text, special tokens kept as text so that re-encoding finds them again."""
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def ids_of(tokenizer, text: str, special: bool) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=special)


def overlap_end(tail: list[int], full: list[int]) -> int | None:
    """Index in `full` just after the longest run that equals a suffix of `tail` (at
    least half of tail; the earliest run on ties), or None when there is none."""
    best_j, best_i = 0, None
    for i in range(1, len(full) + 1):
        j = 0
        while j < min(i, len(tail)) and full[i - 1 - j] == tail[-1 - j]:
            j += 1
        if j > best_j:
            best_j, best_i = j, i
            if j == len(tail):
                break
    return best_i if best_j >= max(1, (len(tail) + 1) // 2) else None


@PROPOSERS.register("xtok")
class CrossTokenizerProposer(Proposer):
    Params = XtokParams
    model_roles = ("draft",)
    deterministic = True
    # Read by the verifiers that need q (rejection) in their one-line refusal.
    no_draft_probs = "which cross-tokenizer drafts (proposer 'xtok') cannot give"

    def bind(self, target, models):
        from ..decoder import eos_ids  # not at import: decoder imports the proposers

        super().bind(target, models)
        self.draft = require_model(models, "draft", "lm", "xtok")  # any tokenizer: no check_same_tokenizer
        self.t_tok, self.d_tok = target.tokenizer, self.draft.tokenizer
        self.d_eos = eos_ids(self.draft)
        self.anchor = 0  # index of the first target context token the draft reads

    def reset(self):
        super().reset()
        self.draft.reset()
        self.anchor = 0

    def prefill(self, ctx):
        self.draft.logits_for(self._window(ctx, 1), 1)  # warm the draft cache with the prompt
        return None

    def _window(self, ctx: list[int], steps: int) -> list[int]:
        """Draft ids of the text of ctx[anchor:], leaving room for `steps` more tokens."""
        if len(ctx) - self.anchor > self.params.window_tokens:
            self.anchor = len(ctx) - self.params.window_tokens // 2
        room = max(1, self.draft.max_length - steps)
        while True:
            ids = ids_of(self.d_tok, text_of(self.t_tok, ctx[self.anchor:]), special=True)
            if len(ids) <= room or len(ctx) - self.anchor <= 1:
                return ids[-room:] if len(ids) > room else ids
            self.anchor += (len(ctx) - self.anchor) // 2

    def propose(self, ctx, k, sampling, gen, stop=None):
        steps = math.ceil(self.params.steps_per_token * k) + 1
        d_ctx = self._window(ctx, steps)
        tail, d_tail = ctx[-self.params.lookbehind:], d_ctx[-DRAFT_TAIL:]
        at = Junction(tail, text_of(self.t_tok, tail), d_tail, text_of(self.d_tok, d_tail))
        drafted: list[int] = []  # draft-vocabulary ids
        tokens: list[int] = []   # complete target tokens so far
        for _ in range(steps):
            out = self.draft.logits_for(d_ctx + drafted, 1)  # (1, V_draft)
            self.calls += 1
            x = int(out.logits[0].argmax())
            if x in self.d_eos:  # the draft's text is final: its last target token is complete
                tokens = self._to_target(at, drafted, final=True)
                break
            drafted.append(x)
            tokens = self._to_target(at, drafted, final=False)
            if len(tokens) >= k or (stop is not None and tokens and stop(len(tokens) - 1, out.logits[0])):
                break
        return Proposal(tokens=tokens[:k]) if tokens else EMPTY_PROPOSAL

    def _to_target(self, at: Junction, drafted: list[int], final: bool) -> list[int]:
        """The drafted text as target tokens continuing ctx (the alignment rule above)."""
        if not drafted:
            return []
        text = text_of(self.d_tok, at.d_tail + drafted)[len(at.d_tail_text):]
        if not final:
            text = text.rstrip("\ufffd")  # half a character: wait for the rest
        full = ids_of(self.t_tok, at.tail_text + text, special=False)
        i = overlap_end(at.tail, full)
        if i is None:
            return []
        cont = full[i:] if final else full[i:-1]
        ok = next((j for j, t in enumerate(cont) if t >= self.vocab_size), len(cont))
        return cont[:ok]
