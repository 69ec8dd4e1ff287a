"""Issue 8: recordings and documents attach like photos; duplicates are flagged; captions are
sealed. Every check here reads the vault (rows, blobs, the sealed bytes), not only return values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from kpfield.app import Session
from kpfield.custody.seal import device_identity, verify_seal
from kpfield.errors import CryptoError, DuplicateAttachment, MediaError, StateError, UsageError
from kpfield.services.attachments import MAX_ATTACHMENT_BYTES
from tests.conftest import make_jpeg
from tests.support.recordings import M4A, MP3, OGG_OPUS, PDF, TEXT, adpcm_wav, wav_bytes


def _blob_files(s: Session) -> int:
    return sum(1 for p in s.vault.paths.blobs.rglob("*") if p.is_file())


def _rows(s: Session) -> int:
    return int(s.vault.conn.execute("SELECT count(*) FROM attachments").fetchone()[0])


KINDS = [
    (wav_bytes(b"\x00\x01" * 8000 * 3), "interview.wav", "audio", "audio/wav", 3000),
    (adpcm_wav(), "recorder.wav", "audio", "audio/wav", None),
    (MP3, "interview.mp3", "audio", "audio/mpeg", None),
    (OGG_OPUS, "voice.opus", "audio", "audio/ogg", None),
    (M4A, "memo.m4a", "audio", "audio/mp4", None),
    (PDF, "letter.pdf", "document", "application/pdf", None),
    (TEXT.encode(), "notes.txt", "document", "text/plain", None),
    (make_jpeg(seed=4), "scan.jpg", "photo", "image/jpeg", None),
]


@pytest.mark.parametrize("case", KINDS, ids=[c[1] for c in KINDS])
def test_each_kind_is_hashed_encrypted_and_listed(
    session: Session, example_doc: dict[str, Any], case: tuple[Any, ...]
) -> None:
    data, name, kind, mime, duration_ms = case
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, data, name)
    assert (att.kind.value, att.mime, att.claims.duration_ms) == (kind, mime, duration_ms)
    assert att.sha256 == hashlib.sha256(data).hexdigest()
    assert att.has_thumbnail is (kind == "photo")
    (stored,) = session.reports.attachments(rid)
    assert stored == att
    assert session.reports.original_bytes(att.id) == data
    # The blob on disk is ciphertext (no 32-byte run of the original in it) and padded.
    (blob_name,) = session.vault.conn.execute(
        "SELECT blob_name FROM attachments WHERE id = ?", (att.id,)
    ).fetchone()
    on_disk = next(session.vault.paths.blobs.rglob(blob_name)).read_bytes()
    assert data[:32] not in on_disk
    assert len(on_disk) > len(data)


def test_text_documents_are_read_from_memory(session: Session, example_doc: dict[str, Any]) -> None:
    rid = session.reports.create_from_document(example_doc)
    doc = session.reports.attach_bytes(rid, b"\xef\xbb\xbf" + TEXT.encode(), "notes.txt")
    assert session.reports.text_of(doc.id) == TEXT
    pdf = session.reports.attach_bytes(rid, PDF, "letter.pdf")
    with pytest.raises(MediaError, match="Only plain text"):
        session.reports.text_of(pdf.id)


@pytest.mark.parametrize(
    ("data", "name", "match"),
    [
        (
            b"MZ\x90\x00" + bytes(100),
            "interview.mp3",
            "does not hold what its name says|not a kind",
        ),
        (PDF, "interview.mp3", "does not hold what its name says"),
        (MP3, "letter.pdf", "does not hold what its name says"),
        (make_jpeg(seed=1), "notes.txt", "does not hold what its name says"),
        (TEXT.encode(), "song.mp3", "not a kind of file"),
        (TEXT.encode(), "page.html", "not a kind of file"),
        (b"plain words\x00\x01\x02 binary", "notes.txt", "not a kind of file"),
        (b"PK\x03\x04" + bytes(50), "report.docx", "not a kind of file"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "cut.wav", "not a complete WAV"),
        (b"x" * (4 << 20) + b"y", "huge.txt", "too large for a text document"),
        (b"", "empty.wav", "empty"),
    ],
)
def test_hostile_mismatched_and_oversized_files_are_refused(
    session: Session, example_doc: dict[str, Any], data: bytes, name: str, match: str
) -> None:
    rid = session.reports.create_from_document(example_doc)
    before = (_rows(session), _blob_files(session))
    with pytest.raises(MediaError, match=match):
        session.reports.attach_bytes(rid, data, name)
    assert (_rows(session), _blob_files(session)) == before


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(
    session: Session, example_doc: dict[str, Any], tmp_path: Path
) -> None:
    rid = session.reports.create_from_document(example_doc)
    big = tmp_path / "long.wav"
    with big.open("wb") as fh:  # sparse: nothing is really written
        fh.truncate(MAX_ATTACHMENT_BYTES + 1)
    ((path, result),) = list(session.reports.attach_files(rid, [big]))
    assert isinstance(result, MediaError)
    assert "too large" in result.message
    assert _rows(session) == 0
    assert _blob_files(session) == 0


def test_a_duplicate_in_the_same_report_is_never_stored_twice(
    session: Session, example_doc: dict[str, Any], tmp_path: Path
) -> None:
    rid = session.reports.create_from_document(example_doc)
    photo = make_jpeg(seed=9)
    session.reports.attach_bytes(rid, photo, "IMG_1.jpg")
    before = (_rows(session), _blob_files(session))
    for allow in (False, True):
        with pytest.raises(DuplicateAttachment, match="already attached to this report") as e:
            session.reports.attach_bytes(rid, photo, "copy.jpg", allow_duplicate=allow)
        assert e.value.same_report
        assert "IMG_1.jpg" in e.value.message
    assert (_rows(session), _blob_files(session)) == before
    # Two copies in one batch: the first is stored, the second flagged.
    one, two = tmp_path / "a.wav", tmp_path / "b.wav"
    one.write_bytes(wav_bytes())
    two.write_bytes(wav_bytes())
    results = [r for _p, r in session.reports.attach_files(rid, [one, two])]
    assert not isinstance(results[0], Exception)
    assert isinstance(results[1], DuplicateAttachment)
    assert results[1].same_report
    assert _rows(session) == before[0] + 1


def test_a_duplicate_of_another_report_is_stored_only_when_asked(
    session: Session, example_doc: dict[str, Any], tmp_path: Path
) -> None:
    first = session.reports.create_from_document(example_doc)
    session.reports.attach_bytes(first, PDF, "letter.pdf")
    session.reports.seal(first)
    second = session.reports.create_from_document(example_doc)
    path = tmp_path / "same-letter.pdf"
    path.write_bytes(PDF)
    ((_, result),) = list(session.reports.attach_files(second, [path]))
    assert isinstance(result, DuplicateAttachment)
    assert not result.same_report
    assert example_doc["title"] in result.message
    assert session.reports.attachments(second) == []
    ((_, again),) = list(session.reports.attach_files(second, [path], allow_duplicate=True))
    assert not isinstance(again, Exception)
    assert again.sha256 == hashlib.sha256(PDF).hexdigest()
    assert len(session.reports.store.same_file(again.sha256)) == 2


def test_captions_are_sealed_and_fixed_after_sealing(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    photo = session.reports.attach_bytes(rid, make_jpeg(seed=5), "IMG_5.jpg")
    wav = session.reports.attach_bytes(rid, wav_bytes(), "consent.wav")
    assert session.reports.set_caption(photo.id, "  The fence   at dawn ").caption == (
        "The fence at dawn"
    )
    session.reports.set_caption(wav.id, "Consent, recorded in audio")
    with pytest.raises(UsageError, match="at most"):
        session.reports.set_caption(wav.id, "x" * 2001)
    sealed = session.reports.seal(rid)
    data, _digest, signature = session.reports.store.sealed_record(sealed.id)
    doc = json.loads(data)
    by_id = {a["id"]: a for a in doc["attachments"]}
    assert by_id[photo.id]["caption"] == "The fence at dawn"
    assert by_id[wav.id]["caption"] == "Consent, recorded in audio"
    assert by_id[wav.id]["capture_claims"] == {"duration_ms": 1000}
    assert by_id[wav.id]["sha256"] == wav.sha256
    # The seal covers each attachment's hash and caption: changing either breaks it.
    key = device_identity(session.vault).public_key
    verify_seal(key, signature, data)
    for old, new in ((wav.sha256, "0" * 64), ("Consent, recorded", "Consent, invented")):
        with pytest.raises(CryptoError):
            verify_seal(key, signature, data.replace(old.encode(), new.encode()))
    with pytest.raises(StateError, match="sealed"):
        session.reports.set_caption(photo.id, "changed later")
    # The database refuses it too, whatever the code path.
    with pytest.raises(sqlcipher3.IntegrityError, match="captions of sealed reports cannot change"):
        session.vault.conn.execute(
            "UPDATE attachments SET caption = 'forged' WHERE id = ?", (photo.id,)
        )
    # An amendment starts from the sealed captions, and may change them.
    draft = session.reports.amend(sealed.id)
    copies = session.reports.attachments(draft.id)
    assert sorted(a.caption for a in copies) == ["Consent, recorded in audio", "The fence at dawn"]
    session.reports.set_caption(copies[0].id, "Better words")


def test_a_long_text_document_is_cut_for_the_viewer_never_inside_a_character(
    session: Session, example_doc: dict[str, Any]
) -> None:
    """Past the viewer's limit the text ends with "[…]"; a cut inside "ç" drops it whole."""
    rid = session.reports.create_from_document(example_doc)
    body = ("Relatório çç " * 40).encode()
    doc = session.reports.attach_bytes(rid, body, "long.txt")
    assert session.reports.text_of(doc.id) == body.decode()  # under the default limit: whole
    cut_at = body.index("ç".encode()) + 1  # between the two bytes of the first "ç"
    text = session.reports.text_of(doc.id, limit=cut_at)
    assert text == body[: cut_at - 1].decode() + "\n\n[…]"
    assert "\ufffd" not in text
