"""`specdecode generate`: one prompt through the one loop; streams text as it is committed
and ends with a stats line (or prints one JSON object with --json)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import MAX_VERIFY_ROWS
from ..errors import SpecDecodeError
from .. import dtypes
from ..inputs import check_model_path, check_target_spec, int_arg, parse_device, read_text_file, show, warn


def add_parser(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate text from one prompt with any method",
        description="Generate from one prompt through the speculative decode loop. "
        "Exact methods give target-identical tokens at --temperature 0.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--target", default="zoo:smollm2-135m", help="target model: zoo:NAME, a local directory or a cached hub id")
    p.add_argument("--draft", default=None, help="the draft model a proposer reads (same tokenizer as the target), e.g. "
                   "zoo:smollm2-135m-draft or the hidden-state draft zoo:smollm2-135m-eagle; short for --model draft=MODEL")
    p.add_argument("--model", action="append", default=[], metavar="ROLE=MODEL",
                   help="a named model a proposer reads besides the target (repeatable), e.g. draft=zoo:tiny-draft")
    # %(registered)s: the registry's names when the help is shown (plug-ins included)
    _listed(p.add_argument("--proposer", default=None, help="one of: %(registered)s. When not given: the proposer "
                           "of the --draft model's kind (draft for a causal LM, eagle for a hidden-state draft), "
                           "else none"), "proposer")
    _listed(p.add_argument("--verifier", default="auto", help="one of: %(registered)s"), "verifier")
    _listed(p.add_argument("--controller", default="fixed", help="one of: %(registered)s"), "controller")
    p.add_argument("--k", type=int, default=4, help="draft length (initial / maximum for adaptive controllers)")
    p.add_argument("--param", action="append", default=[], metavar="ROLE.KEY=VALUE",
                   help="proposer/verifier/controller parameter, e.g. proposer.n_max=4 or controller.threshold=0.6")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    p.add_argument("--top-k", type=int, default=0, help="0 = off")
    p.add_argument("--top-p", type=float, default=1.0, help="1 = off")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (T > 0); same seed, same output")
    p.add_argument("--max-new-tokens", type=int, default=128, help="stop after this many new tokens (or at EOS)")
    p.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--prompt", help="the prompt text")
    group.add_argument("--prompt-file", type=Path, help="read the prompt from a file")
    p.add_argument("--chat", action="store_true", help="apply the target's chat template to the prompt")
    p.add_argument("--json", action="store_true", help="print one JSON object (token ids, text, stats) instead of streaming")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N | mps")
    p.add_argument("--dtype", default=None, choices=dtypes.CHOICES,
                   help="model dtype: fp32, bf16, or auto (measured once per machine and model, "
                        "cached; see docs/dtype.md). Default: $SPECDECODE_DTYPE, else auto")
    p.add_argument("--min-verify-rows", type=int_arg(1, MAX_VERIFY_ROWS, "use 1 for no padding, 4 on CPU"), default=1,
                   help="pad target calls of 2..N-1 tokens to N (CPU BLAS runs 2-3-row matmuls slowly; 4 helps on CPU)")
    p.set_defaults(func=run)


def _listed(action, role: str) -> None:
    from ..registry import NamesOf

    action.registered = NamesOf(role)


ROLES_WITH_PARAMS = ("proposer", "verifier", "controller")


def parse_params(items: list[str]) -> dict[str, dict]:
    """['proposer.n_max=4', ...] -> {"proposer": {...}, "verifier": {...}, "controller": {...}}; values as YAML."""
    import yaml

    out = {role: {} for role in ROLES_WITH_PARAMS}
    for item in items:
        key, sep, value = item.partition("=")
        role, dot, name = key.partition(".")
        if not sep or not dot or role not in out or not name:
            raise SpecDecodeError(f"bad --param {item!r}; use ROLE.KEY=VALUE with ROLE one of {', '.join(out)}")
        try:
            out[role][name] = yaml.safe_load(value)
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. a date such as 2020-13-45
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SpecDecodeError(f"bad --param {item!r}: the value is not valid YAML ({first}); "
                                  f"quote text values, e.g. {key}='text'") from None
    return out


def parse_models(args) -> dict[str, str]:
    """--model ROLE=MODEL (repeatable) and --draft MODEL -> {role: model id}."""
    out: dict[str, str] = {}
    for item in args.model:
        role, sep, model = item.partition("=")
        if not sep or not role or not model:
            raise SpecDecodeError(f"bad --model {item!r}; use ROLE=MODEL, e.g. --model draft=zoo:tiny-draft")
        if role in out:
            raise SpecDecodeError(f"--model {role}= given twice")
        out[role] = model
    if args.draft:
        if "draft" in out and out["draft"] != args.draft:
            raise SpecDecodeError("--draft and --model draft=... disagree; give one")
        out["draft"] = args.draft
    return out


def _read_prompt(args) -> str:
    """The prompt from --prompt or --prompt-file (a readable UTF-8 text file), not empty."""
    if args.prompt_file is not None:
        text = read_text_file(args.prompt_file, "prompt file", fix="give an existing UTF-8 text file")
        if not text:
            raise SpecDecodeError(f"prompt file '{args.prompt_file}' is empty; write the prompt into it")
        return text
    if args.prompt is None:
        raise SpecDecodeError("no prompt; give --prompt TEXT or --prompt-file PATH")
    if not args.prompt:
        raise SpecDecodeError("the prompt is empty; give --prompt TEXT with some text")
    return args.prompt


def _warn_ignored(args, proposer: str, model_ids: dict[str, str], roles: tuple[str, ...], params: dict) -> None:
    """Options that are accepted but change nothing get one warning line each."""
    from ..proposers import PROPOSERS

    for role in model_ids:
        if role not in roles:
            flag = "--draft" if role == "draft" and args.draft else f"--model {role}=..."
            reads = f"reads the models {', '.join(roles)}" if roles else "reads no model besides the target"
            warn(f"{flag} is ignored: proposer '{proposer}' {reads}")
    if args.temperature == 0 and (args.top_k != 0 or args.top_p != 1):
        warn("--top-k / --top-p are ignored at --temperature 0 (greedy); give --temperature > 0 to sample")
    if not PROPOSERS.get(proposer).drafts:
        given = [flag for flag, on in (("--k", args.k != 4), ("--controller", args.controller != "fixed"),
                                       ("controller params", bool(params["controller"]))) if on]
        if given:
            warn(f"{' / '.join(given)} ignored: proposer '{proposer}' drafts nothing (target-only decoding)")


def _default_proposer(model_ids: dict[str, str]) -> str:
    """No --proposer: target-only without a draft; else the proposer the draft's model
    kind names (models.MODEL_KINDS: "draft" for a causal LM, "eagle" for a hidden-state draft)."""
    if "draft" not in model_ids:
        return "none"
    from ..models import model_kind

    return model_kind(model_ids["draft"]).proposer or "draft"


def run(args) -> int:
    from ..config import GenerationConfig, MethodConfig, SamplingConfig
    from ..decoder import SpeculativeDecoder, encode_prompt, resolve_method
    from ..models import load_model
    from ..proposers import PROPOSERS
    from ..stats import stats_line

    params = parse_params(args.param)
    model_ids = parse_models(args)
    proposer = args.proposer or _default_proposer(model_ids)
    method = MethodConfig(proposer=proposer, verifier=args.verifier, controller=args.controller, k=args.k,
                          proposer_params=params["proposer"], verifier_params=params["verifier"],
                          controller_params=params["controller"])
    sampling = SamplingConfig(args.temperature, args.top_k, args.top_p)
    gen_cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, seed=args.seed, stop_strings=tuple(args.stop))
    resolve_method(method, sampling)  # names, params, compatibility: before any model loads
    roles = PROPOSERS.get(proposer).model_roles
    for role in roles:
        if role not in model_ids:
            flag = "--draft MODEL" if role == "draft" else f"--model {role}=MODEL"
            raise SpecDecodeError(f"proposer '{proposer}' needs a {role} model; pass {flag}")
    device = parse_device(args.device)
    dtype = args.dtype or dtypes.default_choice()
    dtypes.check_supported(dtype, device)
    check_model_path(args.target, "--target")
    check_target_spec(args.target, PROPOSERS.get(proposer).drafts)
    for role in roles:
        check_model_path(model_ids[role], "--draft" if role == "draft" else f"--model {role}")
    prompt = _read_prompt(args)
    _warn_ignored(args, proposer, model_ids, roles, params)
    target = load_model(args.target, device=device, dtype=dtype)
    target.min_rows = args.min_verify_rows
    models = {role: load_model(model_ids[role], device=device, dtype=dtype, role="draft")
              for role in roles}
    decoder = SpeculativeDecoder(target, method, sampling, models)
    ids = encode_prompt(target, prompt, args.chat)
    if not ids:
        raise SpecDecodeError(f"the prompt {show(prompt)} encodes to no tokens; give a longer prompt or --chat")
    if args.json:
        result = decoder.generate(ids, gen_cfg)
        # allow_nan=False: a NaN in the stats is a bug, and it must not pass as JSON
        print(json.dumps({"token_ids": result.output_ids, "text": result.text, "stats": result.stats,
                          "method": method.__dict__, "models": {r: model_ids[r] for r in roles}},
                         allow_nan=False))
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
