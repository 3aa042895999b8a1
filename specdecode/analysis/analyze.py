"""RUNS.jsonl -> the rejection analysis (`specdecode analyze`): DIR/analysis.json,
DIR/analysis.md and DIR/*.png. Reads records only; never loads a model (the optional
token-class split reads a tokenizer.json file, see token_classes.py).

One drafting method is analysed (--method; default: the one with per-position statistics,
then proposer 'draft', then most records), at one temperature, with prompts as units.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SpecDecodeError
from ..records import read_records
from ..runio import iter_lines
from .hypotheses import ALPHA, compare_tables, hypotheses_table, load_hypotheses
from .load import load_runs, select_runs
from .rejection import by_confidence, by_domain, by_frequency, by_position, mass_before
from .rejection_data import (NEEDS_V2, build_checks, build_prompts, choose_method, drafting_methods,
                             method_records, outputs_by_prompt, reference_counts)
from .rejection_tests import Data
from .report import _clean
from .token_classes import find_tokenizer

FORMAT = "specdecode-analyze/1"
DEFINITIONS = {
    "unit": "a prompt (suite, prompt_id; its seeds pooled); every CI resamples prompts and every "
            "test permutes or ranks prompts, never positions",
    "rejection (by domain)": "1 - accepted / drafted, pooled over the domain's prompts",
    "rejection given reached": "1 - accepted_i / reached_i: of the cycles that checked draft "
                               "position i, the share rejected there",
    "rejection (by token, by confidence)": "the share of checked draft positions rejected",
    "tokens/s": "sum(new tokens) / sum(item total_s), end to end",
    "tau": "decode tokens per target call (metrics.tau)",
    "mass decile": "of the drafted token in the reference unigram counts: 1 = the commonest "
                   "tokens holding the first 10% of the mass ... 10 = the rarest 10% (unseen: 10)",
    "Holm": "statsmodels multipletests(method='holm') across the testable hypotheses",
}


@dataclass(frozen=True)
class AnalyzeConfig:
    n_boot: int = 1000             # bootstrap resamples of prompts
    n_perm: int = 2000             # permutations of prompts
    seed: int = 0
    alpha: float = ALPHA
    method: str | None = None
    temperature: float | None = None
    tokenizer: str | None = None   # tokenizer.json (or its directory) for token classes
    reference: str | None = None   # RUNS.jsonl whose outputs give the unigram counts
    hypotheses: str | None = None  # extra hypotheses YAML


def read_run(path: str | Path, config: str | None = None):
    """The records of one run file (one configuration); an empty file is refused saying
    what cannot be tested."""
    path = Path(path)
    if path.is_file() and not any(line.strip() for line in iter_lines(path)):
        raise SpecDecodeError(f"{path} holds no records, so nothing can be tested (rejection by "
                              "domain, position, token frequency, confidence; H1-H4); "
                              "run `specdecode bench` first")
    return select_runs(load_runs([path]), config)


def _notes(prompts, checks, versions: dict) -> list[str]:
    notes = []
    if checks is None:
        v1 = f" ({versions[1]} records are schema v1)" if versions.get(1) else ""
        notes.append(NEEDS_V2 + v1 + "; the domain and position analyses below still ran")
    domains = list(dict.fromkeys(prompts.suite.tolist()))
    if len(domains) < 2:
        notes.append(f"only one domain ({', '.join(domains) or 'none'}): whether domains differ "
                     "(rejection, throughput; H1, H4) cannot be tested; bench two or more suites")
    return notes


def _reference(cfg: AnalyzeConfig, records, recs) -> tuple[dict, str]:
    """Per-prompt unigram counts ranking drafted tokens (rejection.mass_before)."""
    if cfg.reference is None:
        return reference_counts(records, recs)
    ref = outputs_by_prompt(read_records(cfg.reference).records)
    if not ref:
        raise SpecDecodeError(f"--reference {cfg.reference}: no ok records; give a RUNS.jsonl with outputs")
    return ref, f"the outputs in {cfg.reference}"


def prepare(records: list[dict], cfg: AnalyzeConfig) -> tuple[str, list[dict], Data, str]:
    """(method analysed, its records, the tests' Data, where the unigram counts came from)."""
    method = choose_method(records, cfg.method)
    recs = method_records(records, method, cfg.temperature)
    prompts = build_prompts(recs)
    checks = build_checks(recs, prompts)
    ref, ref_source = _reference(cfg, records, recs)
    mass = None if checks is None else mass_before(ref, prompts.unit, checks.prompt, checks.draft_token)
    return method, recs, Data(prompts, checks, mass, cfg.n_boot, cfg.n_perm, cfg.seed), ref_source


def analyze_records(records: list[dict], cfg: AnalyzeConfig = AnalyzeConfig(),
                    versions: dict | None = None, path: str = "<records>") -> dict[str, Any]:
    """The whole analysis of one set of records, as a JSON-ready dict."""
    method, recs, data, ref_source = prepare(records, cfg)
    prompts, checks = data.prompts, data.checks
    tokenizer = None if checks is None else find_tokenizer(cfg.tokenizer, recs[0]["target"])
    summary = {
        "format": FORMAT, "method": method, "alpha": cfg.alpha,
        "inputs": {"path": str(path), "records": len(records), "versions": versions or {},
                   "temperature": recs[0]["temperature"], "prompts": len(prompts.unit),
                   "other_methods": [m for m in drafting_methods(records) if m != method]},
        "notes": _notes(prompts, checks, versions or {}),
        "definitions": DEFINITIONS,
        "hypotheses": hypotheses_table(load_hypotheses(cfg.hypotheses), data, cfg.alpha),
        "domain": by_domain(data, recs), "position": by_position(data),
        "frequency": by_frequency(data, ref_source, tokenizer),
        "confidence": by_confidence(data),
    }
    return _clean(summary)


def analyze_path(path: str | Path, cfg: AnalyzeConfig = AnalyzeConfig(),
                 config: str | None = None) -> dict[str, Any]:
    runset = read_run(path, config)
    return analyze_records(runset.records, cfg, runset.versions, str(path))


def add_comparison(summary: dict, other: dict, other_path: str) -> dict:
    summary["compare"] = {"other": other_path, "other_method": other["method"],
                          "rows": compare_tables(summary["hypotheses"], other["hypotheses"])}
    return summary


def write_analysis(summary: dict, out: Path, plots: bool = True) -> list[Path]:
    """DIR/analysis.json, DIR/analysis.md and the plots; the paths written."""
    from .render_rejection import render_markdown

    out.mkdir(parents=True, exist_ok=True)
    (out / "analysis.json").write_text(json.dumps(summary, indent=1) + "\n")
    figures = []
    if plots:
        from .plots_rejection import write_plots

        figures = write_plots(summary, out)
    (out / "analysis.md").write_text(render_markdown(summary))
    return [out / "analysis.md", out / "analysis.json", *(out / f for f in figures)]
