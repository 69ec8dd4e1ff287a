"""HQ's case view of a spoken, recorded consent: the recording it names (linked), "recording not
sent" when none is named, and a plain sentence when the named hash is none of the report's files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.domain import document
from kpfield.domain.ids import ReportId
from kpfield.gui.desk.report_html import report_html
from kpfield.services.desk import CaseView
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE, export, new_field, new_hq, stick
from tests.support.recordings import wav_bytes

WAV = wav_bytes(b"\x00\x01" * 8000 * 4)
WAV_SHA = hashlib.sha256(WAV).hexdigest()
ELSEWHERE = "e" * 64


def _id(s: str) -> str:
    return s


@dataclass
class World:
    hq: Session
    field: Session
    linked: ReportId
    unlinked: ReportId
    dangling: ReportId

    def view(self, rid: str) -> CaseView:
        return self.hq.hq().cases.report(rid)


def _link(s: Session, rid: ReportId, sha: str) -> None:
    (w,) = s.reports.view(rid).witnesses
    assert w.consent is not None
    s.reports.save_witness(replace(w, consent=replace(w.consent, recording_sha256=sha)))


@pytest.fixture
def world(
    tmp_path: Path, cheap_params: KdfParams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    hq = new_hq(tmp_path / "hq", cheap_params)
    field = new_field(tmp_path / "field", cheap_params, hq)
    example: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    linked = field.reports.create_from_document(example)
    att = field.reports.attach_bytes(linked, WAV, "consent-W-Baobab.wav")
    field.reports.set_caption(att.id, "Consent read aloud in Krio")
    _link(field, linked, att.sha256)
    field.reports.seal(linked)
    # Same witness kind, spoken consent, no recording named (kept off the laptop).
    unlinked = field.reports.create_from_document(example)
    field.reports.seal(unlinked)
    # A seal, signed by the device, naming a recording that is none of the report's files (as
    # a device with other rules could write): HQ must say so, not crash.
    dangling = field.reports.create_from_document(example)
    _link(field, dangling, ELSEWHERE)
    real = document.audio_hashes
    monkeypatch.setattr(document, "audio_hashes", lambda a: real(a) | {ELSEWHERE})
    field.reports.seal(dangling)
    monkeypatch.setattr(document, "audio_hashes", real)
    paths = export(field, stick(tmp_path))
    result = hq.hq().intake.import_paths(paths)
    assert result is not None
    yield World(hq, field, linked, unlinked, dangling)
    hq.close()
    field.close()


def test_case_view_links_the_recording(world: World) -> None:
    v = world.view(world.linked)
    (w,) = v.witnesses
    assert (w.consent_method, w.recording_sha256) == ("verbal_recorded", WAV_SHA)
    (a,) = v.attachments
    assert a.kind == "audio" and a.sha256 == WAV_SHA and a.stored
    html = report_html(v, _id)
    link = f"<a href='#att-{a.attachment_id}'>consent-W-Baobab.wav</a>"
    assert f"Consent recorded in audio: {link}" in html
    assert f"<a name='att-{a.attachment_id}'></a>" in html  # the target of the link


def test_no_recording_named_says_not_sent(world: World) -> None:
    v = world.view(world.unlinked)
    (w,) = v.witnesses
    assert w.recording_sha256 == ""
    assert "Consent recorded in audio: recording not sent" in report_html(v, _id)


def test_hash_naming_no_attachment_is_said_plainly(world: World) -> None:
    v = world.view(world.dangling)
    (w,) = v.witnesses
    assert w.recording_sha256 == ELSEWHERE
    html = report_html(v, _id)
    assert "names a recording that is not one of this report's files" in html
    assert ELSEWHERE in html
    assert "Consent recorded in audio:" not in html


@pytest.mark.parametrize("value", [42, ["x"], {"a": 1}, "<b>bold</b>"])
def test_odd_values_never_crash_and_are_escaped(world: World, value: Any) -> None:
    from kpfield.hq import cases

    v = world.view(world.linked)
    raw = {"consent": {"method": "verbal_recorded", "recording_sha256": value}}
    w = replace(v.witnesses[0], recording_sha256=cases.consent_recording(raw))
    html = report_html(replace(v, witnesses=(w,)), _id)
    assert "names a recording that is not one of this report's files" in html
    assert "<b>bold</b>" not in html


def test_other_methods_show_no_recording_line(world: World) -> None:
    v = world.view(world.unlinked)
    w = replace(v.witnesses[0], consent_method="written")
    assert "Consent recorded in audio" not in report_html(replace(v, witnesses=(w,)), _id)


def test_translated_line(world: World) -> None:
    from kpfield.i18n import I18n

    fr = I18n("fr").gettext
    html = report_html(world.view(world.unlinked), fr)
    assert fr("Consent recorded in audio: {recording}") != "Consent recorded in audio: {recording}"
    assert fr("recording not sent") in html
