"""The encrypted blob store: round trip, random names, tamper and truncation detection."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpfield.crypto.stream import CHUNK_SIZE
from kpfield.errors import CryptoError, IntegrityError
from kpfield.vault.blobs import BlobStore


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    s = BlobStore(tmp_path / "blobs")
    s.ensure()
    return s


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE])
def test_round_trip(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    b = store.put_stream(io.BytesIO(data))
    assert store.get(b.name, b.key) == data
    assert b.plain_size == size
    on_disk = store.path(b.name).read_bytes()
    if size >= 16:
        assert data[:16] not in on_disk


def test_names_are_random_not_content_hashes(store: BlobStore) -> None:
    a = store.put(b"same")
    b = store.put(b"same")
    assert a.name != b.name
    assert a.sha256 not in (a.name, b.name)
    assert store.path(a.name).read_bytes() != store.path(b.name).read_bytes()


def test_bit_flip_is_detected(store: BlobStore) -> None:
    b = store.put(os.urandom(CHUNK_SIZE * 2 + 5))
    p = store.path(b.name)
    raw = bytearray(p.read_bytes())
    raw[CHUNK_SIZE + 40] ^= 0x04
    p.write_bytes(bytes(raw))
    with pytest.raises(CryptoError, match="altered"):
        store.get(b.name, b.key)


@pytest.mark.parametrize("cut", [1, 17, 1000])
def test_truncation_is_detected(store: BlobStore, cut: int) -> None:
    b = store.put(os.urandom(CHUNK_SIZE * 2))
    p = store.path(b.name)
    p.write_bytes(p.read_bytes()[:-cut])
    with pytest.raises(CryptoError):
        store.get(b.name, b.key)


def test_truncation_at_chunk_boundary_is_detected(store: BlobStore) -> None:
    b = store.put(os.urandom(CHUNK_SIZE * 3))
    p = store.path(b.name)
    p.write_bytes(p.read_bytes()[: (CHUNK_SIZE + 16) * 2])
    with pytest.raises(CryptoError, match="truncated"):
        store.get(b.name, b.key)


def test_missing_blob(store: BlobStore) -> None:
    b = store.put(b"x")
    store.delete(b.name)
    with pytest.raises(IntegrityError, match="missing"):
        store.get(b.name, b.key)


def test_sweep_removes_unreferenced_and_temp(store: BlobStore) -> None:
    keep = store.put(b"keep")
    drop = store.put(b"drop")
    tmp = store.path(keep.name).with_name(".deadbeef.tmp")
    tmp.write_bytes(b"partial")
    assert store.sweep({keep.name}) == 2
    assert store.names_on_disk() == {keep.name}
    assert not tmp.exists()
    del drop


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=3000), flip=st.integers(min_value=0, max_value=10_000))
def test_any_single_bit_flip_fails(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, flip: int
) -> None:
    store = BlobStore(tmp_path_factory.mktemp("b"))
    b = store.put(data)
    p = store.path(b.name)
    raw = bytearray(p.read_bytes())
    raw[flip % len(raw)] ^= 1 << (flip % 8)
    p.write_bytes(bytes(raw))
    with pytest.raises(CryptoError):
        store.get(b.name, b.key)
