"""Fingerprints and raw key helpers."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kpfield.crypto import keys
from kpfield.errors import CryptoError


def test_fingerprint_shape_and_determinism() -> None:
    fp = keys.fingerprint(bytes(32))
    assert re.fullmatch(r"(\d{5} ){7}\d{5}", fp)
    assert fp == keys.fingerprint(bytes(32))
    assert fp != keys.fingerprint(b"\x01" + bytes(31))


def test_fingerprint_rejects_wrong_size() -> None:
    with pytest.raises(CryptoError):
        keys.fingerprint(b"short")


def test_raw_round_trips() -> None:
    ed = Ed25519PrivateKey.generate()
    seed = keys.ed25519_private_to_bytes(ed)
    assert keys.ed25519_private_to_bytes(keys.ed25519_private_from_bytes(seed)) == seed
    pub = keys.ed25519_public_to_bytes(ed.public_key())
    assert keys.ed25519_public_to_bytes(keys.ed25519_public_from_bytes(pub)) == pub
    x = X25519PrivateKey.generate()
    scalar = keys.x25519_private_to_bytes(x)
    assert keys.x25519_private_to_bytes(keys.x25519_private_from_bytes(scalar)) == scalar
    xpub = keys.x25519_public_to_bytes(x.public_key())
    assert keys.x25519_public_to_bytes(keys.x25519_public_from_bytes(xpub)) == xpub
    for loader in (
        keys.ed25519_public_from_bytes,
        keys.ed25519_private_from_bytes,
        keys.x25519_public_from_bytes,
        keys.x25519_private_from_bytes,
    ):
        with pytest.raises(CryptoError):
            loader(b"\x00" * 31)
