"""Only kpfield/gui may import PySide6 (DESIGN.md §3): the core stays usable without Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import kpfield

PACKAGE = Path(kpfield.__file__).resolve().parent


def qt_imports(path: Path, package: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names = [str(node.args[0].value)]
        found += [f"{path.relative_to(package.parent)}:{node.lineno} {n}" for n in names
                  if n.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6")]
    return found


def test_only_the_gui_package_imports_qt() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if "gui" not in p.relative_to(PACKAGE).parts[:1]]
    assert len(modules) > 20  # the scan really looked at the core
    offenders = [hit for p in modules for hit in qt_imports(p)]
    assert offenders == []


def test_the_scan_catches_an_import(tmp_path: Path) -> None:
    probe = tmp_path / "kpfield" / "services" / "bad.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from PySide6.QtCore import QObject\nimport importlib\n"
                     "importlib.import_module('PySide6.QtGui')\n", encoding="utf-8")
    assert len(qt_imports(probe, tmp_path / "kpfield")) == 2


def test_i18n_is_qt_free() -> None:
    assert qt_imports(PACKAGE / "i18n.py") == []
