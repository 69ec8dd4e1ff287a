"""A blob file that cannot be deleted after the commit (a scanner holding it on Windows, say)
must neither undo the import nor cost the blobs the committed rows name (review of issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.hq import intake
from kpfield.vault.blobs import BlobStore
from tests.bundle.world import export, hq_counts, seal_report, stick


def test_a_failed_delete_after_the_commit_keeps_the_imported_blobs(
    tmp_path: Path,
    hq: Session,
    field_s: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seal_report(field_s, example_doc, photos=1, seed=1)
    first = export(field_s, stick(tmp_path, "a"))
    assert hq.hq().intake.import_paths(first).imported == 1
    new = seal_report(field_s, example_doc, photos=1, seed=2)
    again = field_s.field().export.to_folder(stick(tmp_path, "b"), again=True)
    # The second bundle carries the report HQ holds (its photo is dropped after the commit)
    # and a new one (its photo is kept).
    real_delete = BlobStore.delete

    calls: list[str] = []

    def locked_once(self: BlobStore, name: str) -> None:
        calls.append(name)
        if len(calls) == 1:
            raise PermissionError(13, "The process cannot access the file")
        real_delete(self, name)

    monkeypatch.setattr(BlobStore, "delete", locked_once)
    result = hq.hq().intake.import_paths([b.path for b in again.bundles])
    monkeypatch.setattr(BlobStore, "delete", real_delete)
    assert calls  # the held report's photo was to be dropped
    assert hq_counts(hq)["hq_reports"] == 2
    for a in field_s.reports.attachments(new):
        assert b"".join(intake.original_bytes(hq.vault, a.id)) == field_s.reports.original_bytes(
            a.id
        )
    assert [o.status for o in result.outcomes] == [intake.IMPORTED]
    assert result.outcomes[0].new_reports == 1
