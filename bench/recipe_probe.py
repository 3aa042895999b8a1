"""Held-out probe of a distilled draft's training settings (specdecode/training/probe.py):
the target continues a sample of the draft recipe's training prompts once, and one draft
per --variant is trained on most of them and scored, LM alone, on its own training
sequences and on the held-out rest. The zoo's cached draft is not touched.

    .venv/bin/python bench/recipe_probe.py qwen2.5-coder-1.5b-draft --prompts 96 \
        --held-out 16 --set epochs=3 --variant lr=3e-3 --variant lr=1e-3 \
        --variant lr=5e-4 --variant lr=2.5e-4 --variant "lr=5e-4 init_layers=0,27"

--set FIELD=VALUE changes the recipe for every variant (data fields too); a --variant is
one or more space-separated FIELD=VALUE of training fields; none = the recipe as is.
"""
import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from specdecode.errors import SpecDecodeError
from specdecode.recipes import with_assignments
from specdecode.training.probe import probe
from specdecode.zoo import local_path
from specdecode.zoo.registry import entry, load_builder
from specdecode.zoo.smollm2_draft import DraftRecipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("name", help="a distilled draft's zoo entry, e.g. qwen2.5-coder-1.5b-draft")
    ap.add_argument("--prompts", type=int, default=96, help="training prompts sampled (default 96)")
    ap.add_argument("--held-out", type=int, default=16, help="of those, held out (default 16)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="change the recipe for every variant")
    ap.add_argument("--variant", action="append", default=[], metavar='"FIELD=VALUE ..."',
                    help="one draft trained with these training fields changed (repeat it)")
    ap.add_argument("--seed", type=int, default=0, help="the sample, the split and the training")
    ap.add_argument("--json", type=Path, help="also write the rows and the recipe here")
    args = ap.parse_args()
    item = entry(args.name)
    builder = load_builder(item)
    if not isinstance(getattr(builder, "RECIPE", None), DraftRecipe):
        raise SystemExit(f"error: {args.name} is not a standalone draft distilled from a target "
                         "(a DraftRecipe); try qwen2.5-coder-1.5b-draft or smollm2-135m-draft")
    t = time.perf_counter()
    try:
        recipe = with_assignments(builder.RECIPE, args.set)
        variants = [tuple(v.split()) for v in args.variant] or [()]
        rows = probe(local_path(f"zoo:{builder.TARGET}"), recipe, variants, args.prompts,
                     args.held_out, args.seed)
    except (ValueError, SpecDecodeError) as e:
        raise SystemExit(f"error: {e}") from None
    minutes = (time.perf_counter() - t) / 60
    print(f"{args.name}: {args.prompts - args.held_out} training / {args.held_out} held-out prompts, "
          f"seed {args.seed}, {' '.join(args.set) or 'recipe as is'}; {minutes:.1f} min")
    print(f"{'variant':<32} {'train':>6} {'held-out':>8} {'coverage':>8} {'train s':>8}")
    for r in rows:
        print(f"{' '.join(r.variant) or '(recipe)':<32} {r.train_acceptance:6.3f} "
              f"{r.held_out_acceptance:8.3f} {r.held_out_coverage:8.3f} {r.train_seconds:8.0f}")
    if args.json:
        args.json.write_text(json.dumps({"entry": args.name, "set": args.set, "prompts": args.prompts,
                                         "held_out": args.held_out, "seed": args.seed,
                                         "minutes": round(minutes, 1),
                                         "rows": [asdict(r) for r in rows]}, indent=1))


if __name__ == "__main__":
    main()
