"""A compromised relay answering the field client or the HQ desk: it may send anything, of any
size. The client bounds what it reads and turns every malformed answer into a clean error."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import minisign
from kpfield.errors import KpfieldError
from kpfield.services.sync_common import MAX_DOCUMENT_BYTES, fetch_all_documents
from kpfield.sync.relay_client import MAX_LISTING_BYTES, RelayClient
from kpfield.sync.transport import Credentials, Transport
from kpfield.sync.uploader import Bundle, Uploader
from tests.security.hostile import HostileRelay

HUGE = 256 << 20  # what a hostile relay claims to send


def _zeros(total: int) -> Iterator[bytes]:
    block = b"0" * (1 << 20)
    for _ in range(total // len(block)):
        yield block


def _client(url: str) -> RelayClient:
    creds = Credentials("00" * 8, Ed25519PrivateKey.generate())
    return RelayClient(Transport(url, creds), attempts=1, sleep=lambda _s: None)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_huge_device_list_answer_is_not_buffered(chunked: bool) -> None:
    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        headers = {"Content-Type": "application/json"}
        if chunked:
            headers["Connection"] = "close"  # no length: the body runs until the socket closes
        else:
            headers["Content-Length"] = str(HUGE)
        return 200, headers, _zeros(HUGE)

    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            with pytest.raises(KpfieldError, match="too large"):
                client.device_list()
        finally:
            client.transport.close()
        assert relay.sent < HUGE // 2


def test_a_huge_error_body_is_not_buffered() -> None:
    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        return 500, {"Content-Length": str(HUGE)}, _zeros(HUGE)

    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            with pytest.raises(KpfieldError):
                client.documents(0)
        finally:
            client.transport.close()
        assert relay.sent < HUGE // 2


def test_a_listing_cap_still_admits_a_full_page() -> None:
    assert MAX_LISTING_BYTES >= 4 << 20


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_a_clean_error(status: int) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000  # 400 kB: under every size cap

    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        headers = {"Content-Length": str(len(deep)), "Content-Type": "application/json"}
        return status, headers, iter([deep])

    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            for call in (client.info, lambda: client.documents(0), lambda: client.bundles(0)):
                with pytest.raises(KpfieldError):
                    call()
        finally:
            client.transport.close()


def test_non_ascii_digits_in_relay_headers_are_a_clean_error(tmp_path: Path) -> None:
    # '²'.isdigit() is True but int('²') raises: a relay sends it as a raw latin-1 byte.
    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        headers = {"Kpfield-Server-Time": "\u00b2", "Upload-Offset": "\u00b2"}
        return 201, {**headers, "Content-Length": "2"}, iter([b"{}"])

    data = b"ciphertext" * 100
    path = tmp_path / "b.age"
    path.write_bytes(data)
    bundle = Bundle(path, hashlib.sha256(data).hexdigest(), 1, len(data))
    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            with pytest.raises(KpfieldError):
                client.info()
            uploader = Uploader(
                client.transport,
                minisign.MinisignPublicKey.from_private(Ed25519PrivateKey.generate()),
                "00" * 8,
                max_failures=1,
                sleep=lambda _s: None,
            )
            with pytest.raises(KpfieldError):
                uploader.upload(bundle)
        finally:
            client.transport.close()


def test_documents_held_in_memory_at_once_are_bounded() -> None:
    """A relay serving page after page of (unverified) documents: the laptop stops collecting
    after a bounded amount; the rest waits for the next sync (the cursor moves per document)."""
    body = base64.b64encode(b"x" * (2 << 20)).decode()
    pages = 0

    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        nonlocal pages
        pages += 1
        doc = {"cursor": pages, "kind": "receipt", "created_at": 0, "body": body, "signature": "s"}
        data = json.dumps({"documents": [] if pages > 100 else [doc], "next": pages}).encode()
        return 200, {"Content-Length": str(len(data))}, iter([data])

    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            docs = fetch_all_documents(client, 0)
        finally:
            client.transport.close()
    held = sum(len(d.body) for d in docs)
    assert held <= MAX_DOCUMENT_BYTES + (4 << 20)
    assert pages <= MAX_DOCUMENT_BYTES // (2 << 20) + 2


def test_a_refusal_cannot_put_control_characters_on_the_terminal() -> None:
    """The relay's refusal text is printed to the monitor's terminal ('sync incomplete: ...'):
    escape sequences in it could erase that line and draw a fake 'all delivered'."""
    forged = {"error": "x\x1b[2K", "message": "\x1b[2K\r0 pending; sync complete\n\x07"}
    data = json.dumps(forged).encode()

    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        return 403, {"Content-Length": str(len(data))}, iter([data])

    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            with pytest.raises(KpfieldError) as caught:
                client.info()
        finally:
            client.transport.close()
    text = caught.value.message
    assert "sync complete" in text
    assert all(ch.isprintable() for ch in text), repr(text)
