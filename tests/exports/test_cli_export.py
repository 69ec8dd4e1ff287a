"""``kpfield cases export``: the headless twin of the desk's export actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpfield.cli import main
from tests.exports.conftest import World


def test_cases_export_writes_the_file_and_its_manifest(
    world: World, tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = world.hq.vault.paths.root
    world.hq.close()
    opts = ["--data-dir", str(data_dir), "--passphrase-file", str(passphrase_file)]
    out = tmp_path / "brief.pdf"
    assert main(["cases", "export", "--pdf", str(out), "--country", "sl", *opts]) == 0
    printed = capsys.readouterr().out
    assert "1 report(s) included, 2 left out" in printed
    assert out.read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "brief.pdf.manifest.json").is_file()
    include = ["--include", world.report_ids[1]]
    assert main(["cases", "export", "--pdf", str(out), *include, *opts]) == 2
    assert "reason" in capsys.readouterr().err
    csv_out = tmp_path / "incidents.csv"
    assert main(["cases", "export", "--incidents-csv", str(csv_out), *opts]) == 0
    assert csv_out.read_text("utf-8").startswith("event_id,event_date,time_precision")
