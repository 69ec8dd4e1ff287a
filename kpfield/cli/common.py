"""What every command shares: the parser shape, the unlocked session, passphrases, small files.

Nothing here imports the app, the vault or any native library at module level, so building the
parser stays cheap and works where SQLCipher, Pillow and Qt are absent (the relay).
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from kpfield.domain.sequences import format_ranges
from kpfield.errors import N_, IntegrityError, UsageError
from kpfield.protocol.signed import same_fingerprint
from kpfield.services.files import (
    DEFAULT_FILE_MESSAGES,
    FileMessages,
    read_small_file,
    write_new_file,
)

if TYPE_CHECKING:
    from kpfield.app import FieldSession, HqSession, Session

__all__ = [
    "DEFAULT_FILE_MESSAGES",
    "FileMessages",
    "format_ranges",
    "read_small_file",
    "write_new_file",
]

Handler: TypeAlias = Callable[[argparse.Namespace], int]
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

MAX_PASSPHRASE_FILE_BYTES = 64 << 10
MAX_SIGNED_FILE_BYTES = 4 << 20  # a profile or an enrollment request


# ---------------------------------------------------------------------- parser shape
def common_options(*, top_level: bool = False) -> argparse.ArgumentParser:
    """The options every command takes; also accepted before the command (``top_level``).

    Below the top level ``--data-dir`` and ``-v`` default to SUPPRESS, so that a value given
    before the command is not overwritten by the subcommand's default.
    """
    p = argparse.ArgumentParser(add_help=False)
    unset: Any = None if top_level else argparse.SUPPRESS
    p.add_argument(
        "--data-dir", default=unset, help="vault folder (default: the platform's data folder)"
    )
    if not top_level:
        p.add_argument(
            "--passphrase-file", metavar="FILE", help="read the passphrase from FILE's first line"
        )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="log ids and counts to stderr",
    )
    return p


def command(sub: Subcommands, name: str, func: Handler, help_: str) -> argparse.ArgumentParser:
    """Add a command that runs ``func(args)`` and takes the common options."""
    sp = sub.add_parser(name, parents=[common_options()], help=help_)
    sp.set_defaults(func=func)
    return sp


def group(sub: Subcommands, name: str, help_: str) -> Subcommands:
    """Add a command group (``kpfield NAME ACTION``); its actions are added with ``command``."""
    gp = sub.add_parser(name, help=help_)
    return gp.add_subparsers(dest="subcommand", metavar="ACTION", required=True)


# ---------------------------------------------------------------------- the unlocked vault
def data_dir(args: argparse.Namespace) -> Path:
    from kpfield.paths import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()


@contextmanager
def session(args: argparse.Namespace) -> Iterator[Session]:
    """Unlock the vault named by ``args`` for the block; it is closed however the block ends."""
    from kpfield.app import open_session

    s = open_session(data_dir(args), read_passphrase(args))
    try:
        yield s
    finally:
        s.close()


@contextmanager
def field_session(args: argparse.Namespace) -> Iterator[FieldSession]:
    """A field laptop's session, or a clear usage error on an HQ vault."""
    with session(args) as s:
        yield s.field()


@contextmanager
def hq_session(args: argparse.Namespace) -> Iterator[HqSession]:
    """The HQ desk's session, or a clear usage error on a field vault."""
    with session(args) as s:
        yield s.hq()


# ---------------------------------------------------------------------- passphrases
def read_passphrase(
    args: argparse.Namespace, *, prompt: str = "Passphrase: ", confirm: bool = False
) -> str:
    """From ``--passphrase-file`` if given, else asked at the terminal."""
    if getattr(args, "passphrase_file", None):
        return read_secret_file(args.passphrase_file)
    return prompt_secret(prompt, confirm)


def prompt_secret(prompt: str, confirm: bool) -> str:
    if not sys.stdin.isatty():
        raise UsageError(
            N_("No passphrase given: use --passphrase-file FILE when not at a terminal.")
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != first:
        raise UsageError(N_("The two passphrases differ."))
    if not first:
        raise UsageError(N_("The passphrase must not be empty."))
    return first


_LINE_END = re.compile(rb"\r|\n")


def read_secret_file(path: str) -> str:
    """The first line of ``path`` (a BOM and the line ending dropped); never empty."""
    messages = FileMessages(
        missing=N_("The passphrase file {name} cannot be read ({reason})."),
        unreadable=N_("The passphrase file {name} cannot be read ({reason})."),
        too_large=N_("The passphrase file {name} is too large."),
    )
    line = read_small_file(path, MAX_PASSPHRASE_FILE_BYTES, messages, first_line=True)
    try:
        # utf-8-sig: a file saved by Notepad starts with a BOM that must not become part of it.
        secret = _LINE_END.split(line, maxsplit=1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(N_("The passphrase file {name} is not UTF-8 text."), name=path) from None
    if not secret:
        raise UsageError(N_("The passphrase file {name} is empty."), name=path)
    return secret


# ---------------------------------------------------------------------- asking and printing
def confirm(args: argparse.Namespace, question: str) -> bool:
    """``--yes``, or a yes at the terminal; refuses to guess when not at a terminal."""
    if getattr(args, "yes", False):
        return True
    if not sys.stdin.isatty():
        raise UsageError(N_("Confirm with --yes when not at a terminal."))
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def confirm_fingerprint(args: argparse.Namespace, actual: str, question: str) -> bool:
    """``--fingerprint`` compares what was read aloud with the real one; else ask (or --yes)."""
    expected = getattr(args, "fingerprint", None)
    if expected:
        if not same_fingerprint(expected, actual):
            raise IntegrityError(
                N_("The fingerprints differ. Do not accept this key; call the other side again.")
            )
        return True
    return confirm(args, question)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
