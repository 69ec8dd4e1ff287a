"""The contract every relay storage backend passes (reused by each backend's test module)."""

from __future__ import annotations

import hashlib
import os

import pytest

from kpfield.relay.storage import (
    OffsetMismatch,
    RelayStorage,
    SequenceConflict,
    StaleSerial,
    UploadConflict,
)

DEV = "0123456789abcdef"


def _new(storage: RelayStorage, data: bytes, sequence: int = 1, device: str = DEV) -> str:
    bundle_id = hashlib.sha256(data).hexdigest()
    storage.create_upload(
        bundle_id=bundle_id,
        device_id=device,
        sequence=sequence,
        length=len(data),
        now=100,
        expires_at=1000,
    )
    return bundle_id


def _append(storage: RelayStorage, bundle_id: str, offset: int, data: bytes) -> int:
    app = storage.begin_append(bundle_id, offset, 2000)
    app.write(data)
    return app.commit()


class StorageContract:
    """Subclasses provide a ``storage`` fixture yielding a fresh, empty backend."""

    def test_create_is_idempotent(self, storage: RelayStorage) -> None:
        data = os.urandom(100)
        bundle_id = _new(storage, data)
        upload, created = storage.create_upload(
            bundle_id=bundle_id, device_id=DEV, sequence=1, length=100, now=200, expires_at=900
        )
        assert not created
        assert (upload.offset, upload.length, upload.created_at) == (0, 100, 100)

    def test_same_sequence_other_bundle_is_refused_and_flagged(self, storage: RelayStorage) -> None:
        first = _new(storage, b"a" * 10)
        with pytest.raises(SequenceConflict):
            _new(storage, b"b" * 10)
        (flag,) = storage.flags()
        assert (flag.sequence, flag.held_bundle_id) == (1, first)

    def test_same_bundle_other_details_conflict(self, storage: RelayStorage) -> None:
        bundle_id = _new(storage, b"x" * 10)
        with pytest.raises(UploadConflict):
            storage.create_upload(
                bundle_id=bundle_id, device_id=DEV, sequence=2, length=10, now=1, expires_at=2
            )

    def test_append_commit_and_complete(self, storage: RelayStorage) -> None:
        data = os.urandom(5000)
        bundle_id = _new(storage, data)
        assert _append(storage, bundle_id, 0, data[:3000]) == 3000
        with pytest.raises(OffsetMismatch):
            storage.begin_append(bundle_id, 0, 2000)
        assert _append(storage, bundle_id, 3000, data[3000:]) == 5000
        assert storage.data_sha256(bundle_id).hex() == bundle_id
        done = storage.complete(bundle_id, b"receipt", 300)
        assert done.complete and done.cursor == 1 and done.receipt == b"receipt"
        assert b"".join(storage.read_bundle(bundle_id)) == data
        assert [u.bundle_id for u in storage.list_completed(0, 10)] == [bundle_id]
        assert storage.list_completed(1, 10) == []
        again, created = storage.create_upload(
            bundle_id=bundle_id, device_id=DEV, sequence=1, length=5000, now=400, expires_at=900
        )
        assert not created and again.receipt == b"receipt"

    def test_abort_keeps_old_offset(self, storage: RelayStorage) -> None:
        data = os.urandom(1000)
        bundle_id = _new(storage, data)
        _append(storage, bundle_id, 0, data[:400])
        app = storage.begin_append(bundle_id, 400, 2000)
        app.write(b"garbage" * 10)
        app.abort()
        upload = storage.get_upload(bundle_id)
        assert upload is not None and upload.offset == 400
        _append(storage, bundle_id, 400, data[400:])
        assert storage.data_sha256(bundle_id).hex() == bundle_id

    def test_uncommitted_bytes_never_count(self, storage: RelayStorage) -> None:
        data = os.urandom(1000)
        bundle_id = _new(storage, data)
        app = storage.begin_append(bundle_id, 0, 2000)
        app.write(b"left behind by a crash")  # never committed nor aborted
        upload = storage.get_upload(bundle_id)
        assert upload is not None and upload.offset == 0
        assert _append(storage, bundle_id, 0, data) == 1000
        assert storage.data_sha256(bundle_id).hex() == bundle_id

    def test_reset_delete_and_expire(self, storage: RelayStorage) -> None:
        data = os.urandom(100)
        bundle_id = _new(storage, data)
        _append(storage, bundle_id, 0, data[:50])
        storage.reset_upload(bundle_id)
        assert storage.get_upload(bundle_id).offset == 0  # type: ignore[union-attr]
        assert storage.count_incomplete(DEV) == 1
        storage.delete_upload(bundle_id)
        assert storage.get_upload(bundle_id) is None
        other = _new(storage, os.urandom(10), sequence=2)
        assert storage.expire_uploads(999) == 0
        assert storage.expire_uploads(1001) == 1
        assert storage.get_upload(other) is None

    def test_nonces(self, storage: RelayStorage) -> None:
        assert storage.remember_nonce(DEV, "n" * 20, 50, 10)
        assert not storage.remember_nonce(DEV, "n" * 20, 50, 20)
        assert storage.remember_nonce("fedcba9876543210", "n" * 20, 50, 20)
        assert storage.remember_nonce(DEV, "n" * 20, 90, 60)  # expired, so forgotten

    def test_device_list_serial_only_increases(self, storage: RelayStorage) -> None:
        assert storage.device_list() is None
        storage.put_device_list(2, b"two")
        with pytest.raises(StaleSerial):
            storage.put_device_list(2, b"again")
        with pytest.raises(StaleSerial):
            storage.put_device_list(1, b"older")
        storage.put_device_list(3, b"three")
        assert storage.device_list() == b"three"

    def test_documents_per_device_since_cursor(self, storage: RelayStorage) -> None:
        a = storage.add_document(device_id=DEV, kind="ack", body=b"1", signature="s", now=1)
        storage.add_document(
            device_id="fedcba9876543210", kind="ack", body=b"2", signature="s", now=2
        )
        b = storage.add_document(device_id=DEV, kind="gap", body=b"3", signature="s", now=3)
        docs = storage.list_documents(DEV, 0, 10)
        assert [(d.cursor, d.kind, d.body) for d in docs] == [(a, "ack", b"1"), (b, "gap", b"3")]
        assert [d.cursor for d in storage.list_documents(DEV, a, 10)] == [b]
