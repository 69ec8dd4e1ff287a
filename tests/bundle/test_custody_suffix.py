"""Item 2 of issue 9: a bundle carries only the custody entries HQ does not hold yet, and the
writer refuses a bundle HQ's reader would refuse instead of printing "verified".

The reader's custody cap is lowered (the writer and the reader share the constant) so that a few
hundred entries stand in for the 240,000 receipt entries of a laptop used for years.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle import manifest as mf
from kpfield.custody.log import CustodyLog
from kpfield.errors import BundleError
from kpfield.hq.intake import IMPORTED
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import OutboxStore
from tests.bundle.world import export, seal_report, stick

CAP = 64 << 10


def grow_log(s: Session, entries: int) -> None:
    """Ordinary custody entries, as years of receipts leave them."""
    log = CustodyLog(s.vault.conn)
    with transaction(s.vault.conn):
        for i in range(entries):
            log.append("receipt", None, "2026-01-01T00:00:00Z", {"note": f"filler {i:06}"})


def test_bundle_after_a_receipt_carries_only_the_new_custody_entries(
    tmp_path: Path,
    hq: Session,
    field_s: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = stick(tmp_path, "first")
    seal_report(field_s, example_doc, photos=1)
    grow_log(field_s, 400)  # ~80 KiB: over the lowered cap if it were sent again
    export(field_s, first)  # under the real cap, the first bundle carries it all
    got = hq.hq().intake.import_paths([first], receipts_dir=first)
    assert [o.status for o in got.outcomes] == [IMPORTED]
    field_s.field().acknowledgements.import_receipts(first)
    monkeypatch.setattr(mf, "MAX_CUSTODY_BYTES", CAP)

    second = stick(tmp_path, "second")
    rid = seal_report(field_s, example_doc, photos=1, seed=5)
    export(field_s, second)
    result = hq.hq().intake.import_paths([second])
    assert [o.status for o in result.outcomes] == [IMPORTED], [o.line() for o in result.outcomes]
    assert all(not g for g in result.gaps.values())
    count, top = hq.vault.conn.execute("SELECT count(*), max(seq) FROM hq_custody").fetchone()
    assert count == top, "HQ's copy of the device's log has no holes"
    # The second bundle's head is the log's head before its own "exported" entry.
    assert top == CustodyLog(field_s.vault.conn).head()[0] - 1
    assert (
        hq.vault.conn.execute("SELECT 1 FROM hq_reports WHERE report_id = ?", (rid,)).fetchone()
        is not None
    )


def test_writer_refuses_what_the_reader_would_refuse(
    tmp_path: Path,
    field_s: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mf, "MAX_CUSTODY_BYTES", CAP)
    seal_report(field_s, example_doc, photos=0)
    grow_log(field_s, 400)
    folder = stick(tmp_path)
    with pytest.raises(BundleError, match="receipts"):
        export(field_s, folder)
    assert list(folder.iterdir()) == [], "nothing was written"
    assert OutboxStore(field_s.vault.conn).sent() == []
    assert field_s.field().export.pending(), "the report still waits to be exported"


def test_suffix_that_does_not_link_to_hq_is_refused(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    first = stick(tmp_path, "first")
    seal_report(field_s, example_doc, photos=0)
    export(field_s, first)
    hq.hq().intake.import_paths([first], receipts_dir=first)
    field_s.field().acknowledgements.import_receipts(first)
    # HQ loses what it held (a restore from an old backup): the suffix no longer links.
    with transaction(hq.vault.conn):
        hq.vault.conn.execute("DELETE FROM hq_custody")
    second = stick(tmp_path, "second")
    seal_report(field_s, example_doc, photos=0, seed=3)
    export(field_s, second)
    result = hq.hq().intake.import_paths([second])
    assert [o.status for o in result.outcomes] == ["rejected"]
    assert "does not link" in result.outcomes[0].reason


def test_withdrawal_only_bundle_after_a_receipt_still_carries_the_head(
    tmp_path: Path,
    hq: Session,
    field_s: Session,
    example_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bundle with no report (a consent-withdrawal notice alone) right after a receipt: its
    custody log must still end at the head its manifest names; and a notice in a bundle whose
    fate is unknown (its stick gone after a crash) goes out again."""
    from tests.bundle.test_pending import Killed
    from tests.bundle.test_witness_members import _doc

    rid = field_s.reports.create_from_document(_doc(example_doc, allow=True, send=True))
    field_s.reports.seal(rid)
    wid = field_s.reports.view(rid).witnesses[0].id
    first = stick(tmp_path, "first")
    export(field_s, first)
    hq.hq().intake.import_paths([first], receipts_dir=first)
    field_s.field().acknowledgements.import_receipts(first)
    field_s.field().witnesses.withdraw_consent(wid, None, withdrawn_on="2026-11-20")

    lost = stick(tmp_path, "lost")

    def die(*_a: object, **_k: object) -> None:
        raise Killed

    from kpfield.services.export import ExportService

    with monkeypatch.context() as m:
        m.setattr(ExportService, "_record", die)
        m.setattr("kpfield.bundle.sinks.UsbFolderSink.remove", lambda self, path: None)
        with pytest.raises(Killed):
            export(field_s, lost)
    import shutil

    shutil.rmtree(lost)  # the stick is gone: nobody knows whether the notice arrived
    second = stick(tmp_path, "second")
    [_bundle] = export(field_s, second)
    assert field_s.field().witnesses.pending_notices() == 0
    result = hq.hq().intake.import_paths([second])
    assert [o.status for o in result.outcomes] == [IMPORTED], [o.line() for o in result.outcomes]
