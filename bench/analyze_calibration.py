"""Calibration of `specdecode analyze`'s hypotheses table on planted synthetic runs
(analysis/planted.py): over many seeds, the false-positive rate under the global null (no
effect planted) and the power when every default hypothesis is planted true.

A false positive is any verdict other than inconclusive; the table is Holm-corrected, so
the family-wise rate should be at or under about alpha (0.05). Prints per-row rates and
writes JSON when --json is given.

    .venv/bin/python bench/analyze_calibration.py --seeds 200
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace

from specdecode.analysis.analyze import AnalyzeConfig, prepare
from specdecode.analysis.hypotheses import hypotheses_table, load_hypotheses
from specdecode.analysis.planted import PlantConfig, planted_run

NULL = PlantConfig(n_prompts=6, max_new_tokens=32)
PLANTED = replace(NULL, accept={"code": 0.85, "prose": 0.72, "translation": 0.7},
                  slowdown={"translation": 1.4}, position_effect=0.12, rare_effect=0.15)


def verdict_rates(plant: PlantConfig, seeds: int, cfg: AnalyzeConfig) -> dict:
    """{row id: share of seeds not inconclusive, 'any': share with any such row}."""
    hypotheses = load_hypotheses()
    counts = {h["id"]: 0 for h in hypotheses} | {"any": 0}
    supported = dict.fromkeys(counts, 0)
    for seed in range(seeds):
        _, _, data, _ = prepare(planted_run(replace(plant, seed=seed)), cfg)
        rows = hypotheses_table(hypotheses, data)
        for r in rows:
            counts[r["id"]] += r["verdict"] != "inconclusive"
            supported[r["id"]] += r["verdict"] == "supported"
        counts["any"] += any(r["verdict"] != "inconclusive" for r in rows)
        supported["any"] += all(r["verdict"] == "supported" for r in rows)
    return {"found": {k: v / seeds for k, v in counts.items()},
            "supported": {k: v / seeds for k, v in supported.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--n-perm", type=int, default=500)
    ap.add_argument("--json", help="write the rates here")
    args = ap.parse_args()
    cfg = AnalyzeConfig(n_boot=100, n_perm=args.n_perm)
    null = verdict_rates(NULL, args.seeds, cfg)
    power = verdict_rates(PLANTED, args.seeds, cfg)
    half = 1.96 * math.sqrt(0.05 * 0.95 / args.seeds)
    print(f"{args.seeds} seeds, {NULL.n_prompts} prompts x {len(NULL.accept)} domains, "
          f"{NULL.max_new_tokens} tokens each")
    print(f"false positives (null; a 5% rate reads 0.05 +- {half:.3f}):")
    for k, v in null["found"].items():
        print(f"  {k:4s} {v:.3f}")
    print("power (every default hypothesis planted true; share supported):")
    for k, v in power["supported"].items():
        print(f"  {k:4s} {v:.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"seeds": args.seeds, "null": null, "planted": power}, fh, indent=1)


if __name__ == "__main__":
    main()
