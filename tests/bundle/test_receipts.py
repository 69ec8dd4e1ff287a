"""Receipts back to the stick: acknowledgement, policy purge keeping hashes, forged receipts."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from kpfield.app import Session
from kpfield.crypto import age
from kpfield.custody.seal import device_age_identity
from kpfield.domain.models import ReportStatus
from kpfield.protocol.canonical import canonical_json
from kpfield.services.verify import verify_vault
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import export, new_field, new_hq, seal_report, stick


def round_trip(
    tmp_path: Path, hq: Session, field_s: Session, doc: dict[str, Any]
) -> tuple[str, Path]:
    rid = seal_report(field_s, doc, photos=2)
    folder = stick(tmp_path)
    export(field_s, folder)
    result = hq.hq().intake.import_paths([folder], receipts_dir=folder)
    assert result.imported == 1 and len(result.receipts) == 1
    return rid, folder


def test_acknowledge_without_purge(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    rid, folder = round_trip(tmp_path, hq, field_s, example_doc)
    r = field_s.field().acknowledgements.import_receipts(folder)
    assert (r.receipts, r.acknowledged, r.purged, r.problems) == (1, 1, 0, [])
    assert field_s.reports.get(rid).status is ReportStatus.ACKNOWLEDGED
    events = [e.event for e in field_s.reports.custody_trail(rid)]
    assert events[-1] == "acknowledged"
    again = field_s.field().acknowledgements.import_receipts(folder)
    assert (again.receipts, again.already_seen) == (0, 1)
    # HQ importing the same stick again skips its own receipts and reports a replay.
    hq_again = hq.hq().intake.import_paths([folder])
    assert hq_again.receipts_skipped == 1 and hq_again.duplicates == 1


def test_policy_purge_keeps_hashes_and_receipts(
    tmp_path: Path, hq: Session, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> None:
    hq.hq().profile.export(purge_after_acknowledgement=True)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    try:
        marker = "kpfmarkpurge0123456789"
        rid = seal_report(laptop, example_doc, photos=2, marker=marker)
        _sealed, sha, sig = laptop.reports.store.sealed_record(rid)
        blobs_before = laptop.vault.blobs.names_on_disk()
        assert blobs_before
        assert laptop.reports.get(rid).private_notes  # the example has private notes
        folder = stick(tmp_path)
        export(laptop, folder)
        hq.hq().intake.import_paths([folder], receipts_dir=folder)
        r = laptop.field().acknowledgements.import_receipts(folder)
        assert (r.acknowledged, r.purged) == (1, 1)
        conn = laptop.vault.conn
        row = conn.execute(
            "SELECT status, sealed_json, seal_sha256, seal_signature, purged_at, title, doc"
            " FROM reports WHERE id = ?",
            (rid,),
        ).fetchone()
        assert row[0] == "acknowledged" and row[1] is None
        assert (row[2], row[3]) == (sha, sig) and row[4]
        assert marker not in row[5] + row[6]
        # Private notes never left the laptop; the purge removes them with the rest.
        assert conn.execute(
            "SELECT private_notes FROM reports WHERE id = ?", (rid,)
        ).fetchone()[0] == ""
        assert conn.execute("SELECT count(*) FROM witnesses").fetchone()[0] == 0
        assert laptop.vault.blobs.names_on_disk() == set()
        atts = conn.execute(
            "SELECT sha256, original_name, claims FROM attachments WHERE report_id = ?", (rid,)
        ).fetchall()
        assert len(atts) == 2 and all(a[1] == "" and a[2] == "{}" for a in atts)
        assert conn.execute("SELECT count(*) FROM receipts_in").fetchone()[0] == 1
        assert laptop.reports.search(marker) == []
        events = [e.event for e in laptop.reports.custody_trail(rid)]
        assert events[-2:] == ["acknowledged", "purged"]
        assert verify_vault(laptop.vault).ok
    finally:
        laptop.close()


def test_receipt_from_another_hq_is_refused(
    tmp_path: Path,
    hq: Session,
    field_s: Session,
    cheap_params: KdfParams,
    example_doc: dict[str, Any],
) -> None:
    rid, folder = round_trip(tmp_path, hq, field_s, example_doc)
    other = new_hq(tmp_path / "other", cheap_params)
    try:
        from kpfield.crypto import minisign
        from kpfield.hq.keys import hq_signer

        # Decrypt our genuine receipt and re-sign it with another HQ's key.
        ident = device_age_identity(field_s.vault)
        [receipt_path] = [p for p in folder.iterdir() if p.stat().st_size < 5000]
        plain = io.BytesIO()
        age.decrypt([ident], io.BytesIO(receipt_path.read_bytes()), plain)
        import json

        doc = json.loads(plain.getvalue())["receipt"]
        signer = hq_signer(other.vault)
        sig = minisign.sign(signer.key, signer.public.key_id, canonical_json(doc), "forged")
        forged = io.BytesIO()
        age.encrypt(
            [ident.recipient],
            io.BytesIO(canonical_json({"receipt": doc, "signature": sig})),
            forged,
        )
        receipt_path.write_bytes(forged.getvalue())
    finally:
        other.close()
    r = field_s.field().acknowledgements.import_receipts(folder)
    assert r.acknowledged == 0 and r.problems and "not signed by this coalition" in r.problems[0]
    assert field_s.reports.get(rid).status is ReportStatus.EXPORTED


def test_receipts_for_another_laptop_are_ignored(
    tmp_path: Path,
    hq: Session,
    field_s: Session,
    cheap_params: KdfParams,
    example_doc: dict[str, Any],
) -> None:
    _rid, folder = round_trip(tmp_path, hq, field_s, example_doc)
    other = new_field(tmp_path / "laptop2", cheap_params, hq)
    try:
        r = other.field().acknowledgements.import_receipts(folder)
        assert (r.receipts, r.acknowledged, r.problems) == (0, 0, [])
    finally:
        other.close()


def test_custody_log_cut_behind_an_acknowledged_head_is_caught(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    """HQ countersigns the custody head in its receipt; cutting the log's tail is then caught."""
    from kpfield.services.verify import verify_vault

    seal_report(field_s, example_doc, photos=0)
    folder = stick(tmp_path)
    export(field_s, folder)
    hq.hq().intake.import_paths([folder], receipts_dir=folder)
    field_s.field().acknowledgements.import_receipts(folder)
    assert verify_vault(field_s.vault).ok
    conn = field_s.vault.conn
    head = conn.execute("SELECT max(seq) FROM custody_log").fetchone()[0]
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'custody_log'"
    ).fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    # Cut every entry from the exported head on (the tail a thief would want gone).
    exported_head = json.loads(conn.execute("SELECT receipt FROM receipts_in").fetchone()[0])[
        "custody_head"
    ]["seq"]
    conn.execute("DELETE FROM custody_log WHERE seq >= ?", (exported_head,))
    assert head >= exported_head
    result = verify_vault(field_s.vault)
    assert any("HQ acknowledged it" in p for p in result.problems), result.problems
