"""A witness stored before consents could name a recording (a vault of schema 1, its row written
by raw SQL as that code wrote it) migrates, reads with no recording named, and can then name one:
the link lives in the witness's encrypted document, so no column or migration is needed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import session_for
from kpfield.vault import db
from kpfield.vault.vault import Vault
from tests.conftest import PASSPHRASE
from tests.support.recordings import wav_bytes
from tests.vault.test_migrations import _vault_at_v1

WID = "7a1b2c3d-aaaa-4bbb-8ccc-ddddeeeeffff"
OLD_WITNESS = {
    "pseudonym": "W-Baobab",
    "age_group": "30_49",
    "gender": "male",
    "role": "victim",
    "risk_notes": "",
    "consent": {
        "given": True,
        "method": "verbal_recorded",
        "recorded_on": "2026-10-05",
        "scope": {"coalition_use": True, "share_with_kp": True},
        "notes": "",
    },
}


def test_old_witness_migrates_and_can_name_its_recording(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _vault_at_v1(vault_dir, cheap_params, monkeypatch)
    first = db.load_migrations()[:1]
    monkeypatch.setattr(db, "load_migrations", lambda: first)
    v = Vault.open(vault_dir, PASSPHRASE)
    with db.transaction(v.conn):
        v.conn.execute(
            "INSERT INTO witnesses(id, pseudonym, doc, created_at, updated_at)"
            " VALUES (?, 'W-Baobab', ?, 't', 't')",
            (WID, json.dumps(OLD_WITNESS)),
        )
        v.conn.execute(
            "INSERT INTO report_witnesses(report_id, witness_id, position) VALUES (?, ?, 0)",
            (rid, WID),
        )
    v.close()
    monkeypatch.undo()

    s = session_for(Vault.open(vault_dir, PASSPHRASE))
    try:
        assert db.schema_version(s.vault.conn) == len(db.load_migrations())
        (w,) = s.reports.view(rid).witnesses
        assert w.consent is not None and w.consent.recording_sha256 == ""
        assert w.consent.scope.share_with_kp
        att = s.reports.attach_bytes(rid, wav_bytes(b"\x00\x01" * 8000), "consent.wav")
        s.reports.set_consent_recording(w.id, att.id)
        stored = s.vault.conn.execute("SELECT doc FROM witnesses WHERE id = ?", (WID,)).fetchone()
        consent = json.loads(stored[0])["consent"]
        assert consent["recording_sha256"] == att.sha256
        # Everything the old row held is still there.
        assert {k: consent[k] for k in ("given", "method", "recorded_on")} == {
            "given": True,
            "method": "verbal_recorded",
            "recorded_on": "2026-10-05",
        }
        (again,) = s.reports.view(rid).witnesses
        assert again.consent == replace(w.consent, recording_sha256=att.sha256)
    finally:
        s.close()
