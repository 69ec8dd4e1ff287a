"""The upload phase of a field sync: sealed reports into outbox bundles, each bundle to the relay.

A bundle counts as delivered only once the relay's signed receipt verified with the relay key
pinned on first contact; its reports are then marked sent and the custody log says where.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kpfield.bundle.sinks import OutboxSink
from kpfield.custody.log import CustodyLog
from kpfield.custody.seal import device_identity
from kpfield.domain.ids import ReportId
from kpfield.domain.jobs import CancelCheck, Progress, StoreRunner
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, Cancelled, IntegrityError, UsageError
from kpfield.services.clock import Clock
from kpfield.services.enrollment_state import note_relay_refusal
from kpfield.services.export import ExportService
from kpfield.services.profiles import FieldProfileService
from kpfield.services.sync_common import SyncSettings, check_pin
from kpfield.services.sync_status import _META_RELAY_CA, SyncParts, SyncResult
from kpfield.sync.link import Link
from kpfield.sync.relay_client import RelayInfo
from kpfield.sync.transport import (
    Credentials,
    LinkDown,
    Refused,
    SyncError,
    Transport,
    check_url,
)
from kpfield.sync.uploader import Bundle, Uploader
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import PENDING, OutboxStore
from kpfield.vault.records import RecordStore
from kpfield.vault.sync_store import SyncStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncPlan:
    """What a run's first store step found: where to go, as whom, and the bundles to send."""

    url: str
    credentials: Credentials
    device_id: str
    pinned_key: str | None
    documents_cursor: int
    bundles: list[Bundle]
    ca_pem: str | None = None
    """The CA the monitor kept for an https:// relay (PEM), or None: the system's CAs."""


class UploadPhase(SyncParts):
    """Export to the outbox, pin the relay, upload each pending bundle, record what happened."""

    def __init__(
        self,
        vault: Vault,
        clock: Clock,
        profiles: FieldProfileService,
        export: ExportService,
        relay_override: Callable[[], str],
    ) -> None:
        super().__init__(vault, clock, profiles, export)
        self._relay_override = relay_override

    # ------------------------------------------------------------ before the uploads (store lane)
    def prepare(self, relay_url: str | None, result: SyncResult) -> SyncPlan:
        """Export sealed reports to the outbox; the plan of the run (store lane)."""
        profile = self._profiles.require()
        url = relay_url if relay_url is not None else self._relay_override() or profile.relay_url
        if not url:
            raise UsageError(N_("The coalition profile names no relay; give one with --relay URL."))
        url = check_url(url)
        result.exported = len(self._export.to_outbox().bundles)
        outbox, sink = OutboxStore(self._vault.conn), self._outbox
        with transaction(self._vault.conn):
            for sent in outbox.sent():
                if sink.path_for(sent.ciphertext_sha256).exists():
                    outbox.track_upload(sent.ciphertext_sha256, sent.sequence, sent.size)
        bundles = []
        for up in outbox.uploads(PENDING):
            path = sink.path_for(up.ciphertext_sha256)
            if not path.exists():
                result.failures.append(
                    f"bundle {up.sequence}: its outbox copy is missing; export it again"
                )
                continue
            bundles.append(Bundle(path, up.ciphertext_sha256, up.sequence, up.size))
        ident = device_identity(self._vault)
        pinned = SyncStore(self._vault.conn).relay(url)
        return SyncPlan(
            url=url,
            credentials=Credentials(ident.device_id, self._vault.device_key),
            device_id=ident.device_id,
            pinned_key=pinned.relay_key if pinned else None,
            documents_cursor=pinned.documents_cursor if pinned else 0,
            bundles=bundles,
            ca_pem=self._vault.meta(_META_RELAY_CA) or None,
        )

    def pin(self, plan: SyncPlan, info: RelayInfo) -> None:
        """Check the relay's key against the pin (pin it on first contact)."""
        profile = self._profiles.require()
        check_pin(plan.url, plan.pinned_key, info, profile.signing_key.key_id.hex())
        if plan.pinned_key is None:
            with transaction(self._vault.conn):
                SyncStore(self._vault.conn).pin(plan.url, info.relay_key_text, self._now())

    # ------------------------------------------------------------------ the network side
    def upload_all(  # noqa: PLR0917 - the run's state, passed along
        self,
        transport: Transport,
        link: Link,
        info: RelayInfo,
        plan: SyncPlan,
        result: SyncResult,
        progress: Progress | None,
        cancel: CancelCheck | None,
        store: StoreRunner,
        settings: SyncSettings,
    ) -> None:
        """Upload each bundle of ``plan`` in turn; stop at a lost link or a revoked laptop."""
        total = sum(b.size for b in plan.bundles) or 1
        done = 0
        for bundle in plan.bundles:
            base = done

            def step(n: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + n, total)

            def note_failure(reason: str, b: Bundle = bundle) -> None:
                store(partial(self.failed, b, reason))

            uploader = Uploader(
                transport,
                info.relay_key,
                plan.device_id,
                link=link,
                backoff=settings.backoff(),
                max_failures=settings.max_failures,
                sleep=settings.sleep,
                cancel=cancel,
                progress=step,
                on_failure=note_failure,
            )
            try:
                receipt = uploader.upload(bundle)
            except Cancelled:
                raise
            except IntegrityError as exc:
                # A receipt that does not verify: the relay (or someone in the way) lies.
                result.refused_by_security = True
                result.failures.append(exc.message)
                result.errors.append(exc)
                store(partial(self.failed, bundle, exc.message))
                return
            except (LinkDown, SyncError) as exc:
                result.failures.append(exc.message)
                result.errors.append(exc)
                store(partial(self.refused, exc, result))
                if isinstance(exc, Refused) and not exc.retryable and exc.status != 403:
                    continue  # this bundle is refused; the next may not be
                return  # the link is gone, or this laptop is revoked: stop here
            store(partial(self.delivered, bundle, plan.url, receipt.raw))
            result.delivered += 1
            done += bundle.size

    # ------------------------------------------------------ what each upload ended in (store lane)
    def refused(self, exc: BaseException, result: SyncResult) -> None:
        """The relay refused this device: remember what it said of its enrollment."""
        if isinstance(exc, Refused) and exc.code == "revoked":
            result.revoked = True
            with transaction(self._vault.conn):
                result.enrollment_changed |= note_relay_refusal(self._vault, exc.code, self._now())

    def failed(self, bundle: Bundle, reason: str) -> None:
        """Record why this bundle did not go (the status screen shows it)."""
        with transaction(self._vault.conn):
            OutboxStore(self._vault.conn).upload_failed(bundle.bundle_id, reason, self._now())

    def delivered(self, bundle: Bundle, url: str, receipt: bytes) -> None:
        """The relay's verified receipt: the bundle is delivered, its reports are sent."""
        conn, now = self._vault.conn, self._now()
        outbox, records, custody = OutboxStore(conn), RecordStore(conn), CustodyLog(conn)
        sent = next((b for b in outbox.sent() if b.sequence == bundle.sequence), None)
        with transaction(conn):
            if not outbox.upload_delivered(bundle.bundle_id, url, receipt, now) or sent is None:
                return
            for rid in sent.report_ids:
                state = outbox.seal_state(rid)
                if state is not None and state[0] == ReportStatus.EXPORTED.value:
                    records.set_status(ReportId(rid), ReportStatus.SENT, now)
                custody.append(
                    "sent", ReportId(rid), now, {"bundle_sequence": bundle.sequence, "relay": url}
                )
        log.info("bundle %d delivered to the relay", bundle.sequence)


def outbox_files(outbox: OutboxSink) -> list[Path]:
    """The bundle files in the outbox (for status screens and tests)."""
    folder = outbox.folder
    return sorted(folder.glob(f"*{OutboxSink.SUFFIX}")) if folder.exists() else []
