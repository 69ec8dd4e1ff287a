"""The documents phase of a field sync: what HQ left at the relay for this laptop, applied.

Every document is verified against HQ's signing key first: receipts (reports HQ imported),
gap notices (bundles to send again), newer profiles; then HQ's signed device list. Outbox
copies of bundles HQ acknowledged are deleted: they will never be sent again.
"""

from __future__ import annotations

import io
import logging

from kpfield.crypto import minisign
from kpfield.custody.seal import device_age_identity
from kpfield.errors import N_, CryptoError, IntegrityError, KpfieldError
from kpfield.protocol.device_list import parse_device_list
from kpfield.protocol.notices import parse_gap_notice
from kpfield.protocol.profile import Profile, parse_profile
from kpfield.protocol.receipts import open_receipt
from kpfield.services.acknowledgement import AcknowledgementService
from kpfield.services.clock import Clock
from kpfield.services.enrollment_state import note_device_list
from kpfield.services.export import ExportService
from kpfield.services.profiles import FieldProfileService
from kpfield.services.sync_status import SyncParts, SyncResult
from kpfield.services.sync_upload import SyncPlan
from kpfield.sync.relay_client import RelayDocument
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import ACKNOWLEDGED, OutboxStore
from kpfield.vault.sync_store import SyncStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)


class DocumentsPhase(SyncParts):
    """Apply HQ's documents and device list (store lane), then clean the outbox."""

    def __init__(
        self,
        vault: Vault,
        clock: Clock,
        profiles: FieldProfileService,
        export: ExportService,
        acknowledgements: AcknowledgementService,
    ) -> None:
        super().__init__(vault, clock, profiles, export)
        self._ack = acknowledgements

    def apply(
        self,
        plan: SyncPlan,
        docs: list[RelayDocument],
        device_list: bytes | None,
        result: SyncResult,
    ) -> None:
        """Each of ``docs`` verified then applied (the cursor moves past it either way)."""
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
        self, plan: SyncPlan, profile: Profile, data: bytes, result: SyncResult
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
        self, plan: SyncPlan, profile: Profile, doc: RelayDocument, result: SyncResult
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
