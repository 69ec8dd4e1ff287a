"""A bundle is recorded as pending before it becomes visible, and settled after a crash.

The kill loop in ``tests/functional/test_export_crash.py`` covers a stick; these cover the sync
outbox (the same guarantee through the same BundleSink interface) and a stick that is gone.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle.sinks import OutboxSink, Presence
from kpfield.hq.intake import IMPORTED
from kpfield.services.export import ExportService
from kpfield.vault.outbox_store import OutboxStore
from tests.bundle.world import seal_report, stick


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, not even the clean-up."""


def test_outbox_bundle_published_but_not_recorded_is_recorded_at_next_export(
    tmp_path: Path,
    field_s: Session,
    hq: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seal_report(field_s, example_doc, photos=1)
    export = field_s.field().export

    def die(*_a: object, **_k: object) -> None:
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(ExportService, "_record", die)
        m.setattr(OutboxSink, "remove", lambda self, path: None)
        with pytest.raises(Killed):
            export.to_outbox()
    outbox = OutboxStore(field_s.vault.conn)
    pending = outbox.pending()
    assert pending is not None
    assert Path(pending.final_path).exists(), "the bundle is visible in the outbox"
    assert outbox.sent() == []

    seal_report(field_s, example_doc, photos=1, seed=2)
    assert export.reconcile() is Presence.COMPLETE
    assert [b.sequence for b in outbox.sent()] == [1]
    assert len(export.pending()) == 1, "the first report counts as exported, the second waits"
    export.to_outbox()
    assert [b.sequence for b in outbox.sent()] == [1, 2]
    result = hq.hq().intake.import_paths([export.outbox.folder])
    assert [o.status for o in result.outcomes] == [IMPORTED, IMPORTED]
    assert result.gaps == {} or all(not g for g in result.gaps.values())


def test_pending_bundle_on_a_stick_that_is_gone_keeps_its_number(
    tmp_path: Path,
    field_s: Session,
    hq: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = seal_report(field_s, example_doc, photos=1)
    export = field_s.field().export
    lost = stick(tmp_path, "lost")

    def die(*_a: object, **_k: object) -> None:
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(ExportService, "_record", die)
        m.setattr("kpfield.bundle.sinks.UsbFolderSink.remove", lambda self, path: None)
        with pytest.raises(Killed):
            export.to_folder(lost)
    copy_at_hq = tmp_path / "hq-copy"
    shutil.copytree(lost, copy_at_hq)  # the stick reached HQ, then went missing
    shutil.rmtree(lost)

    other = stick(tmp_path, "other")
    export.to_folder(other)
    sent = OutboxStore(field_s.vault.conn).sent()
    assert [b.sequence for b in sent] == [1, 2]
    assert first in sent[1].report_ids, "its reports go out again: nobody knows they arrived"
    result = hq.hq().intake.import_paths([other, copy_at_hq])
    assert [o.status for o in result.outcomes] == [IMPORTED, IMPORTED], [
        o.line() for o in result.outcomes
    ]


def test_killed_write_leaves_temp_that_next_export_sweeps(
    tmp_path: Path, field_s: Session, example_doc: dict[str, Any]
) -> None:
    folder = stick(tmp_path)
    leftover = folder / (".%s.tmp" % ("ab" * 16))
    leftover.write_bytes(b"age-encryption.org/v1\n half a bundle")
    foreign = folder / ".Trash-1000"
    foreign.mkdir()
    seal_report(field_s, example_doc, photos=0)
    field_s.field().export.to_folder(folder)
    assert not leftover.exists()
    assert foreign.exists(), "only our own temporary names are swept"
