"""Small files a person hands to the app (profiles, requests, documents) and files it writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpfield.errors import N_, UsageError
from kpfield.fsutil import atomic_write

DEFAULT_LIMIT = 4 << 20


@dataclass(frozen=True)
class FileMessages:
    """What ``read_small_file`` says; placeholders ``{name}``, ``{reason}``, ``{mib}``."""

    missing: str = N_("{name} does not exist.")
    unreadable: str = N_("{name} cannot be read ({reason}).")
    too_large: str = N_("{name} is too large.")


DEFAULT_FILE_MESSAGES = FileMessages()


def read_small_file(
    path: str | Path,
    limit: int = DEFAULT_LIMIT,
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


def write_new_file(path: str | Path, data: bytes) -> None:
    """Write ``data`` atomically to a file that must not exist yet."""
    out = Path(path)
    if out.exists():
        raise UsageError(N_("{name} already exists; choose a new file name."), name=str(path))
    try:
        atomic_write(out, data)
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be written ({reason})."), name=str(path), reason=exc.strerror
        ) from None


def write_public_file(path: str | Path, data: bytes) -> None:
    """Write a file meant to be handed on (an enrollment request), replacing an older copy."""
    try:
        atomic_write(Path(path), data, mode=0o644)
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be written ({reason})."), name=str(path), reason=exc.strerror
        ) from None
