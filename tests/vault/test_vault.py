"""The vault at rest: unlock, wrong passphrase, damage, duress, failed-unlock limit, wipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpfield.app import create_session, open_session
from kpfield.errors import UsageError, VaultError, VaultLocked, WrongPassphrase
from kpfield.vault import keyslots
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.vault import Vault, VaultPaths, wipe
from tests.conftest import PASSPHRASE


def _make(vault_dir: Path, params: KdfParams) -> None:
    s = create_session(vault_dir, PASSPHRASE, params=params)
    s.reports.new_draft()
    s.close()


def test_files_are_private_and_keyslots_look_random(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    _make(vault_dir, cheap_params)
    for p in vault_dir.rglob("*"):
        if p.is_file():
            assert p.stat().st_mode & 0o077 == 0, p
    data = (vault_dir / "keyslots").read_bytes()
    assert len(data) == keyslots.GUARDED_FILE_SIZE
    assert b"SQLite format 3" not in (vault_dir / "vault.db").read_bytes()[:16]


def test_reopen_with_passphrase(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    s = open_session(vault_dir, PASSPHRASE)
    assert len(s.reports.list_reports()) == 1
    s.close()


def test_wrong_passphrase_is_clear_and_counted(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    with pytest.raises(WrongPassphrase, match="does not open"):
        Vault.open(vault_dir, "nope")
    assert keyslots.read(vault_dir / "keyslots").failed == 0  # no limit set: nothing counted
    with Vault.open(vault_dir, PASSPHRASE) as v:
        v.set_failed_unlock_limit(5)
    with pytest.raises(WrongPassphrase, match="does not open"):
        Vault.open(vault_dir, "nope")
    assert keyslots.read(vault_dir / "keyslots").failed == 1
    assert keyslots.remaining_attempts(vault_dir / "keyslots") == 4
    Vault.open(vault_dir, PASSPHRASE).close()
    assert keyslots.read(vault_dir / "keyslots").failed == 0


@pytest.mark.parametrize(
    "damage",
    ["truncate", "magic", "bitflip_slot", "params", "empty"],
)
def test_damaged_keyslots(vault_dir: Path, cheap_params: KdfParams, damage: str) -> None:
    _make(vault_dir, cheap_params)
    path = vault_dir / "keyslots"
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:100]
    elif damage == "magic":
        data[0] ^= 0xFF
    elif damage == "bitflip_slot":
        data[keyslots.HEADER_SIZE + 20] ^= 0x01
    elif damage == "params":
        data[12:16] = b"\xff\xff\xff\xff"
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    expected = WrongPassphrase if damage == "bitflip_slot" else VaultError
    with pytest.raises(expected):
        Vault.open(vault_dir, PASSPHRASE)


def test_truncated_database(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    db = vault_dir / "vault.db"
    for n in (0, 10, 4096 + 7):
        db.write_bytes(db.read_bytes()[:n] if n else b"")
        with pytest.raises(VaultError, match="damaged|truncated|empty"):
            Vault.open(vault_dir, PASSPHRASE)


def test_foreign_database(tmp_path: Path, cheap_params: KdfParams) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _make(a, cheap_params)
    _make(b, cheap_params)
    (a / "vault.db").write_bytes((b / "vault.db").read_bytes())
    for side in ("vault.db-wal", "vault.db-shm"):
        (a / side).unlink(missing_ok=True)
    with pytest.raises(VaultError, match="does not belong"):
        Vault.open(a, PASSPHRASE)


def test_plain_sqlite_file_is_refused(vault_dir: Path, cheap_params: KdfParams) -> None:
    import sqlite3

    _make(vault_dir, cheap_params)
    (vault_dir / "vault.db").unlink()
    for side in ("vault.db-wal", "vault.db-shm"):
        (vault_dir / side).unlink(missing_ok=True)
    con = sqlite3.connect(vault_dir / "vault.db")
    con.execute("create table x(a)")
    con.commit()
    con.close()
    with pytest.raises(VaultError):
        Vault.open(vault_dir, PASSPHRASE)


def test_one_process_at_a_time(vault_dir: Path, cheap_params: KdfParams) -> None:
    s = create_session(vault_dir, PASSPHRASE, params=cheap_params)
    try:
        import subprocess
        import sys

        code = (
            "import sys; from kpfield.vault.vault import Vault\n"
            "from kpfield.errors import VaultLocked\n"
            "try:\n    Vault.open(__import__('pathlib').Path(sys.argv[1]), sys.argv[2])\n"
            "except VaultLocked:\n    sys.exit(7)\n"
        )
        r = subprocess.run([sys.executable, "-c", code, str(vault_dir), PASSPHRASE], check=False)
        assert r.returncode == 7
    finally:
        s.close()
    assert VaultLocked.exit_code == 2


def test_change_passphrase_does_not_rewrite_database(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    _make(vault_dir, cheap_params)
    v = Vault.open(vault_dir, PASSPHRASE)
    v.close()
    before = (vault_dir / "vault.db").read_bytes()
    v = Vault.open(vault_dir, PASSPHRASE)
    v.change_passphrase(PASSPHRASE, "a new long passphrase")
    v.close()
    assert (vault_dir / "vault.db").read_bytes() == before
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_dir, PASSPHRASE)
    Vault.open(vault_dir, "a new long passphrase").close()


def test_change_passphrase_requires_the_old_one(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    with Vault.open(vault_dir, PASSPHRASE) as v, pytest.raises(WrongPassphrase):
        v.change_passphrase("wrong", "new")


def test_duress_passphrase_erases_silently_and_opens_empty_vault(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    s = create_session(vault_dir, PASSPHRASE, params=cheap_params)
    s.reports.new_draft()
    s.vault.set_duress_passphrase(PASSPHRASE, "open sesame")
    old_db = (vault_dir / "vault.db").read_bytes()[:64]
    s.close()
    s = open_session(vault_dir, "open sesame")
    assert s.reports.list_reports() == []
    assert (vault_dir / "vault.db").read_bytes()[:64] != old_db
    s.close()
    # The real passphrase no longer opens anything, and the duress one keeps opening the empty vault.
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_dir, PASSPHRASE)
    Vault.open(vault_dir, "open sesame").close()


def test_duress_must_differ(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    with Vault.open(vault_dir, PASSPHRASE) as v, pytest.raises(UsageError):
        v.set_duress_passphrase(PASSPHRASE, PASSPHRASE)


def test_failed_unlock_limit_erases(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    with Vault.open(vault_dir, PASSPHRASE) as v:
        v.set_failed_unlock_limit(3)
    assert keyslots.remaining_attempts(vault_dir / "keyslots") == 3
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            Vault.open(vault_dir, "guess")
    assert not (vault_dir / "keyslots").exists()
    assert not (vault_dir / "vault.db").exists()
    with pytest.raises(VaultError, match="No vault"):
        Vault.open(vault_dir, PASSPHRASE)


def test_wipe_removes_keys_first_and_everything(vault_dir: Path, cheap_params: KdfParams) -> None:
    s = create_session(vault_dir, PASSPHRASE, params=cheap_params)
    r = s.reports.new_draft()
    from tests.conftest import make_jpeg

    s.reports.attach_bytes(r.id, make_jpeg(), "a.jpg")
    s.close()
    removed = wipe(vault_dir)
    assert removed[0] == "keyslots"
    assert any(x.startswith("blobs/") for x in removed)
    assert not VaultPaths(vault_dir).exists()
    assert [p for p in vault_dir.rglob("*") if p.is_file() and p.name != "vault.lock"] == []


def test_create_refuses_existing_vault(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    with pytest.raises(UsageError, match="already exists"):
        Vault.create(vault_dir, "x", params=cheap_params)


def test_default_params_never_weaker_than_floor() -> None:
    p = keyslots.calibrate(target_seconds=0.05, memory_kib=keyslots.MIN_MEMORY_KIB * 8)
    assert p.memory_kib >= 64 * 1024
    assert p.iterations >= 2
    assert keyslots.DEFAULT_MEMORY_KIB >= 64 * 1024


def test_pragmas_are_applied(session: object) -> None:
    from kpfield.app import Session

    assert isinstance(session, Session)
    c = session.vault.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert c.execute("PRAGMA temp_store").fetchone()[0] == 2
    # Off on purpose (issue 12): see the comment in kpfield/vault/db.py and the threat model.
    assert c.execute("PRAGMA cipher_memory_security").fetchone()[0] == "0"


def test_key_file_changes_in_place(vault_dir: Path, cheap_params: KdfParams) -> None:
    """Passphrase, duress and counter changes never leave old copies of the key file behind."""
    _make(vault_dir, cheap_params)
    ks_path = vault_dir / "keyslots"
    inode = ks_path.stat().st_ino
    with Vault.open(vault_dir, PASSPHRASE) as v:
        v.set_failed_unlock_limit(9)
        v.set_duress_passphrase(PASSPHRASE, "duress one")
        v.change_passphrase(PASSPHRASE, "second passphrase")
        v.change_passphrase("second passphrase", "third passphrase")
        v.set_duress_passphrase("third passphrase", "duress two")
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_dir, "wrong")
    Vault.open(vault_dir, "third passphrase").close()
    assert ks_path.stat().st_ino == inode
    assert list(vault_dir.glob(".keyslots*")) == []
    for old in (PASSPHRASE, "second passphrase", "duress one"):
        with pytest.raises(WrongPassphrase):
            Vault.open(vault_dir, old)


def test_passphrase_is_unicode_normalised(vault_dir: Path, cheap_params: KdfParams) -> None:
    composed = "caf\u00e9 na montanha"
    decomposed = "cafe\u0301 na montanha"
    Vault.create(vault_dir, composed, params=cheap_params).close()
    Vault.open(vault_dir, decomposed).close()


@pytest.mark.parametrize(
    "kwargs",
    [{"memory_kib": 1024}, {"iterations": 0}, {"iterations": 65}, {"lanes": 0}, {"salt": b"x"}],
)
def test_kdf_params_out_of_range_refused(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {
        "memory_kib": keyslots.MIN_MEMORY_KIB,
        "iterations": 1,
        "lanes": 1,
        "salt": bytes(16),
    }
    base.update(kwargs)
    with pytest.raises(UsageError, match="out of range"):
        KdfParams(**base)  # type: ignore[arg-type]


def test_removing_duress(vault_dir: Path, cheap_params: KdfParams) -> None:
    _make(vault_dir, cheap_params)
    with Vault.open(vault_dir, PASSPHRASE) as v:
        v.set_duress_passphrase(PASSPHRASE, "duress")
        v.set_duress_passphrase(PASSPHRASE, None)
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_dir, "duress")
    with Vault.open(vault_dir, PASSPHRASE) as v:
        assert len(v.conn.execute("SELECT * FROM reports").fetchall()) == 1
