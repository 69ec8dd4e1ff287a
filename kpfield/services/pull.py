"""HQ pull: publish the signed device list, download new bundles from the relay, import them as
USB import does, and post HQ-signed receipts, gap notices and the latest profile for devices.

Idempotent: the relay's listing cursor and every bundle seen are kept in the HQ vault
(``hq_relay_inbox``), a receipt is posted once per bundle, and intake itself refuses to import
the same manifest twice. Downloads are ciphertext, written to a private temporary file in the
vault folder and deleted after import; no plaintext touches the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kpfield.crypto import minisign
from kpfield.domain.jobs import (
    CancelCheck,
    Changes,
    Progress,
    StoreRunner,
    raise_if_cancelled,
    run_here,
)
from kpfield.errors import N_, IntegrityError, UsageError
from kpfield.fsutil import ensure_private_dir
from kpfield.hq import keys as hq_keys
from kpfield.protocol.device_list import make_device_list, parse_device_list
from kpfield.protocol.notices import build_gap_notice
from kpfield.protocol.profile import parse_profile
from kpfield.protocol.signed import Signer
from kpfield.services.clock import Clock, iso
from kpfield.services.enrollment import DeviceService
from kpfield.services.intake import REJECTED, BundleOutcome, IntakeService
from kpfield.services.sync_common import SyncSettings, check_pin
from kpfield.sync.relay_client import ListedBundle, RelayClient, RelayInfo
from kpfield.sync.transport import Credentials, SyncError, Transport, check_url
from kpfield.vault.db import transaction
from kpfield.vault.hq_store import HqStore, InboxRow
from kpfield.vault.sync_store import SyncStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)
INBOX_FOLDER = "relay-inbox"
_META_DL = "sync_device_list_json"  # {"serial", "sha256" of the entries, "file"}
_META_GAPS = "sync_gaps_posted_json"  # {device_id: [missing…]}
_META_PROFILES = "sync_profile_posted_json"  # {device_id: serial}
MAX_PAGES = 100_000


@dataclass
class PullResult:
    device_list_serial: int | None = None
    outcomes: list[BundleOutcome] = field(default_factory=list)
    receipts_posted: int = 0
    gap_notices: int = 0
    profiles_posted: int = 0
    gaps: dict[str, list[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    errors: list[SyncError] = field(default_factory=list)
    """The errors behind ``failures``, for a screen that shows them in the analyst's language."""

    @property
    def imported(self) -> int:
        return sum(o.status == "imported" for o in self.outcomes)

    @property
    def rejected(self) -> int:
        return sum(o.status == REJECTED for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.rejected

    @property
    def changes(self) -> Changes:
        # New bundles add cases and inbox rows at the desk; receipts posted change transfers.
        return Changes(
            report_list=self.imported > 0, cases=self.imported > 0, inbox=True, transfers=True
        )


@dataclass(frozen=True)
class _Plan:
    url: str
    signer: Signer
    pinned_key: str | None
    cursor: int
    device_list: bytes


def _sign(signer: Signer, body: bytes, what: str) -> str:
    return minisign.sign(
        signer.key, signer.public.key_id, body, trusted_comment=f"kpfield {what}"[:100]
    )


class HqPullService:
    def __init__(
        self,
        vault: Vault,
        clock: Clock,
        intake: IntakeService,
        devices: DeviceService,
        settings: SyncSettings | None = None,
    ) -> None:
        self._vault = vault
        self._clock = clock
        self._intake = intake
        self._devices = devices
        self.settings = settings or SyncSettings()

    def _now(self) -> str:
        return iso(self._clock.now())

    def _meta_json(self, key: str) -> dict[str, object]:
        raw = self._vault.meta(key)
        return dict(json.loads(raw)) if raw else {}

    def _set_meta_json(self, key: str, value: object) -> None:
        with transaction(self._vault.conn):
            self._vault.set_meta(key, json.dumps(value, sort_keys=True))

    # ------------------------------------------------------------------ the run
    def run(
        self,
        *,
        relay_url: str | None = None,
        proxy: str | None = None,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        store: StoreRunner = run_here,
    ) -> PullResult:
        result = PullResult()
        plan = store(lambda: self._prepare(relay_url))
        credentials = Credentials(plan.signer.key_id_hex, plan.signer.key)
        s = self.settings
        with Transport(
            plan.url, credentials, proxy=proxy, connect_timeout=s.connect_timeout, ca_file=s.ca_file
        ) as t:
            client = RelayClient(t, link=s.link(), backoff=s.backoff(), sleep=s.sleep)
            try:
                info = client.info()
                store(lambda: self._pin(plan, info))
                result.device_list_serial = self._publish(client, plan, store)
                self._download_all(client, plan, result, progress, cancel, store)
                self._post_receipts(client, plan, result, store)
                self._post_notices(client, plan, result, store)
            except SyncError as exc:
                result.failures.append(exc.message)
                result.errors.append(exc)
        result.gaps = store(self._devices.gaps)
        return result

    # ------------------------------------------------------------------ device list
    def _device_list_file(self, signer: Signer, *, at_least: int = 0) -> bytes:
        entries = self._devices.device_list_entries()
        digest = hashlib.sha256(
            json.dumps([e.to_json() for e in entries], sort_keys=True).encode()
        ).hexdigest()
        held = self._meta_json(_META_DL)
        serial = int(str(held.get("serial", 0)))
        if held.get("sha256") == digest and serial > at_least:
            return str(held["file"]).encode("utf-8")
        serial = max(serial, at_least) + 1
        data = make_device_list(
            signer.key, signer.public.key_id, serial=serial, issued_at=self._now(), devices=entries
        )
        self._set_meta_json(
            _META_DL, {"serial": serial, "sha256": digest, "file": data.decode("utf-8")}
        )
        return data

    def _publish(self, client: RelayClient, plan: _Plan, store: StoreRunner) -> int:
        data = plan.device_list
        key = plan.signer.public
        if client.publish_device_list(data) is not None:
            held = client.hq_device_list()
            held_serial = parse_device_list(held, key).serial if held else 0
            if held != data:
                data = store(lambda: self._device_list_file(plan.signer, at_least=held_serial))
                stale = client.publish_device_list(data)
                if stale is not None:
                    raise stale
        return parse_device_list(data, key).serial

    # ------------------------------------------------------------------ bundles
    def _download_all(  # noqa: PLR0917 - the run's state, passed along
        self,
        client: RelayClient,
        plan: _Plan,
        result: PullResult,
        progress: Progress | None,
        cancel: CancelCheck | None,
        store: StoreRunner,
    ) -> None:
        since = plan.cursor
        folder = self._vault.paths.root / INBOX_FOLDER
        for _ in range(MAX_PAGES):
            page, nxt = client.bundles(since)
            for i, listed in enumerate(page):
                raise_if_cancelled(cancel)
                known = store(partial(HqStore(self._vault.conn).inbox, listed.bundle_id))
                if known is None:
                    outcome = self._fetch_and_import(client, folder, listed, plan.url, store)
                    result.outcomes.append(outcome)
                store(partial(self._advance, plan.url, listed.cursor))
                if progress is not None:
                    progress(i + 1, len(page))
            if not page or nxt <= since:
                return
            since = nxt

    def _fetch_and_import(
        self,
        client: RelayClient,
        folder: Path,
        listed: ListedBundle,
        url: str,
        store: StoreRunner,
    ) -> BundleOutcome:
        ensure_private_dir(folder)
        fd, name = tempfile.mkstemp(prefix=".pull-", suffix=".part", dir=folder)
        path = Path(name)
        try:
            with os.fdopen(fd, "w+b") as fh:
                try:
                    client.download(listed, fh)
                except IntegrityError as exc:
                    log.warning(
                        "bundle %s from the relay does not match its id", listed.bundle_id[:16]
                    )
                    return BundleOutcome(
                        f"relay:{listed.bundle_id[:16]}", REJECTED, exc.message, error=exc
                    )
                fh.flush()
            return store(lambda: self._import(path, listed, url))
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def _import(self, path: Path, listed: ListedBundle, url: str) -> BundleOutcome:
        label = f"relay:{listed.bundle_id[:16]}"
        outcome = self._intake.import_file(path, label=label)
        manifest = self._intake.manifest_of(outcome)
        with transaction(self._vault.conn):
            HqStore(self._vault.conn).add_inbox(
                InboxRow(
                    bundle_id=listed.bundle_id,
                    relay_url=url,
                    # The signed manifest says who sent it; the relay's listing is only a hint.
                    device_id=outcome.device_id or listed.device_id,
                    sequence=outcome.sequence if outcome.sequence is not None else listed.sequence,
                    cursor=listed.cursor,
                    outcome=outcome.status,
                    reason=outcome.reason[:500],
                    manifest_sha256=manifest,
                    seen_at=self._now(),
                    receipt_posted_at=None,
                )
            )
        return outcome

    def _advance(self, url: str, cursor: int) -> None:
        with transaction(self._vault.conn):
            SyncStore(self._vault.conn).set_bundles_cursor(url, cursor)

    # ------------------------------------------------------------------ documents for devices
    def _post_receipts(
        self, client: RelayClient, plan: _Plan, result: PullResult, store: StoreRunner
    ) -> None:
        rows = store(lambda: HqStore(self._vault.conn).receipts_to_post(plan.url))
        for row in rows:
            body = store(partial(self._intake.receipt_for, str(row.manifest_sha256)))
            sig = _sign(plan.signer, body, f"receipt for device {row.device_id}")
            client.post_document(row.device_id, "receipt", body, sig)

            def posted(r: InboxRow = row) -> None:
                with transaction(self._vault.conn):
                    HqStore(self._vault.conn).receipt_posted(r.bundle_id, self._now())

            store(posted)
            result.receipts_posted += 1

    def _post_notices(
        self, client: RelayClient, plan: _Plan, result: PullResult, store: StoreRunner
    ) -> None:
        gaps, posted = store(lambda: (self._devices.gaps(), self._meta_json(_META_GAPS)))
        for device_id, missing in sorted(gaps.items()):
            if posted.get(device_id) == missing:
                continue
            highest = max(missing) + 1
            body = build_gap_notice(plan.signer, device_id, missing, highest, issued_at=self._now())
            client.post_document(device_id, "gap", body, _sign(plan.signer, body, "gap notice"))
            posted[device_id] = missing
            store(lambda: self._set_meta_json(_META_GAPS, posted))
            result.gap_notices += 1
        profile, sent, devices = store(self._profile_state)
        if profile is None:
            return
        serial = parse_profile(profile).serial
        for device_id in devices:
            if int(str(sent.get(device_id, 0))) >= serial:
                continue
            sig = _sign(plan.signer, profile, f"coalition profile serial {serial}")
            client.post_document(device_id, "profile", profile, sig)
            sent[device_id] = serial
            store(lambda: self._set_meta_json(_META_PROFILES, sent))
            result.profiles_posted += 1

    def _profile_state(self) -> tuple[bytes | None, dict[str, object], list[str]]:
        raw = self._vault.meta("hq_profile_file")
        active = [d.device_id for d in self._devices.enrolled() if d.revoked_at is None]
        return (raw.encode("utf-8") if raw else None), self._meta_json(_META_PROFILES), active

    # ------------------------------------------------------------------ store steps
    def _prepare(self, relay_url: str | None) -> _Plan:
        url = relay_url if relay_url is not None else self._vault.meta("hq_relay_url")
        if not url:
            raise UsageError(N_("No relay URL is set; give one with --relay URL."))
        url = check_url(url)
        signer = hq_keys.hq_signer(self._vault)
        pinned = SyncStore(self._vault.conn).relay(url)
        return _Plan(
            url=url,
            signer=signer,
            pinned_key=pinned.relay_key if pinned else None,
            cursor=pinned.bundles_cursor if pinned else 0,
            device_list=self._device_list_file(signer),
        )

    def _pin(self, plan: _Plan, info: RelayInfo) -> None:
        check_pin(plan.url, plan.pinned_key, info, plan.signer.key_id_hex)
        if plan.pinned_key is None:
            with transaction(self._vault.conn):
                SyncStore(self._vault.conn).pin(plan.url, info.relay_key_text, self._now())


def sweep_inbox(vault: Vault, keep: Callable[[Path], bool] = lambda _p: False) -> int:
    """Remove temporary downloads left by a crash (ciphertext, but nothing should linger)."""
    folder = vault.paths.root / INBOX_FOLDER
    removed = 0
    for p in folder.glob(".pull-*.part") if folder.exists() else []:
        if not keep(p):
            with contextlib.suppress(OSError):
                p.unlink()
                removed += 1
    return removed
