"""SIGKILL mid-upload and resume; HQ endpoints; the relay's import closure."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kpfield.crypto import minisign
from tests.relay.conftest import Relay
from tests.relay.rawhttp import open_request
from tests.relay.support import REPO, create, device_list, patch, send, signed_headers


@pytest.fixture
def fresh(relay: Relay) -> Iterator[Relay]:
    yield relay
    if relay.process.proc is None or relay.process.proc.poll() is not None:
        relay.process.start()


def test_resume_after_sigkill_mid_patch(fresh: Relay) -> None:
    relay = fresh
    data = os.urandom(300_000)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    with relay.client() as c:
        create(c, relay.device, data, 300)
        assert patch(c, relay.device, bundle_id, 0, data[:100_000]).status_code == 204
    chunk = data[100_000:200_000]
    headers = signed_headers(
        relay.device,
        "PATCH",
        relay.process.url + path,
        chunk,
        {
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "100000",
            "Content-Length": str(len(chunk)),
        },
    )
    sock = open_request(relay.process.url, "PATCH", path, headers)
    sock.sendall(chunk[:60_000])
    relay.process.kill()
    sock.close()
    relay.process.start()
    part = relay.data_dir / "store" / "uploads" / f"{bundle_id}.part"
    with relay.client() as c:
        offset = int(send(c, relay.device, "HEAD", path).headers["upload-offset"])
        durable = part.read_bytes()
        assert offset == 100_000 and len(durable) >= offset and durable[:offset] == data[:offset]
        assert patch(c, relay.device, bundle_id, offset, data[offset:]).status_code == 204
        assert "kpfield-receipt" in send(c, relay.device, "HEAD", path).headers
    assert (relay.data_dir / "store" / "bundles" / bundle_id).read_bytes() == data


def test_hq_lists_downloads_and_posts_documents(relay: Relay) -> None:
    data = os.urandom(70_000)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        create(c, relay.device, data, 400)
        patch(c, relay.device, bundle_id, 0, data)
        listing, since = [], 0
        while True:
            page = send(c, relay.hq, "GET", f"/v1/hq/bundles?since={since}").json()
            listing += page["bundles"]
            if not page["bundles"]:
                break
            since = page["next"]
        mine = [b for b in listing if b["bundle_id"] == bundle_id]
        assert mine and mine[0]["device_id"] == relay.device.keyid and mine[0]["size"] == 70_000
        assert send(c, relay.hq, "GET", f"/v1/hq/bundles/{bundle_id}").content == data
        assert send(c, relay.device, "GET", f"/v1/hq/bundles/{bundle_id}").status_code == 401

        body = b"opaque age ciphertext of an acknowledgement"
        sig = minisign.sign(relay.hq.key, relay.hq.public.key_id, body, trusted_comment="ack")
        doc_headers = {
            "Kpfield-Document-Kind": "ack",
            "Kpfield-Document-Signature": base64.b64encode(sig.encode()).decode(),
        }
        url = f"/v1/hq/devices/{relay.device.keyid}/documents"
        assert send(c, relay.hq, "POST", url, body, doc_headers).status_code == 201
        forged = minisign.sign(
            relay.other.key, relay.other.public.key_id, body, trusted_comment="x"
        )
        bad = dict(
            doc_headers,
            **{"Kpfield-Document-Signature": base64.b64encode(forged.encode()).decode()},
        )
        assert send(c, relay.hq, "POST", url, body, bad).status_code == 422
        docs = send(c, relay.device, "GET", "/v1/documents?since=0").json()
        assert [base64.b64decode(d["body"]) for d in docs["documents"]] == [body]
        assert send(c, relay.other, "GET", "/v1/documents?since=0").json()["documents"] == []

        stale = device_list(relay.hq, 1, [relay.device], [])
        assert send(c, relay.hq, "POST", "/v1/hq/device-list", stale).status_code == 409
        forged_list = device_list(relay.other, 9, [relay.device], [])
        assert send(c, relay.hq, "POST", "/v1/hq/device-list", forged_list).status_code == 422
        held = send(c, relay.device, "GET", "/v1/device-list")
        assert held.status_code == 200 and b'"serial":1' in held.content


def test_relay_server_imports_nothing_heavy() -> None:
    code = (
        "import sys, kpfield.relay.server, kpfield.relay.cli\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlcipher3', 'PIL', 'PySide6')"
        " or m.startswith(('kpfield.vault', 'kpfield.app', 'kpfield.gui', 'kpfield.services',"
        " 'kpfield.hq', 'kpfield.bundle', 'kpfield.media'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=REPO, env={"PYTHONPATH": str(REPO)}
    )
