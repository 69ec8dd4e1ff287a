"""Bad links between the laptop and the relay, and a relay killed mid-upload: after each, every
bundle the device calls delivered is on the relay once with the right hash, offsets never pass
durable bytes, HQ imports nothing twice, and device and HQ agree (``check_invariants``).

Every test runs twice: against the embedded relay, and against two relay nodes on PostgreSQL +
S3 (SeaweedFS) behind a round-robin balancer, so the client switches nodes at every request and
the relay killed mid-upload is one node of two (``tests/sync/world.py``)."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.vault.keyslots import KdfParams
from tests.support.faultproxy import FaultProxy, Faults
from tests.sync.world import (
    TwoNodeRelay,
    World,
    check_invariants,
    fast_settings,
    field_uploads,
    make_world,
)

SMALL_CHUNKS = {"first_chunk": 64 << 10, "max_chunk": 128 << 10}


@pytest.fixture(params=["embedded", "pg+s3 x2"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, cheap_params: KdfParams
) -> Iterator[World]:
    servers = None
    if request.param == "pg+s3 x2":  # the servers start once per session, on first need
        servers = (request.getfixturevalue("postgres"), request.getfixturevalue("seaweed"))
    w = make_world(tmp_path, cheap_params, purge=False, servers=servers)
    w.field.sync.settings = fast_settings(**SMALL_CHUNKS)
    yield w
    w.close()


@pytest.fixture
def proxy(world: World) -> Iterator[FaultProxy]:
    port = int(world.url.rsplit(":", 1)[1])
    p = FaultProxy(port).start()
    yield p
    p.stop()


def finish(world: World, proxy: FaultProxy) -> None:
    """Clear the faults, finish delivery, let HQ pull, and get HQ's receipts back."""
    proxy.faults = Faults()
    done = world.field.sync.run(relay_url=proxy.url)
    assert done.ok, (done.failures, done.problems)
    pulled = world.hq.pull.run(relay_url=world.url)
    assert pulled.ok and pulled.rejected == 0
    back = world.field.sync.run(relay_url=proxy.url)
    assert back.ok
    assert {u[3] for u in field_uploads(world.field)} == {"acknowledged"}
    check_invariants(world)
    assert world.hq.pull.run(relay_url=world.url).outcomes == []  # nothing new, nothing twice


FAULTS = {
    "reset mid-chunk": Faults(reset_after_upstream=40_000, resets_left=4),  # chunks are 64K+
    "bandwidth cap": Faults(rate=400_000),
    "latency": Faults(latency=0.03),
    "truncated response": Faults(truncate_response_after=40, truncations_left=3),
    "duplicated request": Faults(duplicate=True),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_delivery_survives(world: World, proxy: FaultProxy, name: str) -> None:
    world.seal(seed=5, noise=(640, 400))
    world.seal(seed=6, noise=(500, 400))
    proxy.faults = dataclasses.replace(FAULTS[name])  # a fresh copy: its counters are spent
    result = world.field.sync.run(relay_url=proxy.url)
    assert result.ok, (name, result.failures, result.problems)
    assert result.delivered == 1
    check_invariants(world)
    if name == "reset mid-chunk":
        assert proxy.resets >= 4, (proxy.resets, proxy.connections, proxy.upstream_bytes)
    if name == "duplicated request":
        assert proxy.duplicate_answers
        if isinstance(world.deployment, TwoNodeRelay):
            # One request per connection there, each copy sent after its original was answered,
            # to the other node: every copy is refused as a replay, none is done twice.
            assert all(b" 401 " in a for a in proxy.duplicate_answers), proxy.duplicate_answers
    finish(world, proxy)


def test_blackhole_times_out_then_resumes(world: World, proxy: FaultProxy) -> None:
    world.seal(seed=7, noise=(640, 480))
    first = world.field.sync.run(relay_url=proxy.url)  # pins the relay key through the proxy
    assert first.ok
    world.seal(seed=8, noise=(640, 480))
    proxy.faults = Faults(blackhole=True)
    world.field.sync.settings = fast_settings(
        min_stall=0.5, max_stall=1.0, max_failures=2, connect_timeout=0.5, **SMALL_CHUNKS
    )
    stuck = world.field.sync.run(relay_url=proxy.url)
    assert not stuck.ok and stuck.pending == 1 and stuck.failures
    row = world.field.vault.conn.execute(
        "SELECT attempts, last_error FROM uploads_out WHERE status = 'pending'"
    ).fetchone()
    assert row is not None and row[0] >= 1 and row[1]
    check_invariants(world)
    world.field.sync.settings = fast_settings(**SMALL_CHUNKS)
    finish(world, proxy)


def test_relay_killed_during_uploads_and_restarted(world: World, proxy: FaultProxy) -> None:
    for i in range(3):
        world.seal(seed=10 + i, noise=(640, 480))
        world.field.export.to_outbox()  # three bundles
    proxy.faults = Faults(rate=300_000)
    rng = random.Random(1234)
    stop = threading.Event()
    kills: list[float] = []

    def killer() -> None:
        while not stop.wait(rng.uniform(0.3, 1.2)) and len(kills) < 4:
            proxy.upstream_port = world.deployment.crash()
            kills.append(1.0)

    world.field.sync.settings = fast_settings(max_failures=60, **SMALL_CHUNKS)
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        result = world.field.sync.run(relay_url=proxy.url)
    finally:
        stop.set()
        thread.join(30)
    check_invariants(world)
    assert kills, "the relay was never killed"
    assert result.delivered <= 3
    finish(world, proxy)
    assert world.hq.vault.conn.execute("SELECT count(*) FROM hq_bundles").fetchone()[0] == 3
