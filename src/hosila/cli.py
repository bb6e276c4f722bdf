"""The ``hosila`` command line.

Each sub-command is added by a small ``_add_<name>`` function that builds its parser and
points ``func`` at the code that runs it; the work itself lives in the library.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for the ``hosila`` command and all its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="hosila",
        description="hosila: deep learning from first principles.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    return parser


def _version() -> str:
    from hosila import __version__

    return f"hosila {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hosila`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        # Bad input is reported in one line, not as a traceback.
        print(f"hosila {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
