"""Issue 8: recordings, documents and captions travel in a bundle and verify at HQ; bundles and
sealed reports from before captions still import and show."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from kpfield.app import Session, open_session
from kpfield.gui.desk.report_html import report_html
from kpfield.hq import intake
from tests.bundle.world import decrypt_with_hq, export, split_tar, stick
from tests.conftest import PASSPHRASE, make_jpeg
from tests.support.recordings import PDF, TEXT, wav_bytes


def test_recordings_documents_and_captions_reach_hq_verified(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    r = field_s.reports
    rid = r.create_from_document(example_doc)
    files = {
        "IMG_7.jpg": make_jpeg(seed=7),
        "consent.wav": wav_bytes(b"\x10\x00" * 8000 * 2),
        "transcript.txt": TEXT.encode(),
        "letter.pdf": PDF,
    }
    atts = {name: r.attach_bytes(rid, data, name) for name, data in files.items()}
    r.set_caption(atts["IMG_7.jpg"].id, "The checkpoint, looking north")
    r.set_caption(atts["consent.wav"].id, "Consent given aloud, 3 October")
    r.seal(rid)
    folder = stick(tmp_path)
    (bundle,) = export(field_s, folder)

    # What the bundle holds: each original byte for byte, named by type, listed in the manifest.
    members = dict(split_tar(decrypt_with_hq(hq, bundle.read_bytes())))
    for name, data in files.items():
        att = atts[name]
        ext = {"jpg": ".jpg", "wav": ".wav", "txt": ".txt", "pdf": ".pdf"}[name.rsplit(".")[1]]
        assert members[f"attachments/{att.id}{ext}"] == data
    sealed = json.loads(members[f"reports/{rid}.json"])
    captions = {a["original_name"]: a["caption"] for a in sealed["attachments"]}
    assert captions == {
        "IMG_7.jpg": "The checkpoint, looking north",
        "consent.wav": "Consent given aloud, 3 October",
        "transcript.txt": "",
        "letter.pdf": "",
    }
    manifest = json.loads(members["manifest.json"])
    listed = {a["id"]: a["sha256"] for a in manifest["reports"][0]["attachments"]}
    assert listed == {a.id: hashlib.sha256(files[n]).hexdigest() for n, a in atts.items()}

    result = hq.hq().intake.import_paths([folder])
    assert [o.status for o in result.outcomes] == [intake.IMPORTED]
    for name, att in atts.items():
        assert b"".join(intake.original_bytes(hq.vault, att.id)) == files[name]
    case = hq.hq().cases.report(rid)
    views = {a.original_name: a for a in case.attachments}
    assert {n: (v.kind, v.stored) for n, v in views.items()} == {
        "IMG_7.jpg": ("photo", True),
        "consent.wav": ("audio", True),
        "transcript.txt": ("document", True),
        "letter.pdf": ("document", True),
    }
    assert views["consent.wav"].caption == "Consent given aloud, 3 October"
    assert views["consent.wav"].claims == {"duration_ms": 2000}
    html = report_html(case, lambda s: s)
    assert "Recordings and documents" in html
    assert atts["consent.wav"].sha256 in html and atts["letter.pdf"].sha256 in html
    assert "Consent given aloud, 3 October" in html
    assert "0:02" in html
    assert html.count("✔ SHA-256 verified at import") == 3  # the photo is shown as a picture


def test_a_bundle_from_before_captions_still_imports_and_shows(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "v1"
    shutil.copytree(fixture / "hq-vault", tmp_path / "hq")
    rid = (fixture / "report-id").read_text().strip()
    hq = open_session(tmp_path / "hq", PASSPHRASE)  # migrates the old HQ vault to today's schema
    try:
        folder = stick(tmp_path, "old")
        shutil.copy(fixture / "bundle-v1", folder / "0123456789abcdef0123456789abcdef")
        assert hq.hq().intake.import_paths([folder]).imported == 1
        case = hq.hq().cases.report(rid)
        assert all(a.caption == "" for a in case.attachments)
        html = report_html(case, lambda s: s)
        assert case.title in html
    finally:
        hq.close()
