"""A bundle rejected after its manifest's signature verified names the device that signed it
(by name and fingerprint in the inbox); one rejected before that names no device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpfield.app import Session
from kpfield.gui.desk.inbox_view import device_in_words
from kpfield.hq import intake
from tests.bundle.world import export, seal_report, stick, with_bad_seal, write


def _english(s: str) -> str:
    return s


def test_a_bad_seal_inside_a_signed_bundle_names_the_device(
    hq: Session, field_s: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    seal_report(field_s, example_doc, photos=0)
    [path] = export(field_s, stick(tmp_path))
    bad = with_bad_seal(hq, field_s, path, tmp_path / "bad-seal")
    [outcome] = hq.hq().intake.import_paths([bad]).outcomes
    assert outcome.status == intake.REJECTED
    assert "seal of report" in outcome.reason and "does not verify" in outcome.reason
    device = hq.hq().devices.enrolled()[0]
    assert outcome.device_id == device.device_id and outcome.sequence == 1
    [entry] = hq.hq().inbox.entries()
    assert (entry.device_name, entry.fingerprint) == ("laptop1", device.fingerprint)
    assert device_in_words(entry, _english) == f"laptop1 ({device.fingerprint})"
    assert entry.checks[0] == ("recipients", "passed")  # the seal fails the signature check
    [summary] = hq.hq().inbox.devices()
    assert summary.rejected == 1 and summary.bundles == 0
    # Bytes flipped in the age payload: nothing can tell who sent it, and it says so.
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    hq.hq().intake.import_paths([write(tmp_path / "flipped", bytes(data))])
    newest = hq.hq().inbox.entries()[0]
    assert newest.device_id is None
    assert device_in_words(newest, _english).startswith("unknown device")
    assert hq.hq().intake.import_paths([path]).imported == 1  # the genuine one still imports


def test_a_second_bundle_with_the_same_number_is_named_in_words(
    hq: Session, field_s: Session, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    seal_report(field_s, example_doc, photos=0)
    [path] = export(field_s, stick(tmp_path))
    other = with_bad_seal(hq, field_s, path, tmp_path / "same-number")
    assert hq.hq().intake.import_paths([path]).imported == 1
    [outcome] = hq.hq().intake.import_paths([other]).outcomes
    device = hq.hq().devices.enrolled()[0]
    assert outcome.status == intake.REJECTED and outcome.device_id == device.device_id
    entry = hq.hq().inbox.entries()[0]
    reason = entry.reason()
    assert "different bundle with sequence 1" in reason
    assert f"laptop1 ({device.fingerprint})" in reason
    assert device.device_id not in reason
