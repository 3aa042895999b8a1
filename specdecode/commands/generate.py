"""`specdecode generate`: one prompt through the one loop; streams text as it is committed
and ends with a stats line (or prints one JSON object with --json)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import SpecDecodeError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate text from one prompt with any method",
        description="Generate from one prompt through the speculative decode loop. "
        "Exact methods give target-identical tokens at --temperature 0.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--target", default="zoo:smollm2-135m", help="target model: zoo:NAME, a local directory or a cached hub id")
    p.add_argument("--draft", default=None, help="draft model for --proposer draft or eagle (same tokenizer as the target), e.g. "
                   "zoo:smollm2-135m-draft or the hidden-state draft zoo:smollm2-135m-eagle")
    p.add_argument("--proposer", default=None, help="none | draft | eagle | ngram (default: with --draft, draft for a causal-LM draft "
                   "and eagle for a hidden-state draft; else none)")
    p.add_argument("--verifier", default="auto", help="auto | greedy | rejection | match")
    p.add_argument("--controller", default="fixed", help="fixed | confidence | heuristic | auto")
    p.add_argument("--k", type=int, default=4, help="draft length (initial / maximum for adaptive controllers)")
    p.add_argument("--param", action="append", default=[], metavar="ROLE.KEY=VALUE",
                   help="proposer/controller parameter, e.g. proposer.n_max=4 or controller.threshold=0.6")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    p.add_argument("--top-k", type=int, default=0, help="0 = off")
    p.add_argument("--top-p", type=float, default=1.0, help="1 = off")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--prompt", help="the prompt text")
    group.add_argument("--prompt-file", type=Path, help="read the prompt from a file")
    p.add_argument("--chat", action="store_true", help="apply the target's chat template to the prompt")
    p.add_argument("--json", action="store_true", help="print one JSON object (token ids, text, stats) instead of streaming")
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--min-verify-rows", type=int, default=1,
                   help="pad target calls of 2..N-1 tokens to N (CPU BLAS runs 2-3-row matmuls slowly; 4 helps on CPU)")
    p.set_defaults(func=run)


def parse_params(items: list[str]) -> tuple[dict, dict]:
    """['proposer.n_max=4', ...] -> (proposer_params, controller_params); values as YAML."""
    import yaml

    out = {"proposer": {}, "controller": {}}
    for item in items:
        key, sep, value = item.partition("=")
        role, dot, name = key.partition(".")
        if not sep or not dot or role not in out:
            raise SpecDecodeError(f"bad --param {item!r}; use proposer.KEY=VALUE or controller.KEY=VALUE")
        out[role][name] = yaml.safe_load(value)
    return out["proposer"], out["controller"]


def _read_prompt(args) -> str:
    if args.prompt_file is not None:
        if not args.prompt_file.exists():
            raise SpecDecodeError(f"prompt file '{args.prompt_file}' does not exist")
        return args.prompt_file.read_text()
    if args.prompt is None:
        raise SpecDecodeError("no prompt; give --prompt TEXT or --prompt-file PATH")
    return args.prompt


def _default_proposer(draft: str | None) -> str:
    """No --proposer: target-only without a draft; `eagle` for a hidden-state draft."""
    if not draft:
        return "none"
    from ..models.feature_draft import is_feature_draft
    from ..models.loading import resolve_path

    return "eagle" if is_feature_draft(resolve_path(draft)) else "draft"


def run(args) -> int:
    from ..config import GenerationConfig, MethodConfig, SamplingConfig
    from ..decoder import SpeculativeDecoder, check_method, encode_prompt
    from ..models import load_model
    from ..proposers import PROPOSERS
    from ..stats import stats_line

    proposer_params, controller_params = parse_params(args.param)
    proposer = args.proposer or _default_proposer(args.draft)
    method = MethodConfig(proposer=proposer, verifier=args.verifier, controller=args.controller, k=args.k,
                          proposer_params=proposer_params, controller_params=controller_params)
    sampling = SamplingConfig(args.temperature, args.top_k, args.top_p)
    gen_cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, seed=args.seed, stop_strings=tuple(args.stop))
    check_method(method, sampling)
    prompt = _read_prompt(args)
    target = load_model(args.target, device=args.device)
    target.min_rows = args.min_verify_rows
    needs_draft = PROPOSERS.get(proposer).needs_draft_model
    if needs_draft and not args.draft:
        raise SpecDecodeError(f"proposer '{proposer}' needs a draft model; pass --draft MODEL")
    draft = load_model(args.draft, device=args.device) if args.draft and needs_draft else None
    decoder = SpeculativeDecoder(target, method, sampling, draft)
    ids = encode_prompt(target, prompt, args.chat)
    if args.json:
        result = decoder.generate(ids, gen_cfg)
        print(json.dumps({"token_ids": result.output_ids, "text": result.text, "stats": result.stats,
                          "method": method.__dict__}))
        return 0
    printed, tokens = "", []

    def show(new_tokens: list[int]) -> None:
        nonlocal printed
        tokens.extend(new_tokens)
        text = target.tokenizer.decode(tokens, skip_special_tokens=True)
        if not text.endswith("\ufffd"):  # wait until a multi-byte character is complete
            sys.stdout.write(text[len(printed):])
            sys.stdout.flush()
            printed = text

    result = decoder.generate(ids, gen_cfg, on_tokens=show)
    sys.stdout.write(result.text[len(printed):] + "\n")
    print(stats_line(result.stats), file=sys.stderr)
    return 0
