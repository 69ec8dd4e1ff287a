"""Someone with the passphrase edits the database behind the app: verify must notice."""

from __future__ import annotations

from typing import Any

import pytest
import sqlcipher3

from kpfield.app import Session
from kpfield.services.verify import verify_vault
from tests.conftest import make_jpeg


def _sealed(session: Session, example_doc: dict[str, Any]) -> str:
    rid = session.reports.create_from_document(example_doc)
    session.reports.attach_bytes(rid, make_jpeg(seed=31), "a.jpg")
    session.reports.attach_bytes(rid, make_jpeg(seed=32), "b.jpg")
    session.reports.seal(rid)
    assert verify_vault(session.vault).ok
    return rid


def _drop_guards(session: Session) -> None:
    for (name,) in session.vault.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    ).fetchall():
        session.vault.conn.execute(f'DROP TRIGGER "{name}"')


def test_guards_refuse_unsealing_and_removing_photos(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = _sealed(session, example_doc)
    c = session.vault.conn
    for sql in (
        "UPDATE reports SET status = 'draft' WHERE id = ?",
        "DELETE FROM attachments WHERE report_id = ?",
        "UPDATE attachments SET sha256 = 'x' WHERE report_id = ?",
        "DELETE FROM reports WHERE id = ?",
    ):
        with pytest.raises(sqlcipher3.IntegrityError):
            c.execute(sql, (rid,))


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        (
            "UPDATE reports SET doc = json_set(doc, '$.narrative', 'Nothing happened.') WHERE id = ?",
            "differs from what was sealed",
        ),
        (
            "DELETE FROM attachments WHERE id = (SELECT id FROM attachments WHERE report_id = ? LIMIT 1)",
            "is missing",
        ),
        ("DELETE FROM reports WHERE id = ?", "is missing or was changed"),
        (
            "UPDATE reports SET sealed_json = NULL, status = 'acknowledged' WHERE id = ?",
            "without a recorded purge",
        ),
        ("UPDATE reports SET status = 'draft' WHERE id = ?", "is missing or was changed"),
    ],
)
def test_verify_catches_edits_behind_the_app(
    session: Session, example_doc: dict[str, Any], sql: str, words: str
) -> None:
    rid = _sealed(session, example_doc)
    _drop_guards(session)
    session.vault.conn.execute("PRAGMA foreign_keys = OFF")
    session.vault.conn.execute(sql, (rid,))
    result = verify_vault(session.vault)
    assert not result.ok
    assert any(words in p for p in result.problems), result.problems


def test_deleted_draft_text_leaves_no_trace_in_search_index(session: Session) -> None:
    from dataclasses import replace

    marker = "zqxjkvmarkerword"
    r = session.reports.new_draft()
    r = session.reports.save_draft(replace(r, narrative=f"first {marker} version"))
    r = session.reports.save_draft(replace(r, narrative="second version"))
    session.reports.delete_draft(r.id)
    blobs = b"".join(
        bytes(row[0]) for row in session.vault.conn.execute("SELECT block FROM report_search_data")
    )
    assert marker.encode() not in blobs
