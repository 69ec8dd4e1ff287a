"""Encrypted attachment store: one file per blob, its own random key, random file name.

Each blob is STREAM-encrypted (64 KiB ChaCha20-Poly1305 chunks) with a fresh 32-byte key kept
only in the encrypted database. A blob is written under a temporary name, fsynced and renamed before
the database row naming it is committed; files no row names are swept away at open.
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

from kpfield.crypto import stream
from kpfield.domain.jobs import ByteProgress, CancelCheck
from kpfield.errors import N_, IntegrityError, VaultError
from kpfield.fsutil import durable_new_file, ensure_private_dir, fsync_dir

_NAME = re.compile(r"^[0-9a-f]{32}$")


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
        with durable_new_file(final, tmp_name=f".{name}.tmp") as out:
            stream.encrypt_stream(
                key, cast(BinaryIO, hasher), out, progress=progress, cancel=cancel
            )
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
            yield from stream.iter_decrypt(key, fh)
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
