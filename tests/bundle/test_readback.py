"""The USB read-back reads the medium, not the page cache, and hashes every byte."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
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
