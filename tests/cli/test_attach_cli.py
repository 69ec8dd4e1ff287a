"""`kpfield attach` with recordings, documents and duplicates; `kpfield attachment caption`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_cli import assert_clean_error, run, vault  # noqa: F401 - the fixture
from tests.support.recordings import PDF, TEXT, wav_bytes


def _new(vault: list[str], tmp_path: Path, doc: dict[str, Any]) -> str:  # noqa: F811
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    return run("report", "new", "--from", str(path), *vault).stdout.strip()


def test_attach_kinds_duplicates_and_captions(
    vault: list[str],  # noqa: F811
    tmp_path: Path,
    example_doc: dict[str, Any],
) -> None:
    first = _new(vault, tmp_path, example_doc)
    wav, txt, pdf = tmp_path / "consent.wav", tmp_path / "notes.txt", tmp_path / "letter.pdf"
    wav.write_bytes(wav_bytes())
    txt.write_text(TEXT, encoding="utf-8")
    pdf.write_bytes(PDF)
    r = run("attach", first, str(wav), str(txt), str(pdf), *vault)
    assert r.returncode == 0, r.stderr
    wav_id = r.stdout.splitlines()[0].split()[0]
    # Again into the same report: refused, nothing stored, exit 2.
    assert_clean_error(run("attach", first, str(wav), *vault), 2, "already attached to this report")
    # Into another report: refused unless --allow-duplicate, and the flag is named.
    second = _new(vault, tmp_path, example_doc)
    r = run("attach", second, str(pdf), *vault)
    assert_clean_error(r, 2, "already attached to the report")
    assert "--allow-duplicate" in r.stderr
    assert run("attach", second, str(pdf), "--allow-duplicate", *vault).returncode == 0
    r = run("attachment", "caption", wav_id, "Consent given aloud", *vault)
    assert r.returncode == 0, r.stderr
    shown = json.loads(run("report", "show", first, "--json", *vault).stdout)
    kinds = [(a["kind"], a["mime"], a["caption"]) for a in shown["attachments"]]
    assert kinds == [
        ("audio", "audio/wav", "Consent given aloud"),
        ("document", "text/plain", ""),
        ("document", "application/pdf", ""),
    ]
    assert shown["attachments"][0]["capture_claims"] == {"duration_ms": 1000}
    assert run("report", "seal", first, *vault).returncode == 0
    assert_clean_error(run("attachment", "caption", wav_id, "later", *vault), 2, "sealed")
