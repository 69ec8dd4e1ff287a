"""age v1 (https://c2sp.org/age) with X25519 recipients, streaming in bounded memory.

Encryption writes one ``X25519`` stanza per recipient (no key ids), the header MAC, a 16-byte
nonce and a 64 KiB ChaCha20-Poly1305 STREAM payload (see :mod:`kpfield.crypto.stream`).
Decryption also accepts ASCII armor and ``scrypt`` passphrase stanzas (:class:`ScryptIdentity`).

Every failure is a :class:`~kpfield.errors.CryptoError`; ``error.params["stage"]`` says where it
happened: ``"armor"``, ``"header"``, ``"no_match"`` (no identity opens the file), ``"hmac"`` or
``"payload"``. Plaintext chunks are only released after they authenticate, but a truncated or
altered stream is only detected when it is reached: act on the output only once decryption ends.
"""

from __future__ import annotations

import hmac
import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kpfield.crypto import bech32, stream
from kpfield.crypto.age_armor import ArmoredReader
from kpfield.crypto.age_format import (
    FILE_KEY_SIZE,
    Header,
    Stanza,
    b64decode_strict,
    b64encode_raw,
    compute_mac,
    header_error,
    hkdf_sha256,
    parse_header,
    serialize_header,
)
from kpfield.domain.jobs import ByteProgress as Progress
from kpfield.domain.jobs import CancelCheck
from kpfield.errors import N_, Cancelled, CryptoError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "Decryptor",
    "Header",
    "Identity",
    "ScryptIdentity",
    "Stanza",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "encrypt",
    "format_identity_file",
    "open_decryptor",
    "parse_identities",
    "parse_identity",
    "parse_recipient",
]

X25519_LABEL = b"age-encryption.org/v1/X25519"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
NONCE_SIZE = 16
DEFAULT_MAX_SCRYPT_WORK_FACTOR = 22
MAX_IDENTITY_FILE_SIZE = 64 * 1024
_RECIPIENT_HRP = "age"
_IDENTITY_HRP = "AGE-SECRET-KEY-"
_KEY_SIZE = 32
_WRAPPED_KEY_SIZE = FILE_KEY_SIZE + 16
_ZERO_NONCE = bytes(12)
_WORK_FACTOR = re.compile(r"[1-9][0-9]?")
_ARMOR_DETECT_SIZE = 34
_WHITESPACE = b" \t\r\n\v\f"


class Identity(Protocol):
    """Something that may unwrap the file key from a header's stanzas."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key, ``None`` if no stanza is for us; CryptoError if a stanza is malformed."""
        ...


def _unwrap_body(key: bytes, body: bytes) -> bytes | None:
    if len(body) != _WRAPPED_KEY_SIZE:
        raise header_error(N_("age header: a stanza body has the wrong length."))
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


@dataclass(frozen=True)
class X25519Recipient:
    """An ``age1...`` public key."""

    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != _KEY_SIZE:
            raise CryptoError(N_("An age recipient must be a 32-byte X25519 key."))

    def to_string(self) -> str:
        """The ``age1...`` form."""
        return bech32.encode(_RECIPIENT_HRP, self.public_key)

    def __str__(self) -> str:
        return self.to_string()

    def wrap(self, file_key: bytes) -> Stanza:
        """A new ``X25519`` stanza carrying ``file_key`` for this recipient."""
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes_raw()
        try:
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self.public_key))
        except ValueError:
            shared = bytes(_KEY_SIZE)
        if shared == bytes(_KEY_SIZE):
            raise CryptoError(N_("The age recipient key is invalid (low-order point)."))
        key = hkdf_sha256(shared, share + self.public_key, X25519_LABEL)
        body = ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)
        return Stanza(type="X25519", args=(b64encode_raw(share),), body=body)


class X25519Identity:
    """An ``AGE-SECRET-KEY-1...`` private key. Its ``repr`` never shows the secret."""

    __slots__ = ("_private", "_public")

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private
        self._public = private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> X25519Identity:
        """A fresh random identity."""
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_bytes(cls, secret: bytes) -> X25519Identity:
        """From the raw 32-byte scalar."""
        if len(secret) != _KEY_SIZE:
            raise CryptoError(N_("An age identity must be a 32-byte X25519 key."))
        return cls(X25519PrivateKey.from_private_bytes(secret))

    @property
    def recipient(self) -> X25519Recipient:
        """The matching public recipient."""
        return X25519Recipient(self._public)

    @property
    def private_key(self) -> X25519PrivateKey:
        """The underlying key object."""
        return self._private

    def to_string(self) -> str:
        """The ``AGE-SECRET-KEY-1...`` form (secret: never log it)."""
        return bech32.encode(_IDENTITY_HRP, self._private.private_bytes_raw())

    def __repr__(self) -> str:
        return f"X25519Identity(recipient={self.recipient.to_string()!r})"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key from the first ``X25519`` stanza addressed to us, else ``None``."""
        for stanza in stanzas:
            if stanza.type != "X25519":
                continue
            if len(stanza.args) != 1:
                raise header_error(N_("age header: an X25519 stanza has the wrong arguments."))
            try:
                share = b64decode_strict(stanza.args[0].encode("ascii"))
            except ValueError:
                raise header_error(
                    N_("age header: an X25519 share is not canonical base64.")
                ) from None
            if len(share) != _KEY_SIZE:
                raise header_error(N_("age header: an X25519 share has the wrong length."))
            try:
                shared = self._private.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError:
                shared = bytes(_KEY_SIZE)
            if shared == bytes(_KEY_SIZE):
                raise header_error(N_("age header: an X25519 share is a low-order point."))
            key = hkdf_sha256(shared, share + self._public, X25519_LABEL)
            file_key = _unwrap_body(key, stanza.body)
            if file_key is not None:
                return file_key
        return None


class ScryptIdentity:
    """A passphrase, for decrypting ``scrypt`` stanzas (work factor capped, default 2^22)."""

    __slots__ = ("_max_work_factor", "_passphrase")

    def __init__(
        self, passphrase: str | bytes, *, max_work_factor: int = DEFAULT_MAX_SCRYPT_WORK_FACTOR
    ) -> None:
        self._passphrase = passphrase.encode() if isinstance(passphrase, str) else passphrase
        self._max_work_factor = max_work_factor

    def __repr__(self) -> str:
        return "ScryptIdentity(<passphrase>)"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key if the passphrase opens the ``scrypt`` stanza, else ``None``."""
        for stanza in stanzas:
            if stanza.type != "scrypt":
                continue
            if len(stanza.args) != 2:
                raise header_error(N_("age header: an scrypt stanza has the wrong arguments."))
            try:
                salt = b64decode_strict(stanza.args[0].encode("ascii"))
            except ValueError:
                raise header_error(
                    N_("age header: an scrypt salt is not canonical base64.")
                ) from None
            if len(salt) != 16:
                raise header_error(N_("age header: an scrypt salt has the wrong length."))
            if not _WORK_FACTOR.fullmatch(stanza.args[1]):
                raise header_error(N_("age header: an scrypt work factor is malformed."))
            log_n = int(stanza.args[1])
            if log_n > self._max_work_factor:
                raise header_error(N_("age header: the scrypt work factor is too large."))
            if len(stanza.body) != _WRAPPED_KEY_SIZE:
                raise header_error(N_("age header: a stanza body has the wrong length."))
            kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=1 << log_n, r=8, p=1)
            file_key = _unwrap_body(kdf.derive(self._passphrase), stanza.body)
            if file_key is not None:
                return file_key
        return None


def parse_recipient(text: str) -> X25519Recipient:
    """Parse an ``age1...`` recipient (exactly: surrounding spaces are refused, as by age)."""
    hrp, data = bech32.decode(text)
    if hrp != _RECIPIENT_HRP:
        raise CryptoError(N_("This is not an age X25519 recipient (age1...)."))
    if len(data) != _KEY_SIZE:
        raise CryptoError(N_("An age recipient must be a 32-byte X25519 key."))
    return X25519Recipient(data)


def parse_identity(text: str) -> X25519Identity:
    """Parse one ``AGE-SECRET-KEY-1...`` identity (exactly, as age does)."""
    hrp, data = bech32.decode(text)
    if hrp != _IDENTITY_HRP:
        raise CryptoError(N_("This is not an age X25519 identity (AGE-SECRET-KEY-1...)."))
    return X25519Identity.from_bytes(data)


def parse_identities(text: str) -> list[X25519Identity]:
    """Parse an identity file as ``age-keygen`` writes it (``#`` comments, blank lines)."""
    if len(text) > MAX_IDENTITY_FILE_SIZE:
        raise CryptoError(N_("The age identity file is too large."))
    identities: list[X25519Identity] = []
    for number, line in enumerate(text.splitlines(), start=1):
        # No stripping: age refuses a key line with surrounding spaces, and so do we.
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(parse_identity(line))
        except CryptoError:
            # Never echo the line: it may be (most of) a secret key.
            raise CryptoError(
                N_("Line {line} of the age identity file is not a valid identity."), line=number
            ) from None
    if not identities:
        raise CryptoError(N_("The age identity file contains no identity."))
    return identities


def format_identity_file(identity: X25519Identity, *, created: datetime | None = None) -> str:
    """An identity file in the layout ``age-keygen`` writes (secret: store it 0600)."""
    lines = []
    if created is not None:
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"# created: {stamp}")
    lines.append(f"# public key: {identity.recipient.to_string()}")
    lines.append(identity.to_string())
    return "\n".join(lines) + "\n"


def _cancel_check(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled(N_("Cancelled."))


def encrypt(
    recipients: Sequence[X25519Recipient],
    src: BinaryIO,
    dst: BinaryIO,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> int:
    """Encrypt ``src`` to every recipient into ``dst``; returns the bytes written.

    ``progress`` receives the running total of bytes written to ``dst``.
    """
    if not recipients:
        raise CryptoError(N_("age: at least one recipient is needed."))
    _cancel_check(cancel)
    file_key = os.urandom(FILE_KEY_SIZE)
    header = serialize_header([r.wrap(file_key) for r in recipients], file_key)
    nonce = os.urandom(NONCE_SIZE)
    dst.write(header + nonce)
    prefix = len(header) + NONCE_SIZE
    payload_key = hkdf_sha256(file_key, nonce, b"payload")

    def _progress(count: int) -> None:
        if progress is not None:
            progress(prefix + count)

    return prefix + stream.encrypt_stream(payload_key, src, dst, progress=_progress, cancel=cancel)


class _PrefixedReader(io.RawIOBase):
    """Serves bytes already read for format detection, then the rest of the source."""

    def __init__(self, prefix: bytes, src: BinaryIO) -> None:
        super().__init__()
        self._prefix = prefix
        self._src = src

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Fill ``buffer`` from the prefix, then from the source."""
        view = memoryview(buffer).cast("B")
        if self._prefix:
            count = min(len(view), len(self._prefix))
            view[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._src.read(len(view))
        view[: len(data)] = data
        return len(data)


def _open_source(src: BinaryIO, armored: bool | None) -> BinaryIO:
    prefix = b""
    if armored is None:
        prefix = stream.read_full(src, _ARMOR_DETECT_SIZE)
        stripped = prefix.lstrip(_WHITESPACE)
        armored = stripped.startswith(b"-") or (bool(prefix) and not stripped)
    reader = io.BufferedReader(_PrefixedReader(prefix, src))
    if armored:
        return io.BufferedReader(ArmoredReader(reader))
    return reader


class Decryptor:
    """An age file whose header is parsed and authenticated; the payload is read on demand."""

    def __init__(self, header: Header, payload_key: bytes, src: BinaryIO) -> None:
        self.header = header
        self._payload_key = payload_key
        self._src = src
        self._consumed = False

    def iter_decrypt(self) -> Iterator[bytes]:
        """Yield authenticated plaintext chunks (at most 64 KiB each). Single use."""
        if self._consumed:
            raise CryptoError(
                N_("age payload: the payload has already been read."), stage="payload"
            )
        self._consumed = True
        try:
            yield from stream.iter_decrypt(self._payload_key, self._src)
        except CryptoError as exc:
            if exc.params.get("stage") == "armor":
                raise
            raise CryptoError(
                N_("age payload: {detail}"), stage="payload", detail=exc.message
            ) from exc

    def decrypt_to(
        self,
        dst: BinaryIO,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> int:
        """Write the plaintext to ``dst``; returns its size. ``progress`` gets bytes written."""
        written = 0
        for chunk in self.iter_decrypt():
            _cancel_check(cancel)
            dst.write(chunk)
            written += len(chunk)
            if progress is not None:
                progress(written)
        return written


def open_decryptor(
    identities: Sequence[Identity], src: BinaryIO, *, armored: bool | None = None
) -> Decryptor:
    """Parse the header, unwrap the file key, verify the header MAC and read the nonce.

    ``armored=None`` detects ASCII armor from the first bytes.
    """
    reader = _open_source(src, armored)
    header = parse_header(reader)
    if any(s.type == "scrypt" for s in header.stanzas) and len(header.stanzas) != 1:
        raise header_error(N_("age header: an scrypt stanza must be the only stanza."))
    file_key: bytes | None = None
    for identity in identities:
        file_key = identity.unwrap(header.stanzas)
        if file_key is not None:
            break
    if file_key is None:
        raise CryptoError(N_("age: none of the given keys can open this file."), stage="no_match")
    if not hmac.compare_digest(compute_mac(file_key, header.mac_input), header.mac):
        raise CryptoError(N_("age hmac: the header has been altered (MAC mismatch)."), stage="hmac")
    nonce = stream.read_full(reader, NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise header_error(N_("age header: the payload nonce is missing or truncated."))
    return Decryptor(header, hkdf_sha256(file_key, nonce, b"payload"), reader)


def decrypt(
    identities: Sequence[Identity],
    src: BinaryIO,
    dst: BinaryIO,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    armored: bool | None = None,
) -> int:
    """Decrypt ``src`` into ``dst``; returns the plaintext size."""
    _cancel_check(cancel)
    decryptor = open_decryptor(identities, src, armored=armored)
    return decryptor.decrypt_to(dst, progress=progress, cancel=cancel)
