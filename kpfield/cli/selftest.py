"""``kpfield self-test``: check this installation end to end and say what works."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kpfield.cli.common import Subcommands, command

EXIT_FAILED = 3


def _gui_check() -> Callable[[], str] | None:
    try:
        from kpfield.gui.platform_check import check_qt
    except ImportError:
        return None
    return check_qt


def cmd_self_test(args: argparse.Namespace) -> int:
    from kpfield.selftest import FAIL, run_self_test

    gui = None if args.no_gui else _gui_check()
    failures = 0
    temp = Path(args.temp_dir) if args.temp_dir else None
    for result in run_self_test(gui, temp_parent=temp):
        print(result.line(), flush=True)
        failures += result.status == FAIL
    if failures:
        print(f"self-test FAILED: {failures} step(s) failed", file=sys.stderr)
        return EXIT_FAILED
    print("self-test passed")
    return 0


def register(sub: Subcommands) -> None:
    p = command(
        sub,
        "self-test",
        cmd_self_test,
        "check this installation: vaults, encryption, a report's way to HQ, Qt",
    )
    p.add_argument("--no-gui", action="store_true", help="skip the Qt check")
    p.add_argument("--temp-dir", help="where to make the throw-away vaults (default: system temp)")
