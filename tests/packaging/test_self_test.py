"""``kpfield self-test`` and all-or-nothing ``init``, from the source tree (the built app's
run of the same command is in test_built_app)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpfield.app import create_session
from kpfield.services.vaults import VaultLocation
from kpfield.vault.keyslots import KdfParams
from tests.conftest import PASSPHRASE

REPO = Path(__file__).resolve().parents[2]


def _kpfield(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"KPFIELD_RESOURCES", "TMPDIR"}}
    base.update(PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen", TMPDIR=str(tmp), **env)
    return subprocess.run(
        [sys.executable, "-m", "kpfield", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_self_test_passes_and_leaves_nothing(tmp_path: Path) -> None:
    r = _kpfield(tmp_path, "self-test")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == "self-test passed"
    names = [line.split(":")[0][6:] for line in lines[:-1]]
    assert names == [
        "resources and catalogs",
        "process hardening",
        "cryptography",
        "PDF brief (fpdf2, DejaVu Sans)",
        "relay client (httpx, TLS, SOCKS)",
        "create HQ vault",
        "create field vault and enroll",
        "write and seal a report with a photo",
        "vaults encrypted at rest (SQLCipher)",
        "export a bundle",
        "import and verify at HQ",
        "verify both vaults",
        "remove everything",
        "Qt platform plugin",
    ]
    assert all(line.startswith("OK    ") for line in lines[:-1])
    assert list(tmp_path.iterdir()) == []


def test_self_test_fails_clearly_without_its_resources(tmp_path: Path) -> None:
    empty = tmp_path / "no-resources"
    empty.mkdir()
    work = tmp_path / "tmp"
    work.mkdir()
    r = _kpfield(work, "self-test", "--no-gui", KPFIELD_RESOURCES=str(empty))
    assert r.returncode == 3
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("FAIL  resources and catalogs")
    assert lines[1].startswith("OK    process hardening")
    assert lines[2].startswith("OK    cryptography")
    assert any(line.startswith("SKIP  ") for line in lines)
    assert lines[-1].startswith("SKIP  Qt platform plugin")
    assert "self-test FAILED" in r.stderr
    assert list(work.iterdir()) == []  # the throw-away vaults were erased even so


def test_a_failed_init_leaves_no_vault_and_a_second_init_works(
    tmp_path: Path, cheap_params: KdfParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "vault"
    empty = tmp_path / "no-resources"
    empty.mkdir()
    monkeypatch.setenv("KPFIELD_RESOURCES", str(empty))  # the session's taxonomy is missing
    with pytest.raises(OSError):
        create_session(root, PASSPHRASE, params=cheap_params)
    assert not VaultLocation(root).has_vault_files()
    monkeypatch.delenv("KPFIELD_RESOURCES")
    s = create_session(root, PASSPHRASE, params=cheap_params)
    s.close()
    assert VaultLocation(root).exists()


def test_a_failed_init_from_the_command_line_says_the_truth(tmp_path: Path) -> None:
    empty = tmp_path / "no-resources"
    empty.mkdir()
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    data = tmp_path / "vault"
    args = ("init", "--data-dir", str(data), "--passphrase-file", str(secret),
            "--kdf-memory-mib", "8", "--kdf-iterations", "1")  # fmt: skip
    r = _kpfield(tmp_path, *args, KPFIELD_RESOURCES=str(empty))
    assert r.returncode != 0
    assert not VaultLocation(data).has_vault_files()
    r = _kpfield(tmp_path, *args)
    assert r.returncode == 0, r.stderr
    assert "Created a field vault" in r.stdout


def test_the_pdf_step_is_skipped_not_failed_without_dejavu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpfield import selftest
    from kpfield.services.exports import brief

    monkeypatch.setenv("KPFIELD_PDF_FONT_DIR", str(tmp_path))
    monkeypatch.setattr(brief, "FONT_DIRS", ())
    result = selftest._run("PDF brief", selftest.check_pdf)
    assert result.status == selftest.SKIP
    assert "DejaVu Sans" in result.detail
