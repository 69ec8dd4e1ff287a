"""Schema migrations run in order, keep existing rows, roll back on failure, refuse the future."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpfield.app import session_for
from kpfield.errors import VaultError
from kpfield.services.verify import verify_vault
from kpfield.vault import db
from kpfield.vault.vault import Vault
from tests.conftest import PASSPHRASE, make_jpeg


def _vault_at_v1(vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A vault built with only migration 1 and real data in it; returns the sealed report id."""
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:1])
    s = session_for(Vault.create(vault_dir, PASSPHRASE, params=cheap_params))
    import json

    doc = json.loads((Path(__file__).parents[2] / "docs" / "example-report.json").read_text())
    rid = s.reports.create_from_document(doc)
    s.reports.attach_bytes(rid, make_jpeg(seed=21), "p.jpg")
    s.reports.seal(rid)
    s.reports.new_draft()
    assert db.schema_version(s.vault.conn) == 1
    s.close()
    monkeypatch.undo()
    return rid


def test_every_later_migration_keeps_v1_data(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _vault_at_v1(vault_dir, cheap_params, monkeypatch)
    s = session_for(Vault.open(vault_dir, PASSPHRASE))
    try:
        assert db.schema_version(s.vault.conn) == len(db.MIGRATIONS)
        assert len(s.reports.list_reports()) == 2
        assert s.reports.get(rid).title.startswith("Beating")
        assert [r.id for r in s.reports.search("batons")] == [rid]
        assert verify_vault(s.vault).ok
    finally:
        s.close()


def test_failed_migration_rolls_back(vault_dir: Path, cheap_params: Any) -> None:
    v = Vault.create(vault_dir, PASSPHRASE, params=cheap_params)
    before = db.schema_version(v.conn)

    def broken(conn: Any) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.migrate(v.conn, [*db.MIGRATIONS, broken])
    assert db.schema_version(v.conn) == before
    tables = {r[0] for r in v.conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    v.close()


def test_newer_vault_is_refused(vault_dir: Path, cheap_params: Any) -> None:
    v = Vault.create(vault_dir, PASSPHRASE, params=cheap_params)
    v.conn.execute(f"PRAGMA user_version = {len(db.MIGRATIONS) + 5}")
    v.close()
    with pytest.raises(VaultError, match="newer version"):
        Vault.open(vault_dir, PASSPHRASE)
