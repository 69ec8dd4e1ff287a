"""A laptop exports before HQ enrolled it (the GUI warns, the monitor goes on): HQ refuses the
bundle, enrolls the laptop, imports the very same file from the stick; HQ's receipt then tells
the laptop it is enrolled. What the export warning promises, held on real vaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpfield.protocol.enrollment import parse_request
from kpfield.services.enrollment_state import Enrollment, Source
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import export, new_field, new_hq, seal_report, stick


def test_a_bundle_made_before_enrollment_is_imported_once_hq_enrolls_the_laptop(
    tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> None:
    hq = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq, enroll=False)
    try:
        assert laptop.field().enrollment.state().status is Enrollment.NOT_ENROLLED
        seal_report(laptop, example_doc, photos=1)
        folder = stick(tmp_path)
        (bundle,) = export(laptop, folder)

        refused = hq.hq().intake.import_paths([folder], receipts_dir=folder)
        assert (refused.imported, refused.rejected, refused.receipts) == (0, 1, [])
        assert "not enrolled" in refused.outcomes[0].reason
        assert bundle.exists()  # still on the stick, as the warning says

        hq.hq().devices.approve(parse_request(laptop.field().enrollment.request()[0]))
        accepted = hq.hq().intake.import_paths([folder], receipts_dir=folder)
        assert accepted.imported == 1 and len(accepted.receipts) == 1

        got = laptop.field().acknowledgements.import_receipts(folder)
        assert got.receipts == 1 and got.changes.devices
        state = laptop.field().enrollment.state()
        assert (state.status, state.source) == (Enrollment.ENROLLED, Source.RECEIPT)
        again = laptop.field().acknowledgements.import_receipts(folder)
        assert again.already_seen == 1 and not again.changes.devices
    finally:
        laptop.close()
        hq.close()
