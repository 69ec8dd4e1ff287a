"""tus uploads against a real relay: create, resume, checksum, idempotence, receipts, termination."""

from __future__ import annotations

import base64
import hashlib
import os

from kpfield.protocol.relay_receipt import parse_receipt
from kpfield.relay.config import load_data_dir
from tests.relay.conftest import Relay
from tests.relay.support import create, patch, send


def test_upload_in_chunks_completes_with_a_signed_receipt(relay: Relay) -> None:
    data = os.urandom(200_000)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        answer = create(c, relay.device, data, 1)
        assert answer.status_code == 201, answer.text
        assert answer.headers["location"] == f"/v1/uploads/{bundle_id}"
        assert "upload-expires" in answer.headers and "kpfield-server-time" in answer.headers
        assert patch(c, relay.device, bundle_id, 0, data[:120_000]).status_code == 204
        head = send(c, relay.device, "HEAD", f"/v1/uploads/{bundle_id}")
        assert head.headers["upload-offset"] == "120000"
        last = patch(c, relay.device, bundle_id, 120_000, data[120_000:])
        assert last.status_code == 204 and last.headers["upload-offset"] == "200000"
        receipt_raw = base64.b64decode(last.headers["kpfield-receipt"])
        relay_key = load_data_dir(relay.data_dir).public
        receipt = parse_receipt(receipt_raw, relay_key)
        assert (receipt.bundle_id, receipt.device_id, receipt.sequence, receipt.size) == (
            bundle_id,
            relay.device.keyid,
            1,
            200_000,
        )
        # A lost final answer costs one HEAD, and a repeated creation is answered at once.
        head = send(c, relay.device, "HEAD", f"/v1/uploads/{bundle_id}")
        assert (
            head.status_code == 200
            and head.headers["kpfield-receipt"] == last.headers["kpfield-receipt"]
        )
        again = create(c, relay.device, data, 1)
        assert again.status_code == 200 and again.headers["upload-offset"] == "200000"
        assert again.headers["kpfield-receipt"] == last.headers["kpfield-receipt"]
    assert (relay.data_dir / "store" / "bundles" / bundle_id).read_bytes() == data


def test_duplicate_creation_is_the_same_upload(relay: Relay) -> None:
    data = os.urandom(1000)
    with relay.client() as c:
        first = create(c, relay.device, data, 2)
        second = create(c, relay.device, data, 2)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.headers["location"] == second.headers["location"]


def test_checksum_mismatch_is_460_and_nothing_moves(relay: Relay) -> None:
    data = os.urandom(1000)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        create(c, relay.device, data, 3)
        bad = patch(c, relay.device, bundle_id, 0, data, checksum=hashlib.sha256(b"x").digest())
        assert bad.status_code == 460 and bad.json()["error"] == "checksum_mismatch"
        head = send(c, relay.device, "HEAD", f"/v1/uploads/{bundle_id}")
        assert head.headers["upload-offset"] == "0"


def test_whole_bundle_hash_is_checked_before_completion(relay: Relay) -> None:
    data = os.urandom(1000)
    bundle_id = hashlib.sha256(data).hexdigest()
    forged = os.urandom(1000)
    with relay.client() as c:
        create(c, relay.device, data, 4)
        answer = patch(c, relay.device, bundle_id, 0, forged)
        assert answer.status_code == 460 and answer.json()["error"] == "bundle_mismatch"
        assert (
            send(c, relay.device, "HEAD", f"/v1/uploads/{bundle_id}").headers["upload-offset"]
            == "0"
        )


def test_same_sequence_other_bundle_is_refused_and_flagged(relay: Relay) -> None:
    with relay.client() as c:
        assert create(c, relay.device, os.urandom(100), 5).status_code == 201
        refused = create(c, relay.device, os.urandom(100), 5)
        assert refused.status_code == 409 and refused.json()["error"] == "sequence_conflict"
        flags = send(c, relay.hq, "GET", "/v1/hq/flags").json()["flags"]
    assert any(f["device_id"] == relay.device.keyid and f["sequence"] == 5 for f in flags)


def test_offset_mismatch_and_past_length(relay: Relay) -> None:
    data = os.urandom(1000)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        create(c, relay.device, data, 6)
        wrong = patch(c, relay.device, bundle_id, 10, data[10:20])
        assert wrong.status_code == 409 and wrong.headers["upload-offset"] == "0"
        assert patch(c, relay.device, bundle_id, 0, data + b"more").status_code == 413


def test_path_tricks_in_ids(relay: Relay) -> None:
    with relay.client() as c:
        for path in (
            "/v1/uploads/..%2f..%2frelay.key",
            "/v1/uploads/%2e%2e",
            "/v1/uploads/" + "A" * 64,
            "/v1/uploads/" + "g" * 64,
            "/v1/uploads/abc",
            "/v1/hq/bundles/%2e%2e%2fstore%2frelay.db",
        ):
            key = relay.hq if path.startswith("/v1/hq") else relay.device
            answer = send(c, key, "HEAD" if "uploads" in path else "GET", path)
            assert answer.status_code in (400, 404), (path, answer.status_code)


def test_uploads_are_private_to_their_device(relay: Relay) -> None:
    data = os.urandom(100)
    bundle_id = hashlib.sha256(data).hexdigest()
    with relay.client() as c:
        create(c, relay.device, data, 7)
        assert send(c, relay.other, "HEAD", f"/v1/uploads/{bundle_id}").status_code == 404
        assert patch(c, relay.other, bundle_id, 0, data).status_code == 404


def test_method_override_and_termination(relay: Relay) -> None:
    data = os.urandom(100)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    with relay.client() as c:
        create(c, relay.device, data, 8)
        chunk = data[:40]
        over = send(
            c,
            relay.device,
            "POST",
            path,
            chunk,
            {
                "X-HTTP-Method-Override": "PATCH",
                "Tus-Resumable": "1.0.0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": "0",
            },
        )
        assert over.status_code == 204 and over.headers["upload-offset"] == "40"
        gone = send(c, relay.device, "POST", path, headers={"X-HTTP-Method-Override": "DELETE"})
        assert gone.status_code == 204
        assert send(c, relay.device, "HEAD", path).status_code == 404
    assert not (relay.data_dir / "store" / "uploads" / f"{bundle_id}.part").exists()


def test_options_advertises_the_tus_subset(relay: Relay) -> None:
    with relay.client() as c:
        answer = send(c, relay.device, "OPTIONS", "/v1/uploads")
    assert answer.status_code == 204
    assert answer.headers["tus-extension"] == "creation,checksum,expiration,termination"
    assert answer.headers["tus-checksum-algorithm"] == "sha256"
