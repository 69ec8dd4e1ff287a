"""USB writes: full or read-only media and bad read-backs give clear errors, mark nothing exported."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle import usb
from kpfield.domain.models import ReportStatus
from kpfield.errors import BundleError
from kpfield.services.export import ExportService
from tests.bundle.world import seal_report, stick


def assert_nothing_exported(s: Session, rid: str, folder: Path) -> None:
    assert s.reports.get(rid).status is ReportStatus.SEALED
    assert s.vault.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0
    assert s.vault.meta("bundle_sequence", "0") == "0"
    events = [e.event for e in s.reports.custody_trail(rid)]
    assert "exported" not in events
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EROFS, "read-only"), (errno.EACCES, "read-only"), (errno.ENOSPC, "full")],
)
def test_cannot_create_file(  # noqa: PLR0917 - fixtures and parameters
    tmp_path: Path,
    field_s: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    words: str,
) -> None:
    rid = seal_report(field_s, example_doc, photos=1)
    folder = stick(tmp_path)
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if flags & os.O_CREAT and Path(path).parent == folder:
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(usb.os, "open", refuse)
    with pytest.raises(BundleError, match=words) as info:
        field_s.field().export.to_folder(folder)
    assert "Nothing was marked as exported" in info.value.message
    monkeypatch.undo()
    assert_nothing_exported(field_s, rid, folder)


def test_medium_fills_up_mid_write(
    tmp_path: Path, field_s: Session, example_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = seal_report(field_s, example_doc, photos=2)
    folder = stick(tmp_path)
    real_fdopen = os.fdopen

    class Filling:
        def __init__(self, fh: Any) -> None:
            self.fh = fh
            self.written = 0

        def write(self, data: bytes) -> int:
            self.written += len(data)
            if self.written > 20_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return int(self.fh.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

        def __enter__(self) -> Filling:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.fh.close()

    monkeypatch.setattr(usb.os, "fdopen", lambda fd, mode: Filling(real_fdopen(fd, mode)))
    with pytest.raises(BundleError, match="full"):
        field_s.field().export.to_folder(folder)
    monkeypatch.undo()
    assert_nothing_exported(field_s, rid, folder)


def test_bad_read_back(
    tmp_path: Path, field_s: Session, example_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The medium holds other bytes than were written (a failing stick): one byte is changed
    in the file behind the writer's back before it is synced; the read-back from the medium
    (following the writer on Linux, after it elsewhere) sees it and nothing is exported."""
    rid = seal_report(field_s, example_doc, photos=1)
    folder = stick(tmp_path)
    real_fdopen = os.fdopen

    class Failing:
        def __init__(self, fh: Any) -> None:
            self.fh = fh
            self.changed = False

        def flush(self) -> None:
            self.fh.flush()
            fd = self.fh.fileno()
            if not self.changed and os.fstat(fd).st_size > 100:
                self.changed = True  # once: the bytes at offset 100 are not what was written
                other = os.open(f"/proc/self/fd/{fd}", os.O_RDWR)
                try:
                    byte = os.pread(other, 1, 100)
                    os.pwrite(other, bytes([byte[0] ^ 0x01]), 100)
                finally:
                    os.close(other)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.fh.close()

    monkeypatch.setattr(usb.os, "fdopen", lambda fd, mode: Failing(real_fdopen(fd, mode)))
    with pytest.raises(BundleError, match="does not read back"):
        field_s.field().export.to_folder(folder)
    monkeypatch.undo()
    assert_nothing_exported(field_s, rid, folder)


def test_missing_folder(tmp_path: Path, field_s: Session, example_doc: dict[str, Any]) -> None:
    from kpfield.errors import UsageError

    seal_report(field_s, example_doc, photos=0)
    with pytest.raises(UsageError, match="does not exist"):
        field_s.field().export.to_folder(tmp_path / "unplugged")


def test_scan_skips_hidden_and_non_age_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(usb.AGE_MAGIC + b"x")
    (tmp_path / ".tmp").write_bytes(usb.AGE_MAGIC + b"x")
    (tmp_path / "notes.txt").write_bytes(b"hello")
    deep = tmp_path / "d1" / "d2"
    deep.mkdir(parents=True)
    (deep / "b").write_bytes(usb.AGE_MAGIC)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    found = [p.relative_to(tmp_path).as_posix() for p, _ in usb.scan([tmp_path])]
    assert found == ["a", "d1/d2/b"]


def test_failed_commit_removes_the_bundle_from_the_stick(
    tmp_path: Path, field_s: Session, example_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written and verified on the stick, then the laptop cannot record it (e.g. its disk is
    full): the bundle must not stay behind, or HQ would take it and refuse the retry."""
    rid = seal_report(field_s, example_doc, photos=1)
    folder = stick(tmp_path)

    def disk_full(*_a: Any, **_k: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ExportService, "_record", disk_full)
    with pytest.raises(BundleError, match="could not be recorded"):
        field_s.field().export.to_folder(folder)
    monkeypatch.undo()
    assert_nothing_exported(field_s, rid, folder)
    field_s.field().export.to_folder(folder)  # the retry then succeeds with the same number
    assert len(list(folder.iterdir())) == 1


def test_scan_says_when_a_folder_has_too_many_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usb, "MAX_SCAN_FILES", 5)
    for i in range(6):
        (tmp_path / f"junk{i}").write_bytes(b"x")
    with pytest.raises(BundleError, match="more than 5 files"):
        list(usb.scan([tmp_path]))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_a_follower_that_cannot_start_leaves_no_open_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-back follower failing to start (no memory for its buffer, no thread) gives a
    clear error and leaves no descriptor open on the deleted temp file: one would keep the
    stick busy, so that it could not be ejected."""
    from kpfield.bundle import readback

    folder = stick(tmp_path)

    def no_memory(self: readback.FollowingReadBack, fd: int) -> None:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(readback.FollowingReadBack, "__init__", no_memory)
    with pytest.raises(BundleError, match="Cannot allocate memory"):
        usb.write_hidden(folder, lambda fh: fh.write(b"x"), verify_sha256=lambda _r: "")
    open_here = []
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            open_here.append(os.readlink(f"/proc/self/fd/{name}"))
    assert [p for p in open_here if p.startswith(str(folder))] == []
    assert list(folder.iterdir()) == []


def test_an_unreadable_vault_file_is_not_blamed_on_the_stick(
    tmp_path: Path, field_s: Session, example_doc: dict[str, Any]
) -> None:
    """A photo's encrypted file in the laptop's vault cannot be read (here: a folder stands in
    its place): the export stops, says it is this laptop's vault, and the stick stays empty."""
    from kpfield.errors import VaultError

    rid = seal_report(field_s, example_doc, photos=1)
    folder = stick(tmp_path)
    [name] = [r[0] for r in field_s.vault.conn.execute("SELECT blob_name FROM attachments")]
    blob = field_s.vault.blobs.path(name)
    saved = blob.read_bytes()
    blob.unlink()
    blob.mkdir()
    try:
        with pytest.raises(VaultError, match="this laptop's vault"):
            field_s.field().export.to_folder(folder)
    finally:
        blob.rmdir()
        blob.write_bytes(saved)
    assert_nothing_exported(field_s, rid, folder)
