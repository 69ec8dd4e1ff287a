"""httpsig, device list and relay receipt formats, without a server."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.errors import IntegrityError
from kpfield.protocol import httpsig
from kpfield.protocol.device_list import parse_device_list
from tests.relay.support import Key, device_list

SEED = bytes(range(32))
URL = "https://relay.example.org/v1/uploads/" + "ab" * 32
HEADERS = {
    "Tus-Resumable": "1.0.0",
    "Content-Type": "application/offset+octet-stream",
    "Upload-Offset": "0",
    "Content-Digest": httpsig.content_digest(b"hello"),
}


def test_worked_example_of_docs_sync_protocol() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    target = httpsig.Target.from_url("PATCH", URL)
    out = httpsig.sign(
        key,
        "0123456789abcdef",
        target,
        HEADERS,
        created=1735689600,
        nonce="AAAAAAAAAAAAAAAAAAAAAAAA",
    )
    assert HEADERS["Content-Digest"] == "sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:"
    assert out["Signature-Input"] == (
        'sig1=("@method" "@authority" "@path" "@query" "content-digest" "tus-resumable" '
        '"upload-offset");created=1735689600;nonce="AAAAAAAAAAAAAAAAAAAAAAAA";'
        'keyid="0123456789abcdef";alg="ed25519"'
    )
    parsed = httpsig.parse({**HEADERS, **out})
    pub = key.public_key().public_bytes_raw()
    httpsig.verify(parsed, pub, target, {**HEADERS, **out}, now=1735689600 + 299)
    assert out["Signature"] == (
        "sig1=:8hBq4BJrH1phFln+YtTyPGbP6Ze3fTzTXD0a7UIkJF/fISxeG57SXt+mzbH94AnBVjly5LR82afC0G067ZjMBw==:"
    )


def test_tampered_header_and_missing_coverage_fail() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = key.public_key().public_bytes_raw()
    target = httpsig.Target.from_url("PATCH", URL)
    out = httpsig.sign(key, "0123456789abcdef", target, HEADERS, created=100)
    moved = {**HEADERS, **out, "Upload-Offset": "5"}
    with pytest.raises(httpsig.SignatureError) as err:
        httpsig.verify(httpsig.parse(moved), pub, target, moved, now=100)
    assert err.value.code == "bad_signature"
    added = {**HEADERS, **out, "Upload-Length": "5"}
    with pytest.raises(httpsig.SignatureError) as err:
        httpsig.verify(httpsig.parse(added), pub, target, added, now=100)
    assert err.value.code == "not_covered"
    ok = {**HEADERS, **out}
    with pytest.raises(httpsig.SignatureError) as err:
        httpsig.verify(httpsig.parse(ok), pub, target, ok, now=100 + 301)
    assert err.value.code == "stale"


def test_device_list_round_trip_and_refusals() -> None:
    hq, dev, gone = Key(), Key(), Key()
    data = device_list(hq, 3, [dev], [gone])
    parsed = parse_device_list(data, hq.public)
    assert parsed.serial == 3 and not parsed.devices[dev.keyid].revoked
    assert parsed.devices[gone.keyid].revoked
    with pytest.raises(IntegrityError):
        parse_device_list(data, Key().public)
    with pytest.raises(IntegrityError):
        parse_device_list(data.replace(b'"serial":3', b'"serial":4'), hq.public)
    with pytest.raises(IntegrityError):
        parse_device_list(b"{" * 100_000, hq.public)
