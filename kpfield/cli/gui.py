"""``kpfield gui`` (and ``kpfield`` with no command): the desktop app on a vault."""

from __future__ import annotations

import argparse
from pathlib import Path

from kpfield.cli.common import Subcommands, command
from kpfield.errors import N_, UsageError, missing_extra


def launch_gui(data_dir: str | None, first_window_report: Path | None = None) -> int:
    """Run the desktop app until it quits; Qt is imported only here, and only now."""
    try:
        from kpfield.gui.main import run_gui
    except ImportError as exc:
        missing = missing_extra(exc)
        if missing is not None:
            raise missing from None
        raise UsageError(
            N_("The desktop interface is not available ({reason})."), reason=str(exc)
        ) from None
    return int(run_gui(data_dir, first_window_report=first_window_report))


def cmd_gui(args: argparse.Namespace) -> int:
    report = getattr(args, "report_first_window", None)
    if report:
        return launch_gui(args.data_dir, Path(report))
    return launch_gui(args.data_dir)


def register(sub: Subcommands) -> None:
    p = command(sub, "gui", cmd_gui, "start the desktop app (the default)")
    # The packaged app's smoke test: write what the first window shows, then quit.
    p.add_argument("--report-first-window", metavar="FILE", help=argparse.SUPPRESS)
