"""What the desk's export dialog relies on: a plan before writing, progress and cancel while
writing, and the signed manifest read back (a manifest altered after signing is refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpfield.errors import Cancelled, IntegrityError
from kpfield.protocol import export_manifest
from kpfield.services.exports.service import ExportKind
from tests.exports.conftest import World


def test_the_plan_matches_what_the_export_writes(world: World, tmp_path: Path) -> None:
    plan = world.hq.exports.plan(ExportKind.PDF_BRIEF)
    assert [p.report_id for p in plan.included] == world.report_ids[:1]
    assert {p.report_id for p in plan.left_out} == set(world.report_ids[1:])
    assert all(p.title and "Kimberley Process" in p.reason for p in plan.left_out)
    out = tmp_path / "brief.pdf"
    world.hq.exports.export(ExportKind.PDF_BRIEF, out)
    m = world.hq.exports.read_manifest(out.with_name(out.name + export_manifest.SUFFIX))
    assert m.included == tuple(p.report_id for p in plan.included)
    assert {rid for rid, _why in m.left_out} == {p.report_id for p in plan.left_out}
    assert m.file == "brief.pdf" and m.kind == "pdf_brief" and m.overridden == ()
    csv_plan = world.hq.exports.plan(ExportKind.CASES_CSV)
    assert len(csv_plan.included) == 2 and len(csv_plan.left_out) == 1


def test_export_reports_progress_and_a_cancel_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    out = tmp_path / "brief.pdf"
    world.hq.exports.export(
        ExportKind.PDF_BRIEF, out, override=world.report_ids[1:2], override_reason="asked",
        progress=lambda d, t: seen.append((d, t)),
    )  # fmt: skip
    assert seen[0] == (1, 4) and seen[-1] == (4, 4)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    before = len(world.hq.cases.audit_log())
    again = tmp_path / "cancelled.pdf"
    with pytest.raises(Cancelled):
        world.hq.exports.export(ExportKind.PDF_BRIEF, again, cancel=lambda: True)
    assert not again.exists()
    assert not again.with_name(again.name + export_manifest.SUFFIX).exists()
    assert len(world.hq.cases.audit_log()) == before  # nothing exported, nothing logged


def test_a_manifest_altered_after_signing_is_refused(world: World, tmp_path: Path) -> None:
    out = tmp_path / "cases.csv"
    world.hq.exports.export(ExportKind.CASES_CSV, out)
    manifest = out.with_name(out.name + export_manifest.SUFFIX)
    manifest.write_bytes(manifest.read_bytes().replace(b'"left_out"', b'"left_ouT"', 1))
    with pytest.raises(IntegrityError):
        world.hq.exports.read_manifest(manifest)
