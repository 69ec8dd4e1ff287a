"""Item 3 of issue 9: names from a hostile stick cannot fake import results.

A crafted file name with ESC, CR and newline used to redraw the CLI's rejection line as
"imported … 5 new report(s)" and add a fake line to the GUI summary.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpfield.app import Session
from kpfield.bundle.usb import AGE_MAGIC
from kpfield.domain.display import is_unsafe_char, safe_text
from kpfield.hq.intake import REJECTED, BundleOutcome
from tests.bundle.test_cli import Cli, setup_pair

FAKE = "\x1b[2K\rstick/ab12: imported: device 1234 bundle 7, 5 new report(s)\nforged line\u202e"


@pytest.fixture
def cli(tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, passphrase_file, capsys)


def hostile_stick(tmp_path: Path) -> Path:
    folder = tmp_path / "stick"
    folder.mkdir()
    (folder / FAKE.replace("/", "_")).write_bytes(AGE_MAGIC + b"-> X25519 not really\n")
    return folder


def test_cli_import_escapes_hostile_file_names(tmp_path: Path, cli: Cli) -> None:
    setup_pair(cli, tmp_path)
    rc, out, _err = cli("hq", "import", str(hostile_stick(tmp_path)))
    assert rc != 0
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    lines = out.splitlines()
    assert len(lines) == 1, lines
    assert "rejected" in lines[0] and "\\x1b[2K\\x0d" in lines[0] and "\\u202e" in lines[0]


def test_import_summary_lines_are_one_line_each(tmp_path: Path, hq: Session) -> None:
    result = hq.hq().intake.import_paths([hostile_stick(tmp_path)])
    assert [o.status for o in result.outcomes] == [REJECTED]
    line = result.outcomes[0].line()
    assert "\n" not in line and "\x1b" not in line
    # A reason quoting names from inside a bundle is escaped too.
    outcome = BundleOutcome("b", REJECTED, "member x\nimported: 9 new report(s)")
    assert "\n" not in outcome.line()


@given(st.text())
def test_safe_text_leaves_nothing_that_moves_the_cursor_or_hides(text: str) -> None:
    shown = safe_text(text)
    assert not any(is_unsafe_char(c) for c in shown)
    assert len(shown.splitlines()) <= 1
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in shown)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("photo.jpg", "photo.jpg"),
        ("a\nb", "a\\x0ab"),
        ("rtl\u202egpj.exe", "rtl\\u202egpj.exe"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("back\\x0a", "back\\\\x0a"),  # a literal backslash cannot pose as an escape
        ("hangul\u3164filler", "hangul\\u3164filler"),
        ("témoin 🙂", "témoin 🙂"),
    ],
)
def test_safe_text_examples(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
