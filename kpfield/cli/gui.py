"""``kpfield gui`` (and ``kpfield`` with no command): the desktop app on a vault."""

from __future__ import annotations

import argparse

from kpfield.cli.common import Subcommands, command
from kpfield.errors import N_, UsageError


def launch_gui(data_dir: str | None) -> int:
    """Run the desktop app until it quits; Qt is imported only here, and only now."""
    try:
        from kpfield.gui.main import run_gui
    except ImportError as exc:
        raise UsageError(
            N_("The desktop interface is not available ({reason})."), reason=str(exc)
        ) from None
    return int(run_gui(data_dir))


def cmd_gui(args: argparse.Namespace) -> int:
    return launch_gui(args.data_dir)


def register(sub: Subcommands) -> None:
    command(sub, "gui", cmd_gui, "start the desktop app (the default)")
