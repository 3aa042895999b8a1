"""`specdecode validate RUN.jsonl`: check every record against the strict schema."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import SpecDecodeError


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check a run's records against the versioned schema",
                       description="Validate every line of RUN.jsonl against the record schema "
                       "(specdecode.bench.schema). Exit 1 if any record is invalid.")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN.jsonl")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..bench.schema import SCHEMA_VERSION, validate_record

    bad = 0
    for path in args.runs:
        if not path.exists():
            raise SpecDecodeError(f"{path} does not exist")
        n = 0
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    problems = validate_record(json.loads(line))
                except ValueError as exc:
                    problems = [f"not JSON ({exc})"]
                for problem in problems[:5]:
                    print(f"{path}:{lineno}: {problem}")
                bad += bool(problems)
        print(f"{path}: {n} records, {bad} invalid (schema v{SCHEMA_VERSION})", file=sys.stderr)
    return 1 if bad else 0
