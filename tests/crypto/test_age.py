"""age round trips, tampering, truncation, keys and the streaming Decryptor API."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpfield.crypto import age
from kpfield.crypto.stream import CHUNK_SIZE
from kpfield.errors import Cancelled, CryptoError

# Fixed keys keep the tests fast and reproducible (generation is cheap, but hypothesis reruns).
IDENTITY = age.X25519Identity.from_bytes(bytes(range(1, 33)))
OTHER = age.X25519Identity.from_bytes(bytes(range(2, 34)))


def _encrypt(data: bytes, recipients: list[age.X25519Recipient] | None = None) -> bytes:
    out = io.BytesIO()
    written = age.encrypt(recipients or [IDENTITY.recipient], io.BytesIO(data), out)
    assert written == len(out.getvalue())
    return out.getvalue()


def _decrypt(blob: bytes, identities: list[age.Identity] | None = None) -> bytes:
    out = io.BytesIO()
    age.decrypt(identities or [IDENTITY], io.BytesIO(blob), out)
    return out.getvalue()


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=2000))
def test_round_trip_small(data: bytes) -> None:
    assert _decrypt(_encrypt(data)) == data


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 7]
)
def test_round_trip_chunk_boundaries(size: int) -> None:
    data = os.urandom(size)
    assert _decrypt(_encrypt(data)) == data


def test_two_recipients_each_decrypt() -> None:
    blob = _encrypt(b"report", [IDENTITY.recipient, OTHER.recipient])
    assert blob.count(b"\n-> X25519 ") == 2
    assert _decrypt(blob, [IDENTITY]) == b"report"
    assert _decrypt(blob, [OTHER]) == b"report"


def test_no_matching_identity() -> None:
    blob = _encrypt(b"report")
    with pytest.raises(CryptoError) as caught:
        _decrypt(blob, [OTHER])
    assert caught.value.params["stage"] == "no_match"


def test_bit_flip_anywhere_is_rejected() -> None:
    blob = _encrypt(os.urandom(300))
    for index in range(len(blob)):
        damaged = bytearray(blob)
        damaged[index] ^= 1 << (index % 8)
        with pytest.raises(CryptoError):
            _decrypt(bytes(damaged))


def test_truncation_anywhere_is_rejected() -> None:
    blob = _encrypt(os.urandom(300))
    for length in range(len(blob)):
        with pytest.raises(CryptoError):
            _decrypt(blob[:length])


@pytest.mark.parametrize("size", [10, CHUNK_SIZE, CHUNK_SIZE + 10])
@pytest.mark.parametrize("junk", [b"\x00", b"x" * 16, b"y" * 17, b"z" * (CHUNK_SIZE + 16)])
def test_trailing_junk_is_rejected(size: int, junk: bytes) -> None:
    blob = _encrypt(bytes(size))
    with pytest.raises(CryptoError) as caught:
        _decrypt(blob + junk)
    assert caught.value.params["stage"] == "payload"


def test_truncation_at_chunk_boundary_is_rejected() -> None:
    blob = _encrypt(bytes(2 * CHUNK_SIZE + 5))
    cut = len(blob) - (5 + 16)
    with pytest.raises(CryptoError) as caught:
        _decrypt(blob[:cut])
    assert caught.value.params["stage"] == "payload"


def test_decryptor_verifies_header_before_payload() -> None:
    data = os.urandom(3 * CHUNK_SIZE)
    decryptor = age.open_decryptor([IDENTITY], io.BytesIO(_encrypt(data)))
    assert [s.type for s in decryptor.header.stanzas] == ["X25519"]
    chunks = list(decryptor.iter_decrypt())
    assert all(len(c) <= CHUNK_SIZE for c in chunks)
    assert b"".join(chunks) == data
    with pytest.raises(CryptoError):
        list(decryptor.iter_decrypt())


def test_decryptor_rejects_bad_hmac_before_any_payload() -> None:
    blob = bytearray(_encrypt(b"secret"))
    mac_at = blob.index(b"\n--- ") + 5
    blob[mac_at] = ord("A") if blob[mac_at] != ord("A") else ord("B")
    with pytest.raises(CryptoError) as caught:
        age.open_decryptor([IDENTITY], io.BytesIO(bytes(blob)))
    assert caught.value.params["stage"] in {"hmac", "header"}


def test_progress_and_cancel() -> None:
    seen: list[int] = []
    out = io.BytesIO()
    total = age.encrypt(
        [IDENTITY.recipient], io.BytesIO(bytes(CHUNK_SIZE * 2)), out, progress=seen.append
    )
    assert seen[-1] == total
    plain_seen: list[int] = []
    age.decrypt([IDENTITY], io.BytesIO(out.getvalue()), io.BytesIO(), progress=plain_seen.append)
    assert plain_seen[-1] == 2 * CHUNK_SIZE
    with pytest.raises(Cancelled):
        age.encrypt([IDENTITY.recipient], io.BytesIO(b"x"), io.BytesIO(), cancel=lambda: True)
    with pytest.raises(Cancelled):
        age.decrypt([IDENTITY], io.BytesIO(out.getvalue()), io.BytesIO(), cancel=lambda: True)


def test_encrypt_needs_a_recipient() -> None:
    with pytest.raises(CryptoError):
        age.encrypt([], io.BytesIO(b"x"), io.BytesIO())


def test_key_strings_round_trip() -> None:
    identity = age.X25519Identity.generate()
    text = identity.to_string()
    assert text.startswith("AGE-SECRET-KEY-1")
    assert text == text.upper()
    assert age.parse_identity(text).to_string() == text
    recipient = identity.recipient.to_string()
    assert recipient.startswith("age1")
    assert age.parse_recipient(recipient) == identity.recipient
    assert text not in repr(identity)


def test_key_strings_rejected() -> None:
    good = IDENTITY.to_string()
    for bad in (good.lower(), good[:-1] + ("Q" if good[-1] != "Q" else "P"), good[:20]):
        with pytest.raises(CryptoError):
            age.parse_identity(bad)
    with pytest.raises(CryptoError):
        age.parse_recipient(good)
    with pytest.raises(CryptoError):
        age.parse_identity(IDENTITY.recipient.to_string())
    with pytest.raises(CryptoError):
        age.parse_recipient(IDENTITY.recipient.to_string().upper())


def test_identity_file_round_trip_and_errors() -> None:
    from datetime import UTC, datetime

    text = age.format_identity_file(IDENTITY, created=datetime(2024, 1, 2, tzinfo=UTC))
    assert text.startswith("# created: 2024-01-02T00:00:00Z\n# public key: age1")
    parsed = age.parse_identities(text + "\r\n# another\n" + OTHER.to_string() + "\n")
    assert [p.recipient for p in parsed] == [IDENTITY.recipient, OTHER.recipient]
    broken = IDENTITY.to_string()[:-1] + "X"
    with pytest.raises(CryptoError) as caught:
        age.parse_identities("# c\n" + broken + "\n")
    assert broken not in str(caught.value)
    assert caught.value.params["line"] == 2
    with pytest.raises(CryptoError):
        age.parse_identities("# only a comment\n")


@pytest.mark.parametrize(
    "blob",
    [
        b"age-encryption.org/v1\n" + b"-> a b\n\n" * 5000,
        b"age-encryption.org/v1\n-> " + b"a" * 100_000 + b"\n",
        b"age-encryption.org/v1\n-> a\n" + b"A" * 64 + b"\n" * 1,
        b"age-encryption.org/v1\n" + (b"-> a\n" + (b"A" * 64 + b"\n") * 5000 + b"\n"),
        b"age-encryption.org/v2\n",
        b"",
    ],
    ids=["many-stanzas", "long-line", "unterminated-body", "huge-body", "version", "empty"],
)
def test_hostile_headers_are_rejected_early(blob: bytes) -> None:
    with pytest.raises(CryptoError) as caught:
        age.open_decryptor([IDENTITY], io.BytesIO(blob))
    assert caught.value.params["stage"] == "header"
