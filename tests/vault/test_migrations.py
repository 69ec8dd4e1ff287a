"""Schema migrations run in order, keep existing rows, roll back on failure, refuse the future."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpfield.app import session_for
from kpfield.errors import VaultError
from kpfield.services.verify import verify_vault
from kpfield.vault import db
from kpfield.vault.migrations import Migration
from kpfield.vault.vault import Vault
from tests.conftest import PASSPHRASE, make_jpeg


def _vault_at_v1(vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A vault at schema 1 holding a draft written as version-1 code wrote it (raw SQL)."""
    import json

    first = db.load_migrations()[:1]
    monkeypatch.setattr(db, "load_migrations", lambda: first)
    v = Vault.create(vault_dir, PASSPHRASE, params=cheap_params)
    assert db.schema_version(v.conn) == 1
    rid = "0b3c4d5e-1111-4222-8333-944455556666"
    doc = {
        "title": "Beating at the river site",
        "incident": {
            "date": None,
            "categories": ["torture"],
            "perpetrators": [],
            "people_affected": None,
        },
        "place": {"site": "Koidu", "area": "", "country": "SL"},
        "narrative": "Guards beat four diggers with batons.",
        "monitor_notes": "",
        "language": "en",
    }
    with db.transaction(v.conn):
        v.conn.execute(
            "INSERT INTO reports(id, status, doc, title, country, categories, created_at,"
            " updated_at) VALUES (?, 'draft', ?, ?, 'SL', 'torture', 't', 't')",
            (rid, json.dumps(doc), doc["title"]),
        )
        v.conn.execute(
            "INSERT INTO report_search(report_id, title, narrative, notes, place, witnesses)"
            " VALUES (?, ?, ?, '', 'Koidu SL', '')",
            (rid, doc["title"], doc["narrative"]),
        )
    v.close()
    monkeypatch.undo()
    return rid


def test_every_later_migration_keeps_v1_data(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    rid = _vault_at_v1(vault_dir, cheap_params, monkeypatch)
    s = session_for(Vault.open(vault_dir, PASSPHRASE))
    try:
        assert db.schema_version(s.vault.conn) == len(db.load_migrations())
        report = s.reports.get(rid)
        assert report.narrative == "Guards beat four diggers with batons."
        assert [r.id for r in s.reports.search("batons")] == [rid]
        # The migrated index row is updated in place, not duplicated, on the next save.
        s.reports.save_draft(replace(report, narrative="Guards beat five diggers with sticks."))
        assert s.reports.search("batons") == []
        assert [r.id for r in s.reports.search("sticks")] == [rid]
        count = s.vault.conn.execute("SELECT count(*) FROM report_search").fetchone()[0]
        assert count == 1
        s.reports.attach_bytes(rid, make_jpeg(seed=21), "p.jpg")
        assert verify_vault(s.vault).ok
    finally:
        s.close()


def test_failed_migration_rolls_back(vault_dir: Path, cheap_params: Any) -> None:
    v = Vault.create(vault_dir, PASSPHRASE, params=cheap_params)
    before = db.schema_version(v.conn)

    def broken(conn: Any, role: str) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    shipped = db.load_migrations()
    with pytest.raises(RuntimeError, match="boom"):
        db.migrate(v.conn, "field", [*shipped, Migration(len(shipped) + 1, "broken", step=broken)])
    assert db.schema_version(v.conn) == before
    tables = {r[0] for r in v.conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    v.close()


def test_newer_vault_is_refused(vault_dir: Path, cheap_params: Any) -> None:
    v = Vault.create(vault_dir, PASSPHRASE, params=cheap_params)
    v.conn.execute(f"PRAGMA user_version = {len(db.load_migrations()) + 5}")
    v.close()
    with pytest.raises(VaultError, match="newer version"):
        Vault.open(vault_dir, PASSPHRASE)
