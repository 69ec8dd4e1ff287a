"""What a real exported bundle holds about witnesses and notes, read by decrypting it with the HQ
identity and splitting the tar: the promises the witness dialog makes, checked on the bytes."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from kpfield.app import Session, open_session
from kpfield.crypto import minisign
from kpfield.domain.identity import identity_commitment
from kpfield.domain.models import IdentifyingDetails
from kpfield.protocol.signed import Signer
from kpfield.protocol.withdrawal import parse_withdrawal
from kpfield.vault.hq_witness_store import HqWitnessStore
from tests.bundle.world import decrypt_with_hq, export, split_tar, stick
from tests.conftest import PASSPHRASE

NAME = "Sahr Example"
PHONE = "+232 76 123456"
PRIVATE = "Nurse Fatmata helped"
HQ_NOTE = "Clinic register seen"


def _doc(example: dict[str, Any], *, allow: bool, send: bool) -> dict[str, Any]:
    doc = copy.deepcopy(example)
    w = doc["witnesses"][0]
    w["identifying"] = {"full_name": NAME, "contact": PHONE}
    w["consent"]["scope"]["identity_to_hq"] = allow
    w["send_identity"] = send
    return doc


def _export_one(field_s: Session, hq: Session, tmp: Path, doc: dict[str, Any]) -> dict[str, bytes]:
    rid = field_s.reports.create_from_document(doc)
    field_s.reports.seal(rid)
    [bundle] = export(field_s, stick(tmp, f"stick-{rid[:6]}"))
    return dict(split_tar(decrypt_with_hq(hq, bundle.read_bytes())))


def _assert_seal_verifies(hq: Session, field_s: Session, rid: str) -> None:
    """The imported report's seal still verifies with the device key (nothing sealed changed)."""
    sealed, signature = hq.vault.conn.execute(
        "SELECT sealed_json, signature FROM hq_reports WHERE report_id = ?", (rid,)
    ).fetchone()
    assert NAME.encode() not in bytes(sealed)
    minisign.verify(Signer.from_key(field_s.vault.device_key).public, signature, bytes(sealed))


def _everything(members: dict[str, bytes]) -> bytes:
    return b"".join(members.values())


def test_identity_absent_without_consent_or_without_choice(
    field_s: Session, hq: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    for allow, send in ((False, True), (True, False), (False, False)):
        members = _export_one(field_s, hq, tmp_path, _doc(example_doc, allow=allow, send=send))
        blob = _everything(members)
        assert NAME.encode() not in blob, (allow, send)
        assert PHONE.encode() not in blob, (allow, send)
        assert not [n for n in members if n.startswith("identities/")]
        manifest = json.loads(members["manifest.json"])
        assert manifest["format"] == "kpfield.bundle/2"
        assert manifest["identities"] == []


def test_identity_travels_apart_and_its_salted_hash_verifies(
    field_s: Session, hq: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    members = _export_one(field_s, hq, tmp_path, _doc(example_doc, allow=True, send=True))
    [report_name] = [n for n in members if n.startswith("reports/") and n.endswith(".json")]
    sealed = members[report_name]
    assert NAME.encode() not in sealed and PHONE.encode() not in sealed
    [witness] = json.loads(sealed)["witnesses"]
    [ident_name] = [n for n in members if n.startswith("identities/")]
    assert ident_name == f"identities/{witness['id']}.json"
    ident = json.loads(members[ident_name])
    assert ident["identifying"]["full_name"] == NAME
    details = IdentifyingDetails(**ident["identifying"])
    assert identity_commitment(ident["salt"], details) == witness["identity_sha256"]
    manifest = json.loads(members["manifest.json"])
    assert {"witness_id": witness["id"], "member": ident_name} in manifest["identities"]
    assert ident_name in {m["name"] for m in manifest["members"]}
    assert ident_name in members["SHA256SUMS"].decode()


def test_private_notes_never_leave_hq_notes_do(
    field_s: Session, hq: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    members = _export_one(field_s, hq, tmp_path, _doc(example_doc, allow=True, send=True))
    blob = _everything(members)
    assert PRIVATE.encode() not in blob
    assert HQ_NOTE.encode() in blob


def test_hq_stores_identity_apart_and_can_purge_it_without_breaking_a_seal(
    field_s: Session, hq: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    rid = field_s.reports.create_from_document(_doc(example_doc, allow=True, send=True))
    field_s.reports.seal(rid)
    wid = field_s.reports.view(rid).witnesses[0].id
    export(field_s, stick(tmp_path))
    result = hq.hq().intake.import_paths([stick(tmp_path)])
    assert result.imported == 1, [o.line() for o in result.outcomes]
    store = HqWitnessStore(hq.vault.conn)
    held = store.identity(wid)
    assert held is not None and held.identifying["full_name"] == NAME
    assert store.delete_identity(wid)
    assert store.identity(wid) is None
    _assert_seal_verifies(hq, field_s, rid)


def test_withdrawal_purges_laptop_and_hq_applies_the_signed_notice(
    field_s: Session, hq: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    rid = field_s.reports.create_from_document(_doc(example_doc, allow=True, send=True))
    field_s.reports.seal(rid)
    wid = field_s.reports.view(rid).witnesses[0].id
    draft = field_s.reports.create_from_document(
        {"schema": "kpfield.report/1", "witnesses": [{"id": wid}]}
    )
    first = stick(tmp_path, "first")
    export(field_s, first)
    assert hq.hq().intake.import_paths([first]).imported == 1
    assert HqWitnessStore(hq.vault.conn).identity(wid) is not None

    result = field_s.field().witnesses.withdraw_consent(wid, None, withdrawn_on="2026-11-20")
    assert result.identity_purged and result.drafts_uncited == (draft,)
    w = field_s.reports.store.get_witness(wid)
    assert w.identifying is None and w.identity_salt == "" and not w.consent.given
    assert field_s.reports.get(draft).witness_ids == ()
    assert draft not in [r.id for r in field_s.reports.search("W-Baobab")]
    # Nothing of the identity is left in the vault's tables, the search index included.
    conn = field_s.vault.conn
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for t in tables:
        for row in conn.execute(f'SELECT * FROM "{t}"'):  # noqa: S608 - names from the schema
            assert NAME.encode() not in repr(row).encode(), t
            assert PHONE not in repr(row), t

    second = stick(tmp_path, "second")
    [bundle] = export(field_s, second)  # no report waiting: the notice still travels
    members = dict(split_tar(decrypt_with_hq(hq, bundle.read_bytes())))
    [notice_name] = [n for n in members if n.startswith("withdrawals/")]
    device = Signer.from_key(field_s.vault.device_key).public
    notice, _ = parse_withdrawal(members[notice_name], device)
    assert notice.witness_id == wid and rid in notice.reports
    assert NAME.encode() not in _everything(members)
    assert field_s.field().witnesses.pending_notices() == 0

    assert hq.hq().intake.import_paths([second]).imported == 1
    store = HqWitnessStore(hq.vault.conn)
    assert store.identity(wid) is None
    [applied] = store.withdrawals(wid)
    assert applied.identity_deleted and applied.scopes[0] == "coalition_use"
    assert rid in store.withdrawn_reports()
    _assert_seal_verifies(hq, field_s, rid)


def test_bundle_written_by_the_old_code_still_imports(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "v1"
    shutil.copytree(fixture / "hq-vault", tmp_path / "hq")
    rid = (fixture / "report-id").read_text().strip()
    hq = open_session(tmp_path / "hq", PASSPHRASE)
    try:
        folder = stick(tmp_path, "old")
        shutil.copy(fixture / "bundle-v1", folder / "0123456789abcdef0123456789abcdef")
        result = hq.hq().intake.import_paths([folder])
        assert result.imported == 1, [o.line() for o in result.outcomes]
        row = hq.vault.conn.execute(
            "SELECT sealed_json FROM hq_reports WHERE report_id = ?", (rid,)
        ).fetchone()
        assert b"Sahr Oldformat" in bytes(row[0])  # version 1 sealed the details inside
        assert HqWitnessStore(hq.vault.conn).identity("x") is None
    finally:
        hq.close()
