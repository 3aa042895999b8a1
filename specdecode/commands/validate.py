"""`specdecode validate RUN.jsonl` (or RUN.jsonl.gz): check every record against the
strict schema of its own version (every version ever written stays readable; see
specdecode.records), and count per file: records, ok / error, invalid lines, and keys
written more than once."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import SpecDecodeError
from ..inputs import check_readable_file, read_text_file
from ..runio import is_gzip, iter_lines

DESCRIPTION = """\
Validate every line of each RUN.jsonl against the record schema of its schema_version
(specdecode.records) and print per file: records (ok / error), invalid lines, and keys
written more than once. A failed item that was run again (error records, then at most
one ok record) is a retry, which is expected; two ok records of one key are a duplicate,
which bench never writes (two writers, or files concatenated).
Exit status: 0 every record valid, no duplicates; 1 invalid records or duplicate keys;
2 usage error, e.g. a file that does not exist (see docs/exit-status.md)."""


def add_parser(sub) -> None:
    import argparse

    p = sub.add_parser("validate", help="check a run's records against the versioned schema",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN.jsonl", help="run files (.jsonl or .jsonl.gz)")
    p.set_defaults(func=run)


SHOWN_LINES = 20   # invalid lines printed per file (a file that is not a run file could print millions)


def check_file(path: Path) -> dict:
    """Validate one run file; print each problem (file:line: ...) and return its counts."""
    from ..records import validate_record

    counts = {"records": 0, "ok": 0, "error": 0, "invalid": 0, "duplicates": 0, "retried": 0,
              "versions": {}}
    lines_of: dict[str, list[tuple[int, str]]] = {}   # key -> [(line, status)]
    for lineno, raw in enumerate(iter_lines(path), 1):  # streamed, a line at a time
        line = raw.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        counts["records"] += 1
        try:
            record = json.loads(line)
            problems = validate_record(record)
        except ValueError as exc:
            record, problems = None, [f"not JSON ({exc})"]
        if problems:
            counts["invalid"] += 1
            if counts["invalid"] <= SHOWN_LINES:
                for problem in problems[:5]:
                    print(f"{path}:{lineno}: {problem}")
            continue
        v = record["schema_version"]
        counts["versions"][v] = counts["versions"].get(v, 0) + 1
        counts[record["status"]] += 1
        lines_of.setdefault(record["key"], []).append((lineno, record["status"]))
    if counts["invalid"] > SHOWN_LINES:
        print(f"{path}: ... and {counts['invalid'] - SHOWN_LINES} more invalid lines (the first {SHOWN_LINES} are shown)")
    for key, seen in lines_of.items():
        if len(seen) < 2:
            continue
        n_ok = sum(status == "ok" for _, status in seen)
        at = ", ".join(f"{n} ({status})" for n, status in seen)
        if n_ok > 1:
            counts["duplicates"] += 1
            print(f"{path}: key {key} has {n_ok} ok records, lines {at}: duplicate")
        else:
            counts["retried"] += 1
    return counts


def run(args) -> int:
    for path in args.runs:  # missing, a directory, unreadable, binary or not UTF-8: one line
        if is_gzip(path):
            check_readable_file(path, "run file", "give a RUN.jsonl.gz written by `specdecode bench`")
        else:
            read_text_file(path, "run file", "give a RUN.jsonl written by `specdecode bench`")
    bad = 0
    for path in args.runs:
        c = check_file(path)
        schema = ", ".join(f"v{v}: {k}" for v, k in sorted(c["versions"].items())) or "none valid"
        retried = f", {c['retried']} items retried after an error" if c["retried"] else ""
        print(f"{path}: {c['records']} records ({c['ok']} ok, {c['error']} error), {c['invalid']} invalid, "
              f"{c['duplicates']} duplicate keys{retried} (schema {schema})", file=sys.stderr)
        bad += c["invalid"] + c["duplicates"]
    return 1 if bad else 0
