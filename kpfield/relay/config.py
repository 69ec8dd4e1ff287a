"""The relay's data directory (its own signing key, HQ's public key, the store) and its limits.

Layout: ``relay.key`` (raw Ed25519 seed, 0600; a signing key only: the relay never holds a
decryption key), ``relay.pub`` (minisign public key text, for HQ and devices to pin),
``hq-public.json`` (a copy of the file given to ``relay init``) and ``store/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import keys, minisign
from kpfield.errors import N_, UsageError
from kpfield.protocol.hq_public import HqPublic, parse_hq_public


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 4 << 30
    max_patch_bytes: int = 16 << 20
    max_document_bytes: int = 1 << 20
    read_timeout: float = 30.0  # seconds between two reads of a body (Tor is slow, not silent)
    max_active_patches_per_device: int = 2
    max_incomplete_uploads_per_device: int = 16
    signature_window: int = 300
    upload_expiry: int = 14 * 86400
    page_size: int = 100


@dataclass(frozen=True)
class RelayIdentity:
    key: Ed25519PrivateKey
    public: minisign.MinisignPublicKey
    hq: HqPublic

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public.public_key)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def init_data_dir(data_dir: Path, hq_public: bytes) -> RelayIdentity:
    """Make the relay's key and record HQ's public key (refuses an initialised directory)."""
    hq = parse_hq_public(hq_public)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if (data_dir / "relay.key").exists():
        raise UsageError(N_("{path} is already a relay data directory."), path=str(data_dir))
    key = Ed25519PrivateKey.generate()
    public = minisign.MinisignPublicKey.from_private(key)
    _write_private(data_dir / "hq-public.json", hq.to_bytes())
    _write_private(data_dir / "relay.pub", public.to_text("KP Field relay key").encode())
    _write_private(data_dir / "relay.key", keys.ed25519_private_to_bytes(key))
    (data_dir / "store").mkdir(mode=0o700, exist_ok=True)
    return RelayIdentity(key, public, hq)


def load_data_dir(data_dir: Path) -> RelayIdentity:
    try:
        seed = (data_dir / "relay.key").read_bytes()
        hq_raw = (data_dir / "hq-public.json").read_bytes()
    except OSError:
        raise UsageError(
            N_("{path} is not a relay data directory; run: kpfield relay init"),
            path=str(data_dir),
        ) from None
    key = keys.ed25519_private_from_bytes(seed)
    return RelayIdentity(key, minisign.MinisignPublicKey.from_private(key), parse_hq_public(hq_raw))
