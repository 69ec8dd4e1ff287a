"""An HQ vault reopened after an import keeps every imported original (no sweep eats them)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from kpfield.app import Session, open_session
from kpfield.hq import intake
from tests.bundle.world import export, seal_report, stick
from tests.conftest import PASSPHRASE


def test_imported_originals_survive_reopen(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    seal_report(field_s, example_doc, photos=2)
    folder = stick(tmp_path)
    export(field_s, folder)
    result = hq.hq().intake.import_paths([folder])
    assert [o.status for o in result.outcomes] == [intake.IMPORTED]
    rows = hq.vault.conn.execute("SELECT attachment_id, sha256 FROM hq_attachments").fetchall()
    assert len(rows) == 2
    hq_dir = hq.vault.paths.root
    hq.close()
    again = open_session(hq_dir, PASSPHRASE)
    try:
        for aid, sha in rows:
            h = hashlib.sha256()
            for chunk in intake.original_bytes(again.vault, aid):
                h.update(chunk)
            assert h.hexdigest() == sha
    finally:
        again.close()
