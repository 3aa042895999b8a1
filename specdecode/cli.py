"""The `specdecode` command line. Each subcommand lives in specdecode/commands/<name>.py
and exposes `add_parser(subparsers)`, which registers its parser and sets `func`.

Plug-ins (specdecode/plugins.py) are loaded first, so their proposers, verifiers,
controllers, peers and model kinds work in every subcommand and appear in the help, which
lists the registered names from the registries (computed only when help is shown)."""
from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from .errors import SpecDecodeError

# Exit status of a bug (sysexits' EX_SOFTWARE): not 1, which bench uses for an exactness failure.
EXIT_BUG = 70

# Subcommand modules, in the order `--help` lists them.
COMMANDS = ["generate", "bench", "report", "analyze", "validate", "suites", "zoo", "policy", "ts"]

# (label, registry role) of the names `specdecode --help` lists.
LISTED = [("proposers", "proposer"), ("verifiers", "verifier"), ("controllers", "controller"),
          ("peers", "peer"), ("model kinds", "model kind"), ("model schemes", "model scheme")]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose epilog may be a function, called when help is shown."""

    def __init__(self, *args, lazy_epilog=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_epilog = lazy_epilog

    def format_help(self) -> str:
        if self.lazy_epilog is not None:
            self.epilog = self.lazy_epilog()
        return super().format_help()

    def error(self, message: str):
        """A bad command line: one line naming the fix (argparse's default prints the whole
        usage first), exit status 2 like every other input error."""
        self.exit(2, f"error: {one_line(message)}; see `{self.prog} --help`\n")


def one_line(message: str) -> str:
    """Every user-facing error is one line, whatever text a library put into it."""
    return " ".join(str(message).split()) or "(no message)"


BUG_LINE = ("this is a bug in specdecode, not a problem with your input: please report it with the "
            "command line and the traceback above")


def registered_epilog() -> str:
    from .plugins import ENTRY_POINT_GROUP, ENV_VAR, loaded
    from .registry import names_of

    width = max(len(label) for label, _ in LISTED) + 2
    lines = ["registered names:"]
    lines += [f"  {label + ':':<{width}}{', '.join(names_of(role))}" for label, role in LISTED]
    plugins = ", ".join(f"{p.module} ({p.source})" for p in loaded())
    lines += [f"  {'plug-ins:':<{width}}{plugins or 'none'}",
              f"add plug-ins with {ENV_VAR}=module[,module] or the entry-point group '{ENTRY_POINT_GROUP}'"]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="specdecode",
        description="Speculative (draft-and-verify) decoding: generate, benchmark, analyse.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        lazy_epilog=registered_epilog,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"specdecode {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"specdecode.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Input problems (SpecDecodeError, raised where input enters:
    argument parsing, config loading, file opening) are one `error:` line and exit 2;
    anything else is a bug: its traceback, one line asking for a report, and exit 70."""
    from .plugins import load_plugins

    try:
        load_plugins()
    except SpecDecodeError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpecDecodeError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `specdecode ... | head`: the reader went away
        return 0
    except Exception:  # noqa: BLE001 -- not hidden: the traceback is printed in full
        traceback.print_exc()
        print(BUG_LINE, file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
