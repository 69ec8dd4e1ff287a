"""Migration 2 on a vault holding data: rows survive; only a purge may empty a sealed report."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlcipher3

from kpfield.vault import db


def test_migration_2_with_data(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "v.db", b"k" * 32, create=True)
    shipped = db.load_migrations()
    db.migrate(conn, "field", shipped[:1])
    rows = [
        ("r-draft", "draft", None, None),
        ("r-sealed", "sealed", b"{}", "aa"),
        ("r-acked", "acknowledged", b"{}", "bb"),
    ]
    for rid, status, sealed, sha in rows:
        conn.execute(
            "INSERT INTO reports(id, status, doc, created_at, updated_at, sealed_json, seal_sha256,"
            " seal_signature) VALUES (?,?,?,?,?,?,?,?)",
            (rid, status, "{}", "t", "t", sealed, sha, "sig" if sha else None),
        )
    assert db.migrate(conn, "field") == len(shipped)
    assert db.schema_version(conn) == len(shipped)
    got = conn.execute("SELECT id, status, purged_at FROM reports ORDER BY id").fetchall()
    assert got == [
        ("r-acked", "acknowledged", None),
        ("r-draft", "draft", None),
        ("r-sealed", "sealed", None),
    ]
    conn.execute("UPDATE reports SET doc = 'x' WHERE id = 'r-draft'")
    # A sealed, unacknowledged report stays immutable, purge or not.
    with pytest.raises(sqlcipher3.IntegrityError, match="cannot change"):
        conn.execute("UPDATE reports SET sealed_json = NULL, purged_at = 't' WHERE id = 'r-sealed'")
    # An acknowledged one may be purged, but never have its hash or signature changed.
    with pytest.raises(sqlcipher3.IntegrityError, match="cannot change"):
        conn.execute(
            "UPDATE reports SET sealed_json = NULL, purged_at = 't', seal_sha256 = 'cc'"
            " WHERE id = 'r-acked'"
        )
    with pytest.raises(sqlcipher3.IntegrityError, match="cannot change"):
        conn.execute("UPDATE reports SET doc = 'x' WHERE id = 'r-acked'")
    conn.execute(
        "UPDATE reports SET sealed_json = NULL, doc = '{}', purged_at = 't' WHERE id = 'r-acked'"
    )
    with pytest.raises(sqlcipher3.IntegrityError, match="cannot be undone"):
        conn.execute("UPDATE reports SET purged_at = NULL WHERE id = 'r-acked'")
    with pytest.raises(sqlcipher3.IntegrityError, match="cannot be deleted"):
        conn.execute("DELETE FROM reports WHERE id = 'r-acked'")
    assert conn.execute("SELECT seal_sha256 FROM reports WHERE id = 'r-acked'").fetchone() == (
        "bb",
    )
    conn.close()
