"""The one way figures are made and written (matplotlib, Agg backend). matplotlib is
imported only when a plot is drawn, so reading records never pays for it."""
from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (no display on a server)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: Path, dpi: int = 110, tight: bool = True) -> None:
    """Write `fig` as a PNG and free it (figures stay open until closed, and a report draws
    dozens). tight=False for figures that place a legend outside the axes themselves."""
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
