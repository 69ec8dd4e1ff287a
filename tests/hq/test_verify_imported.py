"""Item 4 of issue 9: ``kpfield verify`` at HQ re-checks everything it imported.

It used to print "Checked 0 custody entries … All verified." after 20 imported bundles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.vault.db import transaction
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import export, new_field, new_hq, seal_report, stick


@pytest.fixture
def hq_with_imports(
    tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> Session:
    hq = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    for n in range(3):
        folder = stick(tmp_path, f"stick{n}")
        seal_report(laptop, example_doc, photos=1, seed=n)
        export(laptop, folder)
        assert hq.hq().intake.import_paths([folder]).imported == 1
    laptop.close()
    return hq


def test_verify_at_hq_counts_what_was_imported(hq_with_imports: Session) -> None:
    result = hq_with_imports.verify()
    assert result.problems == []
    assert result.imported_bundles == 3
    assert result.imported_reports == 3
    assert result.imported_attachments == 3
    assert result.custody_entries > 0


def _damage(hq: Session, sql: str) -> list[str]:
    conn = hq.vault.conn
    with transaction(conn):
        for trigger in [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]:
            conn.execute(f'DROP TRIGGER "{trigger}"')
        conn.execute(sql)
    return hq.verify().problems


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "UPDATE hq_reports SET sealed_json = CAST(replace(CAST(sealed_json AS TEXT),"
            " 'a', 'b') AS BLOB) WHERE rowid = 1",
            "does not match its recorded hash",
        ),
        (
            "UPDATE hq_reports SET signature = (SELECT signature FROM hq_bundles LIMIT 1)"
            " WHERE rowid = 1",
            "seal does not verify",
        ),
        (
            "UPDATE hq_bundles SET signature = (SELECT signature FROM hq_bundles"
            " WHERE sequence = 2) WHERE sequence = 1",
            "manifest signature does not verify",
        ),
        ("UPDATE hq_custody SET entry_hash = lower(hex(randomblob(32))) WHERE seq = 2", "custody"),
        ("DELETE FROM hq_custody WHERE seq = 1", "does not start at entry 1"),
    ],
)
def test_verify_at_hq_finds_damage(hq_with_imports: Session, sql: str, expected: str) -> None:
    problems = _damage(hq_with_imports, sql)
    assert any(expected in p for p in problems), problems
