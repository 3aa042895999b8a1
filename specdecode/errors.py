"""One exception type for user-facing errors.

The CLI prints `error: <message>` on one line and exits 2 for these; anything else is a
bug and keeps its traceback. Messages name the fix ("use --k >= 1"), not just the fault.
"""


class SpecDecodeError(Exception):
    """A problem with the user's input or environment, reported as one line."""
