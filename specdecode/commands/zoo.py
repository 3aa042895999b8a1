"""`specdecode zoo list | build NAME | path NAME | measure`: the offline model zoo."""
from __future__ import annotations

import argparse

from .. import zoo
from ..errors import SpecDecodeError
from ..inputs import SEED_MAX, check_model_path, check_output_dir, int_arg
from ..training.prompts import SUITES
from ..zoo import cache, registry


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "zoo",
        help="list and build the offline model zoo (models addressed as zoo:NAME)",
        description="Offline model zoo. Models are built locally into the cache "
        "($SPECDECODE_CACHE, default ~/.cache/specdecode) on first use and checked against "
        "their sha256 manifest on every load (a file whose size or timestamps changed is "
        "re-hashed; a mismatch rebuilds it); use them anywhere a model id is accepted as "
        "zoo:NAME.",
    )
    actions = parser.add_subparsers(dest="zoo_action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="table of entries: status, size, parameters, source, "
                                 "licence, cache path")
    listing.add_argument("--json", action="store_true",
                         help="print one JSON object per entry instead (sizes in bytes, counts as integers)")
    listing.set_defaults(func=run_list)
    build = actions.add_parser("build", help="build an entry (and the entries it depends on)")
    build.add_argument("name", help="entry name, e.g. tiny or zoo:tiny-draft")
    build.add_argument("--force", action="store_true",
                       help="rebuild even if a verified build is cached")
    build.add_argument("--seed", type=int_arg(0, SEED_MAX, "use e.g. 0"), default=None,
                       help="training seed (default: the cached build's seed, else 0)")
    build.set_defaults(func=run_build)
    path = actions.add_parser("path", help="print the built directory (builds it if needed)")
    path.add_argument("name", help="entry name, e.g. tiny")
    path.set_defaults(func=run_path)
    measure = actions.add_parser(
        "measure", help="greedy acceptance per suite and cost ratio c of a draft for a target",
        description="Teacher-forced greedy acceptance (draft argmax == target greedy token along "
        "the target's own output) on each suite's TEST split, and c = draft / target 1-token call "
        "time. For a hidden-state draft (zoo:smollm2-135m-eagle) the draft steps are chained as "
        "at decode time: alpha_s is the acceptance of draft step s given steps 1..s-1 were "
        "accepted, and `acceptance` is the share of draft positions accepted at k = 4. Then the "
        "same on a general set written apart from the suites and the training data, chat-templated "
        "and raw (no template), with the gap to the test splits. Takes several minutes for the "
        "SmolLM2 pair.")
    measure.add_argument("--target", default="zoo:smollm2-135m", help="target model: zoo:NAME or a directory")
    measure.add_argument("--draft", default="zoo:smollm2-135m-draft",
                         help="draft to measure (same tokenizer as the target): zoo:NAME or a directory")
    measure.add_argument("--n", type=int_arg(1, fix="use e.g. 16"), default=16, help="test prompts per suite")
    measure.add_argument("--new-tokens", type=int_arg(1, fix="use e.g. 128"), default=128,
                         help="target greedy tokens per prompt along which the draft is teacher-forced")
    measure.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites")
    measure.add_argument("--general", type=int_arg(0, fix="use e.g. 8, or 0 to skip it"), default=8,
                         help="items per domain of the general set (prompts written apart from the "
                         "suites and the drafts' training data), each measured chat-templated and raw; "
                         "the gap to the suites is printed (default 8; 0 skips it)")
    measure.add_argument("--json", action="store_true", help="print the JSON result")
    measure.set_defaults(func=run_measure)


def run_list(args: argparse.Namespace) -> int:
    entries = [_entry(name) for name in registry.names()]
    if args.json:
        import json

        for entry in entries:
            print(json.dumps(entry))
        return 0
    rows = [_row(e) for e in entries]
    header = ("name", "status", "size", "parameters", "source", "licence", "path")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)] + [str(row[-1])]
        print("  ".join(cells).rstrip())
    return 0


def _check_cache(name: str, writes: bool) -> None:
    """Before a build: the entry exists and the cache root ($SPECDECODE_CACHE) is a
    directory we can write into. A built entry is only read (a read-only cache is fine)."""
    registry.entry(name)  # unknown names list the available ones
    if writes or zoo.read_manifest(name) is None:
        check_output_dir(zoo.cache_root(), f"the zoo cache (${cache.ENV_VAR})")


def run_build(args: argparse.Namespace) -> int:
    _check_cache(args.name, writes=True)
    path = zoo.resolve(args.name, build=True, seed=args.seed, force=args.force)
    ident = zoo.identity(args.name)
    print(f"{ident['name']} {ident['hash']} {path}")
    return 0


def run_measure(args: argparse.Namespace) -> int:
    import json

    from ..training.measure import measure

    suites = tuple(s.strip() for s in args.suites.split(",") if s.strip())
    unknown = [s for s in suites if s not in SUITES]
    if not suites or unknown:
        got = f"unknown suite {unknown[0]!r}" if unknown else "no suite given"
        raise SpecDecodeError(f"--suites: {got}; use a comma-separated list of {', '.join(SUITES)}")
    check_model_path(args.target, "--target")
    check_model_path(args.draft, "--draft")
    result = measure(args.target, args.draft, suites, n_per_suite=args.n, new_tokens=args.new_tokens,
                     n_general=args.general)
    if args.json:
        print(json.dumps(result, indent=1, allow_nan=False))  # NaN is not JSON: a bug if it happens
        return 0
    steps = "  alpha by draft step (k = 4)" if "k" in result else "  LM alone  copy fired  copy right  LM right there"
    print(f"{'suite':<28}{'acceptance':>12}{'coverage':>10}{'positions':>11}{steps}")
    for name, row in result["suites"].items():
        _measure_row(name, row)
    cost = result["cost"]
    print(f"{'mean (test splits)':<28}{result['mean_acceptance']:>12.3f}")
    general = result.get("general")
    if general:
        for kind in ("chat", "raw"):
            for domain, row in general[kind].items():
                _measure_row(f"general {kind}: {domain}", row)
            print(f"{'mean (general ' + kind + ')':<28}{general['mean_' + kind]:>12.3f}"
                  f"   gap to the test splits {general['gap_' + kind]:+.3f} (bound 0.1)")
            gaps = general["domain_gaps_" + kind]
            over = sorted((d for d, g in gaps.items() if g > 0.1), key=lambda d: -gaps[d])
            print(f"{'':<28}{'':>12}   per domain: {len(over)} of {len(gaps)} over 0.1"
                  + (" (" + ", ".join(f"{d} {gaps[d]:+.3f}" for d in over) + ")" if over else ""))
    print(f"c = {cost['draft_s'] * 1000:.1f} ms / {cost['target_s'] * 1000:.1f} ms = {cost['c']:.3f}")
    return 0


def _measure_row(name: str, row: dict) -> None:
    if "alpha" in row:
        extra = "  " + " ".join(f"{a:.3f}" for a in row["alpha"])
    else:
        fired = (f"  {row['copy_right']:>10.3f}  {row['lm_right_where_copied']:>14.3f}"
                 if row["copy_right"] is not None else "")
        extra = f"  {row['lm_acceptance']:>8.3f}  {row['copy_share']:>10.3f}{fired}"
    print(f"{name:<28}{row['acceptance']:>12.3f}{row['coverage']:>10.3f}{row['positions']:>11}{extra}")


def run_path(args: argparse.Namespace) -> int:
    _check_cache(args.name, writes=False)
    print(zoo.resolve(args.name))
    return 0


def _entry(name: str) -> dict:
    """One entry's listing. Does not hash files: `list` must stay instant."""
    item = registry.entry(name)
    out = {"name": f"zoo:{name}", "status": "", "size_bytes": None, "parameters": None,
           "source": None, "licence": None, "path": str(zoo.entry_dir(name))}
    if not registry.builder_available(item):
        return {**out, "status": "builder missing"}
    try:
        builder = registry.load_builder(item)
    except Exception as exc:  # an unfinished or broken builder must not break the listing
        return {**out, "status": "builder incomplete" if isinstance(exc, SpecDecodeError) else "builder error"}
    out.update(source=builder.SOURCE, licence=builder.LICENCE)
    manifest = zoo.read_manifest(name)
    if manifest is None:
        return {**out, "status": "not built"}
    return {**out, "status": _built_status(item, builder, manifest), "size_bytes": manifest["size_bytes"],
            "parameters": manifest["parameters"]}


def _row(e: dict) -> tuple[str, ...]:
    """An entry as table cells ("-" where unknown)."""
    size = _human_bytes(e["size_bytes"]) if e["size_bytes"] is not None else "-"
    params = _human_count(e["parameters"]) if e["parameters"] is not None else "-"
    return (e["name"], e["status"], size, params, e["source"] or "-", e["licence"] or "-", e["path"])


def _built_status(item, builder, manifest: dict) -> str:
    deps = {dep: (zoo.read_manifest(dep) or {}).get("weights_hash") for dep in item.deps}
    if manifest.get("deps") != deps:
        return "stale (dependency changed)"
    if manifest.get("recipe_hash") != cache.recipe_hash(builder, manifest.get("seed"), deps):
        return "stale (recipe changed)"
    return "built"


def _human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _human_count(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n / 1e3:.1f}k"
