"""Our age files against the reference ``age`` / ``age-keygen`` (Debian package ``age``)."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from kpfield.crypto import age
from kpfield.crypto.stream import CHUNK_SIZE

pytestmark = pytest.mark.interop

_TIMEOUT = 60


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, timeout=_TIMEOUT, check=False)


def _write_identity(path: Path, identity: age.X25519Identity) -> Path:
    path.write_text(age.format_identity_file(identity))
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * 1024 * 1024 + 17], ids=lambda s: f"{s}B"
)
def test_reference_age_decrypts_ours(age_bin: str, tmp_path: Path, size: int) -> None:
    identity = age.X25519Identity.generate()
    data = os.urandom(size)
    encrypted = tmp_path / "file.age"
    with encrypted.open("wb") as dst:
        age.encrypt([identity.recipient], io.BytesIO(data), dst)
    key_file = _write_identity(tmp_path / "key.txt", identity)
    result = _run(age_bin, "-d", "-i", str(key_file), str(encrypted))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == data


def test_reference_age_decrypts_ours_for_each_of_two_recipients(
    age_bin: str, tmp_path: Path
) -> None:
    first, second = age.X25519Identity.generate(), age.X25519Identity.generate()
    data = os.urandom(CHUNK_SIZE + 100)
    encrypted = tmp_path / "file.age"
    with encrypted.open("wb") as dst:
        age.encrypt([first.recipient, second.recipient], io.BytesIO(data), dst)
    for name, identity in (("first", first), ("second", second)):
        key_file = _write_identity(tmp_path / f"{name}.txt", identity)
        result = _run(age_bin, "-d", "-i", str(key_file), str(encrypted))
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert result.stdout == data


def test_reference_age_rejects_tampered_output(age_bin: str, tmp_path: Path) -> None:
    identity = age.X25519Identity.generate()
    out = io.BytesIO()
    age.encrypt([identity.recipient], io.BytesIO(b"x" * 1000), out)
    damaged = bytearray(out.getvalue())
    damaged[-5] ^= 0x01
    encrypted = tmp_path / "file.age"
    encrypted.write_bytes(bytes(damaged))
    key_file = _write_identity(tmp_path / "key.txt", identity)
    assert _run(age_bin, "-d", "-i", str(key_file), str(encrypted)).returncode != 0


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", [0, CHUNK_SIZE + 1], ids=lambda s: f"{s}B")
def test_we_decrypt_reference_age(age_bin: str, tmp_path: Path, size: int, armor: bool) -> None:
    identity = age.X25519Identity.generate()
    data = os.urandom(size)
    plain = tmp_path / "plain"
    plain.write_bytes(data)
    encrypted = tmp_path / "file.age"
    args = [age_bin, "-e", "-r", identity.recipient.to_string(), "-o", str(encrypted)]
    result = _run(*args, *(["-a"] if armor else []), str(plain))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = io.BytesIO()
    with encrypted.open("rb") as src:
        age.decrypt([identity], src, out)
    assert out.getvalue() == data


def test_we_parse_age_keygen_identity(age_keygen_bin: str, tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    result = _run(age_keygen_bin, "-o", str(key_file))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    text = key_file.read_text()
    [identity] = age.parse_identities(text)
    assert f"# public key: {identity.recipient.to_string()}\n" in text
    public = _run(age_keygen_bin, "-y", str(key_file))
    assert public.stdout.decode().strip() == identity.recipient.to_string()
    assert identity.to_string() in text
