"""Quality figures per cell (method x suite x temperature) from the records' `quality` field.

A record's quality is null (an error, or not scored) or
    {"scorer", "score" in [0, 1], "binary", "detail", "agreement": null |
     {"baseline", "prefix_match", "chrf"}}.
Only ok records with a quality count. A method is compared with the baseline on the items
(suite, prompt_id, seed at the cell's temperature) that both have scored, exactly as the
speedup pairs them (cells.pair_up); CIs resample prompts, as the speedup's do.

quality_summary() returns None when no record carries a quality: the report is then
exactly what it was before quality existed.
"""
from __future__ import annotations

from typing import Any

from .cells import pair_up, select
from .config import AnalysisConfig
from .metrics import counter_sum, ratio
from .quality_stats import (QUALITY_DEFAULT, QualityConfig, cluster_mean_ci, holm,
                            mcnemar_test, wilcoxon_test)

Record = dict[str, Any]

QUALITY_DEFINITIONS = {
    "quality": "mean of the scorer's score (in [0, 1]) over the ok records of the cell that "
               "were scored, with a percentile bootstrap CI over prompts (a prompt's seeds "
               "are resampled together)",
    "quality_diff": "mean over paired items (same suite, prompt, seed and temperature, both "
                    "scored) of method score - baseline score, with the same bootstrap CI",
    "quality_test": "binary scorers (every paired score binary): McNemar's test on the "
                    "pass/fail pairs, exact binomial below exact_below discordant pairs, "
                    "else chi-square with continuity correction; otherwise the Wilcoxon "
                    "signed-rank test of the differences (zeros dropped; p = 1 when every "
                    "difference is 0). p_holm: Holm-adjusted across the methods compared "
                    "with the baseline in the same suite and temperature; * marks the shown "
                    "p (p_holm unless holm is off) below level",
    "agreement": "means of prefix_match and chrf of each record's output against the "
                 "baseline's output on the same item (as the scorer recorded them)",
    "mismatch_rate": "sum(counters.mismatches) / sum(counters.accepted): accepted draft "
                     "tokens that the exact rule would have rejected (per_drafted: over "
                     "sum(drafted)); 0 for exact methods",
}


def has_quality(records: list[Record]) -> bool:
    return any(r.get("quality") for r in records)


def scored(records: list[Record]) -> list[Record]:
    """The ok records that carry a quality."""
    return [r for r in records if r["status"] == "ok" and r.get("quality")]


def unit(rec: Record) -> tuple[str, str]:
    return rec["suite"], rec["prompt_id"]   # the resampling unit (the speedup's)


def _mean_ci(values: list[float], units: list, cfg: AnalysisConfig) -> tuple:
    mean, ci = cluster_mean_ci(values, units, cfg.n_boot, cfg.ci_level, cfg.seed)
    return mean, list(ci) if ci else None


def paired_quality(pairs: list[tuple[Record, Record]], cfg: AnalysisConfig,
                   qcfg: QualityConfig = QUALITY_DEFAULT) -> dict[str, Any] | None:
    """Method vs baseline on scored pairs: mean difference with its CI, and the test
    (McNemar for binary scores, else Wilcoxon). None for no pairs."""
    if not pairs:
        return None
    qm = [m["quality"] for m, _ in pairs]
    qb = [b["quality"] for _, b in pairs]
    diffs = [a["score"] - b["score"] for a, b in zip(qm, qb)]
    mean, ci = _mean_ci(diffs, [unit(m) for m, _ in pairs], cfg)
    if all(q["binary"] for q in qm + qb):
        test = mcnemar_test([q["score"] >= 0.5 for q in qm], [q["score"] >= 0.5 for q in qb],
                            qcfg.exact_below)
    else:
        test = wilcoxon_test(diffs)
    return {"n_pairs": len(pairs), "mean_diff": mean, "diff_ci": ci, **test,
            "p_holm": None, "significant": None}


def agreement(recs: list[Record]) -> dict[str, Any] | None:
    """Mean prefix_match and chrf against the baseline's output, over the scored records
    that carry an agreement. None when none does."""
    agr = [r["quality"]["agreement"] for r in recs if r["quality"].get("agreement")]
    if not agr:
        return None
    return {"n": len(agr), "baselines": sorted({a["baseline"] for a in agr}),
            "prefix_match": sum(a["prefix_match"] for a in agr) / len(agr),
            "chrf": sum(a["chrf"] for a in agr) / len(agr)}


def mismatch_rate(ok: list[Record]) -> dict[str, Any] | None:
    """Accepted tokens the exact rule would have rejected, over accepted and over drafted
    tokens, from the counters of the ok records that count mismatches (v2)."""
    counted = [r for r in ok if r["counters"].get("mismatches") is not None]
    accepted = counter_sum(counted, "accepted")
    if not counted or not accepted:
        return None
    mism = counter_sum(counted, "mismatches")
    return {"n": len(counted), "mismatches": mism, "accepted": accepted,
            "drafted": counter_sum(counted, "drafted"), "per_accepted": ratio(mism, accepted),
            "per_drafted": ratio(mism, counter_sum(counted, "drafted"))}


def quality_cell(records: list[Record], cell, baseline: str | None,
                 cfg: AnalysisConfig, qcfg: QualityConfig) -> dict[str, Any]:
    """One row: the cell's quality, its paired comparison, agreement and mismatch rate.
    `cell` is a summary.CellSummary (method, suite, temperature, exact, is_baseline)."""
    ok, _ = select(records, cell.method, cell.suite, cell.temperature)
    mine = scored(ok)
    mean, ci = _mean_ci([r["quality"]["score"] for r in mine], [unit(r) for r in mine], cfg)
    paired = None
    if baseline is not None and not cell.is_baseline and mine:
        base = scored(select(records, baseline, cell.suite, cell.temperature)[0])
        paired = paired_quality(pair_up(mine, base), cfg, qcfg)
    return {"method": cell.method, "suite": cell.suite, "temperature": cell.temperature,
            "exact": cell.exact, "is_baseline": cell.is_baseline,
            "scorers": sorted({r["quality"]["scorer"] for r in mine}),
            "n": len(mine), "n_unscored": len(ok) - len(mine), "mean": mean, "ci": ci,
            "paired": paired, "agreement": agreement(mine), "mismatch": mismatch_rate(ok),
            "headroom": headroom(cell)}


def headroom(cell) -> dict[str, Any] | None:
    """How far this cell's verifier is from accepting every drafted token: tau against
    k + 1, and the decode speedup against the all-accepted ceiling (summary.DEFINITIONS
    'ceiling_speedup'). A lossy verifier over the same proposer and k gains at most
    ceiling / the exact method's decode speedup."""
    if cell.ceiling_speedup is None or cell.tau is None:
        return None
    return {"tau": cell.tau, "k": cell.k_mean, "decode_speedup": cell.decode_speedup,
            "ceiling": cell.ceiling_speedup}


def adjust(rows: list[dict[str, Any]], qcfg: QualityConfig) -> None:
    """Holm-adjust the paired p-values within each (suite, T); mark the significant ones."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if row["paired"] is not None:
            groups.setdefault((row["suite"], row["temperature"]), []).append(row["paired"])
    for tests in groups.values():
        for t, p in zip(tests, holm([t["p_value"] for t in tests])):
            t["p_holm"] = p
            shown = p if qcfg.holm else t["p_value"]
            t["significant"] = shown < qcfg.level


def quality_summary(records: list[Record], cells: list, baseline: str | None,
                    cfg: AnalysisConfig, qcfg: QualityConfig = QUALITY_DEFAULT
                    ) -> dict[str, Any] | None:
    """summary['quality']: config and one row per cell (summary order); None when no
    record was scored."""
    if not has_quality(records):
        return None
    rows = [quality_cell(records, c, baseline, cfg, qcfg) for c in cells]
    adjust(rows, qcfg)
    return {"config": {"level": qcfg.level, "exact_below": qcfg.exact_below,
                       "holm": qcfg.holm, "p_shown": "p_holm" if qcfg.holm else "p_value"},
            "rows": rows}
