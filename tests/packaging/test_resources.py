"""One resolver finds the shipped resources from the source tree, a wheel and a frozen app."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kpfield import paths
from kpfield.i18n import I18n

REPO = Path(__file__).resolve().parents[2]


def _resources(at: Path) -> Path:
    at.mkdir(parents=True)
    (at / "taxonomy.json").write_text("{}", encoding="utf-8")
    return at


def test_the_override_wins(tmp_path: Path) -> None:
    found = paths.locate_resources(
        override=str(tmp_path), frozen_base=None, package_dir=REPO / "kpfield"
    )
    assert found == tmp_path


def test_source_tree() -> None:
    found = paths.locate_resources(override=None, frozen_base=None, package_dir=REPO / "kpfield")
    assert found == REPO / "resources"


def test_installed_wheel_prefers_its_own_copy(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    packaged = _resources(site / "kpfield" / "_resources")
    _resources(site / "resources")  # someone else's top-level folder must never be used
    found = paths.locate_resources(override=None, frozen_base=None, package_dir=site / "kpfield")
    assert found == packaged


def test_frozen_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = _resources(tmp_path / "_internal" / "kpfield" / "_resources")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.delenv("KPFIELD_RESOURCES", raising=False)
    assert paths.resources_dir() == bundled


def test_missing_resources_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(paths.ResourcesMissing, match="Reinstall"):
        paths.locate_resources(override=None, frozen_base=None, package_dir=tmp_path / "kpfield")


def test_catalogs_are_compiled_in_the_tree() -> None:
    """The app reads .mo files with stdlib gettext; Babel is never needed to run."""
    translations = paths.resources_dir() / "translations"
    for language in ("fr", "pt"):
        assert (translations / language / "LC_MESSAGES" / "kpfield.mo").is_file()
        assert I18n(language).has_catalog()
