"""What the laptop knows of its enrollment, learned by sync: HQ's signed device list says
enrolled; after HQ revokes it, the relay's refusal says revoked (and nothing is undone by an
older list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.hq.keys import hq_signer
from kpfield.protocol.device_list import entry, make_device_list, parse_device_list
from kpfield.services.enrollment_state import Enrollment, Source, note_device_list
from kpfield.vault.keyslots import KdfParams
from tests.sync.world import World, make_world


@pytest.fixture
def world(tmp_path: Path, cheap_params: KdfParams) -> Iterator[World]:
    w = make_world(tmp_path, cheap_params, purge=False)
    yield w
    w.close()


def test_sync_learns_enrollment_from_the_device_list_then_revocation_from_the_relay(
    world: World,
) -> None:
    field = world.field
    before = field.enrollment.state()
    assert (before.status, before.source) == (Enrollment.NOT_ENROLLED, Source.NONE)
    assert field.sync.status().enrollment == before

    first = field.sync.run()
    assert first.ok, (first.failures, first.problems)
    assert first.changes.devices  # the screens showing enrollment refresh
    state = field.enrollment.state()
    assert (state.status, state.source) == (Enrollment.ENROLLED, Source.DEVICE_LIST)
    assert state.at
    assert not field.sync.run().changes.devices  # nothing new learned the second time

    device_id = field.identity.identity().device_id
    world.hq.devices.revoke(device_id)
    assert world.hq.pull.run().ok  # publishes the list with this laptop revoked
    world.seal(seed=3)
    refused = field.sync.run()
    assert refused.revoked and not refused.ok
    assert refused.changes.devices
    state = field.enrollment.state()
    assert (state.status, state.source) == (Enrollment.REVOKED, Source.RELAY)


def test_an_older_device_list_never_undoes_a_newer_one(world: World) -> None:
    field = world.field
    signer = hq_signer(world.hq.vault)
    pub = field.identity.identity()
    device_id = pub.device_id

    def listed(serial: int, revoked: bool) -> bytes:
        return make_device_list(
            signer.key,
            signer.public.key_id,
            serial=serial,
            issued_at="2026-01-01T00:00:00Z",
            devices=[entry(pub.public_key, "2026-01-01T00:00:00Z" if revoked else None)],
        )

    key = field.profile.require().signing_key
    vault = field.vault
    assert note_device_list(vault, parse_device_list(listed(5, True), key), device_id, "t1")
    assert field.enrollment.state().status is Enrollment.REVOKED
    assert not note_device_list(vault, parse_device_list(listed(4, False), key), device_id, "t2")
    assert field.enrollment.state().status is Enrollment.REVOKED  # the rollback was ignored
    assert note_device_list(vault, parse_device_list(listed(6, False), key), device_id, "t3")
    assert field.enrollment.state().status is Enrollment.ENROLLED  # HQ enrolled it again


def test_a_laptop_hq_has_not_enrolled_is_told_so_and_sends_nothing(
    world: World, tmp_path: Path, cheap_params: KdfParams
) -> None:
    from kpfield.gui.sync_panel import classify, reason_text
    from tests.bundle.world import new_field
    from tests.sync.world import fast_settings, relay_uploads

    laptop = new_field(tmp_path / "stranger", cheap_params, world.hq, enroll=False).field()
    try:
        data, _ = world.hq.profile.export(relay_url=world.url)
        laptop.profile.install(data)
        laptop.sync.settings = fast_settings()
        world.seal(laptop, seed=9)
        result = laptop.sync.run()
        assert not result.ok and result.delivered == 0
        failure = classify(result)
        assert failure is not None and failure.kind == "unenrolled"
        assert "HQ has not enrolled it yet" in reason_text(failure, lambda s: s)
        assert laptop.enrollment.state().status is Enrollment.NOT_ENROLLED
        assert relay_uploads(world.relay_dir) == []  # the relay stored nothing from it
    finally:
        laptop.close()
