"""minisign-format signatures: round trips, strictness, rejections."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from kpfield.crypto import minisign
from kpfield.errors import CryptoError


@pytest.fixture
def secret() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def public(secret: Ed25519PrivateKey) -> minisign.MinisignPublicKey:
    return minisign.MinisignPublicKey.from_private(secret)


def _sign(secret: Ed25519PrivateKey, data: bytes, trusted: str = "t") -> str:
    key_id = minisign.key_id_for(secret.public_key().public_bytes_raw())
    return minisign.sign(secret, key_id, data, trusted, "u")


def test_key_id_is_deterministic(secret: Ed25519PrivateKey) -> None:
    raw = secret.public_key().public_bytes_raw()
    assert minisign.key_id_for(raw) == minisign.key_id_for(raw)
    assert len(minisign.key_id_for(raw)) == 8


def test_format_shape(secret: Ed25519PrivateKey) -> None:
    text = _sign(secret, b"hello", "timestamp:1 file:x")
    lines = text.split("\n")
    assert lines[0] == "untrusted comment: u"
    assert base64.b64decode(lines[1])[:2] == b"ED"
    assert lines[2] == "trusted comment: timestamp:1 file:x"
    assert len(base64.b64decode(lines[3])) == 64
    assert lines[4] == ""


def test_stream_and_bytes_agree(
    secret: Ed25519PrivateKey, public: minisign.MinisignPublicKey
) -> None:
    data = b"x" * 200_000
    text = _sign(secret, data)
    assert minisign.verify(public, text, io.BytesIO(data)) == "t"
    key_id = public.key_id
    streamed = minisign.sign(secret, key_id, io.BytesIO(data), "t", "u")
    assert minisign.verify(public, streamed, data) == "t"


@settings(max_examples=25, deadline=None)
@given(
    data=st.binary(max_size=300),
    trusted=st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
)
def test_round_trip(data: bytes, trusted: str) -> None:
    secret = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
    public = minisign.MinisignPublicKey.from_private(secret)
    assert minisign.verify(public, _sign(secret, data, trusted), data) == trusted


def test_public_key_text_round_trip(public: minisign.MinisignPublicKey) -> None:
    text = public.to_text()
    assert text.startswith("untrusted comment: minisign public key ")
    assert minisign.parse_public_key(text) == public
    assert minisign.parse_public_key(public.to_base64()) == public


def test_rejects_tampered_data(
    secret: Ed25519PrivateKey, public: minisign.MinisignPublicKey
) -> None:
    text = _sign(secret, b"hello")
    with pytest.raises(CryptoError, match="does not match"):
        minisign.verify(public, text, b"hellO")


def test_rejects_tampered_trusted_comment(
    secret: Ed25519PrivateKey, public: minisign.MinisignPublicKey
) -> None:
    text = _sign(secret, b"hello", "good").replace("trusted comment: good", "trusted comment: evil")
    with pytest.raises(CryptoError, match="trusted comment"):
        minisign.verify(public, text, b"hello")


def test_untrusted_comment_is_not_signed(
    secret: Ed25519PrivateKey, public: minisign.MinisignPublicKey
) -> None:
    text = _sign(secret, b"hello").replace("untrusted comment: u", "untrusted comment: other")
    assert minisign.verify(public, text, b"hello") == "t"


def test_rejects_wrong_key(secret: Ed25519PrivateKey) -> None:
    other = minisign.MinisignPublicKey.from_private(Ed25519PrivateKey.generate())
    with pytest.raises(CryptoError, match="different key"):
        minisign.verify(other, _sign(secret, b"hello"), b"hello")
    # Same key id but a different key: the signature check must still fail.
    forged = minisign.MinisignPublicKey(
        key_id=minisign.key_id_for(secret.public_key().public_bytes_raw()),
        public_key=other.public_key,
    )
    with pytest.raises(CryptoError):
        minisign.verify(forged, _sign(secret, b"hello"), b"hello")


def test_rejects_legacy_algorithm(
    secret: Ed25519PrivateKey, public: minisign.MinisignPublicKey
) -> None:
    lines = _sign(secret, b"hello").split("\n")
    raw = base64.b64decode(lines[1])
    lines[1] = base64.b64encode(b"Ed" + raw[2:]).decode()
    with pytest.raises(CryptoError, match="legacy"):
        minisign.verify(public, "\n".join(lines), b"hello")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: t + "extra line\n",
        lambda t: t.replace("untrusted comment: ", "comment: "),
        lambda t: t.replace("trusted comment: ", "trusted: "),
        lambda t: t.replace("\n", "\n\n", 1),
        lambda t: "x" * 20_000,
        lambda t: "\n".join(line[:-2] if i == 1 else line for i, line in enumerate(t.split("\n"))),
        lambda t: "\n".join(line + " " if i == 3 else line for i, line in enumerate(t.split("\n"))),
    ],
)
def test_rejects_malformed(
    secret: Ed25519PrivateKey, public: minisign.MinisignPublicKey, mangle: object
) -> None:
    assert callable(mangle)
    with pytest.raises(CryptoError):
        minisign.verify(public, mangle(_sign(secret, b"hello")), b"hello")


def test_sign_rejects_multiline_comments(secret: Ed25519PrivateKey) -> None:
    with pytest.raises(CryptoError):
        _sign(secret, b"x", "a\nb")
    with pytest.raises(CryptoError):
        minisign.sign(secret, b"short", b"x", "t", "u")
