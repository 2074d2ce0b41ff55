"""``check --deadline``: kept apart from ``commands.check`` so building the parser stays light."""

from __future__ import annotations

import argparse

from qlik_tui.core.untrusted import echoed

DEFAULT_DEADLINE_S = 30.0  # the whole run, all profiles together


def deadline_seconds(text: str) -> float:
    """``--deadline``: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, not {echoed(text)}"
        )
    return value


def add_deadline_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deadline",
        type=deadline_seconds,
        default=DEFAULT_DEADLINE_S,
        metavar="SECONDS",
        help=(
            f"finish within this many seconds in total (default: {DEFAULT_DEADLINE_S:g}); a "
            "tenant asking to wait longer (429 retry-after) is reported, not waited for"
        ),
    )
