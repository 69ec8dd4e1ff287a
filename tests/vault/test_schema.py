"""A migrated vault's schema is exactly a fresh one's, per role, as checked in under schema/.

The snapshots are ``tests/vault/schema/<role>.sql``. After adding a migration, regenerate them with

    KPFIELD_UPDATE_SCHEMA=1 pytest tests/vault/test_schema.py

and review the diff: it is the whole schema change a reviewer needs to see.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from kpfield.vault import db
from kpfield.vault.migrations import ROLES, Migration
from kpfield.vault.vault import Vault
from tests.conftest import PASSPHRASE

SNAPSHOTS = Path(__file__).parent / "schema"
HQ_TABLES = {"hq_devices", "hq_bundles", "hq_reports", "hq_attachments", "hq_custody"}
FIELD_TABLES = {"bundles_out", "receipts_in"}
REPORT_ID = "0b3c4d5e-1111-4222-8333-944455556666"


def dump_schema(conn: Any, role: str) -> str:
    """Everything sqlite_master holds (FTS shadow tables included: they are stable), sorted."""
    out = [
        f"-- Schema of a fresh {role} vault; regenerate: see tests/vault/test_schema.py",
        f"-- user_version {db.schema_version(conn)}",
    ]
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    for kind, name, table, sql in rows:
        out.append("")
        out.append(f"-- {kind} {name} on {table}")
        # Automatic indexes (UNIQUE, PRIMARY KEY) have no SQL of their own.
        out.append(f"{sql};" if sql is not None else "-- (automatic)")
    return "\n".join(out) + "\n"


def check_snapshot(conn: Any, role: str) -> None:
    path = SNAPSHOTS / f"{role}.sql"
    got = dump_schema(conn, role)
    if os.environ.get("KPFIELD_UPDATE_SCHEMA") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"schema differs from {path.name}"


def tables(conn: Any) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


def create_with(
    monkeypatch: pytest.MonkeyPatch, steps: Sequence[Migration], root: Path, role: str, params: Any
) -> Vault:
    """Vault.create, as a KP Field that shipped only ``steps`` made it."""
    with monkeypatch.context() as m:
        m.setattr(db, "load_migrations", lambda: tuple(steps))
        return Vault.create(root, PASSPHRASE, role=role, params=params)


def both_roles(step: Migration) -> Migration:
    """A step as the code before role-aware migrations ran it: every role's part, in one vault."""
    script = step.common + "".join(step.by_role[r] for r in ROLES if r in step.by_role)
    return Migration(step.number, step.name, script, MappingProxyType({}), step.step)


def add_draft(v: Vault) -> None:
    """A draft and its search row written with raw SQL, as version-1 code wrote them."""
    doc = {"title": "Beating at the river site", "narrative": "Guards beat four diggers."}
    with db.transaction(v.conn):
        v.conn.execute(
            "INSERT INTO reports(id, status, doc, title, country, categories, created_at,"
            " updated_at) VALUES (?, 'draft', ?, ?, 'SL', 'torture', 't', 't')",
            (REPORT_ID, json.dumps(doc), doc["title"]),
        )
        v.conn.execute(
            "INSERT INTO report_search(report_id, title, narrative, notes, place, witnesses)"
            " VALUES (?, ?, ?, '', 'Koidu SL', '')",
            (REPORT_ID, doc["title"], doc["narrative"]),
        )


def assert_draft_kept(v: Vault) -> None:
    assert v.conn.execute("SELECT id, status FROM reports").fetchall() == [(REPORT_ID, "draft")]
    found = v.conn.execute(
        "SELECT report_id FROM report_search WHERE report_search MATCH 'diggers'"
    )
    assert found.fetchall() == [(REPORT_ID,)]


@pytest.mark.parametrize("role", ROLES)
def test_fresh_vault_matches_snapshot(vault_dir: Path, cheap_params: Any, role: str) -> None:
    with Vault.create(vault_dir, PASSPHRASE, role=role, params=cheap_params) as v:
        check_snapshot(v.conn, role)


@pytest.mark.parametrize("role", ROLES)
def test_vault_from_v1_with_data_matches_snapshot(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    shipped = db.load_migrations()
    v = create_with(monkeypatch, shipped[:1], vault_dir, role, cheap_params)
    assert db.schema_version(v.conn) == 1
    add_draft(v)
    v.close()
    with Vault.open(vault_dir, PASSPHRASE) as v:
        assert db.schema_version(v.conn) == len(shipped)
        assert v.role == role
        assert_draft_kept(v)
        # Migration 4 indexed the row written before it.
        assert v.conn.execute("SELECT report_id FROM report_search_rows").fetchall() == [
            (REPORT_ID,)
        ]
        check_snapshot(v.conn, role)


def _old_layout_vault(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch, role: str
) -> Vault:
    """A vault as released before migration 5: schema 4, with both roles' tables."""
    old = [both_roles(step) for step in db.load_migrations()[:4]]
    v = create_with(monkeypatch, old, vault_dir, role, cheap_params)
    assert tables(v.conn) >= HQ_TABLES | FIELD_TABLES
    add_draft(v)
    return v


@pytest.mark.parametrize("role", ROLES)
def test_old_vault_with_both_roles_tables_matches_snapshot(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    _old_layout_vault(vault_dir, cheap_params, monkeypatch, role).close()
    with Vault.open(vault_dir, PASSPHRASE) as v:
        assert_draft_kept(v)
        check_snapshot(v.conn, role)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_has_only_its_own_tables(vault_dir: Path, cheap_params: Any, role: str) -> None:
    with Vault.create(vault_dir, PASSPHRASE, role=role, params=cheap_params) as v:
        own, other = (FIELD_TABLES, HQ_TABLES) if role == "field" else (HQ_TABLES, FIELD_TABLES)
        assert own <= tables(v.conn)
        assert not other & tables(v.conn)


def test_cleanup_keeps_hq_tables_holding_rows_in_a_field_vault(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = _old_layout_vault(vault_dir, cheap_params, monkeypatch, "field")
    with db.transaction(v.conn):
        v.conn.execute(
            "INSERT INTO hq_devices(device_id, public_key, age_recipient, name, fingerprint,"
            " enrolled_at) VALUES ('dev-1', x'01', 'age1x', 'laptop', 'fp', 't')"
        )
    v.close()
    with Vault.open(vault_dir, PASSPHRASE) as v:
        present = tables(v.conn)
        assert "hq_devices" in present
        assert v.conn.execute("SELECT device_id FROM hq_devices").fetchall() == [("dev-1",)]
        # Its empty neighbours go; the field tables stay.
        assert not (HQ_TABLES - {"hq_devices"}) & present
        assert present >= FIELD_TABLES


def test_cleanup_keeps_field_tables_holding_rows_in_an_hq_vault(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = _old_layout_vault(vault_dir, cheap_params, monkeypatch, "hq")
    with db.transaction(v.conn):
        v.conn.execute(
            "INSERT INTO bundles_out(sequence, bundle_id, manifest_sha256, ciphertext_sha256,"
            " size, created_at, report_ids) VALUES (1, 'b', 'm', 'c', 10, 't', '[]')"
        )
    v.close()
    with Vault.open(vault_dir, PASSPHRASE) as v:
        present = tables(v.conn)
        assert "bundles_out" in present
        assert "receipts_in" not in present
        assert present >= HQ_TABLES


def test_cleanup_keeps_an_empty_table_that_a_kept_one_points_at(
    vault_dir: Path, cheap_params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = _old_layout_vault(vault_dir, cheap_params, monkeypatch, "field")
    # Only possible with foreign keys off (an old bug, a hand edit): a row naming no device.
    v.conn.execute("PRAGMA foreign_keys = OFF")
    v.conn.execute(
        "INSERT INTO hq_custody(device_id, seq, entry, prev_hash, entry_hash)"
        " VALUES ('dev-1', 1, '{}', '', 'h')"
    )
    v.close()
    with Vault.open(vault_dir, PASSPHRASE) as v:
        present = tables(v.conn)
        assert {"hq_custody", "hq_devices"} <= present
        assert not {"hq_bundles", "hq_reports", "hq_attachments"} & present


def test_shipped_migrations_are_numbered_in_order() -> None:
    steps = db.load_migrations()
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert set(steps[1].by_role) == set(ROLES)  # 0002 is split by role


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "v.db", b"k" * 32, create=True)
    with pytest.raises(ValueError, match="role"):
        db.migrate(conn, "relay")
    assert db.schema_version(conn) == 0
    conn.close()
