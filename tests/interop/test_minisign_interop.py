"""Our minisign-format signatures against the reference ``minisign`` (Debian package)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import minisign
from kpfield.errors import CryptoError

pytestmark = pytest.mark.interop

_TIMEOUT = 60


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        args, capture_output=True, timeout=_TIMEOUT, check=False, stdin=subprocess.DEVNULL
    )


def test_reference_minisign_accepts_ours(minisign_bin: str, tmp_path: Path) -> None:
    secret = Ed25519PrivateKey.generate()
    public = minisign.MinisignPublicKey.from_private(secret)
    data = os.urandom(200_000)
    target = tmp_path / "bundle.bin"
    target.write_bytes(data)
    (tmp_path / "bundle.bin.minisig").write_text(
        minisign.sign(secret, public.key_id, data, "timestamp:1 file:bundle.bin", "kpfield")
    )
    pub_file = tmp_path / "key.pub"
    pub_file.write_text(public.to_text())
    result = _run(minisign_bin, "-V", "-p", str(pub_file), "-m", str(target))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"timestamp:1 file:bundle.bin" in result.stdout
    target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert _run(minisign_bin, "-V", "-p", str(pub_file), "-m", str(target)).returncode != 0


def test_we_verify_reference_minisign(minisign_bin: str, tmp_path: Path) -> None:
    pub_file, key_file = tmp_path / "key.pub", tmp_path / "key.sec"
    made = _run(minisign_bin, "-G", "-W", "-p", str(pub_file), "-s", str(key_file))
    assert made.returncode == 0, made.stderr.decode(errors="replace")
    target = tmp_path / "report.json"
    data = os.urandom(70_000)
    target.write_bytes(data)
    signed = _run(minisign_bin, "-S", "-s", str(key_file), "-m", str(target), "-t", "hq receipt 7")
    assert signed.returncode == 0, signed.stderr.decode(errors="replace")
    public = minisign.parse_public_key(pub_file.read_text())
    sig_text = (tmp_path / "report.json.minisig").read_text()
    with target.open("rb") as src:
        assert minisign.verify(public, sig_text, src) == "hq receipt 7"
    with pytest.raises(CryptoError):
        minisign.verify(public, sig_text, data + b"\x00")
