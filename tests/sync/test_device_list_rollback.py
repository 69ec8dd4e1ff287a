"""A relay that serves an older HQ device list than one the laptop already accepted (a replay,
which could hide a revocation) is caught: the laptop keeps the highest serial it has seen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.custody.seal import device_identity
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.sync_store import SyncStore
from tests.sync.world import World, make_world


@pytest.fixture
def world(tmp_path: Path, cheap_params: KdfParams) -> Iterator[World]:
    w = make_world(tmp_path, cheap_params, devices=2, purge=False)
    yield w
    w.close()


def relay_device_list(world: World) -> tuple[int, bytes]:
    db = sqlite3.connect(f"file:{world.relay_dir / 'store' / 'relay.db'}?mode=ro", uri=True)
    try:
        serial, data = db.execute("SELECT serial, data FROM device_list").fetchone()
        return int(serial), bytes(data)
    finally:
        db.close()


def replay_device_list(world: World, old: tuple[int, bytes]) -> str:
    """The relay, restarted, now serves ``old`` as HQ's current device list."""
    world.relay.stop()
    serial, data = old
    db = sqlite3.connect(world.relay_dir / "store" / "relay.db")
    try:
        with db:
            db.execute("UPDATE device_list SET serial = ?, data = ?", (serial, data))
    finally:
        db.close()
    return world.relay.start()


def seen(world: World, i: int = 0) -> int:
    return SyncStore(world.fields[i].vault.conn).device_list_serial()


def device_id(world: World, i: int) -> str:
    return device_identity(world.fields[i].vault).device_id


def test_an_older_device_list_is_refused_and_the_serial_never_goes_down(world: World) -> None:
    assert seen(world) == 0
    assert world.field.sync.run().ok
    assert seen(world) == 1
    old = relay_device_list(world)
    assert old[0] == 1

    world.hq.devices.revoke(device_id(world, 1))  # HQ's list changes: serial 2
    assert world.hq.pull.run().device_list_serial == 2
    assert world.field.sync.run().ok
    assert seen(world) == 2

    url = replay_device_list(world, old)
    world.seal(seed=1)
    replayed = world.field.sync.run(relay_url=url)
    assert replayed.delivered == 1  # bundles still go; only the old list is not believed
    assert not replayed.ok
    assert any("older device list (serial 1" in p for p in replayed.problems), replayed.problems
    assert seen(world) == 2
    saved = world.field.sync.last_failure()
    assert saved is not None and saved.kind == "security"

    # The relay serves the current list again: accepted, the same serial is no rollback.
    world.relay.stop()
    url = world.relay.start()
    world.hq.pull.run(relay_url=url)  # HQ publishes serial 2 again over the replayed 1
    assert world.field.sync.run(relay_url=url).ok
    assert seen(world) == 2

