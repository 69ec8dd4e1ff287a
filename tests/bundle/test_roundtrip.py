"""Export to a stick, import at HQ: byte-identical originals, sequences, duplicates, splitting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.custody.log import CustodyLog
from kpfield.domain.models import ReportStatus
from kpfield.errors import Cancelled, UsageError
from kpfield.hq import intake
from kpfield.services.export import plan_bundles
from kpfield.services.verify import verify_vault
from tests.bundle.world import EMPTY, export, hq_counts, seal_report, stick


def test_export_import_round_trip(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    rid = seal_report(field_s, example_doc, photos=3)
    originals = {
        a.id: field_s.reports.original_bytes(a.id) for a in field_s.reports.attachments(rid)
    }
    folder = stick(tmp_path)
    paths = export(field_s, folder)
    assert len(paths) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", paths[0].name)
    assert sorted(p.name for p in folder.iterdir()) == [paths[0].name]  # no temp files left
    assert field_s.reports.get(rid).status is ReportStatus.EXPORTED
    events = [e.event for e in CustodyLog(field_s.vault.conn).entries(report_id=rid)]
    assert events[-1] == "exported"

    result = hq.hq().intake.import_paths([folder])
    assert [o.status for o in result.outcomes] == [intake.IMPORTED]
    assert result.outcomes[0].new_reports == 1
    assert result.gaps == {}
    for aid, data in originals.items():
        assert b"".join(intake.original_bytes(hq.vault, aid)) == data
    sealed, sha, _sig = field_s.reports.store.sealed_record(rid)
    row = hq.vault.conn.execute(
        "SELECT sealed_json, sha256 FROM hq_reports WHERE report_id = ?", (rid,)
    ).fetchone()
    assert bytes(row[0]) == sealed and row[1] == sha
    assert verify_vault(field_s.vault).ok


def test_nothing_to_export_then_again_uses_new_sequence(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    seal_report(field_s, example_doc, photos=1)
    first = export(field_s, stick(tmp_path, "a"))
    assert export(field_s, stick(tmp_path, "b")) == []
    again = field_s.field().export.to_folder(stick(tmp_path, "c"), again=True)
    assert [b.sequence for b in again.bundles] == [2]
    r1 = hq.hq().intake.import_paths(first)
    r2 = hq.hq().intake.import_paths([b.path for b in again.bundles])
    assert r1.imported == 1 and r2.imported == 1
    assert r2.outcomes[0].new_reports == 0  # the same report, already held
    assert hq_counts(hq)["hq_reports"] == 1


def test_duplicate_is_harmless_and_gaps_are_reported(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    paths = []
    for i in range(3):
        seal_report(field_s, example_doc, photos=1, seed=i)
        paths += export(field_s, stick(tmp_path, f"s{i}"))
    r = hq.hq().intake.import_paths([paths[0], paths[2]])
    assert r.imported == 2
    device = r.outcomes[0].device_id
    assert r.gaps == {device: [2]}
    before = hq_counts(hq)
    dup = hq.hq().intake.import_paths([paths[0]])
    assert [o.status for o in dup.outcomes] == [intake.DUPLICATE]
    assert hq_counts(hq) == before
    late = hq.hq().intake.import_paths([paths[1]])
    assert late.imported == 1 and late.gaps == {}


def test_split_below_the_size_limit(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    big = b"%PDF-1.4\n" + bytes(range(256)) * 2048  # stored as a document
    for i in range(3):
        rid = field_s.reports.create_from_document(example_doc)
        field_s.reports.attach_bytes(rid, big + bytes([i]) * 1000, f"notes{i}.pdf")
        field_s.reports.seal(rid)
    limit = 1 << 20
    result = field_s.field().export.to_folder(stick(tmp_path), max_bundle_bytes=limit)
    assert len(result.bundles) >= 2
    assert [b.sequence for b in result.bundles] == list(range(1, len(result.bundles) + 1))
    assert all(b.path.stat().st_size <= limit for b in result.bundles)
    r = hq.hq().intake.import_paths([stick(tmp_path)])
    assert r.imported == len(result.bundles) and r.rejected == 0
    assert hq_counts(hq)["hq_reports"] == 3


def test_progress_and_cancel(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    rid = seal_report(field_s, example_doc, photos=2)
    folder = stick(tmp_path)
    calls = 0

    def cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    with pytest.raises(Cancelled):
        field_s.field().export.to_folder(folder, cancel=cancel)
    assert list(folder.iterdir()) == []
    assert field_s.reports.get(rid).status is ReportStatus.SEALED

    seen: list[tuple[int, int]] = []
    field_s.field().export.to_folder(folder, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    with pytest.raises(Cancelled):
        hq.hq().intake.import_paths([folder], cancel=lambda: True)
    assert hq_counts(hq) == EMPTY
    got: list[tuple[int, int]] = []
    hq.hq().intake.import_paths([folder], progress=lambda d, t: got.append((d, t)))
    assert got[-1][0] == got[-1][1]


def test_export_needs_profile_and_field_role(
    tmp_path: Path, hq: Session, cheap_params: Any, example_doc: dict[str, Any]
) -> None:
    from kpfield.app import create_session
    from tests.conftest import PASSPHRASE

    bare = create_session(tmp_path / "bare", PASSPHRASE, params=cheap_params)
    try:
        with pytest.raises(UsageError, match="profile"):
            bare.field().export.to_folder(stick(tmp_path))
    finally:
        bare.close()
    with pytest.raises(UsageError, match="field"):
        hq.field().export.to_folder(stick(tmp_path))
    with pytest.raises(UsageError, match="does not exist"):
        hq.hq().intake.import_paths([tmp_path / "nope"], receipts_dir=tmp_path / "nope")


def test_a_later_bundle_may_not_cut_the_custody_log_back(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    """Bundle 2 from the same device whose log ends before bundle 1's did is refused."""
    seal_report(field_s, example_doc, photos=0)
    first = stick(tmp_path, "first")
    export(field_s, first)
    assert [o.status for o in hq.hq().intake.import_paths([first]).outcomes] == [intake.IMPORTED]
    head = hq.vault.conn.execute("SELECT custody_head_seq FROM hq_bundles").fetchone()[0]
    # Pretend HQ had seen bundle 1 end later than it did: bundle 2 now "cuts it back".
    conn = hq.vault.conn
    conn.execute("UPDATE hq_bundles SET custody_head_seq = ?", (head + 50,))
    seal_report(field_s, example_doc, photos=0, seed=1)
    second = stick(tmp_path, "second")
    export(field_s, second)
    [outcome] = hq.hq().intake.import_paths([second]).outcomes
    assert outcome.status == intake.REJECTED
    assert "cut back" in outcome.reason


def test_plan_splits_on_every_limit_the_reader_enforces() -> None:
    """Many small reports: the byte limit alone would make one bundle HQ then refuses."""
    from kpfield.bundle import manifest as mf
    from kpfield.bundle.writer import ReportSource

    reports = [
        ReportSource(
            id=f"{i:08x}-0000-4000-8000-000000000000",
            version=1,
            sealed_json=b"{}",
            sha256="0" * 64,
            signature="sig",
            attachments=(),
        )
        for i in range(12_000)
    ]
    groups = plan_bundles(reports, custody=1000, recipients=2, max_bytes=4 << 30)
    assert len(groups) > 1
    assert sum(len(g) for g in groups) == len(reports)
    for g in groups:
        members = 1 + 2 * len(g)
        assert members <= mf.MAX_MEMBERS
        assert members * 400 <= mf.MAX_MANIFEST_BYTES
