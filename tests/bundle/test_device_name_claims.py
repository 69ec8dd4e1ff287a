"""What the setup screen says about the laptop's name, held on the bytes: HQ sees it with every
bundle (inside the encryption), the enrollment request carries it in clear, the stick does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kpfield.app import Session
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import decrypt_with_hq, export, new_field, seal_report, split_tar, stick

NAME = "Team 2 laptop Zq7"


def test_the_name_goes_with_every_bundle_inside_and_in_clear_only_in_the_request(
    tmp_path: Path, cheap_params: KdfParams, hq: Session, example_doc: dict[str, Any]
) -> None:
    laptop = new_field(tmp_path / NAME, cheap_params, hq)  # named after its folder
    try:
        assert laptop.identity.device_name() == NAME
        request, _ = laptop.field().enrollment.request()
        assert NAME.encode() in request  # in clear: the setup screen says so
        seal_report(laptop, example_doc, photos=0)
        folder = stick(tmp_path)
        (bundle,) = export(laptop, folder)
        raw = bundle.read_bytes()
        assert NAME.encode() not in raw  # not on the stick in clear
        assert NAME not in bundle.name
        members = dict(split_tar(decrypt_with_hq(hq, raw)))
        manifest = json.loads(members["manifest.json"])
        assert manifest["device"]["name"] == NAME  # HQ sees it with the bundle
    finally:
        laptop.close()
