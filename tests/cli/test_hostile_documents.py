"""Item 7 of issue 9: documents the JSON parser chokes on get exit 2 and a clear reason.

A lone-surrogate escape, an integer of over 4,300 digits and deep nesting used to give exit 1
("internal error"). Nothing is stored in any case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bundle.test_cli import Cli

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "docs/example-report.json").read_text())


@pytest.fixture
def cli(tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(tmp_path, passphrase_file, capsys)
    rc, _out, err = c(
        "v", "init", "--device-name", "l", "--kdf-memory-mib", "8", "--kdf-iterations", "1"
    )
    assert rc == 0, err
    return c


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (json.dumps(EXAMPLE).replace('"title": "', '"title": "\\ud800', 1), "lone surrogate"),
        (json.dumps(EXAMPLE)[:-1] + ', "people_affected": ' + "9" * 5000 + "}", "too long"),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested too deeply"),
    ],
    ids=["lone-surrogate", "huge-integer", "deep-list", "deep-object"],
)
def test_unparseable_documents_exit_2(cli: Cli, tmp_path: Path, text: str, words: str) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(text, encoding="utf-8")
    rc, _out, err = cli("v", "report", "new", "--from", str(doc))
    assert rc == 2, err
    assert words in err
    assert err.startswith("kpfield: ")
    rc, out, _err = cli("v", "report", "list")
    assert rc == 0 and "No reports." in out
