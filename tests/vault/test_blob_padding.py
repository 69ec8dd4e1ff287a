"""Item 8 of issue 9: blob files no longer give away their photos' exact sizes.

Before, an encrypted file's size was a function of the exact plaintext size, so whoever holds a
copy of a photo could predict its blob's size and find it (in a test vault, one match each).
Now files are padded to Padmé buckets; old unpadded files stay readable.
"""

from __future__ import annotations

import collections
import io
import os
import random
import statistics
from pathlib import Path

import pytest

from kpfield.crypto import stream
from kpfield.errors import KpfieldError
from kpfield.vault.blobs import HEADER_SIZE, MAGIC, BlobStore, padded_file_size, padme


def corpus(seed: int, n: int = 300) -> list[int]:
    """Photo sizes spread like a monitor's: 30 KiB thumbnails-ish up to 8 MiB camera files."""
    rnd = random.Random(seed)
    return [int(2 ** rnd.uniform(15, 23)) for _ in range(n)]


def test_size_distribution_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    sizes = corpus(9)
    before = collections.Counter(stream.encrypted_size(n) for n in sizes)
    after = collections.Counter(padded_file_size(n) for n in sizes)
    sets_before = [before[stream.encrypted_size(n)] for n in sizes]
    sets_after = [after[padded_file_size(n)] for n in sizes]
    with capsys.disabled():
        print(
            f"\n{len(sizes)} photos: distinct file sizes {len(before)} before, {len(after)} after;"
            f" files sharing a photo's predicted size: median {statistics.median(sets_before)}"
            f" before, {statistics.median(sets_after)} after (max {max(sets_after)});"
            f" worst overhead {max(padme(n) / n for n in sizes) - 1:.1%}"
        )
    assert len(before) == len(sizes), "unpadded: every photo's size is unique (the attack)"
    assert statistics.median(sets_before) == 1
    assert len(after) < 0.6 * len(sizes)
    assert statistics.median(sets_after) >= 2
    assert all(padme(n) <= n * 1.12 + 4096 for n in sizes)


def test_files_on_disk_have_the_bucket_size_not_the_photo_size(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    store.ensure()
    base = 1_000_000
    bucket = padme(base)
    same_bucket = [bucket, bucket - 100, bucket - 10_000]  # buckets are 16 KiB wide here
    assert all(padme(n) == bucket for n in same_bucket)
    on_disk = set()
    for n in same_bucket:
        data = os.urandom(n)
        blob = store.put(data)
        assert store.get(blob.name, blob.key) == data
        assert blob.plain_size == n
        on_disk.add(store.path(blob.name).stat().st_size)
    assert on_disk == {padded_file_size(bucket)}, "three photo sizes, one file size"
    tiny = store.put(b"x")
    assert store.path(tiny.name).stat().st_size == padded_file_size(1)
    assert store.get(tiny.name, tiny.key) == b"x"
    empty = store.put(b"")
    assert store.get(empty.name, empty.key) == b""


def test_unpadded_blobs_from_before_stay_readable(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    store.ensure()
    key = os.urandom(32)
    name = "ab" * 16
    path = store.path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    for data in (b"", b"old photo", os.urandom(stream.CHUNK_SIZE * 2 + 7)):
        with open(path, "wb") as fh:
            stream.encrypt_stream(key, io.BytesIO(data), fh)
        assert store.get(name, key) == data
        assert store.sha256_of(name, key)


@pytest.mark.parametrize("where", ["magic", "length", "body", "truncate", "extend"])
def test_altered_padded_blob_is_refused(tmp_path: Path, where: str) -> None:
    store = BlobStore(tmp_path / "blobs")
    store.ensure()
    blob = store.put(os.urandom(70_000))
    path = store.path(blob.name)
    raw = bytearray(path.read_bytes())
    assert raw.startswith(MAGIC)
    if where == "magic":
        raw[0] ^= 1
    elif where == "length":
        raw[len(MAGIC) + 3] ^= 1
    elif where == "body":
        raw[HEADER_SIZE + 10] ^= 1
    elif where == "truncate":
        raw = raw[: -stream.ENCRYPTED_CHUNK_SIZE]
    else:
        raw += os.urandom(100)
    path.write_bytes(bytes(raw))
    with pytest.raises(KpfieldError):
        store.get(blob.name, blob.key)
