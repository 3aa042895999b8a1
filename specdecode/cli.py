"""The `specdecode` command line. Each subcommand lives in specdecode/commands/<name>.py
and exposes `add_parser(subparsers)`, which registers its parser and sets `func`."""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import SpecDecodeError

# Subcommand modules, in the order `--help` lists them.
COMMANDS = ["generate", "bench", "report", "validate", "suites", "zoo"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specdecode",
        description="Speculative (draft-and-verify) decoding: generate, benchmark, analyse.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"specdecode.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpecDecodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
