"""Relay commands (``relay init``, ``relay serve``): the server's own parser, wired in here."""

from __future__ import annotations

from kpfield.cli.common import Subcommands


def register(sub: Subcommands) -> None:
    from kpfield.relay.cli import register as register_relay

    register_relay(sub)
