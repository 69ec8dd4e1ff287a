"""Field sync: sealed reports → outbox bundles → the relay (exactly once) → HQ's documents back.

A run alternates short store steps (through the caller's :class:`StoreRunner`) with network
steps that never touch the vault. A bundle counts as delivered only once the relay's signed
receipt verified with the relay key pinned on first contact. The outbox file is kept until HQ's
own receipt for that bundle arrives (then deleted): if the relay loses a bundle before HQ pulls
it, HQ's gap notice makes the laptop send the very same bytes again, and HQ still imports it
once (see docs/sync-protocol.md §8).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kpfield.bundle.sinks import OutboxSink
from kpfield.crypto import minisign
from kpfield.custody.log import CustodyLog
from kpfield.custody.seal import device_age_identity, device_identity
from kpfield.domain.ids import ReportId
from kpfield.domain.jobs import CancelCheck, Changes, Progress, StoreRunner, run_here
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, Cancelled, CryptoError, IntegrityError, KpfieldError, UsageError
from kpfield.protocol.device_list import parse_device_list
from kpfield.protocol.notices import parse_gap_notice
from kpfield.protocol.profile import Profile, parse_profile
from kpfield.protocol.receipts import open_receipt
from kpfield.services.acknowledgement import AcknowledgementService, ReceiptsResult
from kpfield.services.clock import Clock, iso
from kpfield.services.enrollment_state import (
    EnrollmentState,
    note_device_list,
    note_relay_refusal,
    read_state,
)
from kpfield.services.export import ExportService
from kpfield.services.profiles import FieldProfileService
from kpfield.services.sync_common import SyncSettings, check_pin, fetch_all_documents
from kpfield.services.sync_failure import Failure, classify, classify_exception
from kpfield.services.sync_failure import decode as decode_failure
from kpfield.services.sync_failure import encode as encode_failure
from kpfield.sync.link import Link
from kpfield.sync.relay_ca import RelayCa, read_ca, read_ca_file
from kpfield.sync.relay_client import RelayClient, RelayDocument, RelayInfo
from kpfield.sync.transport import (
    Credentials,
    LinkDown,
    Refused,
    SyncError,
    Transport,
    check_url,
    plain_http_in_the_open,
)
from kpfield.sync.uploader import Bundle, Uploader
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import ACKNOWLEDGED, DELIVERED, PENDING, OutboxStore
from kpfield.vault.records import RecordStore
from kpfield.vault.sync_store import SyncStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)
__all__ = [
    "FieldSyncService", "RelayCa", "RelaySetting", "SyncResult", "SyncStatus", "outbox_files",
]


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


@dataclass(frozen=True)
class _Plan:
    url: str
    credentials: Credentials
    device_id: str
    pinned_key: str | None
    documents_cursor: int
    bundles: list[Bundle]
    ca_pem: str | None = None


class FieldSyncService:
    def __init__(  # noqa: PLR0917 - wired once, by the composition root
        self,
        vault: Vault,
        clock: Clock,
        profiles: FieldProfileService,
        export: ExportService,
        acknowledgements: AcknowledgementService,
        settings: SyncSettings | None = None,
    ) -> None:
        self._vault = vault
        self._clock = clock
        self._profiles = profiles
        self._export = export
        self._ack = acknowledgements
        self.settings = settings or SyncSettings()

    def _now(self) -> str:
        return iso(self._clock.now())

    @property
    def _outbox(self) -> OutboxSink:
        return self._export.outbox

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

    # ------------------------------------------------------------------ the run
    def run(
        self,
        *,
        relay_url: str | None = None,
        proxy: str | None = None,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        store: StoreRunner = run_here,
    ) -> SyncResult:
        """Export, upload, fetch and apply HQ's documents; see :class:`SyncResult`. Why a run did
        not finish is saved in the vault (:meth:`last_failure`); a finished run clears it."""
        try:
            return self._run(relay_url, proxy, progress, cancel, store)
        except Cancelled:
            raise  # a lock or the monitor stopped it: not a failure to report
        except KpfieldError as exc:
            try:
                store(partial(self._record_failure, classify_exception(exc)))
            except KpfieldError:
                log.info("the sync failure could not be saved (the vault is closing)")
            raise

    def _run(  # noqa: PLR0917 - run()'s arguments
        self,
        relay_url: str | None,
        proxy: str | None,
        progress: Progress | None,
        cancel: CancelCheck | None,
        store: StoreRunner,
    ) -> SyncResult:
        result = SyncResult()
        plan = store(lambda: self._prepare(relay_url, result))
        settings = self.settings
        with Transport(
            plan.url,
            plan.credentials,
            proxy=proxy,
            connect_timeout=settings.connect_timeout,
            ca_file=settings.ca_file,  # given for this run (``--relay-ca``): it wins
            ca_pem=plan.ca_pem,
        ) as transport:
            link, backoff = settings.link(), settings.backoff()
            client = RelayClient(transport, link=link, backoff=backoff, sleep=settings.sleep)
            try:
                info = client.info()
            except SyncError as exc:
                result.failures.append(exc.message)
                result.errors.append(exc)
                store(partial(self._refused, exc, result))
                for bundle in plan.bundles:  # the status screen shows why nothing moved
                    store(partial(self._failed, bundle, exc.message))
                result.pending = store(partial(self._finish, result))
                return result
            store(lambda: self._pin(plan, info))
            link.max_chunk = min(link.max_chunk, info.max_patch_bytes)
            self._upload_all(transport, link, info, plan, result, progress, cancel, store)
            try:
                docs = fetch_all_documents(client, plan.documents_cursor)
                device_list = client.device_list()
            except SyncError as exc:
                result.failures.append(exc.message)
                result.errors.append(exc)
                docs, device_list = [], None
            store(lambda: self._apply_documents(plan, docs, device_list, result))
        result.pending = store(partial(self._finish, result))
        return result

    def _finish(self, result: SyncResult) -> int:
        result.pending = pending = self.pending_count()
        if pending == 0 and not result.failures and not result.problems and not result.revoked:
            with transaction(self._vault.conn):
                self._vault.set_meta(_META_LAST_SUCCESS, self._now())
        self._record_failure(classify(result))
        return pending

    def _upload_all(  # noqa: PLR0917 - the run's state, passed along
        self,
        transport: Transport,
        link: Link,
        info: RelayInfo,
        plan: _Plan,
        result: SyncResult,
        progress: Progress | None,
        cancel: CancelCheck | None,
        store: StoreRunner,
    ) -> None:
        total = sum(b.size for b in plan.bundles) or 1
        done = 0
        for bundle in plan.bundles:
            base = done

            def step(n: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + n, total)

            def failed(reason: str, b: Bundle = bundle) -> None:
                store(partial(self._failed, b, reason))

            uploader = Uploader(
                transport,
                info.relay_key,
                plan.device_id,
                link=link,
                backoff=self.settings.backoff(),
                max_failures=self.settings.max_failures,
                sleep=self.settings.sleep,
                cancel=cancel,
                progress=step,
                on_failure=failed,
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
                store(partial(self._failed, bundle, exc.message))
                return
            except (LinkDown, SyncError) as exc:
                result.failures.append(exc.message)
                result.errors.append(exc)
                store(partial(self._refused, exc, result))
                if isinstance(exc, Refused) and not exc.retryable and exc.status != 403:
                    continue  # this bundle is refused; the next may not be
                return  # the link is gone, or this laptop is revoked: stop here
            store(partial(self._delivered, bundle, plan.url, receipt.raw))
            result.delivered += 1
            done += bundle.size

    # ------------------------------------------------------------------ store steps
    def _prepare(self, relay_url: str | None, result: SyncResult) -> _Plan:
        profile = self._profiles.require()
        url = relay_url if relay_url is not None else self.relay_override() or profile.relay_url
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
        return _Plan(
            url=url,
            credentials=Credentials(ident.device_id, self._vault.device_key),
            device_id=ident.device_id,
            pinned_key=pinned.relay_key if pinned else None,
            documents_cursor=pinned.documents_cursor if pinned else 0,
            bundles=bundles,
            ca_pem=self._vault.meta(_META_RELAY_CA) or None,
        )

    def _pin(self, plan: _Plan, info: RelayInfo) -> None:
        profile = self._profiles.require()
        check_pin(plan.url, plan.pinned_key, info, profile.signing_key.key_id.hex())
        if plan.pinned_key is None:
            with transaction(self._vault.conn):
                SyncStore(self._vault.conn).pin(plan.url, info.relay_key_text, self._now())

    def _refused(self, exc: BaseException, result: SyncResult) -> None:
        """The relay refused this device: remember what it said of its enrollment."""
        if isinstance(exc, Refused) and exc.code == "revoked":
            result.revoked = True
            with transaction(self._vault.conn):
                result.enrollment_changed |= note_relay_refusal(
                    self._vault, exc.code, self._now()
                )

    def _failed(self, bundle: Bundle, reason: str) -> None:
        with transaction(self._vault.conn):
            OutboxStore(self._vault.conn).upload_failed(bundle.bundle_id, reason, self._now())

    def _delivered(self, bundle: Bundle, url: str, receipt: bytes) -> None:
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

    def _apply_documents(
        self,
        plan: _Plan,
        docs: list[RelayDocument],
        device_list: bytes | None,
        result: SyncResult,
    ) -> None:
        profile = self._profiles.require()
        store = SyncStore(self._vault.conn)
        for doc in docs:
            try:
                minisign.verify(profile.signing_key, doc.signature, doc.body)
                self._apply_one(plan, profile, doc, result)
            except CryptoError:
                result.problems.append(
                    f"document {doc.cursor} from the relay is not signed by HQ; it was ignored"
                )
            except KpfieldError as exc:
                result.problems.append(f"document {doc.cursor}: {exc.message}")
            with transaction(self._vault.conn):
                store.set_documents_cursor(plan.url, doc.cursor)
            profile = self._profiles.require()
        if device_list is not None:
            self._apply_device_list(plan, profile, device_list, result)
        self._clean_outbox()

    def _apply_device_list(
        self, plan: _Plan, profile: Profile, data: bytes, result: SyncResult
    ) -> None:
        """HQ's signed device list: this laptop revoked or not. A list older than one already
        accepted is a relay replaying old documents: ignored and reported (a revoked laptop
        never gets this far: the relay refuses it with 403 first)."""
        try:
            listed = parse_device_list(data, profile.signing_key)
        except IntegrityError as exc:
            result.problems.append(exc.message)
            return
        store = SyncStore(self._vault.conn)
        seen = store.device_list_serial()
        if listed.serial < seen:
            result.problems.append(
                f"the relay sent an older device list (serial {listed.serial}; this laptop has"
                f" seen serial {seen}); it was ignored: the relay may be replaying old documents"
            )
            return
        entry = listed.get(plan.device_id)
        result.revoked = entry is not None and entry.revoked
        with transaction(self._vault.conn):
            store.set_device_list_serial(listed.serial)
            result.enrollment_changed |= note_device_list(
                self._vault, listed, plan.device_id, self._now()
            )

    def _apply_one(
        self, plan: _Plan, profile: Profile, doc: RelayDocument, result: SyncResult
    ) -> None:
        if doc.kind == "receipt":
            receipt = open_receipt(device_age_identity(self._vault), io.BytesIO(doc.body))
            if receipt is None:
                raise IntegrityError(N_("A receipt is not addressed to this laptop."))
            self._ack.apply(receipt, result.receipts)
        elif doc.kind == "gap":
            notice = parse_gap_notice(doc.body, profile.signing_key, plan.device_id)
            result.gaps = list(notice.missing)
            outbox = OutboxStore(self._vault.conn)
            with transaction(self._vault.conn):
                result.resend += [s for s in notice.missing if outbox.upload_resend(s)]
        elif doc.kind == "profile":
            new = parse_profile(doc.body)
            if new.serial > profile.serial:
                result.profile_serial = self._profiles.install(doc.body).serial
        else:
            log.info("document kind %s is not known to this version; skipped", doc.kind[:32])

    def _clean_outbox(self) -> None:
        """Delete outbox copies of bundles HQ acknowledged (they will never be sent again)."""
        outbox, sink = OutboxStore(self._vault.conn), self._outbox
        acked = outbox.acknowledged_sequences()
        for up in outbox.uploads():
            if up.status != ACKNOWLEDGED and up.sequence in acked:
                with transaction(self._vault.conn):
                    outbox.upload_acknowledged(up.ciphertext_sha256)
                sink.remove(sink.path_for(up.ciphertext_sha256))


def outbox_files(outbox: OutboxSink) -> list[Path]:
    """The bundle files in the outbox (for status screens and tests)."""
    folder = outbox.folder
    return sorted(folder.glob(f"*{OutboxSink.SUFFIX}")) if folder.exists() else []
