"""HQ keys, the signed coalition profile and device enrollment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpfield.app import Session
from kpfield.crypto import age
from kpfield.errors import IntegrityError, StateError, UsageError
from kpfield.hq import keys
from kpfield.protocol.enrollment import parse_request
from kpfield.protocol.profile import parse_profile
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import new_field, new_hq


def test_hq_vault_holds_three_keys(hq: Session) -> None:
    assert len(keys.identities(hq.vault)) == 2
    recips = keys.recipients(hq.vault)
    assert [i.recipient.to_string() for i in keys.identities(hq.vault)] == recips
    ident = age.parse_identities(keys.identity_file(hq.vault, keys.PRIMARY))
    assert ident[0].recipient.to_string() == recips[0]
    assert keys.hq_signer(hq.vault).fingerprint.count(" ") == 7


def test_backup_removed_only_after_export(hq: Session) -> None:
    with pytest.raises(StateError, match="Export the backup key first"):
        keys.remove_backup_identity(hq.vault)
    keys.identity_file(hq.vault, keys.BACKUP)
    keys.mark_backup_exported(hq.vault, "now")
    keys.remove_backup_identity(hq.vault)
    assert len(keys.identities(hq.vault)) == 1
    assert len(keys.recipients(hq.vault)) == 2  # devices still encrypt to it
    with pytest.raises(StateError):
        keys.identity_file(hq.vault, keys.BACKUP)


def test_field_vault_refuses_hq_commands(field_s: Session) -> None:
    with pytest.raises(UsageError, match="field vault"):
        field_s.hq()
    with pytest.raises(StateError, match="no signing key"):
        keys.hq_signer(field_s.vault)


def test_profile_install_pins_the_hq_key(
    tmp_path: Path, hq: Session, field_s: Session, cheap_params: KdfParams
) -> None:
    installed = field_s.field().profile.installed()
    assert installed is not None and installed.serial == 1
    newer = hq.hq().profile.export(relay_url="https://relay.example")[0]
    assert field_s.field().profile.install(newer).serial == 2
    older = json.loads(newer)
    older["profile"]["relay_url"] = "https://evil.example"
    with pytest.raises(IntegrityError, match="altered"):
        field_s.field().profile.install(json.dumps(older).encode())
    other = new_hq(tmp_path / "other", cheap_params)
    try:
        for _ in range(3):  # a higher serial does not help a foreign key
            foreign = other.hq().profile.export()[0]
    finally:
        other.close()
    with pytest.raises(IntegrityError, match="different HQ key"):
        field_s.field().profile.install(foreign)


def test_profile_rollback_refused(hq: Session, field_s: Session) -> None:
    p2 = hq.hq().profile.export()[0]
    p3 = hq.hq().profile.export()[0]
    field_s.field().profile.install(p3)
    with pytest.raises(IntegrityError, match="older"):
        field_s.field().profile.install(p2)


def test_profile_garbage(field_s: Session) -> None:
    with pytest.raises(IntegrityError, match="not a valid"):
        field_s.field().profile.install(b"{}")


def test_enrollment_request_tamper_and_revoke(
    tmp_path: Path, hq: Session, cheap_params: KdfParams
) -> None:
    laptop = new_field(tmp_path / "l", cheap_params, hq, enroll=False)
    try:
        data = laptop.field().enrollment.request()[0]
    finally:
        laptop.close()
    req = parse_request(data)
    raw = json.loads(data)
    raw["request"]["name"] = "mallory"
    with pytest.raises(IntegrityError, match="altered"):
        parse_request(json.dumps(raw).encode())
    dev = hq.hq().devices.approve(req)
    assert dev.fingerprint == req.fingerprint
    assert hq.hq().devices.approve(req) == dev  # idempotent
    revoked = hq.hq().devices.revoke(dev.device_id[:8])
    assert revoked.revoked_at is not None
    with pytest.raises(StateError, match="revoked"):
        hq.hq().devices.approve(req)


@pytest.mark.parametrize(
    "name",
    [
        "Laptop 7)\nFingerprint: 11111 22222 33333 44444 55555 66666 77777 88888\x1b[8m",
        "Laptop\x1b[30;40m",
        "L" * 65,
    ],
)
def test_enrollment_request_with_a_hostile_device_name_is_refused(
    field_s: Session, name: str
) -> None:
    """A signed request could otherwise print a fake fingerprint line at the HQ terminal."""
    field_s.vault.set_meta("device_name", name)
    data = field_s.field().enrollment.request()[0]
    with pytest.raises(IntegrityError, match="not a valid"):
        parse_request(data)


def test_device_name_must_be_printable(tmp_path: Path, cheap_params: KdfParams) -> None:
    from kpfield.vault.vault import Vault

    with pytest.raises(UsageError, match="printable"):
        Vault.create(tmp_path / "v", "pw", params=cheap_params, device_name="a\nb")


@pytest.mark.parametrize(
    "payload",
    [b"[" * 50_000 + b"]" * 50_000, b'{"request": [], "signature": "x"}'],
)
def test_hostile_enrollment_and_profile_files_are_clear_errors(
    hq: Session, field_s: Session, payload: bytes
) -> None:
    with pytest.raises(IntegrityError):
        parse_request(payload)
    with pytest.raises(IntegrityError):
        parse_profile(payload)
