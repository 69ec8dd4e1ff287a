"""`kpfield report delete`: the CLI twin of the GUI's Delete draft (asks for --yes; sealed stay)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kpfield.app import open_session
from tests.cli.test_cli import (
    assert_clean_error,
    run,
    vault,  # noqa: F401 - the fixture
)
from tests.conftest import PASSPHRASE, make_jpeg


def test_delete_a_draft_with_yes_and_the_log_records_it(
    vault: list[str], tmp_path: Path, example_doc: dict[str, Any]  # noqa: F811
) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc), encoding="utf-8")
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_jpeg(seed=3))
    assert run("attach", rid, str(photo), *vault).returncode == 0

    r = run("report", "delete", rid[:8], *vault)
    assert r.returncode == 2 and "--yes" in r.stderr  # nothing deleted without --yes
    assert json.loads(run("report", "list", "--json", *vault).stdout) != []

    r = run("report", "delete", rid[:8], "--yes", *vault)
    assert r.returncode == 0, r.stderr
    assert json.loads(run("report", "list", "--json", *vault).stdout) == []
    assert "All verified" in run("verify", *vault).stdout
    session = open_session(Path(vault[1]), PASSPHRASE)
    try:
        events = [(e.event, e.report_id) for e in session.reports.custody.entries()]
        assert events[-1] == ("deleted", rid)
        entry = session.reports.custody.entries()[-1]
        assert set(entry.details) == {"version", "amends", "attachments"}  # no content
        assert entry.details["attachments"] == 1
        assert [p for p in (Path(vault[1]) / "blobs").rglob("*") if p.is_file()] == []
    finally:
        session.close()


def test_a_sealed_report_cannot_be_deleted(
    vault: list[str], tmp_path: Path, example_doc: dict[str, Any]  # noqa: F811
) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc), encoding="utf-8")
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    assert run("report", "seal", rid, *vault).returncode == 0
    assert_clean_error(run("report", "delete", rid, "--yes", *vault), 2, "cannot be deleted")
