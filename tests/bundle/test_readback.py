"""The USB read-back reads the medium, not the page cache, and hashes every byte."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kpfield.bundle import readback
from kpfield.bundle.usb import sha256_from_medium


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        4095,
        4096,
        readback.READ_SIZE,
        3 * readback.READ_SIZE + 17,
        (readback.AHEAD + 2) * readback.READ_SIZE,  # every buffer used more than once
        (2 * readback.AHEAD + 3) * readback.READ_SIZE - 4096,
    ],
)
def test_uncached_digest_matches_every_size(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    digest, method = readback.sha256_uncached(path)
    assert digest == hashlib.sha256(data).hexdigest()
    assert method in {"O_DIRECT", "posix_fadvise(DONTNEED)", "plain read"}
    assert sha256_from_medium(path) == digest


def test_falls_back_when_the_filesystem_refuses_direct_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_path: Path) -> str:
        raise readback._DirectRefused

    monkeypatch.setattr(readback, "_sha256_direct", refuse)
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10_000)
    digest, method = readback.sha256_uncached(path)
    assert digest == hashlib.sha256(b"x" * 10_000).hexdigest()
    assert method != "O_DIRECT"


@pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="O_DIRECT is Linux's way")
def test_direct_reads_leave_nothing_in_the_page_cache(tmp_path: Path) -> None:
    """Pages a read fills would be resident afterwards; O_DIRECT reads fill none."""
    if shutil.which("fincore") is None:
        pytest.skip("fincore (util-linux) is not installed")
    path = tmp_path / "f"
    with open(path, "wb") as fh:
        fh.write(os.urandom(4 * readback.READ_SIZE))
        fh.flush()
        os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    _, method = readback.sha256_uncached(path)
    if method != "O_DIRECT":
        pytest.skip(f"this filesystem refuses O_DIRECT ({method} used)")

    def resident_pages() -> int:
        out = subprocess.run(
            ["fincore", "--bytes", "--noheadings", "--output", "PAGES", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(out.split()[0])

    assert resident_pages() == 0
    with open(path, "rb") as fh:  # a cached read, for contrast: the check can see pages
        fh.read()
    assert resident_pages() > 0


@pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="O_DIRECT is Linux's way")
@pytest.mark.parametrize(
    "size",
    [0, 1, readback.READ_SIZE - 1, readback.READ_SIZE, 5 * readback.READ_SIZE + 4097],
)
def test_the_following_read_back_hashes_what_the_medium_holds(tmp_path: Path, size: int) -> None:
    """Written through SyncingWriter in uneven pieces, fsynced every 2 MiB: the follower's
    digest is the file's, whatever the size and however the pieces fall."""
    path = tmp_path / "f"
    data = os.urandom(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    follower = _follower(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = readback.SyncingWriter(fh, follower, segment=2 * readback.READ_SIZE)
            pos = 0
            while pos < size:
                step = min(size - pos, 300_001)
                writer.write(data[pos : pos + step])
                pos += step
            writer.close()
            fh.flush()
            os.fsync(fh.fileno())
        assert follower.finish() == hashlib.sha256(data).hexdigest()
    finally:
        follower.close()


@pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="O_DIRECT is Linux's way")
def test_the_follower_reads_durable_parts_while_the_rest_is_written(tmp_path: Path) -> None:
    """Each synced segment is read back before the file is finished (that is the overlap)."""
    path = tmp_path / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    follower = _follower(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = readback.SyncingWriter(fh, follower, segment=readback.READ_SIZE)
            writer.write(os.urandom(3 * readback.READ_SIZE))  # one write: fsync, follower told
            deadline = time.monotonic() + 30
            while follower._offset < 3 * readback.READ_SIZE and time.monotonic() < deadline:
                time.sleep(0.01)
            assert follower._offset == 3 * readback.READ_SIZE  # read before the file is done
            writer.write(b"tail")
            writer.close()
            fh.flush()
            os.fsync(fh.fileno())
        assert follower.finish() == hashlib.sha256(path.read_bytes()).hexdigest()
    finally:
        follower.close()


def test_a_follower_closed_without_finishing_stops(tmp_path: Path) -> None:
    """An export that fails half-way closes the follower: its thread ends, its file is closed."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    follower = _follower(path)
    follower.durable(5)
    follower.close()
    assert not follower._thread.is_alive()


def _follower(path: Path) -> readback.FollowingReadBack:
    follower = readback.FollowingReadBack.start(path)
    if follower is None:
        if os.environ.get("CI"):  # CI's temporary folder is on ext4: O_DIRECT must work there
            pytest.fail("O_DIRECT was refused in the temporary folder")
        pytest.skip("this filesystem refuses O_DIRECT")
    return follower


@pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="O_DIRECT is Linux's way")
def test_a_follower_closed_without_finishing_reads_no_more(tmp_path: Path) -> None:
    """Closing a follower (the export failed or was cancelled) does not read the rest of the
    file first: that would make the stick write out up to a segment of a bundle being thrown
    away, and read it back, before the cancel returns."""
    path = tmp_path / "f"
    path.write_bytes(os.urandom(8 * readback.READ_SIZE))
    follower = _follower(path)
    follower.close()
    assert follower._offset == 0
    assert not follower._thread.is_alive()
