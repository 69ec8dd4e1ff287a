"""A strict POSIX ustar stream: a small writer (headers from :mod:`tarfile`) and a strict reader.

The writer emits plain ustar members (no pax or GNU extensions, no links, no directories) and ends
with two zero blocks. The reader accepts exactly that and nothing else: regular files with short,
relative, plain-ASCII names; any other member type, an absolute or ``..`` path, a bad checksum,
non-zero padding or data after the end-of-archive marker is an error. Names and sizes are checked
by the caller against the manifest before any data is read.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from kpfield.errors import N_, BundleError

BLOCK = 512
END_OF_ARCHIVE = bytes(2 * BLOCK)
# 11 octal digits: the largest size a plain ustar header can carry.
MAX_USTAR_SIZE = (1 << 33) - 1
MAX_NAME = 100
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
# Eleven octal digits and a NUL: no spaces, signs or base-256 forms.
_EXACT_OCTAL = re.compile(rb"[0-7]{11}\x00")
_TYPE_REASON = {
    b"1": "a hard link",
    b"2": "a symbolic link",
    b"3": "a character device",
    b"4": "a block device",
    b"5": "a directory",
    b"6": "a FIFO",
    b"7": "a contiguous file",
    b"x": "a pax extended header",
    b"g": "a pax global header",
    b"L": "a GNU long name",
    b"K": "a GNU long link name",
}


def padding(size: int) -> int:
    """Zero bytes that follow ``size`` bytes of member data."""
    return -size % BLOCK


def member_span(size: int) -> int:
    """Bytes a member of ``size`` bytes takes in the stream (header + data + padding)."""
    return BLOCK + size + padding(size)


def check_name(name: str) -> None:
    """Raise unless ``name`` is a plain relative path the format allows."""
    if name.startswith("/") or name.startswith("\\"):
        raise BundleError(N_("The bundle holds a member with an absolute path."))
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise BundleError(N_("The bundle holds a member whose path climbs out (..)."))
    if len(name) > MAX_NAME or not _NAME.match(name):
        raise BundleError(N_("The bundle holds a member with a name the format does not allow."))


def header(name: str, size: int, mtime: int) -> bytes:
    """One ustar header block for a regular file."""
    check_name(name)
    if not 0 <= size <= MAX_USTAR_SIZE:
        raise BundleError(N_("A bundle member is too large for the format."))
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = mtime
    info.type = tarfile.REGTYPE
    info.uname = info.gname = ""
    info.uid = info.gid = 0
    return info.tobuf(format=tarfile.USTAR_FORMAT, encoding="ascii", errors="strict")


def _octal(field: bytes, what: str) -> int:
    text = field.rstrip(b"\x00 ").lstrip(b" ")
    if not text or any(c not in b"01234567" for c in text):
        raise BundleError(N_("A bundle member header is malformed ({what})."), what=what)
    return int(text, 8)


def _text(field: bytes) -> str:
    raw = field.split(b"\x00", 1)[0]
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise BundleError(N_("A bundle member name is not plain ASCII.")) from None


def parse_header(block: bytes) -> tuple[str, int] | None:
    """(name, size) of one header block, or None for a zero (end-of-archive) block."""
    if len(block) != BLOCK:
        raise BundleError(N_("The bundle's archive is truncated."))
    if block == bytes(BLOCK):
        return None
    if block[257:263] != b"ustar\x00" or block[263:265] != b"00":
        raise BundleError(N_("A bundle member header is not POSIX ustar."))
    stored = _octal(block[148:156], "checksum")
    computed = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
    if stored != computed:
        raise BundleError(N_("A bundle member header is damaged (checksum)."))
    kind = block[156:157]
    if kind != b"0":
        what = _TYPE_REASON.get(kind, "an unknown member type")
        raise BundleError(N_("The bundle holds {what}; only regular files are allowed."), what=what)
    name = _text(block[0:100])
    check_name(name)
    # Every other field exactly as docs/bundle-format.md §3 says and our writer writes it: a
    # reader that ignored them would accept archives other tools unpack differently.
    for field, expected, what in (
        (block[100:108], b"0000644\x00", "mode"),
        (block[108:116], b"0000000\x00", "owner"),
        (block[116:124], b"0000000\x00", "group"),
        (block[157:257], bytes(100), "link name"),
        (block[265:329], bytes(64), "owner names"),
        (block[345:512], bytes(167), "prefix"),
    ):
        if field != expected:
            raise BundleError(N_("A bundle member header is malformed ({what})."), what=what)
    if block[329:345] not in (bytes(16), b"0000000\x00" * 2):
        raise BundleError(N_("A bundle member header is malformed ({what})."), what="device")
    if block[len(name) : 100] != bytes(100 - len(name)):
        raise BundleError(N_("A bundle member header is malformed ({what})."), what="name")
    if not _EXACT_OCTAL.fullmatch(block[136:148]):
        raise BundleError(N_("A bundle member header is malformed ({what})."), what="mtime")
    if not _EXACT_OCTAL.fullmatch(block[124:136]):
        raise BundleError(N_("A bundle member header is malformed ({what})."), what="size")
    return name, int(block[124:135], 8)


class StreamReader:
    """Exact reads over an iterator of byte chunks (the authenticated age plaintext)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""
        self._pos = 0
        self.offset = 0

    def _fill(self, n: int) -> None:
        while len(self._buf) - self._pos < n:
            nxt = next(self._chunks, None)
            if nxt is None:
                return
            self._buf = self._buf[self._pos :] + nxt
            self._pos = 0

    def peek(self, n: int) -> bytes:
        """The next ``n`` bytes without consuming them."""
        self._fill(n)
        return self._buf[self._pos : self._pos + n]

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the stream)."""
        while len(self._buf) - self._pos < n:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buf = self._buf[self._pos :] + nxt
            self._pos = 0
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        self.offset += len(out)
        return out

    def read_exact(self, n: int) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise BundleError(N_("The bundle's archive is truncated."))
        return data

    def iter_member(self, size: int, piece: int = 64 * 1024) -> Iterator[bytes]:
        """A member's data in pieces, then its padding (which must be zeros)."""
        remaining = size
        while remaining:
            data = self.read_exact(min(piece, remaining))
            remaining -= len(data)
            yield data
        if self.read_exact(padding(size)).strip(b"\x00"):
            raise BundleError(N_("A bundle member is followed by unexpected data."))

    def expect_end(self) -> None:
        """Two zero blocks, then nothing but zero padding to the end of the stream."""
        for _ in range(2):
            block = self.read_exact(BLOCK)
            if parse_header(block) is not None:
                raise BundleError(N_("The bundle holds a member that is not in its manifest."))
        while data := self.read(64 * 1024):
            if data.strip(b"\x00"):
                raise BundleError(N_("The bundle has data after the end of its archive."))


def iter_file(src: BinaryIO, piece: int = 64 * 1024) -> Iterator[bytes]:
    """Read a binary stream in pieces."""
    while data := src.read(piece):
        yield data
