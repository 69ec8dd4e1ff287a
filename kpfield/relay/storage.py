"""What the relay stores, as an interface: uploads and their durable bytes, receipts, nonces,
the device list and HQ documents. The embedded backend is :mod:`kpfield.relay.sqlite_store`; the
PostgreSQL + S3 backend (:mod:`kpfield.relay.pg_store`) implements the same methods for several
nodes at once (an offset update is a compare-and-set on the row). Every backend passes
``tests/relay/storage_contract``.

Methods are blocking; the server calls them from worker threads. Bundle bytes are opaque.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from kpfield.errors import N_, KpfieldError


class StorageError(KpfieldError):
    """Base of the storage refusals the server maps to HTTP statuses."""


class SequenceConflict(StorageError):
    """The device already used this sequence number for a different bundle (flagged)."""


class UploadConflict(StorageError):
    """A creation disagrees with the upload already held under that bundle id."""


class OffsetMismatch(StorageError):
    """An append did not start at the upload's durable offset."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        super().__init__(N_("The upload is at offset {offset}."), offset=offset)


class StaleSerial(StorageError):
    """A device list whose serial is not higher than the one held."""


@dataclass(frozen=True)
class Upload:
    bundle_id: str  # SHA-256 of the whole ciphertext, hex
    device_id: str
    sequence: int
    length: int
    offset: int  # durable bytes, never more
    created_at: int
    expires_at: int
    receipt: bytes | None = None
    cursor: int | None = None  # order of completion, for HQ's listing

    @property
    def complete(self) -> bool:
        return self.receipt is not None


@dataclass(frozen=True)
class SequenceFlag:
    device_id: str
    sequence: int
    held_bundle_id: str
    offered_bundle_id: str
    at: int


@dataclass(frozen=True)
class HqDocument:
    cursor: int
    device_id: str
    kind: str
    body: bytes
    signature: str
    created_at: int


class Appender(ABC):
    """Bytes for one PATCH: nothing counts until :meth:`commit` has made them durable."""

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> int:
        """Make the bytes durable, then record the new offset (compare-and-set); return it."""

    @abstractmethod
    def abort(self) -> None:
        """Forget the uncommitted bytes; the upload stays at its old offset."""


class RelayStorage(ABC):
    @abstractmethod
    def create_upload(
        self,
        *,
        bundle_id: str,
        device_id: str,
        sequence: int,
        length: int,
        now: int,
        expires_at: int,
    ) -> tuple[Upload, bool]:
        """Create the upload, or return the one held under ``bundle_id`` (``created`` False).

        Raises :class:`SequenceConflict` (and records a flag) when the device's sequence is
        held by another bundle, :class:`UploadConflict` when the same bundle id comes with
        another device, sequence or length."""

    @abstractmethod
    def get_upload(self, bundle_id: str) -> Upload | None: ...

    @abstractmethod
    def count_incomplete(self, device_id: str) -> int: ...

    @abstractmethod
    def begin_append(self, bundle_id: str, offset: int, expires_at: int) -> Appender:
        """Start appending at ``offset`` (raises :class:`OffsetMismatch`)."""

    def supersede(self, bundle_id: str) -> None:  # noqa: B027 (optional: one node needs none)
        """A new request took over the upload: a backend shared by several nodes tells a PATCH
        in progress on another node to stop (the server cancels its own stale PATCH itself)."""

    @abstractmethod
    def data_sha256(self, bundle_id: str) -> bytes:
        """SHA-256 of an upload's durable bytes, read back from storage, once it is at full
        length (a backend may refuse earlier). A backend that lost bytes returns a digest that
        cannot match, so the server resets the upload rather than completing it."""

    @abstractmethod
    def reset_upload(self, bundle_id: str) -> None:
        """Drop an upload's bytes (whole-bundle hash mismatch); it restarts at offset 0."""

    @abstractmethod
    def complete(self, bundle_id: str, receipt: bytes, now: int) -> Upload:
        """Move the whole bundle to its final place durably, then record it with its receipt."""

    @abstractmethod
    def delete_upload(self, bundle_id: str) -> None:
        """Terminate an incomplete upload and its bytes (completed bundles are kept)."""

    @abstractmethod
    def expire_uploads(self, now: int) -> int: ...

    @abstractmethod
    def read_bundle(self, bundle_id: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]: ...

    @abstractmethod
    def list_completed(self, since: int, limit: int) -> list[Upload]: ...

    @abstractmethod
    def flags(self) -> list[SequenceFlag]: ...

    @abstractmethod
    def remember_nonce(self, keyid: str, nonce: str, expires_at: int, now: int) -> bool:
        """Record a nonce until ``expires_at``; False if it is already held."""

    @abstractmethod
    def put_device_list(self, serial: int, data: bytes) -> None:
        """Store a verified device list (raises :class:`StaleSerial` if not newer)."""

    @abstractmethod
    def device_list(self) -> bytes | None: ...

    @abstractmethod
    def device_list_serial(self) -> int | None:
        """The held list's serial (cheap: each node checks it to see HQ's newest list)."""

    @abstractmethod
    def add_document(
        self, *, device_id: str, kind: str, body: bytes, signature: str, now: int
    ) -> int: ...

    @abstractmethod
    def list_documents(self, device_id: str, since: int, limit: int) -> list[HqDocument]: ...

    @abstractmethod
    def close(self) -> None: ...
