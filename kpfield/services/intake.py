"""HQ intake: bundles from files and folders (a stick today, the relay next) into the HQ vault.

Each bundle is verified completely before anything of it is committed (see
:mod:`kpfield.hq.intake`); every bundle gets one outcome, rejected ones with their reason, and a
receipt can be written back for the laptop that sent it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kpfield.bundle import usb
from kpfield.bundle.reader import NotABundle
from kpfield.domain.jobs import CancelCheck, Changes, Progress, raise_if_cancelled, scaled
from kpfield.errors import N_, BundleError
from kpfield.hq import intake
from kpfield.hq.receipts import make_receipt
from kpfield.services.clock import Clock, iso
from kpfield.services.inbox import record_outcome
from kpfield.vault.hq_store import HqStore
from kpfield.vault.vault import Vault

BundleOutcome = intake.BundleOutcome
IMPORTED, DUPLICATE, REJECTED = intake.IMPORTED, intake.DUPLICATE, intake.REJECTED


@dataclass
class ImportResult:
    outcomes: list[intake.BundleOutcome] = field(default_factory=list)
    gaps: dict[str, list[int]] = field(default_factory=dict)
    receipts: list[Path] = field(default_factory=list)
    receipts_skipped: int = 0

    @property
    def imported(self) -> int:
        return sum(o.status == IMPORTED for o in self.outcomes)

    @property
    def rejected(self) -> int:
        return sum(o.status == REJECTED for o in self.outcomes)

    @property
    def duplicates(self) -> int:
        return sum(o.status == DUPLICATE for o in self.outcomes)

    @property
    def changes(self) -> Changes:
        return Changes(
            report_list=self.imported > 0,
            transfers=bool(self.outcomes),
            cases=self.imported > 0,
            inbox=bool(self.outcomes),
            devices=bool(self.outcomes),
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class IntakeService:
    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    def _now(self) -> str:
        return iso(self._clock.now())

    def import_paths(
        self,
        paths: Sequence[Path],
        *,
        receipts_dir: Path | None = None,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> ImportResult:
        """Import bundle files and folders; one outcome per bundle, then gaps per device."""
        if receipts_dir is not None:
            usb.check_writable_dir(receipts_dir)
        intake.cleanup(self._vault)
        result = ImportResult()
        found = list(usb.scan(paths))
        sizes = [_size(p) for p, _ in found]
        total = sum(sizes) or 1
        base = 0
        for (path, explicit), size in zip(found, sizes, strict=True):
            raise_if_cancelled(cancel)
            label = str(path) if explicit else path.name
            if not path.exists():
                missing = BundleError(N_("the file does not exist"))
                outcome = BundleOutcome(label, REJECTED, missing.message, error=missing)
                result.outcomes.append(outcome)
                self._record(outcome)
                continue
            try:
                outcome = intake.import_file(
                    self._vault,
                    path,
                    at=self._now(),
                    label=label,
                    progress=scaled(progress, base, size, total),
                    cancel=cancel,
                )
            except NotABundle:
                result.receipts_skipped += 1
                continue
            result.outcomes.append(outcome)
            self._record(outcome)
            base += size
            if receipts_dir is not None and outcome.status != REJECTED:
                sha = outcome.manifest_sha256 or self._manifest_for(outcome)
                result.receipts.append(self._write_receipt(receipts_dir, sha))
        result.gaps = HqStore(self._vault.conn).gaps()
        return result

    def import_file(self, path: Path, *, label: str) -> intake.BundleOutcome:
        """Import one downloaded bundle file (ciphertext), exactly as a bundle on a stick."""
        outcome = intake.import_file(self._vault, path, at=self._now(), label=label)
        self._record(outcome)  # the inbox lists relay bundles as it lists those from a stick
        return outcome

    def manifest_of(self, outcome: intake.BundleOutcome) -> str | None:
        """The manifest hash of an imported or already-held bundle (None for a rejected one)."""
        if outcome.status == REJECTED:
            return None
        return outcome.manifest_sha256 or self._manifest_for(outcome)

    def receipt_for(self, manifest_sha256: str) -> bytes:
        """HQ's signed receipt for an imported bundle, encrypted for the device that sent it."""
        return make_receipt(self._vault, manifest_sha256, self._now())

    def _record(self, outcome: intake.BundleOutcome) -> None:
        error = outcome.error
        record_outcome(
            self._vault,
            at=self._now(),
            source=outcome.source,
            status=outcome.status,
            template=error.template if error is not None else outcome.reason,
            params=dict(error.params) if error is not None else {},
            device_id=outcome.device_id,
            sequence=outcome.sequence,
            manifest_sha256=outcome.manifest_sha256 or self._held(outcome),
            new_reports=outcome.new_reports,
        )

    def _held(self, outcome: intake.BundleOutcome) -> str | None:
        if outcome.status != DUPLICATE or outcome.device_id is None or outcome.sequence is None:
            return None
        return HqStore(self._vault.conn).manifest_at(outcome.device_id, outcome.sequence)

    def _manifest_for(self, outcome: intake.BundleOutcome) -> str:
        assert outcome.device_id is not None  # noqa: S101 - set on every duplicate
        assert outcome.sequence is not None  # noqa: S101
        sha = HqStore(self._vault.conn).manifest_at(outcome.device_id, outcome.sequence)
        assert sha is not None  # noqa: S101 - a duplicate names a bundle HQ holds
        return sha

    def _write_receipt(self, folder: Path, manifest_sha256: str) -> Path:
        data = make_receipt(self._vault, manifest_sha256, self._now())

        def write(fh: BinaryIO) -> bytes:
            fh.write(data)
            return data

        path, _ = usb.write_durably(
            folder, write, verify_sha256=lambda d: hashlib.sha256(d).hexdigest()
        )
        return path
