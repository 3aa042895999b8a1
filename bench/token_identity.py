"""Re-decode every loop-method item of a committed record file with the current code and
compare tokens: the check behind the README's "a refactor changed no token" claims.

    .venv/bin/python bench/token_identity.py reports/quick/quick.jsonl [--min-verify-rows 4]

Reads the records (any schema version), rebuilds each method from its stored
method_config, renders the same suite prompt with the target's chat template, decodes
with the same seed and budget, and prints per method: items, identical items, and the
loop's overhead share of cycle time (overhead_s / cycle_s, summed over items).
Peers (hf-*) are not re-run: their code path is transformers' own.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def method_of(cfg: dict):
    from specdecode.config import MethodConfig

    keys = ("proposer", "verifier", "controller", "k", "proposer_params", "verifier_params", "controller_params")
    return MethodConfig(**{k: cfg[k] for k in keys if k in cfg})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", type=Path)
    ap.add_argument("--min-verify-rows", type=int, default=4, help="as in the run's config (quick: 4)")
    args = ap.parse_args()

    from specdecode import zoo  # noqa: F401  (registers the zoo: scheme)
    from specdecode.config import GenerationConfig, SamplingConfig
    from specdecode.decoder import SpeculativeDecoder, encode_prompt
    from specdecode.models import load_model
    from specdecode.records import read_records
    from specdecode.suites import load_suite

    recs = [r for r in read_records(args.records).records
            if r["status"] == "ok" and r["method_config"].get("kind") == "loop"]
    target = load_model(recs[0]["target"]["name"])
    target.min_rows = args.min_verify_rows
    drafts, prompts = {}, {}
    same, total, over, cyc = defaultdict(int), defaultdict(int), defaultdict(float), defaultdict(float)
    for r in recs:
        models = {}
        for role, ident in (r.get("models") or {}).items():
            if ident["name"] not in drafts:
                drafts[ident["name"]] = load_model(ident["name"])
            models[role] = drafts[ident["name"]]
        if r["suite"] not in prompts:
            suite = load_suite(r["suite"], split="test")
            prompts[r["suite"]] = {it.id: it.prompt for it in suite.items}
        ids = encode_prompt(target, prompts[r["suite"]][r["prompt_id"]], chat=True)
        decoder = SpeculativeDecoder(target, method_of(r["method_config"]), SamplingConfig(r["temperature"]), models)
        out = decoder.generate(ids, GenerationConfig(max_new_tokens=r["max_new_tokens"], seed=r["seed"]))
        m = r["method"]
        total[m] += 1
        same[m] += out.output_ids == r["output_ids"]
        over[m] += sum(c.overhead_s for c in out.cycles)
        cyc[m] += sum(c.cycle_s for c in out.cycles)
        print(f"{m:14s} {r['prompt_id']:40s} {'identical' if out.output_ids == r['output_ids'] else 'DIFFERENT'}",
              flush=True)
    print("\nmethod          items  identical  overhead share")
    for m in total:
        print(f"{m:14s} {total[m]:6d} {same[m]:10d} {over[m] / cyc[m]:14.2%}")
    return 0 if all(same[m] == total[m] for m in total) else 1


if __name__ == "__main__":
    raise SystemExit(main())
