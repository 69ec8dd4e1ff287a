"""Drafts, witnesses, attachments, sealing, amending, search and verification through services."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session, open_session
from kpfield.custody.log import CustodyLog, verify_chain
from kpfield.custody.seal import device_identity, verify_seal
from kpfield.domain.models import ReportStatus
from kpfield.errors import (
    CryptoError,
    IntegrityError,
    MediaError,
    NotFound,
    StateError,
    UsageError,
    ValidationError,
)
from kpfield.services.verify import verify_vault
from tests.conftest import PASSPHRASE, make_jpeg


def test_new_from_document_round_trips(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    doc = session.reports.document(rid)
    assert doc["title"] == example_doc["title"]
    assert doc["witnesses"][0]["pseudonym"] == "W-Baobab"
    assert doc["witnesses"][0]["identifying"]["contact"] == "via the clinic nurse"
    assert doc["place"]["coordinates"]["lat_micro"] == 8643210
    # show --json output is accepted back as input (new draft, same content)
    rid2 = session.reports.create_from_document(doc)
    doc2 = session.reports.document(rid2)
    assert doc2["narrative"] == doc["narrative"]
    assert doc2["witnesses"][0]["id"] == doc["witnesses"][0]["id"]


def test_saving_same_draft_twice_is_harmless(session: Session) -> None:
    r = session.reports.new_draft()
    r = replace(r, narrative="first words")
    a = session.reports.save_draft(r)
    b = session.reports.save_draft(r)
    assert session.reports.get(r.id).narrative == "first words"
    assert a.id == b.id
    assert len(session.reports.list_reports()) == 1
    assert session.reports.search("first") == session.reports.search("words")


def test_unknown_category_saved_but_blocks_seal(
    session: Session, example_doc: dict[str, Any]
) -> None:
    """A category dropped from a newer taxonomy must not make a draft unsavable."""
    rid = session.reports.create_from_document(example_doc)
    r = session.reports.get(rid)
    session.reports.save_draft(replace(r, categories=("made_up",)))
    with pytest.raises(ValidationError) as info:
        session.reports.seal(rid)
    assert any("taxonomy" in what for _, what in info.value.problems)


def test_seal_lists_what_is_missing(session: Session) -> None:
    r = session.reports.new_draft()
    with pytest.raises(ValidationError) as info:
        session.reports.seal(r.id)
    fields = {f for f, _ in info.value.problems}
    assert {"title", "incident.date", "incident.categories", "place.country", "narrative"} <= fields


def test_seal_requires_consent_for_every_witness(
    session: Session, example_doc: dict[str, Any]
) -> None:
    doc = copy.deepcopy(example_doc)
    del doc["witnesses"][0]["consent"]
    rid = session.reports.create_from_document(doc)
    with pytest.raises(ValidationError) as info:
        session.reports.seal(rid)
    assert any("consent" in what for _, what in info.value.problems)
    doc["witnesses"][0]["consent"] = {
        "given": False,
        "method": "verbal_witnessed",
        "recorded_on": "2026-10-01",
    }
    rid = session.reports.create_from_document(doc)
    with pytest.raises(ValidationError, match="cannot be sealed"):
        session.reports.seal(rid)


def test_seal_signs_and_freezes(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, make_jpeg(seed=3), "p.jpg")
    sealed = session.reports.seal(rid)
    assert sealed.status is ReportStatus.SEALED
    data, digest, signature = session.reports.store.sealed_record(sealed.id)
    ident = device_identity(session.vault)
    assert "kpfield sealed report" in verify_seal(ident.public_key, signature, data)
    with pytest.raises(CryptoError):
        verify_seal(ident.public_key, signature, data.replace(b"batons", b"sticks"))
    doc = json.loads(data)
    assert doc["attachments"][0]["sha256"] == att.sha256
    assert doc["device"]["id"] == ident.device_id
    with pytest.raises(StateError):
        session.reports.save_draft(replace(sealed, narrative="changed"))
    with pytest.raises(StateError):
        session.reports.attach_bytes(rid, make_jpeg(seed=4), "q.jpg")
    with pytest.raises(StateError):
        session.reports.delete_draft(sealed.id)
    # The database itself refuses to change sealed content.
    import sqlcipher3

    with pytest.raises(sqlcipher3.IntegrityError):
        session.vault.conn.execute("UPDATE reports SET doc = '{}' WHERE id = ?", (rid,))
    events = [e.event for e in session.reports.custody_trail(rid)]
    assert events == ["created", "sealed"]


def test_amend_creates_linked_version_with_photos(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, make_jpeg(seed=5), "p.jpg")
    session.reports.seal(rid)
    new = session.reports.amend(rid)
    assert new.amends == rid and new.version == 2 and new.is_draft
    atts = session.reports.attachments(new.id)
    assert [a.sha256 for a in atts] == [att.sha256]
    assert session.reports.original_bytes(atts[0].id) == session.reports.original_bytes(att.id)
    session.reports.save_draft(replace(new, narrative=new.narrative + " Correction: five diggers."))
    session.reports.seal(new.id)
    assert verify_vault(session.vault).ok


def test_attach_keeps_original_bytes_and_claims(session: Session) -> None:
    r = session.reports.new_draft()
    data = make_jpeg(seed=9)
    att = session.reports.attach_bytes(r.id, data, "evidence.jpg")
    assert session.reports.original_bytes(att.id) == data
    assert att.claims.camera_make == "TestCam"
    assert att.mime == "image/jpeg"
    thumb = session.reports.thumbnail_bytes(att.id)
    assert thumb is not None and thumb[:2] == b"\xff\xd8"
    stripped = session.reports.stripped_copy(att.id)
    assert b"TestCam" not in stripped


def test_attach_bad_inputs(session: Session, tmp_path: Path) -> None:
    r = session.reports.new_draft()
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is not a photo")
    with pytest.raises(MediaError):
        session.reports.attach_file(r.id, fake)
    with pytest.raises(UsageError, match="not a file"):
        session.reports.attach_file(r.id, tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        session.reports.attach_file(r.id, tmp_path / "missing.jpg")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(make_jpeg(seed=1)[:2000])
    with pytest.raises(MediaError):
        session.reports.attach_file(r.id, truncated)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        session.reports.attach_file(r.id, empty)
    assert session.reports.attachments(r.id) == []
    assert session.vault.blobs.names_on_disk() == set()


def test_bit_flipped_blob_found_by_verify_and_blocks_seal(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, make_jpeg(seed=2), "p.jpg")
    blob, _ = session.reports.store.blob_refs(att.id)
    p = session.vault.blobs.path(blob.name)
    raw = bytearray(p.read_bytes())
    raw[100] ^= 0x80
    p.write_bytes(bytes(raw))
    result = verify_vault(session.vault)
    assert not result.ok and "attachment" in result.problems[0]
    with pytest.raises(CryptoError):
        session.reports.seal(rid)
    with pytest.raises((CryptoError, IntegrityError)):
        session.reports.original_bytes(att.id)


def test_search_covers_narrative_notes_place_and_pseudonyms(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    session.reports.new_draft()
    for q in ("batons", "clinic register", "Kono", "Baobab", "KOIDU", "dig"):
        assert [r.id for r in session.reports.search(q)] == [rid], q
    assert session.reports.search("elephant") == []
    assert session.reports.search('"; DROP TABLE reports; --') == []


def test_witness_shared_between_reports(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    wid = session.reports.get(rid).witness_ids[0]
    doc = copy.deepcopy(example_doc)
    doc["witnesses"] = [{"id": wid}]
    rid2 = session.reports.create_from_document(doc)
    assert session.reports.get(rid2).witness_ids == (wid,)
    assert len(session.reports.list_witnesses()) == 1


def test_custody_chain_detects_tampering(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    session.reports.seal(rid)
    rows = CustodyLog(session.vault.conn).raw_entries()
    assert verify_chain(rows) is None
    seq, text, prev, h = rows[1]
    tampered = [rows[0], (seq, text.replace("sealed", "purged"), prev, h)]
    problem = verify_chain(tampered)
    assert problem is not None and problem.seq == 2
    assert verify_chain([rows[1]]) is not None  # a gap at the start
    import sqlcipher3

    with pytest.raises(sqlcipher3.IntegrityError):
        session.vault.conn.execute("DELETE FROM custody_log")


def test_resolve_prefix(session: Session) -> None:
    r = session.reports.new_draft()
    assert session.reports.resolve(r.id[:8]) == r.id
    with pytest.raises(NotFound):
        session.reports.resolve("zzzzzzzz")


def test_everything_survives_reopen(
    session: Session, example_doc: dict[str, Any], vault_dir: Path, jpeg_file: Callable[..., Path]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    session.reports.attach_file(rid, jpeg_file(seed=4))
    session.reports.seal(rid)
    session.close()
    s = open_session(vault_dir, PASSPHRASE)
    try:
        assert s.reports.get(rid).status is ReportStatus.SEALED
        assert verify_vault(s.vault).ok
    finally:
        s.close()


def test_half_typed_draft_is_saved_and_sealing_names_the_problems(
    session: Session, example_doc: dict[str, Any]
) -> None:
    from kpfield.domain.models import DatePrecision, IncidentDate, Place

    rid = session.reports.create_from_document(example_doc)
    r = session.reports.get(rid)
    half = replace(
        r,
        incident_date=IncidentDate("2999-01-01", DatePrecision.DAY),
        place=Place(site="Koidu", country="S"),
        narrative=r.narrative + " more\x00words",
    )
    session.reports.save_draft(half)  # nothing typed is refused
    stored = session.reports.get(rid)
    assert stored.place.country == "S"
    assert stored.narrative.endswith(" morewords")
    fields = {f for f, _ in session.reports.missing_for_seal(rid)}
    assert {"incident.date.date", "place.country"} <= fields
    with pytest.raises(ValidationError) as info:
        session.reports.seal(rid)
    assert "place.country" in {f for f, _ in info.value.problems}


def test_stored_draft_always_readable_even_if_rules_tighten(session: Session) -> None:
    """A draft whose stored date became 'future' (clock change) or is long still loads whole."""
    r = session.reports.new_draft()
    long_text = "x" * 250_000
    doc = json.loads(
        session.vault.conn.execute("SELECT doc FROM reports WHERE id = ?", (r.id,)).fetchone()[0]
    )
    doc["incident"]["date"] = {"date": "2999-01-01", "precision": "day", "approximate": False}
    doc["narrative"] = long_text
    session.vault.conn.execute("UPDATE reports SET doc = ? WHERE id = ?", (json.dumps(doc), r.id))
    loaded = session.reports.get(r.id)
    assert loaded.narrative == long_text
    assert loaded.incident_date is not None


def test_a_date_not_understood_yet_is_kept_as_typed(session: Session) -> None:
    from kpfield.domain.models import DatePrecision, IncidentDate

    r = session.reports.new_draft()
    session.reports.save_draft(
        replace(r, incident_date=IncidentDate("early Oct 2026", DatePrecision.DAY))
    )
    stored = session.reports.get(r.id)
    assert stored.incident_date is not None
    assert stored.incident_date.value == "early Oct 2026"
    assert ("incident.date.date", "must look like 2026-10-03, 2026-10 or 2026") in (
        session.reports.missing_for_seal(r.id)
    )


def test_search_pages_newest_first_and_covers_every_match(session: Session) -> None:
    from kpfield.domain.document import ReportFields

    made = [
        session.reports.new_draft(ReportFields(title=f"r{i}", narrative="guards came")).id
        for i in range(7)
    ]
    session.reports.new_draft(ReportFields(narrative="nothing here"))
    page = session.reports.search_page("guards", limit=3)
    assert [r.id for r in page.rows] == made[::-1][:3]  # newest first
    seen = [r.id for r in page.rows]
    while page.next is not None:
        page = session.reports.search_page("guards", limit=3, after=page.next)
        seen += [r.id for r in page.rows]
    assert seen == made[::-1]
    # editing a report keeps its place in the order (its index rowid is kept)
    first = session.reports.get(made[0])
    session.reports.save_draft(replace(first, narrative="guards came back"))
    assert [r.id for r in session.reports.search_page("guards", limit=10).rows] == made[::-1]
    assert session.reports.search_page("elephant").rows == []
    assert session.reports.search_page("", limit=3).next is None
