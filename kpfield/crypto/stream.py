"""ChaCha20-Poly1305 STREAM (the construction age v1 uses for its payload).

The plaintext is cut into 64 KiB chunks; chunk ``i`` is sealed with the nonce
``i`` as an 11-byte big-endian counter followed by ``0x01`` for the last chunk and ``0x00``
otherwise. Reordering, truncation and extension are all detected. Memory stays bounded by one chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kpfield.domain.jobs import ByteProgress as Progress
from kpfield.domain.jobs import CancelCheck
from kpfield.errors import N_, Cancelled, CryptoError

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
_MAX_COUNTER = (1 << 88) - 1



def _nonce(counter: int, last: bool) -> bytes:
    if counter > _MAX_COUNTER:
        raise CryptoError(N_("The stream is too long."))
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def read_full(src: BinaryIO, size: int) -> bytes:
    """Read exactly ``size`` bytes unless the stream ends first (joins short pipe reads)."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        part = src.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def iter_encrypt(key: bytes, src: BinaryIO) -> Iterator[bytes]:
    """Yield the encrypted chunks of everything readable from ``src``."""
    aead = ChaCha20Poly1305(key)
    counter = 0
    current = read_full(src, CHUNK_SIZE)
    while True:
        following = read_full(src, CHUNK_SIZE) if len(current) == CHUNK_SIZE else b""
        last = not following
        yield aead.encrypt(_nonce(counter, last), current, None)
        if last:
            return
        counter += 1
        current = following


def iter_decrypt(key: bytes, src: BinaryIO) -> Iterator[bytes]:
    """Yield verified plaintext chunks. Raises :class:`CryptoError` on any tampering or truncation.

    A chunk is only yielded once it has been authenticated; a caller that must not act on a
    partial stream should buffer (or write to a temporary place) until the iterator finishes.
    """
    aead = ChaCha20Poly1305(key)
    counter = 0
    current = read_full(src, ENCRYPTED_CHUNK_SIZE)
    if len(current) < TAG_SIZE:
        raise CryptoError(N_("The encrypted data is truncated."))
    while True:
        following = (
            read_full(src, ENCRYPTED_CHUNK_SIZE) if len(current) == ENCRYPTED_CHUNK_SIZE else b""
        )
        last = not following
        try:
            plain = aead.decrypt(_nonce(counter, last), current, None)
        except InvalidTag:
            if last:
                # A full-size final chunk may be a truncation at a chunk boundary: say so plainly.
                raise CryptoError(
                    N_("The encrypted data is truncated or has been altered.")
                ) from None
            raise CryptoError(N_("The encrypted data has been altered.")) from None
        if last and not plain and counter > 0:
            raise CryptoError(N_("The encrypted data has an empty final chunk."))
        yield plain
        if last:
            return
        counter += 1
        current = following
        if len(current) < TAG_SIZE:
            raise CryptoError(N_("The encrypted data is truncated."))


def encrypt_stream(
    key: bytes,
    src: BinaryIO,
    dst: BinaryIO,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> int:
    """Encrypt ``src`` into ``dst``; returns the number of ciphertext bytes written."""
    written = 0
    for chunk in iter_encrypt(key, src):
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        dst.write(chunk)
        written += len(chunk)
        if progress is not None:
            progress(written)
    return written


def decrypt_stream(
    key: bytes,
    src: BinaryIO,
    dst: BinaryIO,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> int:
    """Decrypt ``src`` into ``dst``; returns the number of plaintext bytes written."""
    written = 0
    for chunk in iter_decrypt(key, src):
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        dst.write(chunk)
        written += len(chunk)
        if progress is not None:
            progress(written)
    return written


def encrypted_size(plain_size: int) -> int:
    """Size of the STREAM ciphertext for ``plain_size`` bytes of plaintext."""
    chunks = max(1, -(-plain_size // CHUNK_SIZE))
    return plain_size + chunks * TAG_SIZE
