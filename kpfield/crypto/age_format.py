"""age v1 header syntax (https://c2sp.org/age): stanzas, strict base64, the header MAC.

Parsing is strict: canonical unpadded base64, 64-column body lines ending with a short line,
printable arguments, one LF per line, and a hard cap on line length and total header size so a
hostile file cannot make us buffer without bound. Every failure is a :class:`CryptoError` whose
``params["stage"]`` is ``"header"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kpfield.errors import N_, CryptoError

INTRO = b"age-encryption.org/v1\n"
VERSION_PREFIX = b"age-encryption.org/"
STANZA_PREFIX = b"->"
FOOTER_PREFIX = b"---"
COLUMNS_PER_LINE = 64
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
MAX_LINE = 4096
MAX_HEADER_SIZE = 256 * 1024
MAX_STANZAS = 1024
MAC_SIZE = 32
FILE_KEY_SIZE = 16

_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def header_error(template: str, **params: object) -> CryptoError:
    """A header-stage error (the template names the stage for the reader)."""
    return CryptoError(template, stage="header", **params)


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: a type, its arguments and the (already decoded) body."""

    type: str
    args: tuple[str, ...]
    body: bytes


@dataclass(frozen=True)
class Header:
    """A parsed header; ``mac_input`` is exactly what the MAC covers (through ``---``)."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes


def b64encode_raw(data: bytes) -> str:
    """Standard base64 without padding, as age writes it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode_strict(text: bytes) -> bytes:
    """Decode canonical unpadded base64; raises ``binascii.Error`` (a ValueError) otherwise."""
    if any(c not in _B64_ALPHABET for c in text) or len(text) % 4 == 1:
        raise binascii.Error("not canonical base64")
    data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    if base64.b64encode(data).rstrip(b"=") != text:
        raise binascii.Error("not canonical base64")
    return data


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA-256 (an empty salt means the RFC 5869 default)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def compute_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """The header MAC: HMAC-SHA-256 keyed with HKDF(file key, "header")."""
    key = hkdf_sha256(file_key, b"", b"header")
    return hmac.new(key, mac_input, hashlib.sha256).digest()


def _valid_arg(arg: bytes) -> bool:
    return bool(arg) and all(33 <= c <= 126 for c in arg)


def serialize_header(stanzas: list[Stanza], file_key: bytes) -> bytes:
    """The full header text, MAC line included."""
    parts = [INTRO]
    for stanza in stanzas:
        words = [stanza.type, *stanza.args]
        if not all(_valid_arg(w.encode("ascii")) for w in words):
            raise CryptoError(N_("age header: a stanza argument is not printable ASCII."))
        parts.append(b"-> " + " ".join(words).encode("ascii") + b"\n")
        body = b64encode_raw(stanza.body).encode("ascii")
        for start in range(0, len(body), COLUMNS_PER_LINE):
            parts.append(body[start : start + COLUMNS_PER_LINE] + b"\n")
        if len(body) % COLUMNS_PER_LINE == 0:
            parts.append(b"\n")
    parts.append(FOOTER_PREFIX)
    mac_input = b"".join(parts)
    return mac_input + b" " + b64encode_raw(compute_mac(file_key, mac_input)).encode() + b"\n"


class _LineSource:
    """Reads LF-terminated lines with per-line and total size limits."""

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self.consumed = bytearray()

    def line(self) -> bytes:
        remaining = MAX_HEADER_SIZE - len(self.consumed)
        if remaining <= 0:
            raise header_error(N_("age header: the header is too large."))
        line = self._src.readline(min(MAX_LINE, remaining) + 1)
        if not line.endswith(b"\n"):
            if len(line) > min(MAX_LINE, remaining):
                raise header_error(N_("age header: a header line is too long."))
            raise header_error(N_("age header: the header is truncated."))
        self.consumed += line
        return line[:-1]


def parse_header(src: BinaryIO) -> Header:
    """Read and strictly parse an age header from ``src``, leaving ``src`` at the payload."""
    lines = _LineSource(src)
    first = src.readline(len(INTRO))
    if first != INTRO:
        if first.startswith(VERSION_PREFIX):
            raise header_error(N_("age header: unsupported age format version."))
        raise header_error(N_("age header: this is not an age file."))
    lines.consumed += first
    stanzas: list[Stanza] = []
    while True:
        line = lines.line()
        if line.startswith(FOOTER_PREFIX):
            words = line.split(b" ")
            if words[0] != FOOTER_PREFIX or len(words) != 2:
                raise header_error(N_("age header: malformed MAC line."))
            try:
                mac = b64decode_strict(words[1])
            except ValueError:
                raise header_error(N_("age header: the MAC is not canonical base64.")) from None
            if len(mac) != MAC_SIZE:
                raise header_error(N_("age header: the MAC has the wrong length."))
            mac_input = bytes(lines.consumed[: len(lines.consumed) - len(line) - 1]) + b"---"
            return Header(stanzas=tuple(stanzas), mac=mac, mac_input=mac_input)
        if not line.startswith(STANZA_PREFIX):
            raise header_error(N_("age header: unexpected line."))
        words = line.split(b" ")
        if words[0] != STANZA_PREFIX or len(words) < 2 or not all(map(_valid_arg, words[1:])):
            raise header_error(N_("age header: malformed stanza line."))
        if len(stanzas) >= MAX_STANZAS:
            raise header_error(N_("age header: too many stanzas."))
        body = bytearray()
        while True:
            body_line = lines.line()
            if len(body_line) > COLUMNS_PER_LINE:
                raise header_error(N_("age header: a stanza body line is too long."))
            try:
                chunk = b64decode_strict(body_line)
            except ValueError:
                raise header_error(
                    N_("age header: a stanza body line is not canonical base64.")
                ) from None
            body += chunk
            if len(chunk) < BYTES_PER_LINE:
                break
        stanzas.append(
            Stanza(
                type=words[1].decode("ascii"),
                args=tuple(w.decode("ascii") for w in words[2:]),
                body=bytes(body),
            )
        )
