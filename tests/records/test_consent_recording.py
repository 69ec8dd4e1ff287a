"""A spoken, recorded consent names the audio attachment that holds it (``recording_sha256``):
read strictly, stored with the witness, sealed only while the recording is one of the report's."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from kpfield.app import Session, default_taxonomy
from kpfield.custody.seal import device_identity, verify_seal
from kpfield.domain.document import consent_doc, parse_report_document, witness_doc
from kpfield.domain.ids import WitnessId
from kpfield.domain.models import Consent, ConsentMethod, ConsentScope, Witness
from kpfield.errors import CryptoError, ValidationError
from tests.support.recordings import wav_bytes

TAX = default_taxonomy()
WAV = wav_bytes(b"\x00\x01" * 8000 * 2)
WAV_SHA = hashlib.sha256(WAV).hexdigest()
PATH = "witnesses[0].consent.recording_sha256"


def _doc(example_doc: dict[str, Any], **consent: Any) -> dict[str, Any]:
    doc = copy.deepcopy(example_doc)
    doc["witnesses"][0]["consent"].update(consent)
    return doc


def _problems(doc: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        parse_report_document(doc, TAX.category_ids, TAX.perpetrator_ids)
    return dict(info.value.problems)


def test_reader_and_writer_round_trip(example_doc: dict[str, Any]) -> None:
    parsed = parse_report_document(_doc(example_doc, recording_sha256=WAV_SHA), TAX.category_ids)
    consent = parsed.witnesses[0].consent
    assert consent is not None and consent.recording_sha256 == WAV_SHA
    written = consent_doc(consent)
    assert written is not None and written["recording_sha256"] == WAV_SHA
    again = parse_report_document(_doc(example_doc, **written), TAX.category_ids)
    assert again.witnesses[0].consent == consent


def test_no_link_leaves_the_document_as_before(example_doc: dict[str, Any]) -> None:
    consent = parse_report_document(example_doc, TAX.category_ids).witnesses[0].consent
    assert consent is not None and consent.recording_sha256 == ""
    written = consent_doc(consent)
    assert written is not None and "recording_sha256" not in written
    # An empty string is "no recording named", not an error.
    empty = parse_report_document(_doc(example_doc, recording_sha256=""), TAX.category_ids)
    assert empty.witnesses[0].consent == consent


@pytest.mark.parametrize(
    "value",
    [
        WAV_SHA.upper(),
        WAV_SHA[:-1],
        WAV_SHA + "0",
        "z" * 64,
        f" {WAV_SHA[1:]}",
        42,
        ["a" * 64],
        True,
    ],
    ids=["uppercase", "short", "long", "not-hex", "space", "number", "list", "bool"],
)
def test_malformed_link_is_refused(example_doc: dict[str, Any], value: Any) -> None:
    problems = _problems(_doc(example_doc, recording_sha256=value))
    assert "64 lowercase hex digits" in problems[PATH]


@pytest.mark.parametrize(
    "method", [m.value for m in ConsentMethod if m is not ConsentMethod.VERBAL_RECORDED]
)
def test_link_with_another_method_is_refused(example_doc: dict[str, Any], method: str) -> None:
    problems = _problems(_doc(example_doc, method=method, recording_sha256=WAV_SHA))
    assert problems == {PATH: "names a recording, but consent was not spoken and audio recorded"}


def test_lenient_reading_drops_an_impossible_link(example_doc: dict[str, Any]) -> None:
    doc = _doc(example_doc, method="written", recording_sha256=WAV_SHA)
    consent = parse_report_document(doc, lenient=True).witnesses[0].consent
    assert consent is not None
    assert (consent.method, consent.recording_sha256) == (ConsentMethod.WRITTEN, "")


def test_writer_never_writes_a_link_for_another_method() -> None:
    c = Consent(True, ConsentMethod.THUMBPRINT, "2026-10-05", recording_sha256=WAV_SHA)
    written = consent_doc(c)
    assert written is not None and "recording_sha256" not in written


def test_witness_doc_keeps_the_link_only_to_a_recording_of_the_report() -> None:
    c = Consent(
        True,
        ConsentMethod.VERBAL_RECORDED,
        "2026-10-05",
        ConsentScope(coalition_use=True),
        recording_sha256=WAV_SHA,
    )
    w = Witness(id=WitnessId("w"), pseudonym="W-Baobab", consent=c)
    assert witness_doc(w, recordings=frozenset({WAV_SHA}))["consent"]["recording_sha256"]
    assert "recording_sha256" not in witness_doc(w, recordings=frozenset())["consent"]
    assert witness_doc(w)["consent"]["recording_sha256"] == WAV_SHA  # no report: kept


# ------------------------------------------------------------------ vault and seal


def _sealed_doc(session: Session, rid: str) -> dict[str, Any]:
    row = session.vault.conn.execute(
        "SELECT sealed_json FROM reports WHERE id = ?", (rid,)
    ).fetchone()
    return dict(json.loads(bytes(row[0])))


def _link(session: Session, rid: str, sha: str) -> Witness:
    (w,) = session.reports.view(rid).witnesses
    assert w.consent is not None
    return session.reports.save_witness(
        replace(w, consent=replace(w.consent, recording_sha256=sha))
    )


def test_link_is_stored_with_the_witness(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, WAV, "consent.wav")
    saved = _link(session, rid, att.sha256)
    again = session.reports.store.get_witness(saved.id)
    assert again.consent is not None and again.consent.recording_sha256 == WAV_SHA
    stored = session.vault.conn.execute(
        "SELECT doc FROM witnesses WHERE id = ?", (saved.id,)
    ).fetchone()[0]
    assert json.loads(stored)["consent"]["recording_sha256"] == WAV_SHA
    # Shown in the draft's document too (``report show --json``).
    doc = session.reports.document(rid)
    assert doc["witnesses"][0]["consent"]["recording_sha256"] == WAV_SHA


def test_witness_stored_before_the_link_reads_as_none(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    (w,) = session.reports.view(rid).witnesses
    row = session.vault.conn.execute("SELECT doc FROM witnesses WHERE id = ?", (w.id,)).fetchone()
    assert "recording_sha256" not in json.loads(row[0])["consent"]
    assert w.consent is not None and w.consent.recording_sha256 == ""


def test_seal_carries_the_link_and_signs_it(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, WAV, "consent.wav")
    _link(session, rid, att.sha256)
    sealed = session.reports.seal(rid)
    doc = _sealed_doc(session, sealed.id)
    assert doc["witnesses"][0]["consent"]["recording_sha256"] == WAV_SHA
    assert doc["attachments"][0]["sha256"] == WAV_SHA
    data, _digest, signature = session.reports.store.sealed_record(sealed.id)
    key = device_identity(session.vault).public_key
    verify_seal(key, signature, data)
    other = "0" * 64
    forged = data.replace(WAV_SHA.encode(), other.encode(), 1)
    assert forged != data
    with pytest.raises(CryptoError):
        verify_seal(key, signature, forged)


def test_removed_recording_drops_the_link_from_the_seal(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, WAV, "consent.wav")
    _link(session, rid, att.sha256)
    session.reports.remove_attachment(att.id)
    assert "recording_sha256" not in session.reports.document(rid)["witnesses"][0]["consent"]
    assert session.reports.missing_for_seal(rid) == []  # dropped, not a reason to refuse
    sealed = session.reports.seal(rid)
    doc = _sealed_doc(session, sealed.id)
    assert "recording_sha256" not in doc["witnesses"][0]["consent"]


def test_photo_with_the_same_hash_is_not_a_recording(
    session: Session, example_doc: dict[str, Any]
) -> None:
    from tests.conftest import make_jpeg

    rid = session.reports.create_from_document(example_doc)
    photo = session.reports.attach_bytes(rid, make_jpeg(seed=9), "scene.jpg")
    _link(session, rid, photo.sha256)
    doc = _sealed_doc(session, session.reports.seal(rid).id)
    assert "recording_sha256" not in doc["witnesses"][0]["consent"]


def test_amendment_keeps_the_link(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, WAV, "consent.wav")
    _link(session, rid, att.sha256)
    first = session.reports.seal(rid)
    draft = session.reports.amend(first.id)
    doc = _sealed_doc(session, session.reports.seal(draft.id).id)
    assert doc["witnesses"][0]["consent"]["recording_sha256"] == WAV_SHA


def test_service_names_only_a_recording_of_a_report_citing_the_witness(
    session: Session, example_doc: dict[str, Any]
) -> None:
    from kpfield.errors import UsageError
    from tests.conftest import make_jpeg

    rid = session.reports.create_from_document(example_doc)
    (w,) = session.reports.view(rid).witnesses
    wav = session.reports.attach_bytes(rid, WAV, "consent.wav")
    photo = session.reports.attach_bytes(rid, make_jpeg(seed=3), "scene.jpg")
    with pytest.raises(UsageError, match="not a recording"):
        session.reports.set_consent_recording(w.id, photo.id)
    other = session.reports.create_from_document(dict(example_doc, witnesses=[]))
    elsewhere = session.reports.attach_bytes(other, wav_bytes(b"\x01\x02" * 8000), "b.wav")
    with pytest.raises(UsageError, match="does not cite the witness"):
        session.reports.set_consent_recording(w.id, elsewhere.id)
    linked = session.reports.set_consent_recording(w.id, wav.id)
    assert linked.consent is not None and linked.consent.recording_sha256 == WAV_SHA
    cleared = session.reports.set_consent_recording(w.id, None)
    assert cleared.consent is not None and cleared.consent.recording_sha256 == ""
    assert w.consent is not None
    session.reports.save_witness(
        replace(w, consent=replace(w.consent, method=ConsentMethod.WRITTEN))
    )
    with pytest.raises(UsageError, match="audio recorded"):
        session.reports.set_consent_recording(w.id, wav.id)
