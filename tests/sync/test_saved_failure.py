"""The last sync failure as the vault keeps it: templates and parameters, read back strictly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpfield.errors import KpfieldError, UsageError
from kpfield.services.sync_failure import MAX_SAVED_BYTES, Failure, decode, encode
from kpfield.sync.transport import Refused
from kpfield.vault.keyslots import KdfParams
from tests.sync.world import make_world


def test_round_trip_keeps_templates_so_the_reason_is_translated_when_shown() -> None:
    refused = Refused(403, "revoked", "This device is revoked.")
    saved = decode(encode(Failure("refused", (refused, RuntimeError("x"))), "2026-12-02T10:00:00Z"))
    assert saved is not None
    assert (saved.kind, saved.at) == ("refused", "2026-12-02T10:00:00Z")
    (error,) = saved.errors  # only our own errors are kept, never an arbitrary exception's text
    assert isinstance(error, KpfieldError)
    assert error.template == refused.template and error.message == refused.message
    french = {refused.template: "Le relais a refusé ({status} {code}) : {message}"}
    assert error.translated(lambda t: french.get(t, t)).startswith("Le relais a refusé (403 revoked)")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        "null",
        '{"kind": "made-up"}',
        '{"kind": 3}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_nothing_or_malformed_reads_as_no_failure(text: str) -> None:
    assert decode(text) is None


def test_odd_members_are_dropped_not_trusted() -> None:
    doc = {
        "kind": "network",
        "at": 17,
        "errors": [5, {"template": 9}, {"template": "Plain {x}", "params": "nope"}],
    }
    saved = decode(json.dumps(doc))
    assert saved is not None and saved.at is None
    assert [e.message for e in saved.errors] == ["Plain {x}"]  # no params: shown as it is


def test_what_is_saved_stays_small() -> None:
    huge = UsageError("{text}", text="y" * (MAX_SAVED_BYTES * 2))
    text = encode(Failure("setup", (huge,) * 10), "2026-12-02T10:00:00Z")
    assert len(text.encode()) <= MAX_SAVED_BYTES
    saved = decode(text)
    assert saved is not None and saved.kind == "setup"


def test_a_run_saves_why_it_stopped_and_a_finished_run_clears_it(
    tmp_path: Path, cheap_params: KdfParams
) -> None:
    world = make_world(tmp_path, cheap_params, purge=False)
    try:
        sync = world.field.sync
        world.seal(seed=1)
        with pytest.raises(UsageError):
            sync.run(relay_url="ftp://relay.example.org")  # refused before any network step
        saved = sync.last_failure()
        assert saved is not None and saved.kind == "setup"
        assert "must start with http:// or https://" in saved.errors[0].message

        world.relay.stop()
        assert not sync.run().ok
        saved = sync.last_failure()
        assert saved is not None and saved.kind == "network"
        shown = sync.status().last_failure
        assert shown is not None and (shown.kind, shown.at) == (saved.kind, saved.at)

        url = world.relay.start()
        assert sync.run(relay_url=url).ok
        assert sync.last_failure() is None
    finally:
        world.close()
