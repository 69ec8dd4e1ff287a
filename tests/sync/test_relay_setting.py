"""Which relay URLs the sync panel warns about: plain http:// readable on the network."""

from __future__ import annotations

import pytest

from kpfield.sync.transport import plain_http_in_the_open


@pytest.mark.parametrize(
    ("url", "warn"),
    [
        ("https://relay.example.org", False),
        ("http://relay.example.org", True),
        ("http://203.0.113.7:8443", True),
        ("http://[2001:db8::1]:8443", True),
        ("http://127.0.0.1:8443", False),
        ("http://127.8.9.10", False),
        ("http://[::1]:8443", False),
        ("http://localhost:8443", False),
        ("http://LOCALHOST.", False),
        ("http://tunnel.localhost", False),
        ("http://kpfieldrelay2xyz.onion", False),
        ("http://KPFIELD.ONION./x", False),
        ("http://onion.example.org", True),
        ("http://localhost.example.org", True),
    ],
)
def test_plain_http_is_flagged_unless_local_or_onion(url: str, warn: bool) -> None:
    assert plain_http_in_the_open(url) is warn
