"""The client trusts nothing the relay says without a signature it can check: a forged or
misdirected receipt, a relay with another key, documents not signed by HQ are refused, and
nothing is marked delivered or acknowledged."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kpfield.crypto import keys
from kpfield.errors import IntegrityError
from kpfield.protocol import relay_receipt
from kpfield.vault.keyslots import KdfParams
from tests.relay.support import RelayProcess
from tests.support.faultproxy import FaultProxy, Faults
from tests.sync.world import (
    World,
    check_invariants,
    field_uploads,
    init_relay_dir,
    make_world,
)

_RECEIPT = re.compile(rb"kpfield-receipt: ([A-Za-z0-9+/=]+)", re.IGNORECASE)


@pytest.fixture
def world(tmp_path: Path, cheap_params: KdfParams) -> Iterator[World]:
    w = make_world(tmp_path, cheap_params, purge=True)
    yield w
    w.close()


@pytest.fixture
def proxy(world: World) -> Iterator[FaultProxy]:
    p = FaultProxy(int(world.url.rsplit(":", 1)[1])).start()
    yield p
    p.stop()


def receipt_rewriter(change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def rewrite(data: bytes) -> bytes:
        def swap(m: re.Match[bytes]) -> bytes:
            forged = change(base64.b64decode(m.group(1)))
            return m.group(0)[: -len(m.group(1))] + base64.b64encode(forged)

        return _RECEIPT.sub(swap, data)

    return rewrite


def nothing_marked(world: World) -> None:
    assert {u[3] for u in field_uploads(world.field)} == {"pending"}
    statuses = {str(r[0]) for r in world.field.vault.conn.execute("SELECT status FROM reports")}
    assert statuses == {"exported"}


def test_a_tampered_receipt_is_refused(world: World, proxy: FaultProxy) -> None:
    world.seal(seed=1)
    proxy.faults = Faults(
        rewrite_response=receipt_rewriter(
            lambda r: r.replace(b'"received_at":"2', b'"received_at":"1')
        )
    )
    result = world.field.sync.run(relay_url=proxy.url)
    assert not result.ok and result.refused_by_security
    assert "does not verify" in result.failures[0]
    nothing_marked(world)


def test_a_validly_signed_receipt_for_another_bundle_is_refused(
    world: World, proxy: FaultProxy
) -> None:
    world.seal(seed=2)
    relay_key = keys.ed25519_private_from_bytes((world.relay_dir / "relay.key").read_bytes())
    from kpfield.crypto import minisign

    key_id = minisign.MinisignPublicKey.from_private(relay_key).key_id

    def other_bundle(raw: bytes) -> bytes:
        doc = json.loads(raw)["receipt"]
        return relay_receipt.make_receipt(
            relay_key,
            key_id,
            **{
                **{k: doc[k] for k in ("device_id", "sequence", "size", "received_at")},
                "bundle_id": "ab" * 32,
            },
        )

    proxy.faults = Faults(rewrite_response=receipt_rewriter(other_bundle))
    result = world.field.sync.run(relay_url=proxy.url)
    assert not result.ok and result.refused_by_security
    assert "names another bundle" in result.failures[0]
    nothing_marked(world)


def test_a_relay_with_another_key_at_a_pinned_url_is_refused(
    world: World, proxy: FaultProxy, tmp_path: Path
) -> None:
    world.seal(seed=3)
    assert world.field.sync.run(relay_url=proxy.url).ok  # pins relay A's key for this URL
    world.seal(seed=4)
    impostor_dir = tmp_path / "impostor"
    init_relay_dir(impostor_dir, world.hq.keys.public_file())
    impostor = RelayProcess(impostor_dir)
    impostor.start()
    try:
        assert world.hq.pull.run(relay_url=impostor.url).ok  # it knows the device, too
        proxy.upstream_port = int(impostor.url.rsplit(":", 1)[1])
        with pytest.raises(IntegrityError, match="different key"):
            world.field.sync.run(relay_url=proxy.url)
    finally:
        impostor.stop()
    rows = field_uploads(world.field)
    assert [r[3] for r in rows] == ["delivered", "pending"]  # the second was never sent
    assert not (impostor_dir / "store" / "bundles").exists() or not any(
        (impostor_dir / "store" / "bundles").iterdir()
    )


def _plant(world: World, device_id: str, kind: str, body: bytes, signature: str) -> None:
    """What a compromised relay can do: serve documents HQ never signed."""
    db = sqlite3.connect(world.relay_dir / "store" / "relay.db")
    with db:
        db.execute(
            "INSERT INTO documents (device_id, kind, body, signature, created_at)"
            " VALUES (?,?,?,?,0)",
            (device_id, kind, body, signature),
        )
    db.close()


def test_documents_not_signed_by_hq_are_refused(world: World) -> None:
    world.seal(seed=5)
    assert world.field.sync.run().ok
    assert world.hq.pull.run().receipts_posted == 1
    device = world.field.identity.identity().device_id
    # Take HQ's real receipt off the relay and serve it under a signature HQ did not make.
    db = sqlite3.connect(world.relay_dir / "store" / "relay.db")
    (body,) = db.execute("SELECT body FROM documents WHERE kind = 'receipt'").fetchone()
    with db:
        db.execute("DELETE FROM documents")
    db.close()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kpfield.crypto import minisign

    forger = Ed25519PrivateKey.generate()
    fake = minisign.sign(forger, b"\x01" * 8, body, trusted_comment="kpfield receipt")
    _plant(world, device, "receipt", body, fake)
    profile, _ = world.hq.profile.export(purge_after_acknowledgement=False)
    _plant(world, device, "profile", profile, fake)
    result = world.field.sync.run()
    assert not result.ok
    assert len(result.problems) == 2 and all("not signed by HQ" in p for p in result.problems)
    assert result.receipts.acknowledged == 0 and result.profile_serial is None
    statuses = {str(r[0]) for r in world.field.vault.conn.execute("SELECT status FROM reports")}
    assert statuses == {"sent"}
    check_invariants(world)
