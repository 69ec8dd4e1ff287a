"""CLI commands for keys, profile, enrollment, bundles and receipts (registered by kpfield.cli)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def register(sub: Any, leaf: Callable[..., Any]) -> None:
    """Add the transfer commands to the ``kpfield`` parser."""
    del sub, leaf
