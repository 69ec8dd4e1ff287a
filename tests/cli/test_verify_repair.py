"""`kpfield verify [--repair]` on a real vault: damaged thumbnails are listed as repairable and
regenerated; a damaged original stays BROKEN with exit 3, repair or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import open_session
from tests.cli.test_cli import run
from tests.conftest import PASSPHRASE, make_jpeg


@pytest.fixture
def vault(tmp_path: Path, passphrase_file: Path) -> list[str]:
    opts = ["--data-dir", str(tmp_path / "v"), "--passphrase-file", str(passphrase_file)]
    assert run("init", *opts, "--kdf-memory-mib", "8", "--kdf-iterations", "1").returncode == 0
    return opts


@pytest.fixture
def sealed_photo(vault: list[str], tmp_path: Path, example_doc: dict[str, Any]) -> dict[str, Path]:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc), encoding="utf-8")
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_jpeg(seed=51))
    assert run("attach", rid, str(photo), *vault).returncode == 0
    assert run("report", "seal", rid, *vault).returncode == 0
    s = open_session(Path(vault[1]), PASSPHRASE)
    try:
        (att,) = s.reports.attachments(rid)
        blob, thumb = s.reports.store.blob_refs(att.id)
        assert thumb is not None
        return {
            "original": s.vault.blobs.path(blob.name),
            "thumbnail": s.vault.blobs.path(thumb.name),
        }
    finally:
        s.close()


def flip(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def test_damaged_thumbnail_is_repaired(vault: list[str], sealed_photo: dict[str, Path]) -> None:
    flip(sealed_photo["thumbnail"])
    r = run("verify", *vault)
    assert r.returncode == 3, r.stderr
    assert "REPAIRABLE:" in r.stderr and "thumbnail" in r.stderr
    assert "BROKEN" not in r.stderr
    assert "kpfield verify --repair" in r.stderr
    assert "All verified" not in r.stdout

    r = run("verify", "--repair", *vault)
    assert r.returncode == 0, r.stderr
    assert "Regenerated 1 damaged thumbnails" in r.stdout
    assert "All verified." in r.stdout
    assert "Traceback" not in r.stderr

    r = run("verify", *vault)
    assert r.returncode == 0
    assert "All verified." in r.stdout and r.stderr == ""


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_damaged_original_stays_broken(
    vault: list[str], sealed_photo: dict[str, Path], damage: str
) -> None:
    original = sealed_photo["original"]
    if damage == "flip":
        flip(original)
    elif damage == "truncate":
        original.write_bytes(original.read_bytes()[:100])
    else:
        original.unlink()
    for args in (["verify"], ["verify", "--repair"]):
        r = run(*args, *vault)
        assert r.returncode == 3, (args, r.stdout, r.stderr)
        assert "BROKEN:" in r.stderr and "All verified" not in r.stdout
        assert "Traceback" not in r.stderr
