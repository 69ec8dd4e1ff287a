"""What field sync and HQ pull share: tunable settings, the relay pin, paged documents."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kpfield.errors import N_, IntegrityError
from kpfield.sync.link import Backoff, Link
from kpfield.sync.relay_client import RelayClient, RelayDocument, RelayInfo

MAX_DOCUMENT_PAGES = 1000
MAX_DOCUMENT_BYTES = 32 << 20  # held at once before they are verified; the rest comes next sync


@dataclass
class SyncSettings:
    """Defaults suit a slow, flaky link (Tor, 2G); tests and benchmarks shrink the waits."""

    connect_timeout: float = 30.0
    min_stall: float = 15.0
    max_stall: float = 120.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_failures: int = 8
    first_chunk: int = 256 << 10
    max_chunk: int = 16 << 20
    max_chunk_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    ca_file: str | None = None
    """Trust only this CA (PEM) for an https:// relay, instead of the system's CAs."""

    def link(self) -> Link:
        return Link(
            min_stall=self.min_stall,
            max_stall=self.max_stall,
            first_chunk=self.first_chunk,
            max_chunk=self.max_chunk,
            max_chunk_seconds=self.max_chunk_seconds,
        )

    def backoff(self) -> Backoff:
        return Backoff(base=self.backoff_base, cap=self.backoff_cap)


def check_pin(url: str, pinned: str | None, info: RelayInfo, hq_key_id: str) -> None:
    """The relay must hold the key pinned on first contact and serve this coalition's HQ."""
    if pinned is not None and pinned != info.relay_key_text:
        raise IntegrityError(
            N_(
                "The relay at {url} answered with a different key than the one this vault"
                " pinned on first contact; nothing was sent. Ask HQ whether the relay changed."
            ),
            url=url,
        )
    if info.hq_key_id != hq_key_id:
        raise IntegrityError(
            N_("The relay at {url} serves another HQ key; nothing was sent."), url=url
        )


def fetch_all_documents(client: RelayClient, since: int) -> list[RelayDocument]:
    out: list[RelayDocument] = []
    held = 0
    for _ in range(MAX_DOCUMENT_PAGES):
        page, nxt = client.documents(since)
        out += page
        held += sum(len(d.body) for d in page)
        if not page or nxt <= since or held > MAX_DOCUMENT_BYTES:
            return out
        since = nxt
    return out
