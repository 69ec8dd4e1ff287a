"""The PostgreSQL + S3 backend (real PostgreSQL, real SeaweedFS) against the storage contract, plus
what only a distributed store has: parts and tails, two nodes racing, objects the store lost."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections.abc import Iterator

import pytest

from kpfield.relay.objects import MIN_PART_BYTES, ObjectStore, ObjectsUrl
from kpfield.relay.pg_store import BundleBytesMissing, PgS3Storage
from kpfield.relay.storage import OffsetMismatch
from tests.relay.servers import Postgres, Seaweed
from tests.relay.storage_contract import StorageContract, _append, _new

BUCKET = "kpfield-storage-tests"
_names = itertools.count()


def fresh_storage(postgres: Postgres, seaweed: Seaweed) -> PgS3Storage:
    """An empty backend: a new database and a new key prefix in the shared bucket."""
    name = f"contract_{os.getpid()}_{next(_names)}"
    objects = ObjectStore(ObjectsUrl.parse(seaweed.objects_url(BUCKET, name)))
    objects.ensure_bucket()
    return PgS3Storage(postgres.create_database(name), objects, pool_size=4)


class TestPgS3Storage(StorageContract):
    @pytest.fixture
    def storage(self, postgres: Postgres, seaweed: Seaweed) -> Iterator[PgS3Storage]:
        store = fresh_storage(postgres, seaweed)
        yield store
        store.close()


@pytest.fixture
def two_nodes(postgres: Postgres, seaweed: Seaweed) -> Iterator[tuple[PgS3Storage, PgS3Storage]]:
    """Two stores over one database and one prefix, as two relay nodes hold them."""
    first = fresh_storage(postgres, seaweed)
    second = PgS3Storage(first.pool.conninfo, ObjectStore(first.objects.url), pool_size=4)
    yield first, second
    first.close()
    second.close()


def _parts(store: PgS3Storage, bundle_id: str) -> list[tuple[int, int]]:
    with store.pool.connection() as conn:
        rows = conn.execute(
            "SELECT part_number, size FROM parts WHERE bundle_id = %s ORDER BY part_number",
            (bundle_id,),
        ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def _tail_bytes(store: PgS3Storage, bundle_id: str) -> int:
    with store.pool.connection() as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(length(data)), 0) FROM tails WHERE bundle_id = %s", (bundle_id,)
        ).fetchone()
    return int(row[0]) if row else -1


def test_small_patches_become_5_mib_parts_across_nodes(
    two_nodes: tuple[PgS3Storage, PgS3Storage],
) -> None:
    a, b = two_nodes
    data = os.urandom(2 * MIN_PART_BYTES + 300_000)
    bundle_id = _new(a, data)
    offset, step = 0, 1_500_000  # PATCHes below the part minimum, alternating nodes
    for i, start in enumerate(range(0, len(data), step)):
        node = (a, b)[i % 2]
        offset = _append(node, bundle_id, offset, data[start : start + step])
        parts = _parts(node, bundle_id)
        assert all(size == MIN_PART_BYTES for _, size in parts)
        assert len(parts) * MIN_PART_BYTES + _tail_bytes(node, bundle_id) == offset
    assert offset == len(data)
    assert len(_parts(a, bundle_id)) == 2 and _tail_bytes(a, bundle_id) == 300_000
    assert b.data_sha256(bundle_id).hex() == bundle_id
    assert a.data_sha256(bundle_id).hex() == bundle_id  # assembled once, read by either node
    done = a.complete(bundle_id, b"receipt", 5)
    assert done.complete and b"".join(b.read_bundle(bundle_id)) == data
    assert _tail_bytes(a, bundle_id) == 0


def test_concurrent_appends_from_two_nodes_one_wins(
    two_nodes: tuple[PgS3Storage, PgS3Storage],
) -> None:
    a, b = two_nodes
    data = os.urandom(MIN_PART_BYTES + 1_000_000)
    bundle_id = _new(a, data)
    first, second = a.begin_append(bundle_id, 0, 9), b.begin_append(bundle_id, 0, 9)
    results: dict[str, object] = {}

    def run(name: str, appender: object, chunk: bytes) -> None:
        try:
            appender.write(chunk)  # type: ignore[attr-defined]
            results[name] = appender.commit()  # type: ignore[attr-defined]
        except OffsetMismatch as exc:
            results[name] = exc

    # Both send a full part (different bytes) at once; exactly one commit may count.
    threads = [
        threading.Thread(target=run, args=("a", first, data)),
        threading.Thread(target=run, args=("b", second, os.urandom(len(data)))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [n for n, r in results.items() if isinstance(r, int)]
    lost = [r for r in results.values() if isinstance(r, OffsetMismatch)]
    # The loser learns the winner's offset, or 0 when the newer append's lease stopped it
    # before the winner committed; never an offset past durable bytes.
    assert len(won) == 1 and len(lost) == 1 and lost[0].offset in (0, len(data))
    assert len(_parts(a, bundle_id)) == 1
    expected = data if won == ["a"] else None
    digest = a.data_sha256(bundle_id)
    if expected is not None:
        assert digest.hex() == bundle_id
    else:  # the random body won: the hash check must catch it and the reset must clean up
        assert digest.hex() != bundle_id
        a.reset_upload(bundle_id)
        assert _append(b, bundle_id, 0, data) == len(data)
        assert b.data_sha256(bundle_id).hex() == bundle_id
    a.complete(bundle_id, b"r", 1)
    assert b"".join(a.read_bundle(bundle_id)) == data


def test_a_stale_appender_cannot_commit_after_a_reset(
    two_nodes: tuple[PgS3Storage, PgS3Storage],
) -> None:
    a, b = two_nodes
    data = os.urandom(1000)
    bundle_id = _new(a, data)
    stale = a.begin_append(bundle_id, 0, 9)
    b.reset_upload(bundle_id)  # e.g. a failed whole-bundle hash on the other node
    stale.write(data)
    with pytest.raises(OffsetMismatch):
        stale.commit()
    assert b.get_upload(bundle_id).offset == 0  # type: ignore[union-attr]


def test_a_lost_object_is_never_complete(
    two_nodes: tuple[PgS3Storage, PgS3Storage], seaweed: Seaweed
) -> None:
    a, b = two_nodes
    data = os.urandom(MIN_PART_BYTES + 10)
    bundle_id = _new(a, data)
    _append(a, bundle_id, 0, data)
    assert a.data_sha256(bundle_id).hex() == bundle_id
    a.objects.delete(bundle_id)  # the object store loses it between hash and completion
    with pytest.raises(BundleBytesMissing):
        b.complete(bundle_id, b"r", 1)
    upload = a.get_upload(bundle_id)
    assert upload is not None and not upload.complete and upload.offset == 0
    assert a.list_completed(0, 10) == []
    _append(b, bundle_id, 0, data)  # the device sends it again
    assert b.data_sha256(bundle_id).hex() == bundle_id
    assert a.complete(bundle_id, b"r", 2).complete


def test_a_shared_nonce_is_refused_on_the_other_node(
    two_nodes: tuple[PgS3Storage, PgS3Storage],
) -> None:
    a, b = two_nodes
    nonce = hashlib.sha256(b"n").hexdigest()[:22]
    assert a.remember_nonce("0123456789abcdef", nonce, 100, 1)
    assert not b.remember_nonce("0123456789abcdef", nonce, 100, 2)
