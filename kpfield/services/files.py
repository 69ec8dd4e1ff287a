"""Small files a person hands to the app (profiles, requests, documents) and files it writes."""

from __future__ import annotations

from pathlib import Path

from kpfield.errors import N_, UsageError
from kpfield.fsutil import atomic_write

DEFAULT_LIMIT = 4 << 20


def read_small_file(path: Path | str, limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of ``path``, refusing files larger than ``limit`` without reading them whole."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(N_("{name} does not exist."), name=name) from None
    except IsADirectoryError:
        raise UsageError(N_("{name} is a folder, not a file."), name=name) from None
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be read ({reason})."), name=name, reason=exc.strerror
        ) from None
    if len(data) > limit:
        raise UsageError(N_("{name} is too large."), name=name)
    return data


def write_new_file(path: Path | str, data: bytes) -> None:
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


def write_public_file(path: Path | str, data: bytes) -> None:
    """Write a file meant to be handed on (an enrollment request), replacing an older copy."""
    try:
        atomic_write(Path(path), data, mode=0o644)
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be written ({reason})."), name=str(path), reason=exc.strerror
        ) from None
