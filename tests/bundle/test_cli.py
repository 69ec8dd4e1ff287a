"""The transfer commands end to end through ``kpfield.cli.main``; the marker scan of stick and HQ."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kpfield.cli import main
from tests.conftest import make_jpeg
from tests.support.markers import new_marker, scan_tree


class Cli:
    def __init__(self, tmp: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]):
        self.tmp = tmp
        self.pf = str(passphrase_file)
        self.capsys = capsys

    def __call__(self, vault: str, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = main(
            [
                *args[:1],
                *args[1:],
                "--data-dir",
                str(self.tmp / vault),
                "--passphrase-file",
                self.pf,
            ]
        )
        out = self.capsys.readouterr()
        assert "Traceback" not in out.err
        return rc, out.out, out.err

    def sub(self, vault: str, group: str, action: str, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = main(
            [
                group,
                action,
                *args,
                "--data-dir",
                str(self.tmp / vault),
                "--passphrase-file",
                self.pf,
            ]
        )
        out = self.capsys.readouterr()
        assert "Traceback" not in out.err
        return rc, out.out, out.err


@pytest.fixture
def cli(tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, passphrase_file, capsys)


def setup_pair(cli: Cli, tmp: Path) -> None:
    cheap = ("--kdf-memory-mib", "8", "--kdf-iterations", "1")
    assert cli("hq", "init", "--role", "hq", *cheap)[0] == 0
    assert cli("field", "init", "--device-name", "laptop", *cheap)[0] == 0
    rc, out, _ = cli.sub(
        "hq", "profile", "export", "--out", str(tmp / "profile.json"), "--purge-after-ack"
    )
    assert rc == 0
    fingerprint = re.search(r"HQ fingerprint: ([\d ]+)", out)
    assert fingerprint
    rc, out, _ = cli.sub("field", "profile", "import", str(tmp / "profile.json"), "--yes")
    assert rc == 0 and fingerprint.group(1) in out
    assert cli.sub("field", "enroll", "request", "--out", str(tmp / "req.json"))[0] == 0
    rc, out, _ = cli.sub("hq", "enroll", "approve", str(tmp / "req.json"), "--yes")
    assert rc == 0 and "Enrolled device" in out


def new_report(cli: Cli, inputs: Path, doc: dict[str, Any], marker: str, seed: int) -> str:
    doc = dict(doc, narrative=f"{doc['narrative']} {marker}")
    src = inputs / f"r{seed}.json"
    src.write_text(json.dumps(doc))
    rc, out, _ = cli.sub("field", "report", "new", "--from", str(src))
    assert rc == 0
    rid = out.strip()
    photo = inputs / f"p{seed}.jpg"
    photo.write_bytes(make_jpeg(seed=seed, comment=marker.encode()))
    assert cli("field", "attach", rid, str(photo))[0] == 0
    assert cli.sub("field", "report", "seal", rid)[0] == 0
    return rid


def test_cli_flow_exit_codes_and_marker_scan(
    tmp_path: Path, cli: Cli, example_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    marker = new_marker("bundle")
    setup_pair(cli, tmp_path)
    rid = new_report(cli, inputs, example_doc, marker, 1)
    usb = tmp_path / "usb"
    usb.mkdir()

    rc, out, _ = cli("field", "export", "--to", str(usb))
    assert rc == 0 and "1 report(s) in 1 bundle(s)" in out
    rc, out, _ = cli("field", "export", "--to", str(usb))
    assert rc == 0 and "Nothing to export" in out
    assert scan_tree([usb], [marker]) == []  # the stick holds nothing readable

    rc, out, err = cli("hq", "import", str(usb), "--write-receipts", str(usb))
    assert rc == 0, err
    assert re.search(r"imported: device [0-9a-f]{16} bundle 1, 1 new report", out)
    rc, out, err = cli("hq", "import", str(usb))
    assert rc == 3 and "already imported" in out and "nothing new" in err

    [bundle] = [p for p in usb.iterdir() if p.stat().st_size > 5000]
    bad = tmp_path / "bad"
    data = bytearray(bundle.read_bytes())
    data[-100] ^= 1
    bad.write_bytes(bytes(data))
    rc, out, err = cli("hq", "import", str(bad))
    assert rc == 3 and "rejected: " in out and "damaged" in out

    rc, out, _ = cli.sub("field", "receipts", "import", str(usb))
    assert rc == 0 and "1 report(s) acknowledged, 1 purged" in out
    rc, out, _ = cli.sub("field", "report", "list", "--json")
    assert json.loads(out)[0]["status"] == "acknowledged"
    assert cli("field", "verify")[0] == 0

    # HQ import left nothing readable outside the HQ vault (nor inside: it is all encrypted).
    roots = [p for p in tmp_path.iterdir() if p != inputs]
    assert scan_tree(roots, [marker]) == []
    assert rid


def test_cli_errors_are_clear(tmp_path: Path, cli: Cli) -> None:
    setup_pair(cli, tmp_path)
    rc, _, err = cli("field", "export", "--to", str(tmp_path / "missing"))
    assert rc == 2 and "does not exist" in err
    rc, _, err = cli("hq", "export", "--to", str(tmp_path))
    assert rc == 2 and "HQ vault" in err
    rc, _, err = cli("field", "import", str(tmp_path))
    assert rc == 2 and "field vault" in err
    rc, _, err = cli("hq", "import", str(tmp_path / "profile.json"))
    assert rc == 3 and "not a KP Field bundle" in _ + err
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, _, err = cli("hq", "import", str(empty))
    assert rc == 2 and "No bundles" in err
    rc, out, err = cli.sub("hq", "keys", "export-identity", "--out", str(tmp_path / "k"))
    assert rc == 0 and "UNENCRYPTED" in err
    assert (tmp_path / "k").read_text().startswith("# public key: age1")
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0
    rc, _, err = cli.sub("hq", "keys", "export-identity", "--out", str(tmp_path / "k"))
    assert rc == 2 and "already exists" in err
    rc, out, _ = cli.sub("hq", "keys", "show", "--minisign")
    assert rc == 0 and out.startswith("untrusted comment:")
    rc, out, _ = cli.sub("hq", "enroll", "list")
    assert rc == 0 and "active" in out
    device = out.split()[0]
    rc, out, _ = cli.sub("hq", "enroll", "revoke", device[:8])
    assert rc == 0 and "Revoked" in out
    rc, _, err = cli.sub("hq", "enroll", "revoke", "zz")
    assert rc == 2


def test_fingerprint_option_compares_what_was_read_aloud(tmp_path: Path, cli: Cli) -> None:
    cheap = ("--kdf-memory-mib", "8", "--kdf-iterations", "1")
    assert cli("hq", "init", "--role", "hq", *cheap)[0] == 0
    assert cli("field", "init", *cheap)[0] == 0
    rc, out, _ = cli.sub("hq", "profile", "export", "--out", str(tmp_path / "profile.json"))
    found = re.search(r"HQ fingerprint: ([\d ]+)", out)
    assert rc == 0
    assert found
    right = found.group(1).strip()
    wrong = ("1" if right[0] != "1" else "2") + right[1:]
    rc, _, err = cli.sub(
        "field", "profile", "import", str(tmp_path / "profile.json"), "--fingerprint", wrong
    )
    assert rc == 3
    assert "differ" in err
    rc, out, _ = cli.sub(
        "field",
        "profile",
        "import",
        str(tmp_path / "profile.json"),
        "--fingerprint",
        right.replace(" ", "-"),
    )
    assert rc == 0
    assert cli.sub("field", "enroll", "request", "--out", str(tmp_path / "req.json"))[0] == 0
    rc, _, err = cli.sub(
        "hq", "enroll", "approve", str(tmp_path / "req.json"), "--fingerprint", "00000 00000"
    )
    assert rc == 3
    rc, out, _ = cli.sub("hq", "enroll", "list")
    assert rc == 0
    assert "No devices are enrolled." in out
