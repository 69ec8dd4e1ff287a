"""What the vault keeps of field sync, and what one run did.

:class:`SyncState` answers the sync panel (counts, where a sync goes, the last success and the
last failure) and saves the relay and proxy the monitor set; :class:`SyncResult` is a run's
outcome, turned into the saved failure by :func:`~kpfield.services.sync_failure.classify`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from kpfield.bundle.sinks import OutboxSink
from kpfield.domain.jobs import Changes
from kpfield.errors import N_, KpfieldError, UsageError
from kpfield.services.acknowledgement import ReceiptsResult
from kpfield.services.clock import Clock, iso
from kpfield.services.enrollment_state import EnrollmentState, read_state
from kpfield.services.export import ExportService
from kpfield.services.profiles import FieldProfileService
from kpfield.services.sync_failure import Failure, classify
from kpfield.services.sync_failure import decode as decode_failure
from kpfield.services.sync_failure import encode as encode_failure
from kpfield.sync.relay_ca import RelayCa, read_ca, read_ca_file
from kpfield.sync.transport import check_url, plain_http_in_the_open
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import ACKNOWLEDGED, DELIVERED, PENDING, OutboxStore
from kpfield.vault.sync_store import SyncStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    exported: int = 0
    delivered: int = 0
    pending: int = 0
    receipts: ReceiptsResult = field(default_factory=ReceiptsResult)
    resend: list[int] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    profile_serial: int | None = None
    revoked: bool = False
    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused_by_security: bool = False
    enrollment_changed: bool = False
    """The run taught the laptop something new about its enrollment (device list, refusal)."""
    errors: list[KpfieldError] = field(default_factory=list)
    """The errors behind ``failures``, for a screen that shows them in the monitor's language."""

    @property
    def ok(self) -> bool:
        """Everything pending was delivered and every document from HQ was accepted."""
        return self.pending == 0 and not self.failures and not self.problems and not self.revoked

    @property
    def changes(self) -> Changes:
        return self.receipts.changes | Changes(
            report_list=bool(self.exported or self.delivered),
            transfers=True,
            profile=self.profile_serial is not None,
            devices=self.enrollment_changed,
        )


@dataclass(frozen=True)
class SyncStatus:
    """What the sync panel shows. Bundles the relay holds are not yet bundles HQ has: a relay
    receipt proves the relay stored the bytes, an HQ receipt that HQ imported them."""

    waiting_reports: int
    """Sealed reports not yet delivered to the relay (not bundled, or in a pending bundle)."""
    waiting_bundles: int
    at_relay_bundles: int
    """Delivered to the relay (its signed receipt verified); HQ has not acknowledged them yet."""
    acknowledged_bundles: int
    last_success: str | None
    """When a run last ended with nothing pending and nothing refused (vault time, ISO)."""
    relay_url: str | None
    """Where a sync goes: the laptop's own relay setting if there is one, else the profile's."""
    profile_relay_url: str | None = None
    relay_overridden: bool = False
    """``relay_url`` is the laptop's setting, not the profile's."""
    last_failure: Failure | None = None
    """Why the last sync (from the app or the CLI) did not finish, as saved in the vault."""
    enrollment: EnrollmentState | None = None
    """What the laptop knows of its enrollment at HQ (a sync may teach it more)."""


@dataclass(frozen=True)
class RelaySetting:
    """The relay a monitor set on this laptop ("" = the profile's), as it was saved."""

    url: str
    plain_http: bool
    """``http://`` to a host on the network (not this machine, not ``.onion``): warn."""


_META_LAST_SUCCESS = "sync_last_success_at"
_META_PROXY = "sync_proxy_url"
_META_RELAY = "sync_relay_url"
_META_RELAY_CA = "sync_relay_ca_pem"


class SyncParts:
    """What every part of field sync works with: the vault, its clock, profile and export."""

    def __init__(
        self,
        vault: Vault,
        clock: Clock,
        profiles: FieldProfileService,
        export: ExportService,
    ) -> None:
        self._vault = vault
        self._clock = clock
        self._profiles = profiles
        self._export = export

    def _now(self) -> str:
        return iso(self._clock.now())

    @property
    def _outbox(self) -> OutboxSink:
        return self._export.outbox


class SyncState(SyncParts):
    """Sync as the vault records it: status for screens, the monitor's relay and proxy."""

    # ------------------------------------------------------------------ status (for screens)
    def pending_count(self) -> int:
        """Bundles in the outbox not yet delivered, plus sealed reports not yet bundled."""
        return len(OutboxStore(self._vault.conn).uploads(PENDING)) + len(self._export.pending())

    def status(self) -> SyncStatus:
        """Counts for the sync panel (store lane; a few small queries)."""
        outbox = OutboxStore(self._vault.conn)
        uploads = outbox.uploads()
        pending = {u.sequence for u in uploads if u.status == PENDING}
        in_pending = sum(len(b.report_ids) for b in outbox.sent() if b.sequence in pending)
        profile = self._profiles.installed()
        from_profile = (profile.relay_url or None) if profile is not None else None
        own = self.relay_override()
        return SyncStatus(
            waiting_reports=len(self._export.pending()) + in_pending,
            waiting_bundles=len(pending),
            at_relay_bundles=sum(u.status == DELIVERED for u in uploads),
            acknowledged_bundles=sum(u.status == ACKNOWLEDGED for u in uploads),
            last_success=self._vault.meta(_META_LAST_SUCCESS) or None,
            relay_url=own or from_profile,
            profile_relay_url=from_profile,
            relay_overridden=bool(own),
            last_failure=self.last_failure(),
            enrollment=read_state(self._vault),
        )

    def last_failure(self) -> Failure | None:
        """Why the last sync did not finish (kept across locks and restarts), or None."""
        return decode_failure(SyncStore(self._vault.conn).last_failure())

    def _record_failure(self, failure: Failure | None) -> None:
        with transaction(self._vault.conn):
            SyncStore(self._vault.conn).set_last_failure(
                "" if failure is None else encode_failure(failure, self._now())
            )

    def relay_override(self) -> str:
        """The relay URL set on this laptop instead of the profile's (a second relay, a local
        tunnel), or "". In the vault like the proxy: it says where the monitor's data goes."""
        return self._vault.meta(_META_RELAY)

    def set_relay_override(self, url: str) -> RelaySetting:
        """Save (or, with "", clear) the laptop's relay URL; checked as the profile's is."""
        url = check_url(url) if url.strip() else ""
        with transaction(self._vault.conn):
            self._vault.set_meta(_META_RELAY, url)
        return RelaySetting(url, bool(url) and plain_http_in_the_open(url))

    def relay_ca(self) -> RelayCa | None:
        """The CA certificate the monitor chose for an https:// relay (kept in the vault, as
        PEM, so it cannot vanish with a file), or None: the system's CAs."""
        pem = self._vault.meta(_META_RELAY_CA)
        return read_ca(pem.encode("ascii")) if pem else None

    def set_relay_ca(self, data: bytes) -> RelayCa:
        """Check ``data`` (one PEM CA certificate) and keep it: syncs trust only that CA."""
        ca = read_ca(data)
        with transaction(self._vault.conn):
            self._vault.set_meta(_META_RELAY_CA, ca.pem)
        log.info("relay CA certificate set")
        return ca

    def load_relay_ca(self, path: Path) -> RelayCa:
        """:meth:`set_relay_ca` with the file the monitor chose (read no further than needed)."""
        ca = read_ca_file(path)
        return self.set_relay_ca(ca.pem.encode("ascii"))

    def clear_relay_ca(self) -> None:
        """Back to the system's CAs."""
        with transaction(self._vault.conn):
            self._vault.set_meta(_META_RELAY_CA, "")
        log.info("relay CA certificate cleared")

    def proxy(self) -> str:
        """The proxy the monitor chose for sync (e.g. ``socks5h://127.0.0.1:9050``), or "".

        Kept in the vault, not in the plain preferences file: a Tor address on a seized laptop
        says how the monitor reaches the coalition.
        """
        return self._vault.meta(_META_PROXY)

    def set_proxy(self, url: str) -> None:
        url = url.strip()
        if url and not url.startswith(("socks5h://", "socks5://", "http://", "https://")):
            raise UsageError(
                N_("A proxy address starts with socks5h://, socks5://, http:// or https://.")
            )
        with transaction(self._vault.conn):
            self._vault.set_meta(_META_PROXY, url)

    # ------------------------------------------------------------------ the end of a run
    def _finish(self, result: SyncResult) -> int:
        """Count what is still pending; save when the run succeeded, or why it did not."""
        result.pending = pending = self.pending_count()
        if pending == 0 and not result.failures and not result.problems and not result.revoked:
            with transaction(self._vault.conn):
                self._vault.set_meta(_META_LAST_SUCCESS, self._now())
        self._record_failure(classify(result))
        return pending
