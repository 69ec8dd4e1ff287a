"""minisign-format Ed25519 signatures (https://jedisct1.github.io/minisign/), prehashed only.

A ``.minisig`` file is four lines::

    untrusted comment: <free text, not signed>
    base64("ED" || key id (8) || Ed25519(BLAKE2b-512(file)))
    trusted comment: <text>
    base64(Ed25519(signature || trusted comment))

Only the prehashed ``ED`` algorithm is produced and accepted. Legacy ``Ed`` signatures (over the
raw file) are rejected on purpose: verifying them needs the whole file in memory, which breaks our
bounded-memory rule for large bundles, and minisign itself has signed prehashed by default since
0.11. Key ids are 8 bytes; :func:`key_id_for` derives ours as the first 8 bytes of BLAKE2b-512 of
the raw public key (minisign's own keys use random ids; both verify the same way).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kpfield.errors import N_, CryptoError

__all__ = [
    "MinisignPublicKey",
    "key_id_for",
    "parse_public_key",
    "sign",
    "verify",
]

KEY_ID_SIZE = 8
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
ALG_PREHASHED = b"ED"
ALG_LEGACY = b"Ed"
KEY_ALG = b"Ed"
UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
MAX_UNTRUSTED_COMMENT = 1000
MAX_TRUSTED_COMMENT = 8000
MAX_MINISIG_SIZE = 16 * 1024
MAX_PUBLIC_KEY_FILE_SIZE = 4096
DEFAULT_UNTRUSTED_COMMENT = "signature from kpfield secret key"
_READ_SIZE = 64 * 1024

Data = bytes | bytearray | memoryview | BinaryIO


def key_id_for(public_key_bytes: bytes) -> bytes:
    """Our deterministic key id: the first 8 bytes of BLAKE2b-512(raw public key)."""
    if len(public_key_bytes) != PUBLIC_KEY_SIZE:
        raise CryptoError(N_("minisign: a public key must be 32 bytes."))
    return hashlib.blake2b(public_key_bytes).digest()[:KEY_ID_SIZE]


def _key_id_hex(key_id: bytes) -> str:
    # minisign shows the id as a little-endian 64-bit number in upper-case hex.
    return key_id[::-1].hex().upper()


def _b64decode(text: str, size: int, what: str) -> bytes:
    try:
        raw = text.encode("ascii")
        data = base64.b64decode(raw, validate=True)
        if base64.b64encode(data) != raw:
            raise binascii.Error("not canonical")
    except (ValueError, UnicodeEncodeError):
        raise CryptoError(N_("minisign: the {what} is not valid base64."), what=what) from None
    if len(data) != size:
        raise CryptoError(N_("minisign: the {what} has the wrong length."), what=what)
    return data


@dataclass(frozen=True)
class MinisignPublicKey:
    """An Ed25519 public key with its 8-byte minisign key id."""

    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_SIZE or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise CryptoError(N_("minisign: a key id is 8 bytes and a public key 32 bytes."))

    @classmethod
    def from_private(
        cls, secret: Ed25519PrivateKey, key_id: bytes | None = None
    ) -> MinisignPublicKey:
        """The public half of ``secret``; the key id defaults to :func:`key_id_for`."""
        raw = secret.public_key().public_bytes_raw()
        return cls(key_id=key_id if key_id is not None else key_id_for(raw), public_key=raw)

    def ed25519(self) -> Ed25519PublicKey:
        """The key as a pyca/cryptography object."""
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def to_base64(self) -> str:
        """The ``RW...`` line (what ``minisign -P`` takes)."""
        return base64.b64encode(KEY_ALG + self.key_id + self.public_key).decode("ascii")

    def to_text(self, untrusted_comment: str | None = None) -> str:
        """The public key file, as ``minisign -G`` writes it."""
        comment = untrusted_comment or f"minisign public key {_key_id_hex(self.key_id)}"
        _check_comment(comment, MAX_UNTRUSTED_COMMENT)
        return f"{UNTRUSTED_PREFIX}{comment}\n{self.to_base64()}\n"


def parse_public_key(text: str) -> MinisignPublicKey:
    """Parse a public key file (comment line + key line) or a bare ``RW...`` key line."""
    if len(text) > MAX_PUBLIC_KEY_FILE_SIZE:
        raise CryptoError(N_("minisign: the public key file is too large."))
    lines = text.replace("\r\n", "\n").removesuffix("\n").split("\n")
    if len(lines) == 2:
        if not lines[0].startswith(UNTRUSTED_PREFIX):
            raise CryptoError(N_("minisign: the public key file has no comment line."))
        lines = lines[1:]
    if len(lines) != 1:
        raise CryptoError(N_("minisign: the public key file is malformed."))
    raw = _b64decode(lines[0], 2 + KEY_ID_SIZE + PUBLIC_KEY_SIZE, "public key")
    if raw[:2] != KEY_ALG:
        raise CryptoError(N_("minisign: unsupported public key algorithm."))
    return MinisignPublicKey(key_id=raw[2:10], public_key=raw[10:])


def _check_comment(comment: str, limit: int) -> None:
    if "\n" in comment or "\r" in comment:
        raise CryptoError(N_("minisign: a comment must be a single line."))
    if len(comment.encode("utf-8")) > limit:
        raise CryptoError(N_("minisign: a comment is too long."))


def _chunks(data: Data) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while chunk := data.read(_READ_SIZE):
        yield chunk


def _prehash(data: Data) -> bytes:
    digest = hashlib.blake2b()
    for chunk in _chunks(data):
        digest.update(chunk)
    return digest.digest()


def sign(
    secret: Ed25519PrivateKey,
    key_id: bytes,
    data: Data,
    trusted_comment: str,
    untrusted_comment: str = DEFAULT_UNTRUSTED_COMMENT,
) -> str:
    """The ``.minisig`` text for ``data`` (bytes or a stream, hashed in 64 KiB reads)."""
    if len(key_id) != KEY_ID_SIZE:
        raise CryptoError(N_("minisign: a key id must be 8 bytes."))
    _check_comment(trusted_comment, MAX_TRUSTED_COMMENT)
    _check_comment(untrusted_comment, MAX_UNTRUSTED_COMMENT)
    signature = secret.sign(_prehash(data))
    global_signature = secret.sign(signature + trusted_comment.encode("utf-8"))
    sig_line = base64.b64encode(ALG_PREHASHED + key_id + signature).decode("ascii")
    return (
        f"{UNTRUSTED_PREFIX}{untrusted_comment}\n{sig_line}\n"
        f"{TRUSTED_PREFIX}{trusted_comment}\n"
        f"{base64.b64encode(global_signature).decode('ascii')}\n"
    )


def verify(public: MinisignPublicKey, minisig_text: str, data: Data) -> str:
    """Check ``minisig_text`` over ``data`` with ``public``; returns the trusted comment.

    Raises :class:`CryptoError` on any malformed input, wrong key id or bad signature.
    """
    if len(minisig_text) > MAX_MINISIG_SIZE:
        raise CryptoError(N_("minisign: the signature file is too large."))
    lines = minisig_text.split("\n")
    if lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if len(lines) != 4:
        raise CryptoError(N_("minisign: the signature file must have exactly four lines."))
    untrusted, sig_line, trusted_line, global_line = lines
    if not untrusted.startswith(UNTRUSTED_PREFIX) or not trusted_line.startswith(TRUSTED_PREFIX):
        raise CryptoError(N_("minisign: the signature file's comment lines are malformed."))
    trusted_comment = trusted_line[len(TRUSTED_PREFIX) :]
    _check_comment(trusted_comment, MAX_TRUSTED_COMMENT)
    raw = _b64decode(sig_line, 2 + KEY_ID_SIZE + SIGNATURE_SIZE, "signature")
    if raw[:2] == ALG_LEGACY:
        raise CryptoError(N_("minisign: legacy (non-prehashed) signatures are not accepted."))
    if raw[:2] != ALG_PREHASHED:
        raise CryptoError(N_("minisign: unsupported signature algorithm."))
    if raw[2:10] != public.key_id:
        raise CryptoError(N_("minisign: the signature was made with a different key."))
    signature = raw[10:]
    global_signature = _b64decode(global_line, SIGNATURE_SIZE, "global signature")
    key = public.ed25519()
    try:
        key.verify(signature, _prehash(data))
    except InvalidSignature:
        raise CryptoError(N_("minisign: the signature does not match the file.")) from None
    try:
        key.verify(global_signature, signature + trusted_comment.encode("utf-8"))
    except InvalidSignature:
        raise CryptoError(N_("minisign: the trusted comment signature is invalid.")) from None
    return trusted_comment
