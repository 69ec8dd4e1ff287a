"""Encrypted attachment store: one file per blob, its own random key, random file name.

Each blob is STREAM-encrypted (64 KiB ChaCha20-Poly1305 chunks) with a fresh 32-byte key kept
only in the encrypted database. A blob is written under a temporary name, fsynced and renamed before
the database row naming it is committed; files no row names are swept away at open.

Padded blobs (issue 9): so that a file's size does not give away the exact size of the photo in
it, the plaintext is padded with zeros to a Padmé bucket (at most ~12 % larger; sizes below 4 KiB
become 4 KiB) before encryption. Such a file starts with a 32-byte header, ``KPFBLOB2`` then the
true length as 8 bytes sealed with the blob's key under a nonce the STREAM never uses; the
reader yields exactly that many bytes and checks that the rest is zeros. Files without the magic
are the older unpadded format and are read as before (no migration).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kpfield.crypto import stream
from kpfield.domain.jobs import ByteProgress, CancelCheck
from kpfield.errors import N_, CryptoError, IntegrityError, VaultError
from kpfield.fsutil import durable_new_file, ensure_private_dir, fsync_dir

_NAME = re.compile(r"^[0-9a-f]{32}$")
MAGIC = b"KPFBLOB2"
HEADER_SIZE = len(MAGIC) + 8 + 16
# All ones in the flag byte: STREAM nonces end in 0x00 or 0x01, so this one is never reused.
_LENGTH_NONCE = b"\xff" * 12
MIN_PADDED = 4096


def padme(length: int) -> int:
    """The Padmé padded length (Nikitin et al., PURBs, 2019): leaks O(log log L) bits of the
    length, costs at most ~12 %; lengths below :data:`MIN_PADDED` are padded to it."""
    if length <= MIN_PADDED:
        return MIN_PADDED
    e = length.bit_length() - 1  # floor(log2 L)
    s = e.bit_length()  # floor(log2 E) + 1
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def padded_file_size(length: int) -> int:
    """The size on disk of a padded blob holding ``length`` bytes."""
    return HEADER_SIZE + stream.encrypted_size(padme(length))


@dataclass(frozen=True)
class StoredBlob:
    name: str
    key: bytes
    plain_size: int
    sha256: str


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        ensure_private_dir(self.root)

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise VaultError(N_("A stored file name is invalid."))
        return self.root / name[:2] / name

    def put_stream(
        self,
        src: BinaryIO,
        *,
        progress: ByteProgress | None = None,
        cancel: CancelCheck | None = None,
    ) -> StoredBlob:
        """Encrypt ``src`` into a new blob; returns its name, key, size and plaintext SHA-256."""
        name = secrets.token_hex(16)
        key = secrets.token_bytes(32)
        final = self.path(name)
        self._ensure_bucket(final.parent)
        hasher = _HashingReader(src)
        padded = _PaddingReader(hasher)
        with durable_new_file(final, tmp_name=f".{name}.tmp") as out:
            out.write(bytes(HEADER_SIZE))  # the header needs the length: written last
            stream.encrypt_stream(
                key,
                cast(BinaryIO, padded),
                out,
                progress=None if progress is None else lambda _n: progress(hasher.size),
                cancel=cancel,
            )
            out.seek(0)
            out.write(_header(key, hasher.size))
        return StoredBlob(name, key, hasher.size, hasher.sha.hexdigest())

    def _ensure_bucket(self, bucket: Path) -> None:
        if not bucket.exists():
            ensure_private_dir(bucket)
            fsync_dir(self.root)  # the new folder's entry must be durable before a blob in it

    def put(self, data: bytes) -> StoredBlob:
        return self.put_stream(io.BytesIO(data))

    def iter_chunks(self, name: str, key: bytes) -> Iterator[bytes]:
        try:
            fh = open(self.path(name), "rb")  # noqa: SIM115 - closed in finally below
        except FileNotFoundError:
            raise IntegrityError(N_("A stored attachment is missing from the vault.")) from None
        try:
            head = stream.read_full(fh, HEADER_SIZE)
            if len(head) == HEADER_SIZE and head.startswith(MAGIC):
                yield from _unpad(stream.iter_decrypt(key, fh), _length(key, head))
            else:  # an unpadded blob from before issue 9
                yield from stream.iter_decrypt(key, cast(BinaryIO, _Prefixed(head, fh)))
        finally:
            fh.close()

    def get(self, name: str, key: bytes) -> bytes:
        return b"".join(self.iter_chunks(name, key))

    def sha256_of(self, name: str, key: bytes) -> str:
        h = hashlib.sha256()
        for chunk in self.iter_chunks(name, key):
            h.update(chunk)
        return h.hexdigest()

    def copy(self, name: str) -> str:
        """Copy a blob's ciphertext under a new random name (same key); returns the new name."""
        new = secrets.token_hex(16)
        final = self.path(new)
        self._ensure_bucket(final.parent)
        with (
            durable_new_file(final, tmp_name=f".{new}.tmp") as out,
            open(self.path(name), "rb") as src,
        ):
            while chunk := src.read(1 << 20):
                out.write(chunk)
        return new

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()

    def names_on_disk(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {p.name for p in self.root.glob("??/*") if _NAME.match(p.name)}

    def sweep(self, referenced: set[str]) -> int:
        """Remove blob files (and stale temp files) that no database row names."""
        removed = 0
        if not self.root.exists():
            return 0
        for p in self.root.glob("??/.*.tmp"):
            name = p.name[1:-4]
            final = p.with_name(name)
            if name in referenced and not final.exists():
                # A row names it but the rename was lost: finish it rather than lose evidence.
                os.replace(p, final)
                fsync_dir(p.parent)
                continue
            p.unlink(missing_ok=True)
            removed += 1
        for name in self.names_on_disk() - referenced:
            self.delete(name)
            removed += 1
        return removed


def _header(key: bytes, length: int) -> bytes:
    sealed = ChaCha20Poly1305(key).encrypt(_LENGTH_NONCE, length.to_bytes(8, "big"), MAGIC)
    return MAGIC + sealed


def _length(key: bytes, head: bytes) -> int:
    try:
        raw = ChaCha20Poly1305(key).decrypt(_LENGTH_NONCE, head[len(MAGIC) :], MAGIC)
    except InvalidTag:
        raise CryptoError(N_("The encrypted data has been altered.")) from None
    return int.from_bytes(raw, "big")


def _unpad(chunks: Iterator[bytes], length: int) -> Iterator[bytes]:
    """The first ``length`` bytes; the rest must be zeros up to exactly the padded length."""
    seen = 0
    for chunk in chunks:
        keep = max(0, min(len(chunk), length - seen))
        pad = chunk[keep:]
        seen += len(chunk)
        if pad.count(0) != len(pad):
            raise CryptoError(N_("The encrypted data has been altered."))
        if keep:
            yield chunk[:keep]
    if seen != padme(length):
        raise CryptoError(N_("The encrypted data has been altered."))


class _Prefixed(io.RawIOBase):
    """``read`` over bytes already read from a file, then the rest of the file."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            n = len(self._head) if size < 0 else size
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._rest.read(size)


class _PaddingReader(io.RawIOBase):
    """Reads the source, then zeros up to the Padmé length of what the source held."""

    def __init__(self, src: _HashingReader) -> None:
        super().__init__()
        self._src = src
        self._left: int | None = None  # zeros still to give, once the source has ended

    def read(self, size: int = -1) -> bytes:
        if self._left is None:
            data = self._src.read(size)
            if data:
                return data
            self._left = padme(self._src.size) - self._src.size
        n = self._left if size < 0 else min(size, self._left)
        self._left -= n
        return bytes(n)


class _HashingReader(io.RawIOBase):
    """Wraps a source so the plaintext is hashed and counted as it is encrypted (one pass)."""

    def __init__(self, src: BinaryIO) -> None:
        self.src = src
        self.sha = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.src.read(size)
        if data:
            self.sha.update(data)
            self.size += len(data)
        return data
