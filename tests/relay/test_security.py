"""Refusals: unsigned, forged, replayed, stale, unknown and revoked callers; bodies too big or
too slow; and the relay's disk holding only what it was sent."""

from __future__ import annotations

import hashlib
import os
import time

import httpx

from tests.relay.conftest import Relay
from tests.relay.rawhttp import open_request, read_status
from tests.relay.support import Key, create, patch, send, signed_headers


def test_unsigned_request_is_401(relay: Relay) -> None:
    with relay.client() as c:
        answer = c.options("/v1/uploads")
    assert answer.status_code == 401 and answer.json()["error"] == "unsigned"


def test_wrongly_signed_request_is_401(relay: Relay) -> None:
    with relay.client() as c:
        url = str(c.base_url.join("/v1/relay"))
        headers = signed_headers(relay.device, "GET", url)
        headers["Signature-Input"] = headers["Signature-Input"].replace("created=", "created=1")
        assert c.get("/v1/relay", headers=headers).json()["error"] in ("bad_signature", "stale")
        forged = signed_headers(Key(), "GET", url)
        forged["Signature-Input"] = forged["Signature-Input"].replace(
            forged["Signature-Input"].split('keyid="')[1][:16], relay.device.keyid
        )
        answer = c.get("/v1/relay", headers=forged)
    assert answer.status_code == 401 and answer.json()["error"] == "bad_signature"


def test_signature_over_another_path_is_refused(relay: Relay) -> None:
    with relay.client() as c:
        headers = signed_headers(relay.device, "GET", str(c.base_url.join("/v1/relay")))
        answer = c.get("/v1/device-list", headers=headers)
    assert answer.status_code == 401 and answer.json()["error"] == "bad_signature"


def test_replayed_nonce_is_401(relay: Relay) -> None:
    with relay.client() as c:
        headers = signed_headers(relay.device, "GET", str(c.base_url.join("/v1/relay")))
        assert c.get("/v1/relay", headers=headers).status_code == 200
        again = c.get("/v1/relay", headers=headers)
    assert again.status_code == 401 and again.json()["error"] == "replayed"


def test_stale_clock_is_told_the_server_time_and_can_retry(relay: Relay) -> None:
    skew = -3 * 3600  # a field laptop three hours slow
    with relay.client() as c:
        sent = time.time()
        stale = send(c, relay.device, "GET", "/v1/relay", created=int(sent) + skew)
        assert stale.status_code == 401 and stale.json()["error"] == "stale"
        server_time = int(stale.headers["kpfield-server-time"])
        offset = server_time - int(sent + skew)
        retry = send(c, relay.device, "GET", "/v1/relay", created=int(time.time()) + skew + offset)
    assert retry.status_code == 200 and retry.json()["relay_key"].startswith("RW")


def test_unknown_device_is_401_and_hq_paths_need_hq(relay: Relay) -> None:
    with relay.client() as c:
        assert send(c, relay.stranger, "GET", "/v1/relay").json()["error"] == "unknown_device"
        answer = send(c, relay.device, "GET", "/v1/hq/bundles")
    assert answer.status_code == 401 and answer.json()["error"] == "unknown_key"


def _stalled_body_status(relay: Relay, key: Key) -> int:
    data = os.urandom(1 << 20)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    headers = signed_headers(
        key,
        "PATCH",
        relay.process.url + path,
        data,
        {
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
            "Content-Length": str(len(data)),
        },
    )
    sock = open_request(relay.process.url, "PATCH", path, headers)
    try:
        sock.settimeout(0.9)  # under the relay's 1 s read timeout: the answer comes first
        return read_status(sock)
    finally:
        sock.close()


def test_revoked_and_unknown_devices_are_refused_before_the_body(relay: Relay) -> None:
    assert _stalled_body_status(relay, relay.revoked) == 403
    assert _stalled_body_status(relay, relay.stranger) == 401


def test_oversized_bodies_are_413_before_reading(relay: Relay) -> None:
    with relay.client() as c:
        info = send(c, relay.device, "GET", "/v1/relay").json()["limits"]
        too_big = info["max_upload_bytes"] + 1
        answer = send(
            c,
            relay.device,
            "POST",
            "/v1/uploads",
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(too_big),
                "Upload-Metadata": "bundle_id "
                + __import__("base64").b64encode(b"a" * 64).decode()
                + ",sequence MQ==",
            },
        )
        assert answer.status_code == 413
    data = os.urandom(100)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        create(c, relay.device, data, 100)
    path = f"/v1/uploads/{bundle_id}"
    size = info["max_patch_bytes"] + 1
    headers = signed_headers(
        relay.device,
        "PATCH",
        relay.process.url + path,
        b"",
        {
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
        },
    )
    headers["Content-Length"] = str(size)  # the signed digest is wrong too: never looked at
    sock = open_request(relay.process.url, "PATCH", path, headers)
    try:
        assert read_status(sock) == 413
    finally:
        sock.close()


def test_slow_body_times_out_and_releases_the_worker(relay: Relay) -> None:
    data = os.urandom(10_000)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    with relay.client() as c:
        create(c, relay.device, data, 101)
    socks = []
    for _ in range(2):  # both of the device's PATCH slots, held by stalled bodies
        headers = signed_headers(
            relay.device,
            "PATCH",
            relay.process.url + path,
            data,
            {
                "Tus-Resumable": "1.0.0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": "0",
                "Content-Length": str(len(data)),
            },
        )
        sock = open_request(relay.process.url, "PATCH", path, headers)
        sock.sendall(data[:100])
        socks.append(sock)
    statuses = [read_status(s) for s in socks]  # each answered after the 1 s read timeout
    for s in socks:
        s.close()
    assert 408 in statuses and set(statuses) <= {408, 409}
    with relay.client() as c:
        head = send(c, relay.device, "HEAD", path)
        assert head.headers["upload-offset"] == "0"
        assert patch(c, relay.device, bundle_id, 0, data).status_code == 204


def test_relay_disk_holds_only_what_it_was_sent(relay: Relay) -> None:
    marker = b"WITNESS-TESTIMONY-MARKER"
    data = os.urandom(50_000)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        create(c, relay.device, data, 200)
        assert patch(c, relay.device, bundle_id, 0, data).status_code == 204
        signed_junk = send(c, relay.device, "GET", "/v1/relay", headers={"X-Note": marker.decode()})
        assert signed_junk.status_code == 200
    assert (relay.data_dir / "store" / "bundles" / bundle_id).read_bytes() == data
    for path in relay.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert marker not in content, path
            if path.parent.name in ("bundles", "uploads"):
                name = path.name.removesuffix(".part")
                assert len(name) == 64 and set(name) <= set("0123456789abcdef")


def test_no_traceback_on_garbage(relay: Relay) -> None:
    with relay.client() as c:
        answer = c.get("/v1/relay", headers={"Signature-Input": "sig1=(((", "Signature": "x"})
        assert answer.status_code == 401 and answer.json()["error"] == "malformed"
        assert isinstance(answer, httpx.Response)
