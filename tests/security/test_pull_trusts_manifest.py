"""HQ pull takes who sent a bundle from the bundle's signed manifest, never from the relay's
listing: a compromised relay cannot route HQ's receipt to another device or put path tricks into
the ids HQ uses in its requests."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.errors import KpfieldError
from kpfield.vault.keyslots import KdfParams
from tests.security.hostile import HostileRelay
from tests.security.test_hostile_relay import _client
from tests.sync.world import World, make_world


@pytest.fixture
def world(tmp_path: Path, cheap_params: KdfParams) -> Iterator[World]:
    w = make_world(tmp_path, cheap_params, purge=False)
    yield w
    w.close()


def test_a_relay_naming_another_device_does_not_misroute_hq_receipts(world: World) -> None:
    world.seal(seed=11)
    assert world.field.sync.run().ok
    device = world.field.identity.identity().device_id
    db = sqlite3.connect(world.relay_dir / "store" / "relay.db")
    with db:  # the relay lies about who uploaded the bundle
        db.execute("UPDATE uploads SET device_id = 'abcdefabcdefabcd'")
    db.close()
    result = world.hq.pull.run()
    assert result.imported == 1 and result.receipts_posted == 1
    db = sqlite3.connect(world.relay_dir / "store" / "relay.db")
    owners = [r[0] for r in db.execute("SELECT device_id FROM documents WHERE kind='receipt'")]
    db.close()
    assert owners == [device]
    inbox = world.hq.vault.conn.execute("SELECT device_id FROM hq_relay_inbox").fetchall()
    assert [str(r[0]) for r in inbox] == [device]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bundle_id", "../../device-list"),
        ("device_id", "x/../../hq/flags"),
        ("bundle_id", "A" * 64),
    ],
)
def test_a_listing_with_malformed_ids_is_refused(field: str, value: str) -> None:
    item = {
        "cursor": 1,
        "bundle_id": "ab" * 32,
        "device_id": "ab" * 8,
        "sequence": 1,
        "size": 10,
        "receipt": "",
    }
    item[field] = value
    body = json.dumps({"bundles": [item], "next": 1}).encode()

    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        return 200, {"Content-Length": str(len(body))}, iter([body])

    with HostileRelay(answer) as relay:
        client = _client(relay.url)
        try:
            with pytest.raises(KpfieldError, match="malformed"):
                client.bundles(0)
        finally:
            client.transport.close()
