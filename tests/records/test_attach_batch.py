"""Issue 12: ``attach_files`` stages photos in worker threads and commits them in order.

Workers read, decode, encrypt, write and fsync each photo and its thumbnail; the calling thread
refuses duplicates and commits. Every check reads the vault: rows, blob files on disk, temporary
files, and the bytes stored.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session, open_session
from kpfield.errors import Cancelled, DuplicateAttachment, MediaError, StateError, VaultLocked
from kpfield.services import attachments
from kpfield.services.attachments import Staged, prepare_attachment, stage_attachment
from kpfield.vault.vault import Vault
from tests.conftest import PASSPHRASE, make_jpeg
from tests.support.photos import noisy_photo

AHEAD = 3
"""Files a test waits to see staged (of six; up to ``ATTACH_IN_FLIGHT`` run ahead) before it
cancels or closes a batch, so that written, uncommitted blobs are really there to delete."""
assert AHEAD <= attachments.ATTACH_IN_FLIGHT


def _referenced(s: Session) -> set[str]:
    return {
        name
        for row in s.vault.conn.execute("SELECT blob_name, thumb_name FROM attachments")
        for name in row
        if name
    }


def _files_on_disk(s: Session) -> set[str]:
    """Every file under blobs/, temporary ones included (by name)."""
    return {p.name for p in s.vault.paths.blobs.rglob("*") if p.is_file()}


def _assert_only_committed_blobs(s: Session) -> None:
    assert _files_on_disk(s) == _referenced(s)


def _photos(folder: Path, sizes: list[tuple[int, int]], seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, (w, h) in enumerate(sizes):
        p = folder / f"IMG_{i:03}.jpg"
        p.write_bytes(make_jpeg(w, h, seed=seed + i) if w < 1000 else noisy_photo(seed + i, w, h))
        out.append(p)
    return out


@pytest.fixture
def spy_staged(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Staged]]:
    """Every file the workers staged: (thread name, staged), appended as each finishes."""
    seen: list[tuple[str, Staged]] = []
    real = attachments.stage_attachment

    def spy(*args: Any, **kwargs: Any) -> Staged:
        staged = real(*args, **kwargs)
        seen.append((threading.current_thread().name, staged))
        return staged

    monkeypatch.setattr(attachments, "stage_attachment", spy)
    return seen


def test_results_keep_the_order_of_the_files(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    spy_staged: list[tuple[str, Staged]],
) -> None:
    seen = spy_staged
    rid = session.reports.create_from_document(example_doc)
    # The first file is much larger, so later ones are staged before it.
    files = _photos(tmp_path / "card", [(1600, 1200), (64, 48), (320, 240), (64, 48), (200, 100)])
    results = list(session.reports.attach_files(rid, files))
    assert [p for p, _ in results] == files
    atts = [r for _, r in results]
    assert all(not isinstance(a, Exception) for a in atts)
    stored = session.reports.attachments(rid)
    assert [a.original_name for a in stored] == [f.name for f in files]
    for f, att in zip(files, stored, strict=True):
        assert att.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
        assert session.reports.original_bytes(att.id) == f.read_bytes()
        assert session.reports.thumbnail_bytes(att.id)
    # Staged in worker threads (never the caller's), in another order than committed.
    assert {name for name, _ in seen} and all(
        name != threading.current_thread().name for name, _ in seen
    )
    _assert_only_committed_blobs(session)


def test_commits_stay_on_the_calling_thread(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[str] = []
    real = type(session.reports)._commit_staged

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(session.reports), "_commit_staged", spy)
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(64, 48)] * 4)
    assert all(not isinstance(r, Exception) for _, r in session.reports.attach_files(rid, files))
    assert threads == [threading.current_thread().name] * 4


def test_a_damaged_photo_in_the_middle_is_reported_and_the_others_attach(
    session: Session, example_doc: dict[str, Any], tmp_path: Path
) -> None:
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(320, 240)] * 5)
    data = files[2].read_bytes()
    files[2].write_bytes(data[: len(data) // 2])  # truncated mid-scan
    results = list(session.reports.attach_files(rid, files))
    assert [p for p, _ in results] == files
    assert isinstance(results[2][1], MediaError)
    good = [r for i, (_, r) in enumerate(results) if i != 2]
    assert all(not isinstance(r, Exception) for r in good)
    assert [a.original_name for a in session.reports.attachments(rid)] == [
        f.name for i, f in enumerate(files) if i != 2
    ]
    _assert_only_committed_blobs(session)


def test_duplicates_within_one_batch_leave_no_blob_behind(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    spy_staged: list[tuple[str, Staged]],
) -> None:
    seen = spy_staged
    rid = session.reports.create_from_document(example_doc)
    a, b = _photos(tmp_path / "card", [(320, 240), (200, 150)])
    copy = tmp_path / "card" / "copy-of-a.jpg"
    copy.write_bytes(a.read_bytes())
    results = [r for _, r in session.reports.attach_files(rid, [a, b, copy, a])]
    assert not isinstance(results[0], Exception)
    assert not isinstance(results[1], Exception)
    for dup in results[2:]:
        assert isinstance(dup, DuplicateAttachment)
        assert dup.same_report
    assert len(session.reports.attachments(rid)) == 2
    # The copies were encrypted and written by workers before the refusal, then deleted.
    assert len(seen) == 4
    _assert_only_committed_blobs(session)


def test_a_photo_refused_at_commit_time_has_its_blobs_deleted(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    spy_staged: list[tuple[str, Staged]],
) -> None:
    seen = spy_staged
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(64, 48)] * 4)
    results = session.reports.attach_files(rid, files)
    first = next(results)
    assert not isinstance(first[1], Exception)
    session.reports.seal(rid)  # between two photos: the rest can no longer be committed
    rest = [r for _, r in results]
    assert len(rest) == 3
    assert all(isinstance(r, StateError) for r in rest)
    assert len(seen) == 4  # they were staged, then refused
    assert len(session.reports.attachments(rid)) == 1
    _assert_only_committed_blobs(session)


def test_cancel_mid_batch_leaves_no_blob_and_no_row(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    spy_staged: list[tuple[str, Staged]],
) -> None:
    seen = spy_staged
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(64, 48)] * 6)
    cancelled = threading.Event()
    results = session.reports.attach_files(rid, files, cancel=cancelled.is_set)
    _path, first = next(results)
    assert not isinstance(first, Exception)
    # Let the workers stage what runs ahead (blobs written, no rows), then cancel.
    while len(seen) < AHEAD:
        threading.Event().wait(0.01)
    cancelled.set()
    with pytest.raises(Cancelled):
        next(results)
    assert [a.id for a in session.reports.attachments(rid)] == [first.id]
    staged_names = {s.blob.name for _, s in seen} | {s.thumb.name for _, s in seen if s.thumb}
    assert len(staged_names) >= 2 * AHEAD
    _assert_only_committed_blobs(session)


def test_cancel_while_a_worker_encrypts_removes_its_partial_blob(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(1600, 1200), (64, 48), (64, 48)])
    mid = threading.Event()
    on_disk_mid: list[str] = []
    real = attachments.stage_attachment

    def held(*args: Any, progress: Any, cancel: Any, **kwargs: Any) -> Staged:
        prepared = args[1]

        def step(n: int) -> None:
            progress(n)
            if prepared.name == files[0].name and not mid.is_set():
                on_disk_mid.extend(_files_on_disk(session))
                mid.set()  # one chunk written: hold the worker here until the batch stops
                while not cancel():
                    threading.Event().wait(0.01)

        return real(*args, progress=step, cancel=cancel, **kwargs)

    monkeypatch.setattr(attachments, "stage_attachment", held)
    with pytest.raises(Cancelled):
        list(session.reports.attach_files(rid, files, cancel=mid.is_set))
    assert any(name.endswith(".tmp") for name in on_disk_mid)  # it was mid-write
    assert session.reports.attachments(rid) == []
    assert _files_on_disk(session) == set()


def test_closing_the_batch_early_deletes_what_runs_ahead(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    spy_staged: list[tuple[str, Staged]],
) -> None:
    seen = spy_staged
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(64, 48)] * 6)
    results = session.reports.attach_files(rid, files)
    _, first = next(results)
    while len(seen) < AHEAD:
        threading.Event().wait(0.01)
    results.close()  # e.g. the caller broke out of its loop
    assert len(session.reports.attachments(rid)) == 1
    _assert_only_committed_blobs(session)


def test_progress_is_reported_on_the_calling_thread_and_never_goes_back(
    session: Session, example_doc: dict[str, Any], tmp_path: Path
) -> None:
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(1600, 1200), (320, 240)])
    calls: list[tuple[str, int, int]] = []
    for _ in session.reports.attach_files(
        rid, files, progress=lambda d, t: calls.append((threading.current_thread().name, d, t))
    ):
        pass
    assert {name for name, _, _ in calls} == {threading.current_thread().name}
    sizes = [f.stat().st_size for f in files]
    per_file = [[(d, t) for _, d, t in calls if t == size] for size in sizes]
    for size, seq in zip(sizes, per_file, strict=True):
        assert seq and seq[-1] == (size, size)
        assert [d for d, _ in seq] == sorted(d for d, _ in seq)


def test_each_photo_is_hashed_once(
    session: Session,
    example_doc: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rid = session.reports.create_from_document(example_doc)
    files = _photos(tmp_path / "card", [(1600, 1200), (640, 480), (320, 240)])
    hashed = [0]
    lock = threading.Lock()
    real = hashlib.sha256

    class Counting:
        def __init__(self, data: bytes = b"") -> None:
            self._h = real()
            self.update(data)

        def update(self, data: bytes) -> None:
            with lock:
                hashed[0] += len(data)
            self._h.update(data)

        def hexdigest(self) -> str:
            return self._h.hexdigest()

    monkeypatch.setattr(hashlib, "sha256", Counting)
    results = [r for _, r in session.reports.attach_files(rid, files)]
    monkeypatch.undo()
    assert all(not isinstance(r, Exception) for r in results)
    thumbs = sum(len(session.reports.thumbnail_bytes(a.id) or b"") for a in results)  # type: ignore[union-attr]
    assert hashed[0] == sum(f.stat().st_size for f in files) + thumbs


def test_attach_bytes_refuses_a_duplicate_before_writing_anything(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    photo = make_jpeg(seed=21)
    session.reports.attach_bytes(rid, photo, "a.jpg")
    before = _files_on_disk(session)
    with pytest.raises(DuplicateAttachment):
        session.reports.attach_bytes(rid, photo, "b.jpg")
    assert _files_on_disk(session) == before


def test_a_staged_blob_survives_while_the_vault_is_open_and_is_swept_after(
    session: Session, vault_dir: Path
) -> None:
    """The orphan sweep runs only when a vault is opened, and a vault attaching photos holds the
    process lock: no second open (this process or another) can sweep its staged blobs."""
    staged = stage_attachment(session.vault.blobs, prepare_attachment(make_jpeg(seed=5), "p.jpg"))
    names = {staged.blob.name, staged.thumb.name if staged.thumb else ""}
    with pytest.raises(VaultLocked):
        Vault.open(vault_dir, PASSPHRASE)
    assert names <= _files_on_disk(session)  # still there, ready to commit
    session.close()
    reopened = open_session(vault_dir, PASSPHRASE)
    try:
        assert not names & _files_on_disk(reopened)  # never committed: swept at open
    finally:
        reopened.close()


def test_a_file_that_grew_after_stat_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.jpg"
    data = make_jpeg(seed=8)
    path.write_bytes(data)
    real = Path.stat

    def stale(self: Path, **kwargs: Any) -> os.stat_result:
        st = real(self, **kwargs)
        if self != path:
            return st
        fields = list(st[:10])
        fields[6] = 100  # st_size as it was before the copy finished
        return os.stat_result(fields)

    monkeypatch.setattr(Path, "stat", stale)
    assert path.stat().st_size == 100
    assert attachments.read_attachment_file(path) == data


def test_attaching_touches_the_draft_and_keeps_it_searchable(
    session: Session, example_doc: dict[str, Any], tmp_path: Path
) -> None:
    rid = session.reports.create_from_document(example_doc)
    before = session.reports.get(rid)
    word = before.title.split()[0]
    assert [r.id for r in session.reports.search(word)] == [rid]
    files = _photos(tmp_path / "card", [(64, 48)] * 2)
    atts = [r for _, r in session.reports.attach_files(rid, files)]
    after = session.reports.get(rid)
    assert after.updated_at == atts[-1].imported_at  # type: ignore[union-attr]
    assert after.updated_at >= before.updated_at
    assert (after.title, after.narrative, after.witness_ids) == (
        before.title,
        before.narrative,
        before.witness_ids,
    )
    assert [r.id for r in session.reports.search(word)] == [rid]
