"""The `kpfield` command end to end: clear one-line errors, exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, make_jpeg


def run(*args: str, input_: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpfield", *args],
        capture_output=True,
        text=True,
        input=input_,
        timeout=120,
        check=False,
    )


def assert_clean_error(r: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert r.returncode == code, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert words in r.stderr, r.stderr
    first = r.stderr.strip().splitlines()[0]
    assert first.startswith("kpfield: ")


@pytest.fixture
def vault(tmp_path: Path, passphrase_file: Path) -> list[str]:
    d = tmp_path / "v"
    opts = ["--data-dir", str(d), "--passphrase-file", str(passphrase_file)]
    r = run("init", *opts, "--kdf-memory-mib", "8", "--kdf-iterations", "1")
    assert r.returncode == 0, r.stderr
    assert "Device fingerprint:" in r.stdout
    return opts


def test_full_flow(vault: list[str], tmp_path: Path, example_doc: dict[str, Any]) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc), encoding="utf-8")
    r = run("report", "new", "--from", str(doc), *vault)
    assert r.returncode == 0, r.stderr
    rid = r.stdout.strip()
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_jpeg(seed=11))
    r = run("attach", rid, str(photo), *vault)
    assert r.returncode == 0, r.stderr
    shown = json.loads(run("report", "show", rid, "--json", *vault).stdout)
    assert shown["attachments"][0]["original_name"] == "p.jpg"
    assert run("report", "seal", rid[:8], *vault).returncode == 0
    listed = json.loads(run("report", "list", "--json", "--status", "sealed", *vault).stdout)
    assert [x["id"] for x in listed] == [rid]
    found = json.loads(run("report", "search", "batons", "--json", *vault).stdout)
    assert [x["id"] for x in found] == [rid]
    r = run("verify", *vault)
    assert r.returncode == 0
    assert "All verified" in r.stdout
    trail = json.loads(run("report", "trail", rid, "--json", *vault).stdout)
    assert [t["event"] for t in trail] == ["created", "sealed"]
    r = run("report", "amend", rid, *vault)
    assert r.returncode == 0
    assert run("identity", *vault).stdout.count("Fingerprint") == 1


def test_wrong_passphrase(vault: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("nope\n")
    opts = [vault[0], vault[1], "--passphrase-file", str(bad)]
    assert_clean_error(run("report", "list", *opts), 2, "does not open this vault")


def test_missing_passphrase_file(vault: list[str], tmp_path: Path) -> None:
    opts = [vault[0], vault[1], "--passphrase-file", str(tmp_path / "none")]
    assert_clean_error(run("report", "list", *opts), 2, "cannot be read")


def test_no_terminal_no_passphrase(vault: list[str]) -> None:
    assert_clean_error(run("report", "list", vault[0], vault[1]), 2, "--passphrase-file")


def test_damaged_keyslots(vault: list[str]) -> None:
    ks = Path(vault[1]) / "keyslots"
    ks.write_bytes(ks.read_bytes()[:50])
    assert_clean_error(run("report", "list", *vault), 2, "damaged")


def test_truncated_database(vault: list[str]) -> None:
    db = Path(vault[1]) / "vault.db"
    db.write_bytes(db.read_bytes()[:1000])
    for side in ("vault.db-wal", "vault.db-shm"):
        (Path(vault[1]) / side).unlink(missing_ok=True)
    assert_clean_error(run("report", "list", *vault), 2, "damaged")


def test_no_vault(tmp_path: Path, passphrase_file: Path) -> None:
    r = run(
        "report",
        "list",
        "--data-dir",
        str(tmp_path / "x"),
        "--passphrase-file",
        str(passphrase_file),
    )
    assert_clean_error(r, 2, "No vault")


def test_invalid_document_names_fields(vault: list[str], tmp_path: Path) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps({"schema": "kpfield.report/1", "place": {"country": "Congo"}}))
    r = run("report", "new", "--from", str(doc), *vault)
    assert_clean_error(r, 2, "place.country")
    doc.write_text("{ not json")
    assert_clean_error(run("report", "new", "--from", str(doc), *vault), 2, "not valid JSON")


def test_attach_bad_files(vault: list[str], tmp_path: Path, example_doc: dict[str, Any]) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc))
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    fake = tmp_path / "fake.jpg"
    fake.write_text("hello")
    huge = tmp_path / "bomb.png"
    from PIL import Image

    Image.new("1", (12000, 12000)).save(huge)
    for target, words in ((fake, "fake.jpg"), (tmp_path, "not a file"), (huge, "bomb.png")):
        assert_clean_error(run("attach", rid, str(target), *vault), 2, words)
    shown = json.loads(run("report", "show", rid, "--json", *vault).stdout)
    assert shown["attachments"] == []


def test_seal_incomplete_says_what_is_missing(vault: list[str], tmp_path: Path) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps({"schema": "kpfield.report/1", "title": "x"}))
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    r = run("report", "seal", rid, *vault)
    assert_clean_error(r, 2, "narrative")
    assert "incident.categories" in r.stderr


def test_passphrase_change_duress_limit_and_wipe(vault: list[str], tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    new.write_text("another passphrase\n")
    r = run("passphrase", "change", *vault, "--new-passphrase-file", str(new))
    assert r.returncode == 0, r.stderr
    opts = [vault[0], vault[1], "--passphrase-file", str(new)]
    assert run("report", "list", *vault).returncode == 2
    duress = tmp_path / "duress.txt"
    duress.write_text("duress words\n")
    assert (
        run("passphrase", "duress", *opts, "--duress-passphrase-file", str(duress)).returncode == 0
    )
    assert run("passphrase", "limit", "5", *opts).returncode == 0
    r = run("wipe", *opts)
    assert_clean_error(r, 2, "--yes")
    r = run("wipe", "--yes", *opts)
    assert r.returncode == 0
    assert "keyslots" in r.stdout
    assert not (Path(vault[1]) / "keyslots").exists()


def test_verify_names_broken_blob(
    vault: list[str], tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc))
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_jpeg(seed=12))
    run("attach", rid, str(photo), *vault)
    blob = next(p for p in (Path(vault[1]) / "blobs").rglob("*") if p.is_file())
    blobs = sorted(
        (p for p in (Path(vault[1]) / "blobs").rglob("*") if p.is_file()),
        key=lambda p: -p.stat().st_size,
    )
    blob = blobs[0]
    raw = bytearray(blob.read_bytes())
    raw[len(raw) // 2] ^= 1
    blob.write_bytes(bytes(raw))
    r = run("verify", *vault)
    assert r.returncode == 3
    assert "BROKEN" in r.stderr
    assert "Traceback" not in r.stderr


def test_passphrase_never_in_output(vault: list[str]) -> None:
    r = run("report", "list", "-v", *vault)
    assert PASSPHRASE not in r.stdout + r.stderr


def test_duress_unlock_is_silent(vault: list[str], tmp_path: Path) -> None:
    duress = tmp_path / "duress.txt"
    duress.write_text("duress words\n")
    assert (
        run("passphrase", "duress", *vault, "--duress-passphrase-file", str(duress)).returncode == 0
    )
    r = run("report", "list", vault[0], vault[1], "--passphrase-file", str(duress))
    assert r.returncode == 0
    assert r.stderr == ""
    assert r.stdout.strip() == "No reports."


def test_passphrase_file_with_bom(tmp_path: Path) -> None:
    pw = tmp_path / "bom.txt"
    pw.write_bytes("\ufeffpalavra secreta\r\n".encode())
    d = str(tmp_path / "v")
    assert (
        run(
            "init",
            "--data-dir",
            d,
            "--passphrase-file",
            str(pw),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ).returncode
        == 0
    )
    plain = tmp_path / "plain.txt"
    plain.write_text("palavra secreta\n")
    assert run("report", "list", "--data-dir", d, "--passphrase-file", str(plain)).returncode == 0


def test_out_of_range_kdf_refused(tmp_path: Path, passphrase_file: Path) -> None:
    r = run(
        "init",
        "--data-dir",
        str(tmp_path / "v"),
        "--passphrase-file",
        str(passphrase_file),
        "--kdf-iterations",
        "65",
    )
    assert_clean_error(r, 2, "out of range")
    assert not (tmp_path / "v" / "keyslots").exists()
