"""The relay answers malformed input from an enrolled caller with a 4xx, never a 500 (which
logs a traceback and tells the caller the relay is failing)."""

from __future__ import annotations

from tests.relay.conftest import Relay
from tests.relay.support import send


def test_a_cursor_of_non_ascii_digits_is_a_400(relay: Relay) -> None:
    with relay.client() as c:
        # %C2%B2 is '²': str.isdigit() says yes, int() says no.
        device = send(c, relay.device, "GET", "/v1/documents?since=%C2%B2")
        hq = send(c, relay.hq, "GET", "/v1/hq/bundles?since=%C2%B2")
    assert (device.status_code, device.json()["error"]) == (400, "bad_cursor")
    assert (hq.status_code, hq.json()["error"]) == (400, "bad_cursor")
