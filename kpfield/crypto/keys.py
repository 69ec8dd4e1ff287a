"""Key fingerprints people can compare aloud, and raw Ed25519 / X25519 key (de)serialization.

Fingerprint choice: SHA-512 over a domain tag and the raw public key; eight 5-byte slices, each
reduced mod 100000, give eight groups of five digits (``"12345 67890 ..."``). Digits read the same
in every language a monitor may use over a bad phone line (no B/D/P/E confusions), and eight groups
carry about 133 bits, far beyond what an attacker could match by grinding keys. Compare all groups.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kpfield.errors import N_, CryptoError

__all__ = [
    "ed25519_private_from_bytes",
    "ed25519_private_to_bytes",
    "ed25519_public_from_bytes",
    "ed25519_public_to_bytes",
    "fingerprint",
    "x25519_private_from_bytes",
    "x25519_private_to_bytes",
    "x25519_public_from_bytes",
    "x25519_public_to_bytes",
]

KEY_SIZE = 32
FINGERPRINT_GROUPS = 8
_FINGERPRINT_TAG = b"kpfield fingerprint v1\x00"
_GROUP_BYTES = 5
_GROUP_MODULUS = 100_000


def fingerprint(public_key_bytes: bytes) -> str:
    """Eight space-separated groups of five digits identifying a 32-byte public key."""
    _check_size(public_key_bytes)
    digest = hashlib.sha512(_FINGERPRINT_TAG + public_key_bytes).digest()
    groups = []
    for i in range(FINGERPRINT_GROUPS):
        chunk = digest[i * _GROUP_BYTES : (i + 1) * _GROUP_BYTES]
        groups.append(f"{int.from_bytes(chunk, 'big') % _GROUP_MODULUS:05d}")
    return " ".join(groups)


def _check_size(data: bytes) -> None:
    if len(data) != KEY_SIZE:
        raise CryptoError(N_("A key must be exactly 32 bytes."))


def ed25519_public_to_bytes(key: Ed25519PublicKey) -> bytes:
    """Raw 32-byte public key."""
    return key.public_bytes_raw()


def ed25519_public_from_bytes(data: bytes) -> Ed25519PublicKey:
    """Public key from its raw 32 bytes."""
    _check_size(data)
    return Ed25519PublicKey.from_public_bytes(data)


def ed25519_private_to_bytes(key: Ed25519PrivateKey) -> bytes:
    """Raw 32-byte seed (secret: never log it)."""
    return key.private_bytes_raw()


def ed25519_private_from_bytes(data: bytes) -> Ed25519PrivateKey:
    """Private key from its raw 32-byte seed."""
    _check_size(data)
    return Ed25519PrivateKey.from_private_bytes(data)


def x25519_public_to_bytes(key: X25519PublicKey) -> bytes:
    """Raw 32-byte public key."""
    return key.public_bytes_raw()


def x25519_public_from_bytes(data: bytes) -> X25519PublicKey:
    """Public key from its raw 32 bytes."""
    _check_size(data)
    return X25519PublicKey.from_public_bytes(data)


def x25519_private_to_bytes(key: X25519PrivateKey) -> bytes:
    """Raw 32-byte scalar (secret: never log it)."""
    return key.private_bytes_raw()


def x25519_private_from_bytes(data: bytes) -> X25519PrivateKey:
    """Private key from its raw 32-byte scalar."""
    _check_size(data)
    return X25519PrivateKey.from_private_bytes(data)
