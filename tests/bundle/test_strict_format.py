"""Item 9 of issue 9: the smaller strictness gaps.

The tar reader ignored member mode, owner and link name and accepted sizes with leading spaces;
an ASCII-armored bundle was imported when named but skipped in a folder scan; recipients and
identities with surrounding spaces were accepted where ``age`` refuses them.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle import tarstream
from kpfield.crypto import age
from kpfield.errors import BundleError, CryptoError
from kpfield.hq.intake import REJECTED
from tests.bundle.world import export, seal_report, stick


def with_field(block: bytes, start: int, value: bytes) -> bytes:
    raw = bytearray(block)
    raw[start : start + len(value)] = value
    raw[148:156] = b"        "
    raw[148:156] = f"{sum(raw):06o}\x00 ".encode()
    return bytes(raw)


GOOD = tarstream.header("reports/a.json", 1234, 1_700_000_000)


def test_our_own_header_parses() -> None:
    assert tarstream.parse_header(GOOD) == ("reports/a.json", 1234)


@pytest.mark.parametrize(
    ("start", "value", "what"),
    [
        (100, b"0000755\x00", "mode"),
        (108, b"0001750\x00", "owner"),
        (116, b"0001750\x00", "group"),
        (157, b"manifest.json", "link name"),
        (265, b"root", "owner names"),
        (297, b"wheel", "owner names"),
        (345, b"prefix", "prefix"),
        (124, b"   00002322\x00", "size"),
        (124, b"00000002322 ", "size"),
        (136, b" 4524770400\x00", "mtime"),
        (156, b"\x00", "only regular files"),
        (14, b"\x00hidden", "name"),
    ],
)
def test_every_header_field_is_exact(start: int, value: bytes, what: str) -> None:
    with pytest.raises(BundleError) as caught:
        tarstream.parse_header(with_field(GOOD, start, value))
    assert what in caught.value.message


def test_armored_bundle_is_refused_named_and_in_a_folder(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    seal_report(field_s, example_doc, photos=0)
    [binary] = export(field_s, stick(tmp_path, "made"))
    folder = stick(tmp_path, "armored")
    armored = folder / "bundle.txt"
    text = base64.b64encode(binary.read_bytes()).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    armored.write_text(
        "-----BEGIN AGE ENCRYPTED FILE-----\n"
        + "\n".join(lines)
        + "\n-----END AGE ENCRYPTED FILE-----\n"
    )
    for paths in ([armored], [folder]):
        result = hq.hq().intake.import_paths(paths)
        assert [o.status for o in result.outcomes] == [REJECTED], paths
        assert "ASCII-armored" in result.outcomes[0].reason


def test_keys_with_surrounding_spaces_are_refused_as_age_does() -> None:
    identity = age.X25519Identity.generate()
    recipient = identity.recipient.to_string()
    secret = identity.to_string()
    assert age.parse_recipient(recipient).to_string() == recipient
    for bad in (f" {recipient}", f"{recipient} ", f"{recipient}\n", f"\t{recipient}"):
        with pytest.raises(CryptoError):
            age.parse_recipient(bad)
    assert age.parse_identities(f"# created\n{secret}\n")
    for bad in (f" {secret}\n", f"{secret} \n"):
        with pytest.raises(CryptoError):
            age.parse_identities(bad)
