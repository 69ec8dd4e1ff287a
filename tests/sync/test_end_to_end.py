"""Field seals, syncs; HQ pulls and imports; the field syncs again and sees it acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.vault.keyslots import KdfParams
from tests.sync.world import World, check_invariants, field_uploads, make_world, relay_uploads


@pytest.fixture
def world(tmp_path: Path, cheap_params: KdfParams) -> Iterator[World]:
    w = make_world(tmp_path, cheap_params, purge=True)
    yield w
    w.close()


def statuses(world: World) -> list[str]:
    rows = world.field.vault.conn.execute("SELECT status FROM reports ORDER BY id").fetchall()
    return [str(r[0]) for r in rows]


def test_seal_sync_pull_sync_acknowledges_and_purges(world: World) -> None:
    r1, r2 = world.seal(seed=1, marker="MARK-ONE"), world.seal(seed=2, marker="MARK-TWO")
    first = world.field.sync.run()
    assert first.ok, (first.failures, first.problems)
    assert (first.exported, first.delivered, first.pending) == (1, 1, 0)
    assert statuses(world) == ["sent", "sent"]
    ((sha, seq, size, status),) = field_uploads(world.field)
    assert status == "delivered" and seq == 1
    outbox = world.field.export.outbox
    assert outbox.path_for(sha).exists()  # kept until HQ acknowledges it

    pulled = world.hq.pull.run()
    assert pulled.ok and pulled.imported == 1 and pulled.receipts_posted == 1
    assert world.hq.vault.conn.execute("SELECT count(*) FROM hq_reports").fetchone()[0] == 2
    again = world.hq.pull.run()
    assert again.ok and again.outcomes == [] and again.receipts_posted == 0
    assert world.hq.vault.conn.execute("SELECT count(*) FROM hq_bundles").fetchone()[0] == 1

    back = world.field.sync.run()
    assert back.ok, (back.failures, back.problems)
    assert (back.exported, back.delivered) == (0, 0)
    assert back.receipts.acknowledged == 2 and back.receipts.purged == 2
    assert statuses(world) == ["acknowledged", "acknowledged"]
    assert not outbox.path_for(sha).exists()  # HQ has it: the outbox copy is gone
    assert field_uploads(world.field)[0][3] == "acknowledged"
    purged = world.field.vault.conn.execute(
        "SELECT count(*) FROM reports WHERE purged_at IS NOT NULL"
    ).fetchone()[0]
    assert purged == 2
    (held,) = relay_uploads(world.relay_dir)
    assert held["bundle_id"] == sha and held["length"] == size
    check_invariants(world)
    # A third sync has nothing to do and says so with exit status ok.
    third = world.field.sync.run()
    assert third.ok and third.delivered == 0 and third.receipts.receipts == 0
    assert {r1, r2} == {str(r[0]) for r in world.field.vault.conn.execute("SELECT id FROM reports")}


def test_keep_policy_acknowledges_without_purging(tmp_path: Path, cheap_params: KdfParams) -> None:
    w = make_world(tmp_path, cheap_params, purge=False)
    try:
        w.seal(seed=3)
        assert w.field.sync.run().ok
        assert w.hq.pull.run().imported == 1
        back = w.field.sync.run()
        assert back.receipts.acknowledged == 1 and back.receipts.purged == 0
        assert statuses(w) == ["acknowledged"]
    finally:
        w.close()
