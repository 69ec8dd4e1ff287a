"""Field sync: sealed reports → outbox bundles → the relay (exactly once) → HQ's documents back.

A run alternates short store steps (through the caller's :class:`StoreRunner`) with network
steps that never touch the vault. A bundle counts as delivered only once the relay's signed
receipt verified with the relay key pinned on first contact. The outbox file is kept until HQ's
own receipt for that bundle arrives (then deleted): if the relay loses a bundle before HQ pulls
it, HQ's gap notice makes the laptop send the very same bytes again, and HQ still imports it
once (see docs/sync-protocol.md §8).

The run is here; its phases are :mod:`.sync_upload` (outbox and relay receipts) and
:mod:`.sync_documents` (HQ's receipts, notices, profiles, device list), and what the vault keeps
of sync (status, the monitor's relay and proxy, the last failure) is :mod:`.sync_status`.
"""

from __future__ import annotations

import logging
from functools import partial

from kpfield.domain.jobs import CancelCheck, Progress, StoreRunner, run_here
from kpfield.errors import Cancelled, KpfieldError
from kpfield.services.acknowledgement import AcknowledgementService
from kpfield.services.clock import Clock
from kpfield.services.export import ExportService
from kpfield.services.profiles import FieldProfileService
from kpfield.services.sync_common import SyncSettings, fetch_all_documents
from kpfield.services.sync_documents import DocumentsPhase
from kpfield.services.sync_failure import classify_exception
from kpfield.services.sync_status import RelaySetting, SyncResult, SyncState, SyncStatus
from kpfield.services.sync_upload import UploadPhase, outbox_files
from kpfield.sync.relay_ca import RelayCa
from kpfield.sync.relay_client import RelayClient
from kpfield.sync.transport import SyncError, Transport
from kpfield.vault.vault import Vault

__all__ = [
    "FieldSyncService",
    "RelayCa",
    "RelaySetting",
    "SyncResult",
    "SyncStatus",
    "outbox_files",
]

log = logging.getLogger(__name__)


class FieldSyncService(SyncState):
    """A laptop's sync with the relay (:meth:`run`), and what the vault keeps of it."""

    def __init__(  # noqa: PLR0917 - wired once, by the composition root
        self,
        vault: Vault,
        clock: Clock,
        profiles: FieldProfileService,
        export: ExportService,
        acknowledgements: AcknowledgementService,
        settings: SyncSettings | None = None,
    ) -> None:
        super().__init__(vault, clock, profiles, export)
        self.settings = settings or SyncSettings()
        self._upload = UploadPhase(vault, clock, profiles, export, self.relay_override)
        self._documents = DocumentsPhase(vault, clock, profiles, export, acknowledgements)

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
        plan = store(lambda: self._upload.prepare(relay_url, result))
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
                store(partial(self._upload.refused, exc, result))
                for bundle in plan.bundles:  # the status screen shows why nothing moved
                    store(partial(self._upload.failed, bundle, exc.message))
                result.pending = store(partial(self._finish, result))
                return result
            store(lambda: self._upload.pin(plan, info))
            link.max_chunk = min(link.max_chunk, info.max_patch_bytes)
            self._upload.upload_all(
                transport, link, info, plan, result, progress, cancel, store, settings
            )
            try:
                docs = fetch_all_documents(client, plan.documents_cursor)
                device_list = client.device_list()
            except SyncError as exc:
                result.failures.append(exc.message)
                result.errors.append(exc)
                docs, device_list = [], None
            store(lambda: self._documents.apply(plan, docs, device_list, result))
        result.pending = store(partial(self._finish, result))
        return result
