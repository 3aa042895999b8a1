"""Build a variant of a distilled draft's recipe into a directory of its own, leaving the
zoo's cached build alone, for side-by-side `zoo measure` runs (a recipe ablation).

    .venv/bin/python bench/recipe_variant.py smollm2-135m-draft --out /tmp/variant \
        --set extra_writing=150 --set raw_share=0.25
    specdecode zoo measure --draft /tmp/variant

Each --set FIELD=VALUE replaces one recipe field; the value is parsed as the field's
current value's type (a tuple as comma-separated ints). The recipe that ran, its build
timings and the overrides are in the output's draft meta, as for a zoo build.
"""
import argparse
import json
import time
from pathlib import Path

from specdecode.recipes import with_assignments
from specdecode.zoo import local_path
from specdecode.zoo.registry import entry, load_builder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name", help="a distilled draft's zoo entry, e.g. smollm2-135m-draft")
    ap.add_argument("--out", type=Path, required=True, help="new directory for the build")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.out.exists():
        raise SystemExit(f"error: {args.out} exists; give a new --out directory")
    item = entry(args.name)
    builder = load_builder(item)
    try:
        recipe = with_assignments(builder.RECIPE, args.set)
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    deps = {dep: local_path(f"zoo:{dep}") for dep in item.deps}
    t = time.perf_counter()
    builder.build(args.out, deps, args.seed, recipe=recipe)
    meta_path = args.out / "specdecode_draft.json"
    meta = json.loads(meta_path.read_text())
    meta["variant_of"] = {"entry": args.name, "set": args.set}
    meta_path.write_text(json.dumps(meta, indent=1))
    print(f"built {args.name} with {', '.join(args.set) or 'no change'} in "
          f"{(time.perf_counter() - t) / 60:.1f} min -> {args.out}")


if __name__ == "__main__":
    main()
