"""Trains the SpecDec++ acceptance head (controllers/accept_head.py) of one draft/target
pair, from traces of the draft on the suites' dev prompts (never a test prompt).

Traces: the target greedily continues each dev prompt (target-only decoding through the
library's own loop, `new_tokens` tokens); then both models read prompt + continuation in
one teacher-forced call each. At every continuation position j the draft's features
(hidden state (d,), top probability, entropy) are paired with the label "the draft's
argmax equals the target's" - whether greedy verification accepts the token the draft
would propose there, given that every earlier token was accepted (the target's own
greedy path is then the context): the event SpecDec++ predicts. The same head serves
T > 0 as a ranking of acceptance (a calibration there is not claimed).

Fit: scikit-learn's L2 logistic regression on standardised features; the last
`holdout` share of prompts (per suite) is held out and its accuracy, log-loss and AUC
are written to the head's metadata with the positive rate, for `zoo list` / manifests.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..controllers.accept_head import head_features, save_head
from .prompts import SUITES


@dataclass(frozen=True)
class AcceptHeadRecipe:
    suites: tuple[str, ...] = SUITES
    prompts_per_suite: int = 20   # dev prompts per suite
    new_tokens: int = 64          # the target's greedy continuation per prompt
    max_prompt_tokens: int = 384  # longer prompts keep their last tokens
    chat: bool = True             # render prompts with the target's chat template (as bench does)
    holdout: float = 0.2          # share of each suite's prompts held out for the metrics
    C: float = 0.1                # inverse L2 strength of the logistic regression
    max_iter: int = 1000
    threads: int = 1


def dev_prompts(recipe: AcceptHeadRecipe) -> list[tuple[str, str, bool]]:
    """(suite, prompt text, held out?) of the first prompts_per_suite dev items per suite."""
    from ..suites import load_suite

    out = []
    for name in recipe.suites:
        items = load_suite(name, split="dev", n=recipe.prompts_per_suite).items
        n_train = max(1, round(len(items) * (1 - recipe.holdout))) if len(items) > 1 else len(items)
        out += [(name, it.prompt, i >= n_train) for i, it in enumerate(items)]
    return out


@torch.inference_mode()
def trace_prompt(target, draft, ids: list[int], new_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (n, d + 2) and labels (n,) at the n positions that predict a continuation token."""
    from ..config import GenerationConfig, MethodConfig, SamplingConfig
    from ..decoder import generate

    cont = generate(target, ids, method=MethodConfig(proposer="none"), sampling=SamplingConfig(0.0),
                    gen_cfg=GenerationConfig(max_new_tokens=new_tokens, stop_at_eos=True)).output_ids
    seq = ids + cont
    rows = draft.model.get_input_embeddings().weight.shape[0]
    start = len(ids) - 1  # the position whose next token is the first continuation token
    target.reset()
    p_logits = target.logits_for(seq[:-1], len(seq) - 1 - start).logits           # (n, V)
    draft.reset()
    out = draft.logits_for([t if t < rows else 0 for t in seq[:-1]], len(seq) - 1 - start, want_hidden=True)
    q_logits = _on_target_vocab(out.logits, target.vocab_size)                        # (n, V)
    labels = (q_logits.argmax(-1) == p_logits.argmax(-1)).float()
    return head_features(q_logits, out.last_hidden), labels


def _on_target_vocab(logits: torch.Tensor, width: int) -> torch.Tensor:
    """Draft logits (n, V_d) over the target's V ids, as the draft proposer sees them:
    padding rows beyond V dropped, ids the draft's head lacks at -inf (q = 0)."""
    if logits.shape[-1] >= width:
        return logits[..., :width]
    return torch.cat([logits, logits.new_full((*logits.shape[:-1], width - logits.shape[-1]), float("-inf"))], -1)


def collect(target, draft, recipe: AcceptHeadRecipe):
    """(X (N, F), y (N,), held out (N,) bool) over the dev prompts, with a progress bar."""
    from ..decoder import encode_prompt

    xs, ys, hold = [], [], []
    chat = recipe.chat and bool(getattr(target.tokenizer, "chat_template", None))
    room = target.max_length - recipe.new_tokens - 1
    for _suite, prompt, held in tqdm(dev_prompts(recipe), desc="specdecpp head: draft traces", unit="prompt"):
        ids = encode_prompt(target, prompt, chat)[-min(recipe.max_prompt_tokens, room):]
        x, y = trace_prompt(target, draft, ids, recipe.new_tokens)
        xs.append(x)
        ys.append(y)
        hold.append(torch.full((len(y),), held))
    return torch.cat(xs).numpy(), torch.cat(ys).numpy(), torch.cat(hold).numpy()


def fit(x: np.ndarray, y: np.ndarray, held: np.ndarray, recipe: AcceptHeadRecipe, seed: int):
    """(weight (F,), bias, mean (F,), scale (F,), metrics) of a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    train = ~held if held.any() and (~held).any() else np.ones_like(held)
    mean, scale = x[train].mean(0), x[train].std(0) + 1e-6
    z = (x - mean) / scale
    if len(np.unique(y[train])) < 2:  # one class only (e.g. a draft that always agrees): a constant
        rate = float(np.clip(y[train].mean(), 1e-3, 1 - 1e-3))
        weight, bias = np.zeros(x.shape[1]), float(np.log(rate / (1 - rate)))
    else:
        model = LogisticRegression(C=recipe.C, max_iter=recipe.max_iter, random_state=seed)
        model.fit(z[train], y[train])
        weight, bias = model.coef_[0], float(model.intercept_[0])
    test = held if held.any() else train
    prob = 1 / (1 + np.exp(-(z[test] @ weight + bias)))
    metrics = {"positions": int(len(y)), "train_positions": int(train.sum()), "test_positions": int(test.sum()),
               "accept_rate_test": round(float(y[test].mean()), 4),
               "accuracy_test": round(float(accuracy_score(y[test], prob > 0.5)), 4),
               "log_loss_test": round(float(log_loss(y[test], prob, labels=[0, 1])), 4),
               "auc_test": (round(float(roc_auc_score(y[test], prob)), 4)
                            if len(np.unique(y[test])) == 2 else None)}
    return weight, bias, mean, scale, metrics


def build_head(out_dir: Path, target_dir: Path, draft_dir: Path, recipe: AcceptHeadRecipe, seed: int,
               draft_name: str) -> None:
    """Trace, fit and write the head of the pair (target_dir, draft_dir) into out_dir."""
    from ..models import load_model
    from .optimise import build_threads

    with build_threads(recipe.threads):
        target = load_model(str(target_dir), dtype="fp32")
        draft = load_model(str(draft_dir), dtype="fp32", role="draft")
        x, y, held = collect(target, draft, recipe)
        weight, bias, mean, scale, metrics = fit(x, y, held, recipe, seed)
    save_head(Path(out_dir), weight, bias, mean, scale,
              {"hidden_size": int(x.shape[1] - 2), "draft": draft_name, "recipe": asdict(recipe),
               "seed": seed, "metrics": metrics})
