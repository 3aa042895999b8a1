"""One exception type for user-facing errors.

The CLI prints `error: <message>` on one line and exits 2 for these; anything else is a
bug and keeps its traceback, followed by one line asking the user to report it (exit 70).
Messages name the fix ("use --k >= 1"), not just the fault. Raise them where input enters
(argument parsing, config loading, file opening: see specdecode/inputs.py), never from a
blanket `except Exception`, which would turn a bug into a misleading input error.
"""


class SpecDecodeError(Exception):
    """A problem with the user's input or environment, reported as one line."""
