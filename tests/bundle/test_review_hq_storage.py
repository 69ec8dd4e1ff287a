"""HQ's own storage failing during an import (its disk full, its vault unwritable) is said to
be HQ's problem, not the bundle's: the analyst must not set a good bundle aside as unreadable
or malformed (review of issue 12). Nothing is half-stored either way."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from kpfield.app import Session
from kpfield.hq import intake
from kpfield.vault import blobs
from kpfield.vault.hq_store import HqStore
from tests.bundle.world import EMPTY, export, hq_counts, seal_report, stick


@pytest.fixture
def bundle(tmp_path: Path, field_s: Session, example_doc: dict[str, Any]) -> list[Path]:
    seal_report(field_s, example_doc, photos=2)
    return export(field_s, stick(tmp_path))


def _assert_hq_side(hq: Session, outcome: intake.BundleOutcome, reason: str) -> None:
    assert outcome.status == intake.REJECTED
    line = outcome.line()
    assert "HQ could not store it" in line and reason in line
    assert "cannot be read" not in line and "malformed" not in line
    assert hq_counts(hq) == EMPTY


def test_hq_disk_full_while_storing_a_photo(
    hq: Session, bundle: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: blobs.BlobStore, src: Any, **_kw: Any) -> blobs.StoredBlob:
        src.read(1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs.BlobStore, "put_stream", full)
    result = hq.hq().intake.import_paths(bundle)
    monkeypatch.undo()
    _assert_hq_side(hq, result.outcomes[0], "No space left on device")
    assert hq.hq().intake.import_paths(bundle).imported == 1  # once there is room again


def test_hq_database_full_at_the_commit(
    hq: Session, bundle: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: HqStore, row: Any) -> None:
        raise sqlcipher3.OperationalError("database or disk is full")

    monkeypatch.setattr(HqStore, "add_bundle", full)
    result = hq.hq().intake.import_paths(bundle)
    monkeypatch.undo()
    _assert_hq_side(hq, result.outcomes[0], "database or disk is full")
    assert hq.hq().intake.import_paths(bundle).imported == 1


def test_hq_database_really_full(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    """A real SQLITE_FULL (the vault may not grow): SQLite rolls the transaction back itself,
    and the reason shown is the full database, not the failed second ROLLBACK that hid it."""
    for i in range(4):
        seal_report(field_s, example_doc, photos=1, seed=i)
    bundle = export(field_s, stick(tmp_path, "many"))
    conn = hq.vault.conn
    conn.execute("VACUUM")  # no free pages left to fill
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}").fetchone()
    result = hq.hq().intake.import_paths(bundle)
    conn.execute("PRAGMA max_page_count = 1073741823").fetchone()
    _assert_hq_side(hq, result.outcomes[0], "database or disk is full")
    assert not conn.in_transaction
    assert hq.hq().intake.import_paths(bundle).imported == 1
