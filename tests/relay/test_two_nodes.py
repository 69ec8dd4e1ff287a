"""Two relay nodes (real uvicorn processes) sharing one PostgreSQL database and one SeaweedFS
bucket: the client switches nodes between requests, a node is killed mid-PATCH and the upload
resumes on the other, two nodes receive the same PATCH at once, and what one node learns
(nonces, HQ's device list) holds on the other."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from kpfield.protocol.relay_receipt import parse_receipt
from kpfield.relay.config import load_data_dir
from kpfield.relay.objects import MIN_PART_BYTES
from tests.relay.rawhttp import open_request, read_status
from tests.relay.servers import Postgres, Seaweed
from tests.relay.support import (
    Key,
    RelayProcess,
    create,
    device_list,
    init_relay,
    patch,
    send,
    signed_headers,
)

MIB = 1 << 20


@dataclass
class Nodes:
    a: RelayProcess
    b: RelayProcess
    data_dir: Path
    hq: Key
    device: Key
    seaweed: Seaweed
    bucket: str
    database: str

    def client(self, node: RelayProcess) -> httpx.Client:
        return httpx.Client(base_url=node.url, timeout=30)

    def both(self) -> tuple[httpx.Client, httpx.Client]:
        return self.client(self.a), self.client(self.b)


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, seaweed: Seaweed
) -> Iterator[Nodes]:
    root = tmp_path_factory.mktemp("nodes")
    bucket = "kpfield-two-nodes"
    database = postgres.create_database(f"nodes_{os.getpid()}")
    backend = (
        "--database",
        database,
        "--objects",
        seaweed.objects_url(bucket),
    )
    hq, device = Key(), Key()
    (root / "a").mkdir()
    init_relay(root / "a" / "data", hq, backend)
    # A second node is the same relay identity (its key signs receipts) on another machine.
    shutil.copytree(root / "a" / "data", root / "b" / "data")
    a = RelayProcess(root / "a" / "data", read_timeout=20, extra=backend)
    b = RelayProcess(root / "b" / "data", read_timeout=20, extra=backend)
    a.start()
    b.start()
    found = Nodes(a, b, root / "a" / "data", hq, device, seaweed, bucket, database)
    with found.client(a) as c:
        listing = device_list(hq, 1, [device], [])
        assert send(c, hq, "POST", "/v1/hq/device-list", listing).status_code == 200
    yield found
    a.stop()
    b.stop()
    for node in ("a", "b"):  # a lost race must be a clear 409, never a 500
        assert "internal error" not in (root / node / "relay.log").read_text()


@pytest.fixture
def alive(nodes: Nodes) -> Iterator[Nodes]:
    yield nodes
    for node in (nodes.a, nodes.b):
        if node.proc is None or node.proc.poll() is not None:
            node.start()


def _head(c: httpx.Client, key: Key, bundle_id: str) -> httpx.Response:
    return send(c, key, "HEAD", f"/v1/uploads/{bundle_id}")


def _downloaded(n: Nodes, c: httpx.Client, bundle_id: str) -> bytes:
    answer = send(c, n.hq, "GET", f"/v1/hq/bundles/{bundle_id}")
    assert answer.status_code == 200
    return answer.content


def test_client_switches_nodes_between_every_request(nodes: Nodes) -> None:
    n = nodes
    data = os.urandom(2 * MIN_PART_BYTES + 123_457)
    bundle_id = hashlib.sha256(data).hexdigest()
    a, b = n.both()
    with a, b:
        assert create(a, n.device, data, 1).status_code == 201
        assert create(b, n.device, data, 1).status_code == 200  # the same upload on node B
        offset, step = 0, 3 * MIB + 17
        for i in range(0, len(data), step):
            write, ask = (a, b) if (i // step) % 2 else (b, a)
            answer = patch(write, n.device, bundle_id, offset, data[i : i + step])
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["upload-offset"])
            assert int(_head(ask, n.device, bundle_id).headers["upload-offset"]) == offset
        receipts = {_head(c, n.device, bundle_id).headers["kpfield-receipt"] for c in (a, b)}
        assert len(receipts) == 1
        receipt = parse_receipt(base64.b64decode(receipts.pop()), load_data_dir(n.data_dir).public)
        assert (receipt.bundle_id, receipt.size) == (bundle_id, len(data))
        assert _downloaded(n, a, bundle_id) == data == _downloaded(n, b, bundle_id)
        listed = send(b, n.hq, "GET", "/v1/hq/bundles?since=0").json()["bundles"]
        assert [x["bundle_id"] for x in listed].count(bundle_id) == 1
    stored = n.seaweed.client().get_object(Bucket=n.bucket, Key=f"bundles/{bundle_id}")
    assert stored["Body"].read() == data


def test_node_killed_mid_patch_upload_resumes_on_the_other(alive: Nodes) -> None:
    n = alive
    data = os.urandom(MIN_PART_BYTES + 3 * MIB)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    first = MIN_PART_BYTES + MIB  # one full part and a tail are durable before the kill
    a, b = n.both()
    with a, b:
        create(a, n.device, data, 2)
        assert patch(a, n.device, bundle_id, 0, data[:first]).status_code == 204
        chunk = data[first:]
        headers = signed_headers(
            n.device,
            "PATCH",
            n.a.url + path,
            chunk,
            {
                "Tus-Resumable": "1.0.0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(first),
                "Content-Length": str(len(chunk)),
            },
        )
        sock = open_request(n.a.url, "PATCH", path, headers)
        sock.sendall(chunk[: len(chunk) // 2])
        n.a.kill()  # SIGKILL, mid-body
        sock.close()
        offset = int(_head(b, n.device, bundle_id).headers["upload-offset"])
        assert offset == first
        assert patch(b, n.device, bundle_id, offset, data[offset:]).status_code == 204
        assert "kpfield-receipt" in _head(b, n.device, bundle_id).headers
        assert _downloaded(n, b, bundle_id) == data


def test_concurrent_patches_to_two_nodes_one_wins(nodes: Nodes) -> None:
    n = nodes
    data = os.urandom(MIN_PART_BYTES + MIB)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    a, b = n.both()
    with a, b:
        create(a, n.device, data, 3)
        # Node A receives half of a PATCH; node B then receives the same PATCH whole.
        headers = signed_headers(
            n.device,
            "PATCH",
            n.a.url + path,
            data,
            {
                "Tus-Resumable": "1.0.0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": "0",
                "Content-Length": str(len(data)),
            },
        )
        slow = open_request(n.a.url, "PATCH", path, headers)
        slow.sendall(data[: len(data) // 2])
        _until_appending(n, bundle_id)  # A holds the lease; B's newer PATCH takes it over
        fast = patch(b, n.device, bundle_id, 0, data)
        assert fast.status_code == 204 and "kpfield-receipt" in fast.headers
        slow.sendall(data[len(data) // 2 :])
        assert read_status(slow) == 409  # a clear conflict: the upload moved on without it
        slow.close()
        assert _downloaded(n, a, bundle_id) == data

        # And truly at once, one PATCH per node from two threads: exactly one counts.
        other = os.urandom(MIN_PART_BYTES + 1000)
        other_id = hashlib.sha256(other).hexdigest()
        create(b, n.device, other, 4)
        codes: list[int] = []

        def put(node: RelayProcess) -> None:
            with n.client(node) as c:
                codes.append(patch(c, n.device, other_id, 0, other).status_code)

        threads = [threading.Thread(target=put, args=(node,)) for node in (n.a, n.b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [204, 409]
        assert int(_head(a, n.device, other_id).headers["upload-offset"]) == len(other)
        assert _downloaded(n, b, other_id) == other


def test_a_replay_to_the_other_node_is_refused(nodes: Nodes) -> None:
    n = nodes
    a, b = n.both()
    with a, b:
        # Behind one balancer both nodes answer the same authority.
        url = str(a.base_url.join("/v1/relay"))
        headers = signed_headers(n.device, "GET", url)
        assert a.get("/v1/relay", headers=headers).status_code == 200
        host = a.base_url.netloc.decode()
        again = b.get("/v1/relay", headers={**headers, "Host": host})
    assert again.status_code == 401 and again.json()["error"] == "replayed"


def test_a_device_list_given_to_one_node_holds_on_the_other(nodes: Nodes) -> None:
    n = nodes
    late = Key()
    a, b = n.both()
    with a, b:
        assert send(a, late, "GET", "/v1/relay").status_code == 401
        enrolled = device_list(n.hq, 2, [n.device, late], [])
        assert send(b, n.hq, "POST", "/v1/hq/device-list", enrolled).status_code == 200
        assert send(a, late, "GET", "/v1/relay").status_code == 200
        revoked = device_list(n.hq, 3, [n.device], [late])
        assert send(a, n.hq, "POST", "/v1/hq/device-list", revoked).status_code == 200
        answer = send(b, late, "GET", "/v1/relay")
    assert answer.status_code == 403 and answer.json()["error"] == "revoked"


def _until_appending(n: Nodes, bundle_id: str, timeout: float = 30) -> None:
    """Wait (bounded) until a PATCH of ``bundle_id`` has begun appending on some node."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(n.database, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT lease FROM uploads WHERE bundle_id = %s", (bundle_id,)
            ).fetchone()
            if row is not None and row[0] >= 1:
                return
            assert time.monotonic() < deadline, "the PATCH never began"
            conn.execute("SELECT pg_sleep(0.02)")


def test_head_on_one_node_supersedes_a_patch_on_the_other(nodes: Nodes) -> None:
    """A client that gave up on a stalled PATCH and asks another node for the offset takes the
    upload over: the old PATCH stops (409) instead of committing behind the client's back."""
    n = nodes
    data = os.urandom(2 * MIB)
    bundle_id = hashlib.sha256(data).hexdigest()
    path = f"/v1/uploads/{bundle_id}"
    a, b = n.both()
    with a, b:
        create(a, n.device, data, 6)
        headers = signed_headers(
            n.device,
            "PATCH",
            n.a.url + path,
            data,
            {
                "Tus-Resumable": "1.0.0",
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": "0",
                "Content-Length": str(len(data)),
            },
        )
        stale = open_request(n.a.url, "PATCH", path, headers)
        stale.sendall(data[: MIB // 2])
        _until_appending(n, bundle_id)  # node A took the upload before B is asked
        assert int(_head(b, n.device, bundle_id).headers["upload-offset"]) == 0
        try:
            stale.sendall(data[MIB // 2 :])
        except OSError:
            pass  # node A may answer and close before it has read the rest
        assert read_status(stale) == 409
        stale.close()
        assert int(_head(a, n.device, bundle_id).headers["upload-offset"]) == 0
        assert patch(b, n.device, bundle_id, 0, data).status_code == 204
        assert _downloaded(n, a, bundle_id) == data
