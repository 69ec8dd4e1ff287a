"""Real full and read-only media: small tmpfs mounts stand in for a USB stick.

As root (CI runs as root) a tmpfs can be mounted read-only or tiny; otherwise a folder without
write permission is a real read-only medium for a normal user. Only if neither is possible is the
test skipped, and under CI=true that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.errors import BundleError
from tests.bundle.test_usb import assert_nothing_exported
from tests.bundle.world import seal_report


def _mount(target: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    return r.returncode == 0


@contextlib.contextmanager
def medium(tmp_path: Path, *, read_only: bool = False, size_kib: int = 4096) -> Iterator[Path]:
    target = tmp_path / "stick"
    target.mkdir()
    options = f"size={size_kib}k,mode=0700" + (",ro" if read_only else "")
    if _mount(target, options):
        try:
            yield target
        finally:
            subprocess.run(["umount", str(target)], check=False)
        return
    if read_only and os.geteuid() != 0:
        target.chmod(0o500)
        try:
            yield target
        finally:
            target.chmod(0o700)
        return
    reason = "cannot make a real small or read-only medium here (needs root to mount tmpfs)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def test_read_only_medium(tmp_path: Path, field_s: Session, example_doc: dict[str, Any]) -> None:
    rid = seal_report(field_s, example_doc, photos=1)
    with medium(tmp_path, read_only=True) as folder:
        with pytest.raises(BundleError, match="read-only"):
            field_s.field().export.to_folder(folder)
        assert_nothing_exported(field_s, rid, folder)


def test_full_medium(tmp_path: Path, field_s: Session, example_doc: dict[str, Any]) -> None:
    rid = seal_report(field_s, example_doc, photos=2)
    with medium(tmp_path, size_kib=16) as folder:
        with pytest.raises(BundleError, match="full"):
            field_s.field().export.to_folder(folder)
        assert_nothing_exported(field_s, rid, folder)
    # The same export succeeds on a medium with room, and the report is then marked exported.
    big = tmp_path / "big"
    big.mkdir()
    field_s.field().export.to_folder(big)
    assert field_s.reports.get(rid).status.value == "exported"
