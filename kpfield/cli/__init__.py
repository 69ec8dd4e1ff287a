"""The ``kpfield`` command: the headless twin of every GUI action.

One module per command group, each with ``register(sub)``. Building the parser imports no
SQLCipher, Pillow or Qt: each handler imports what it needs when it runs.

Exit codes: 0 success, 1 unexpected internal error, 2 usage/vault/validation error,
3 verification or integrity failure, 4 the relay could not be reached or refused the work
(sync, pull), 130 cancelled.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kpfield import __version__
from kpfield.cli import (
    cases,
    devices,
    enroll,
    gui,
    inbox,
    keys,
    profile,
    relay,
    reports,
    selftest,
    sync,
    transfer,
    vault,
    witness,
)
from kpfield.cli.common import common_options
from kpfield.errors import KpfieldError, missing_extra

log = logging.getLogger(__name__)

GROUPS = (
    vault,
    reports,
    witness,
    gui,
    keys,
    profile,
    enroll,
    transfer,
    sync,
    relay,
    cases,
    devices,
    inbox,
    selftest,
)
"""In the order ``kpfield --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kpfield",
        description="KP Field: encrypted field documentation for Kimberley Process monitors.",
        parents=[common_options(top_level=True)],
    )
    p.add_argument("--version", action="version", version=f"kpfield {__version__}")
    # No command: the desktop app, on --data-dir if given.
    p.set_defaults(func=gui.cmd_gui)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in GROUPS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from kpfield.logging_setup import configure
    from kpfield.process import harden_process

    harden_process()
    parser = build_parser()
    args = parser.parse_args(argv)
    configure(args.verbose)
    try:
        return int(args.func(args))
    except KpfieldError as exc:
        print(f"kpfield: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kpfield: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never show a traceback
        # A relay-only install (`kpfield[relay]`) running a desktop command, and the like.
        missing = missing_extra(exc) if isinstance(exc, ImportError) else None
        if missing is not None:
            print(f"kpfield: error: {missing.message}", file=sys.stderr)
            return missing.exit_code
        log.error("unexpected %s", type(exc).__name__)
        print(
            f"kpfield: internal error ({type(exc).__name__}). Nothing was changed by this failed "
            "step; please report it with the command you ran.",
            file=sys.stderr,
        )
        return 1
