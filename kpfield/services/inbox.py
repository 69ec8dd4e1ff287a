"""The HQ inbox (Qt-free): every bundle intake saw, accepted or not, with each check's result;
and the overview of enrolled devices (bundles received, last seen, gaps, rejections).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpfield.errors import N_, NotFound
from kpfield.hq import checks
from kpfield.vault.db import transaction
from kpfield.vault.desk_store import DeskStore, InboxRecord
from kpfield.vault.hq_store import HqStore
from kpfield.vault.vault import Vault


@dataclass(frozen=True)
class InboxEntry:
    """One bundle intake saw, with the result of each check."""

    seen_no: int
    seen_at: str
    source: str
    status: str
    reason_template: str
    reason_params: dict[str, Any]
    device_id: str | None
    device_name: str | None
    fingerprint: str | None
    sequence: int | None
    manifest_sha256: str | None
    new_reports: int
    checks: tuple[tuple[str, str], ...]
    """(check name from kpfield.hq.checks.ORDER, passed|failed|not reached)."""

    def reason(self, gettext: Any = None) -> str:
        template = (
            gettext(self.reason_template)
            if gettext and self.reason_template
            else (self.reason_template)
        )
        params = dict(self.reason_params)
        if self.device_name and params.get("device") == self.device_id:
            # A device HQ knows is named as the desk names it, not by its internal id.
            params["device"] = f"{self.device_name} ({self.fingerprint})"
        try:
            return str(template).format(**params)
        except (KeyError, IndexError, ValueError):
            return str(template)


def _inbox_entry(r: InboxRecord) -> InboxEntry:
    try:
        params = json.loads(r.reason_params)
    except json.JSONDecodeError:
        params = {}
    return InboxEntry(
        r.seen_no, r.seen_at, r.source, r.status, r.reason_template,
        params if isinstance(params, dict) else {}, r.device_id, r.device_name, r.fingerprint,
        r.sequence, r.manifest_sha256, r.new_reports,
        tuple(checks.results(r.status, r.failed_check)),
    )  # fmt: skip


@dataclass(frozen=True)
class DeviceSummary:
    device_id: str
    name: str
    fingerprint: str
    enrolled_at: str
    last_seen: str | None
    bundles: int
    rejected: int
    gaps: tuple[int, ...]
    revoked_at: str | None


class InboxService:
    """Every bundle intake has seen, and the devices' overview for the desk."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def entries(self, limit: int = 10_000) -> list[InboxEntry]:
        """Newest first."""
        return [_inbox_entry(r) for r in DeskStore(self._vault.conn).inbox(limit)]

    def entry(self, seen_no: int) -> InboxEntry:
        rows = DeskStore(self._vault.conn).inbox(1, seen_no=seen_no)
        if not rows:
            raise NotFound(N_("No inbox entry has the number {id}."), id=seen_no)
        return _inbox_entry(rows[0])

    def devices(self) -> list[DeviceSummary]:
        hq = HqStore(self._vault.conn)
        desk = DeskStore(self._vault.conn)
        stats, gaps, rejected = desk.device_stats(), hq.gaps(), desk.rejected_by_device()
        return [
            DeviceSummary(
                d.device_id,
                d.name,
                d.fingerprint,
                d.enrolled_at,
                stats.get(d.device_id, (0, None))[1],
                stats.get(d.device_id, (0, None))[0],
                rejected.get(d.device_id, 0),
                tuple(gaps.get(d.device_id, ())),
                d.revoked_at,
            )  # fmt: skip
            for d in hq.devices()
        ]


def record_outcome(
    vault: Vault,
    *,
    at: str,
    source: str,
    status: str,
    template: str,
    params: dict[str, Any],
    device_id: str | None,
    sequence: int | None,
    manifest_sha256: str | None,
    new_reports: int,
) -> None:
    """Write what intake concluded about one bundle into the inbox."""
    failed = checks.failed_check(template) if status == "rejected" else None
    device = device_id or (str(params["device"]) if isinstance(params.get("device"), str) else None)
    if device is not None and not HqStore(vault.conn).devices_matching(device, 1):
        device = None  # a device id claimed by a bundle we could not admit: shown in the reason
    with transaction(vault.conn):
        DeskStore(vault.conn).add_inbox(
            seen_at=at,
            source=source,
            status=status,
            reason_template=template,
            reason_params=json.dumps(
                {k: v for k, v in params.items() if isinstance(v, str | int)}, sort_keys=True
            ),
            failed_check=failed,
            device_id=device,
            sequence=sequence,
            manifest_sha256=manifest_sha256,
            new_reports=new_reports,
        )
