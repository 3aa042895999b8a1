"""The general set: prompts of the six domains written independently of the suites and
of the drafts' training pool (training/prompts.py), to measure whether a draft
generalises. Two readers: `specdecode zoo measure --general` (teacher-forced acceptance,
training/measure.py) and the built-in suites general-DOMAIN (builtin.py), whose items
are all test items, so `bench` measures speed off the suites' own distribution. A draft
distilled on the suites' distribution can score well on their test splits and poorly
elsewhere; the gap between the two is the figure to watch.

Sources, none of which a suite or the training pool reads:
- code: functions of Django's own Python source (the pinned Django ships the translation
  suite's .po files; nothing reads its code): signature + docstring, HumanEval-style;
- summarization: other Django functions, "summarize this function" as in the suite;
- translation: first docstring sentences of further Django functions, to French or German;
- math: templated arithmetic word problems (synthetic; templates of their own, not
  reasoning-gym's);
- data-to-text: vega_datasets tables no suite reads (iris, barley, driving, burtin);
- chat: templated explain / compare / advise requests (synthetic; the pool's chat extras
  are "write a KIND about SUBJECT").

Each item carries a raw text (meta["raw"]) for plain completion without a chat template:
for code the function head alone (the model continues the body), for the other domains
the prompt text.
"""
from __future__ import annotations

import ast
import functools
import json
from pathlib import Path
from random import Random

from .pkgdata import package_dir, package_file
from .splits import unit_hash
from .summarization_stdlib import SummarizationConfig, functions, summary_item, unindent
from .types import SuiteItem

DOMAINS = ("code", "math", "translation", "summarization", "data-to-text", "chat")
SALT = "general-set-v1"
DJANGO = ("django", "Django", "5.2.19")
VEGA = ("vega_datasets", "vega_datasets", "0.9.0")
CODE_INSTRUCTION = "Complete the following Python function. Return the whole function in a code block."


def general_items(n: int = 8) -> list[tuple[str, SuiteItem]]:
    """(domain, item) for up to n items per domain, in a fixed order."""
    return [(domain, item) for domain in DOMAINS for item in domain_items(domain)[:n]]


def domain_items(domain: str) -> list[SuiteItem]:
    """Every general item of one domain, in a fixed order (the first n are general_items')."""
    builders = {"code": lambda: _code(_django_functions()), "math": _math,
                "translation": lambda: _translation(_django_functions()),
                "summarization": lambda: _summarization(_django_functions()),
                "data-to-text": _data_to_text, "chat": _chat}
    return builders[domain]()


@functools.lru_cache(maxsize=1)
def _django_functions() -> list[tuple[str, ast.AST, list[str], float]]:
    """(file:qualname, node, source lines, hash) of documented public Django functions
    with a body beyond the docstring; the hash splits them among three domains."""
    root = package_dir(*DJANGO)
    found: dict[str, tuple] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "/migrations/" in rel or "/locale/" in rel:
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = source.splitlines()
        for qualname, node in functions(tree):
            if (ast.get_docstring(node) and len(node.body) >= 2 and node.body[0].lineno > node.lineno
                    and not node.name.startswith("_")):
                key = f"{rel}:{qualname}"
                found.setdefault(key, (key, node, lines, unit_hash(key, SALT)))  # the first of redefinitions
    return sorted(found.values(), key=lambda f: f[3])


def _code(django) -> list[SuiteItem]:
    items = []
    for key, node, lines, h in django:
        if h >= 0.4:
            continue
        head = lines[node.lineno - 1 : node.body[0].end_lineno]
        code = "\n".join(unindent(line, node.col_offset) for line in head)
        if len(code) > 1200 or node.end_lineno - node.lineno > 40:
            continue
        prompt = f"{CODE_INSTRUCTION}\n\n```python\n{code}\n```"
        items.append(SuiteItem(f"general/code/{key}", prompt, None, {"raw": code + "\n"}))
    return items


def _summarization(django) -> list[SuiteItem]:
    items = []
    for key, node, lines, h in django:
        if not 0.4 <= h < 0.7:
            continue
        it = summary_item(*key.split(":"), node, lines, SummarizationConfig())
        if it is not None:
            items.append(SuiteItem(f"general/summarization/{key}", it.prompt, it.reference,
                                   {"raw": it.prompt}))
    return items


def _translation(django) -> list[SuiteItem]:
    items = []
    for i, (key, node, _, _) in enumerate(d for d in django if d[3] >= 0.7):
        sentence = ast.get_docstring(node).split("\n\n")[0].replace("\n", " ").strip()
        if not 6 <= len(sentence.split()) <= 40 or "``" in sentence or ":" in sentence:
            continue
        prompt = f"Translate to {('French', 'German')[i % 2]}: {sentence}"
        items.append(SuiteItem(f"general/translation/{key}", prompt, None, {"raw": prompt}))
    return items


MATH_TEMPLATES = (
    "A bakery sells {a} loaves of bread every morning and {b} every afternoon. Each loaf costs "
    "${c}. How many dollars does the bakery take in over {d} days?",
    "A train travels at {a} km per hour for {b} hours, then at {c} km per hour for {d} hours. "
    "How many kilometres does it travel in all?",
    "Maya saves ${a} a week. After {b} weeks she spends ${c} on a bicycle and then saves ${d} a "
    "week for 3 more weeks. How many dollars does she have now?",
    "A garden has {a} rows of tomato plants with {b} plants in each row. Each plant gives {c} "
    "tomatoes, and {d} tomatoes spoil. How many good tomatoes are there?",
    "A school orders {a} boxes of pencils with {b} pencils per box. It gives {c} pencils to each "
    "of {d} classes. How many pencils are left?",
)


def _math() -> list[SuiteItem]:
    rng = Random(SALT)
    items = []
    for i in range(40):
        template = MATH_TEMPLATES[i % len(MATH_TEMPLATES)]
        a, b, c, d = rng.randint(12, 60), rng.randint(3, 12), rng.randint(2, 9), rng.randint(2, 6)
        prompt = template.format(a=a, b=b, c=c, d=d)
        items.append(SuiteItem(f"general/math/{i}", prompt, None, {"raw": prompt}))
    return items


VEGA_TABLES = ("iris.json", "barley.json", "driving.json", "burtin.json")


def _data_to_text() -> list[SuiteItem]:
    rows = []
    for table in VEGA_TABLES:
        records = json.loads(Path(package_file(*VEGA, f"_data/{table}")).read_text(encoding="utf-8"))
        rows += [(table, i, r) for i, r in enumerate(records)]
    rows.sort(key=lambda r: unit_hash(f"{r[0]}/{r[1]}", SALT))
    items = []
    for table, i, record in rows[:60]:
        prompt = f"Write one sentence that states this data: {json.dumps(record, ensure_ascii=False)}"
        items.append(SuiteItem(f"general/data-to-text/{table}/{i}", prompt, None, {"raw": prompt}))
    return items


CHAT_FORMS = ("Explain {} to a ten-year-old.", "What are the pros and cons of {}?",
              "Give me practical advice about {}.", "Describe the history of {} in a few paragraphs.")
CHAT_TOPICS = ("solar panels", "owning a cat", "learning the piano", "public transport",
               "keeping a journal", "baking sourdough", "open-source software", "volcanoes",
               "working night shifts", "board games", "the water cycle", "buying a used car")


def _chat() -> list[SuiteItem]:
    pairs = [(f, t) for f in CHAT_FORMS for t in CHAT_TOPICS]
    Random(SALT).shuffle(pairs)
    return [SuiteItem(f"general/chat/{i}", form.format(topic), None, {"raw": form.format(topic)})
            for i, (form, topic) in enumerate(pairs)]
