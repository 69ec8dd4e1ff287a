"""Case exports on the HQ session: follow the filter, enforce consent, sign a manifest, log it."""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpfield import media
from kpfield.domain.desk import ALL_CASES, CaseFilter, CaseSort
from kpfield.domain.jobs import CancelCheck, Changes, Progress, raise_if_cancelled
from kpfield.domain.taxonomy import Taxonomy
from kpfield.errors import N_, MediaError, UsageError
from kpfield.figures.charts import chart
from kpfield.figures.geo import MapPoint, incident_map
from kpfield.fsutil import atomic_write
from kpfield.hq import intake
from kpfield.hq.keys import hq_signer
from kpfield.paths import resources_dir
from kpfield.protocol import export_manifest
from kpfield.services.clock import Clock, iso
from kpfield.services.desk import CaseService
from kpfield.services.exports import brief, tables
from kpfield.services.exports.consent import Selection, Use, named, select
from kpfield.services.exports.records import CaseRecord, decode
from kpfield.services.figures import FigureService
from kpfield.vault.hq_store import HqStore
from kpfield.vault.sealed_reports_store import SealedReportsStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)
Gettext = Callable[[str], str]


class ExportKind(enum.StrEnum):
    CASES_CSV = "cases_csv"
    INCIDENTS_CSV = "incidents_csv"
    EVENTS_JSON = "events_json"
    PDF_BRIEF = "pdf_brief"


USE_OF = {
    ExportKind.CASES_CSV: Use.COALITION,
    ExportKind.INCIDENTS_CSV: Use.PUBLIC,
    ExportKind.EVENTS_JSON: Use.COALITION,
    ExportKind.PDF_BRIEF: Use.KP_BRIEF,
}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    manifest_path: Path
    sha256: str
    included: int
    left_out: int
    overridden: int

    @property
    def changes(self) -> Changes:
        return Changes(transfers=True)  # the audit log has a new entry


@dataclass(frozen=True)
class PlannedCase:
    report_id: str
    title: str
    incident_date: str
    reason: str = ""
    """Why the export would leave it out (English, as in the manifest; "" when included)."""


@dataclass(frozen=True)
class ExportPlan:
    """What an export of the current filter would hold, before anything is written."""

    included: tuple[PlannedCase, ...]
    left_out: tuple[PlannedCase, ...]

    @property
    def overridable(self) -> bool:
        return bool(self.left_out)


@dataclass(frozen=True)
class PreparedExport:
    """What :meth:`CaseExportService.prepare` read: enough to render without the vault."""

    kind: ExportKind
    filter: CaseFilter
    chosen: Selection
    now: datetime
    points: tuple[MapPoint, ...]
    """Where the included cases happened (the brief's map)."""
    override_reason: str

    @property
    def steps(self) -> int:
        """Progress units: reading, one per included case, writing."""
        return len(self.chosen.included) + 2


@dataclass(frozen=True)
class ManifestSummary:
    """What a signed export manifest says, read back and verified with the HQ key."""

    kind: str
    file: str
    sha256: str
    included: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...]
    """(report id, reason in English)."""
    overridden: tuple[str, ...]


def _english(message: str) -> str:
    return message


class CaseExportService:
    def __init__(
        self,
        vault: Vault,
        clock: Clock,
        taxonomy: Taxonomy,
        cases: CaseService,
        figures: FigureService,
    ) -> None:
        self._vault = vault
        self._clock = clock
        self._taxonomy = taxonomy
        self._cases = cases
        self._figures = figures

    # ------------------------------------------------------------------ reading
    def records(self, filter: CaseFilter = ALL_CASES) -> list[CaseRecord]:  # noqa: A002
        """The matching cases, oldest incident first, decoded from their sealed JSON."""
        ids = self._cases.ids(filter, CaseSort.INCIDENT_DATE, descending=False)
        store = SealedReportsStore(self._vault.conn)
        states = store.review_states(ids)
        return [decode(row, states.get(row.report_id, "")) for row in store.sealed(ids)]

    def plan(self, kind: ExportKind, filter: CaseFilter = ALL_CASES) -> ExportPlan:  # noqa: A002
        """Which matching reports the export would include, and which it leaves out and why."""
        records = self.records(filter)
        by_id = {c.report_id: c for c in records}
        chosen = select(records, USE_OF[kind])

        def planned(c: CaseRecord, reason: str = "") -> PlannedCase:
            date = c.incident_date.value if c.incident_date else ""
            return PlannedCase(c.report_id, c.title, date, reason)

        return ExportPlan(
            tuple(planned(c) for c in chosen.included),
            tuple(planned(by_id[x.report_id], x.reason) for x in chosen.left_out),
        )

    def read_manifest(self, manifest_path: Path) -> ManifestSummary:
        """The manifest beside an export, its signature checked with this HQ's key."""
        signed = export_manifest.parse_manifest(
            manifest_path.read_bytes(), hq_signer(self._vault).public
        )
        doc = signed.doc
        ex = doc.get("export") or {}
        return ManifestSummary(
            str(ex.get("kind", "")),
            str(ex.get("file", "")),
            str(ex.get("sha256", "")),
            tuple(str(i.get("report_id", "")) for i in doc.get("included") or []),
            tuple(
                (str(x.get("report_id", "")), str(x.get("reason", "")))
                for x in doc.get("left_out") or []
            ),
            tuple(str(r) for r in doc.get("overridden") or []),
        )

    def stripped_photo(self, attachment_id: str) -> bytes | None:
        """A metadata-free copy of an imported photo (None if it is not a readable photo)."""
        if HqStore(self._vault.conn).attachment_blob(attachment_id) is None:
            return None
        original = b"".join(intake.original_bytes(self._vault, attachment_id))
        try:
            return media.strip_metadata(original, name=attachment_id)
        except MediaError:
            log.warning("photo %s could not be stripped; left out of the brief", attachment_id)
            return None

    # ------------------------------------------------------------------ writing
    def export(
        self,
        kind: ExportKind,
        out: Path,
        filter: CaseFilter = ALL_CASES,  # noqa: A002
        *,
        gettext: Gettext = _english,
        language: str = "en",
        override: Sequence[str] = (),
        override_reason: str = "",
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> ExportResult:
        """Write the export and its signed manifest beside it; log both in the audit log.

        ``override`` names reports the analyst includes in a PDF brief although a witness did
        not consent to sharing with KP bodies; it needs a reason, and each is logged. The GUI
        runs the three steps (:meth:`prepare`, :meth:`render`, :meth:`finish`) itself, so that
        only the first and last hold the vault's connection.
        """
        prepared = self.prepare(kind, filter, override=override, override_reason=override_reason)
        steps = prepared.steps
        if progress is not None:
            progress(1, steps)
        data = self.render(
            prepared, gettext=gettext, language=language, progress=progress, cancel=cancel
        )
        result = self.finish(prepared, out, data)
        if progress is not None:
            progress(steps, steps)
        return result

    def prepare(
        self,
        kind: ExportKind,
        filter: CaseFilter = ALL_CASES,  # noqa: A002
        *,
        override: Sequence[str] = (),
        override_reason: str = "",
    ) -> PreparedExport:
        """Read what the export holds (SQL): the matching cases, split by consent."""
        if override and kind is not ExportKind.PDF_BRIEF:
            raise UsageError(N_("Only the PDF brief can include reports by override."))
        if override and not override_reason.strip():
            raise UsageError(N_("Give the reason for including reports without consent."))
        chosen = select(self.records(filter), USE_OF[kind], override=override)
        points: tuple[MapPoint, ...] = ()
        if kind is ExportKind.PDF_BRIEF:
            included = {c.report_id for c in chosen.included}
            points = tuple(p for p in self._figures.map_points(filter) if p.report_id in included)
        return PreparedExport(kind, filter, chosen, self._clock.now(), points, override_reason)

    def render(
        self,
        prepared: PreparedExport,
        *,
        gettext: Gettext = _english,
        language: str = "en",
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        stripped_photo: Callable[[str], bytes | None] | None = None,
    ) -> bytes:
        """The export's bytes. No SQL when ``stripped_photo`` is given (the GUI passes one that
        borrows the store lane), so this may run off the vault's thread."""
        steps = prepared.steps

        def step(done: int, _total: int) -> None:
            raise_if_cancelled(cancel)
            if progress is not None:
                progress(1 + done, steps)

        raise_if_cancelled(cancel)
        data = self._render(
            prepared, gettext=gettext, language=language, progress=step,
            stripped_photo=stripped_photo or self.stripped_photo,
        )  # fmt: skip
        raise_if_cancelled(cancel)  # nothing written yet: a cancelled export leaves no file
        return data

    def finish(self, prepared: PreparedExport, out: Path, data: bytes) -> ExportResult:
        """Write the file and its signed manifest, and log the export (and any override)."""
        kind, chosen, filter = prepared.kind, prepared.chosen, prepared.filter
        use = USE_OF[kind]
        atomic_write(out, data)
        digest = hashlib.sha256(data).hexdigest()
        signer = hq_signer(self._vault)
        doc = export_manifest.manifest_doc(
            export_kind=kind.value,
            file_name=out.name,
            sha256=digest,
            size=len(data),
            created_at=iso(prepared.now),
            filter_description=filter.as_dict(),
            included=[
                {
                    "report_id": c.report_id,
                    "sealed_sha256": c.sha256,
                    "witnesses_named": len(named(c, use)),
                    "witnesses_withheld": len(c.witnesses) - len(named(c, use)),
                    "photos": len(c.attachments) if kind is ExportKind.PDF_BRIEF else 0,
                }
                for c in chosen.included
            ],
            left_out=[{"report_id": x.report_id, "reason": x.reason} for x in chosen.left_out],
            overridden=list(chosen.overridden),
            signer=signer,
        )
        manifest_path = out.with_name(out.name + export_manifest.SUFFIX)
        atomic_write(manifest_path, export_manifest.sign_manifest(doc, signer))
        for rid in chosen.overridden:
            self._cases.log_action(
                "override",
                {"export": kind.value, "file": out.name, "reason": prepared.override_reason},
                rid,
            )
        self._cases.log_action(
            "export",
            {
                "kind": kind.value,
                "file": out.name,
                "sha256": digest,
                "included": len(chosen.included),
                "left_out": len(chosen.left_out),
                "overridden": len(chosen.overridden),
                "filter": filter.as_dict(),
            },
        )
        log.info(
            "export %s: %d included, %d left out", kind.value, len(chosen.included),
            len(chosen.left_out),
        )  # fmt: skip
        return ExportResult(
            out, manifest_path, digest, len(chosen.included), len(chosen.left_out),
            len(chosen.overridden),
        )  # fmt: skip

    def _render(
        self,
        p: PreparedExport,
        *,
        gettext: Gettext,
        language: str,
        progress: Progress,
        stripped_photo: Callable[[str], bytes | None],
    ) -> bytes:
        cases = list(p.chosen.included)
        if p.kind is ExportKind.CASES_CSV:
            return tables.cases_csv(cases)
        if p.kind is ExportKind.INCIDENTS_CSV:
            return tables.incidents_csv(cases)
        if p.kind is ExportKind.EVENTS_JSON:
            return tables.events_json(cases, self._taxonomy, iso(p.now))
        return self._brief(
            p, gettext=gettext, language=language, progress=progress,
            stripped_photo=stripped_photo,
        )  # fmt: skip

    def _brief(
        self,
        p: PreparedExport,
        *,
        gettext: Gettext,
        language: str,
        progress: Progress,
        stripped_photo: Callable[[str], bytes | None],
    ) -> bytes:
        chosen = p.chosen
        # The charts count what the brief holds, not the reports it leaves out.
        specs = self._figures.charts_of(chosen.included, gettext=gettext, language=language)
        drawings = [chart(s, 700, 360) for s in specs]
        drawings.append(
            incident_map(
                self._figures.countries, p.points, 700, 520,
                title=gettext("Incidents on the map"), language=language,
                focus={c.place.country for c in chosen.included},
                caption=gettext("Country shapes: Natural Earth (public domain)"),
            ).drawing
        )  # fmt: skip
        data = brief.BriefInput(
            cases=chosen.included,
            charts=tuple(drawings),
            created=p.now,
            left_out=len(chosen.left_out),
            overridden=frozenset(chosen.overridden),
            filter_text=", ".join(f"{k}={v}" for k, v in p.filter.as_dict().items()),
        )
        return brief.render_brief(
            data,
            taxonomy=self._taxonomy,
            gettext=gettext,
            fonts=brief.find_font(resources_dir()),
            stripped_photo=stripped_photo,
            progress=progress,
        )
