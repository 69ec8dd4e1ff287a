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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from kpfield.errors import N_, IntegrityError, UsageError

if TYPE_CHECKING:
    from kpfield.app import Session

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


def now_iso(s: Session) -> str:
    from kpfield.services.clock import iso

    return iso(s.clock.now())


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


# ---------------------------------------------------------------------- files
@dataclass(frozen=True)
class FileMessages:
    """What ``read_small_file`` says; placeholders ``{name}``, ``{reason}``, ``{mib}``."""

    missing: str = N_("{name} does not exist.")
    unreadable: str = N_("{name} cannot be read ({reason}).")
    too_large: str = N_("{name} is too large.")


DEFAULT_FILE_MESSAGES = FileMessages()


def read_small_file(
    path: str | Path,
    limit: int,
    messages: FileMessages = DEFAULT_FILE_MESSAGES,
    *,
    first_line: bool = False,
) -> bytes:
    """At most ``limit`` bytes of ``path`` (only its first line with ``first_line``).

    Anything longer is refused rather than cut, and never read into memory whole.
    """
    name = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.readline(limit + 1) if first_line else fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise UsageError(messages.missing, name=name, reason=exc.strerror) from None
    except OSError as exc:
        raise UsageError(messages.unreadable, name=name, reason=exc.strerror) from None
    if len(data) > limit:
        raise UsageError(messages.too_large, name=name, mib=limit >> 20)
    return data


def write_new_file(path: str, data: bytes) -> None:
    """Write ``data`` atomically to a file that must not exist yet."""
    from kpfield.fsutil import atomic_write

    out = Path(path)
    if out.exists():
        raise UsageError(N_("{name} already exists; choose a new file name."), name=path)
    try:
        atomic_write(out, data)
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be written ({reason})."), name=path, reason=exc.strerror
        ) from None


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
        if _digits(expected) != _digits(actual):
            raise IntegrityError(
                N_("The fingerprints differ. Do not accept this key; call the other side again.")
            )
        return True
    return confirm(args, question)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def format_ranges(seqs: list[int]) -> str:
    """``[1, 2, 3, 5, 7, 8]`` → ``"1-3, 5, 7-8"`` (sorted input)."""
    if not seqs:
        return ""
    out: list[str] = []
    start = prev = seqs[0]
    for n in [*seqs[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
