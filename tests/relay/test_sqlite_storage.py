"""The embedded SQLite + directory backend against the storage contract, plus its own layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.relay.sqlite_store import SqliteStorage
from tests.relay.storage_contract import StorageContract, _append, _new


class TestSqliteStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteStorage]:
        store = SqliteStorage(tmp_path / "store")
        yield store
        store.close()


def test_reopen_keeps_offsets_and_cuts_unacknowledged_tail(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path)
    data = bytes(range(256)) * 8
    bundle_id = _new(store, data)
    _append(store, bundle_id, 0, data[:1000])
    with open(store.part_path(bundle_id), "ab") as f:
        f.write(b"tail of a PATCH cut by a crash")
    store.close()
    store = SqliteStorage(tmp_path)
    assert store.get_upload(bundle_id).offset == 1000  # type: ignore[union-attr]
    _append(store, bundle_id, 1000, data[1000:])
    assert store.data_sha256(bundle_id).hex() == bundle_id
    store.complete(bundle_id, b"r", 1)
    assert store.bundle_path(bundle_id).read_bytes() == data
    assert not store.part_path(bundle_id).exists()
    store.close()
