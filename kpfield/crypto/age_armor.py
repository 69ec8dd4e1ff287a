"""Strict reader for ASCII-armored age files ("-----BEGIN AGE ENCRYPTED FILE-----").

Mirrors the reference implementation: whole lines of whitespace may surround the armor (at most
1 KiB each side), lines end in LF or CRLF, every line but the last holds exactly 64 columns of
canonical padded base64, nothing else is allowed. Failures carry ``stage="armor"``.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING, BinaryIO

from kpfield.errors import N_, CryptoError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
_COLUMNS = 64
_BYTES_PER_LINE = 48
_MAX_WHITESPACE = 1024
_MAX_LINE = 128
_WHITESPACE = b" \t\r\n\v\f"


def _armor_error(template: str) -> CryptoError:
    return CryptoError(template, stage="armor")


class ArmoredReader(io.RawIOBase):
    """A raw binary stream of the bytes inside the armor; wrap it in ``io.BufferedReader``."""

    def __init__(self, src: BinaryIO) -> None:
        super().__init__()
        self._src = src
        self._started = False
        self._finished = False
        self._pending = b""

    def readable(self) -> bool:
        return True

    def _line(self) -> bytes:
        line = self._src.readline(_MAX_LINE + 1)
        if not line:
            raise _armor_error(N_("age armor: the armored file is truncated."))
        if len(line) > _MAX_LINE:
            raise _armor_error(N_("age armor: a line is too long."))
        if line.endswith(b"\n"):
            line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
        return line

    def _drain_trailing(self) -> None:
        rest = self._src.read(_MAX_WHITESPACE)
        if rest.strip(_WHITESPACE):
            raise _armor_error(N_("age armor: there is data after the armored file."))
        if len(rest) == _MAX_WHITESPACE:
            raise _armor_error(N_("age armor: too much whitespace after the armored file."))
        self._finished = True

    def _next_block(self) -> bytes:
        skipped = 0
        while not self._started:
            line = self._line()
            if not line.strip(_WHITESPACE):
                skipped += len(line) + 1
                if skipped > _MAX_WHITESPACE:
                    raise _armor_error(N_("age armor: too much leading whitespace."))
                continue
            if line != BEGIN:
                raise _armor_error(N_("age armor: invalid first line."))
            self._started = True
        line = self._line()
        if line == END:
            self._drain_trailing()
            return b""
        if not line:
            raise _armor_error(N_("age armor: unexpected empty line."))
        if len(line) > _COLUMNS:
            raise _armor_error(N_("age armor: a line is longer than 64 columns."))
        try:
            if b"\r" in line or b"\n" in line:
                raise binascii.Error("newline inside a line")
            data = base64.b64decode(line, validate=True)
            if base64.b64encode(data) != line:
                raise binascii.Error("not canonical")
        except ValueError:
            raise _armor_error(N_("age armor: a line is not canonical base64.")) from None
        if len(data) < _BYTES_PER_LINE:
            if self._line() != END:
                raise _armor_error(N_("age armor: invalid closing line."))
            self._drain_trailing()
        return data

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Fill ``buffer`` with decoded bytes; 0 at the end of the armor."""
        view = memoryview(buffer).cast("B")
        while not self._pending and not self._finished:
            self._pending = self._next_block()
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count
