"""The import contract of the whole package (DESIGN.md §3, issue 7).

- Packages form layers and every import points down: a reader finds a feature from the folder
  names, and nothing low knows about anything above it.
- The desktop app and the command line reach the vault only through services and the session
  (never ``vault/``, ``hq/``, ``custody/``, ``bundle/``, ``crypto/`` or ``media/`` directly).
- Only ``kpfield/gui`` imports PySide6 (the core stays usable without Qt).
- Module-level imports have no cycles.
- The relay imports only ``protocol``, ``crypto``, ``domain``, ``errors`` and itself, and its
  import closure holds no sqlcipher3, PIL or PySide6 (it runs on a server with none of them).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import kpfield

PACKAGE = Path(kpfield.__file__).resolve().parent

LAYERS: dict[str, int] = {
    "errors": 0,
    "__init__": 0,
    "domain": 1,
    "paths": 1,
    "fsutil": 1,
    "process": 1,
    "logging_setup": 1,
    "i18n": 2,
    "crypto": 2,
    "media": 2,
    "figures": 2,
    "protocol": 3,
    "vault": 4,
    "custody": 5,
    "bundle": 6,
    "hq": 7,
    "sync": 7,
    "relay": 7,
    "services": 8,
    "app": 9,
    # Plays a report's whole way through sessions of both roles; the CLI's self-test runs it.
    "selftest": 10,
    "gui": 10,
    "cli": 11,
    "__main__": 12,
}
"""Rank of each top-level package or module: an import must point to a lower rank."""

RELAY_MAY_IMPORT = {"relay", "protocol", "crypto", "domain", "errors"}
FRONT_ENDS = {"gui", "cli"}
FRONT_ENDS_NEVER_IMPORT = {"vault", "hq", "custody", "bundle", "crypto", "media", "sync"}
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


def unit_of(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package).parts
    return parts[0].removesuffix(".py")


def module_of(path: Path, package: Path = PACKAGE) -> str:
    rel = path.relative_to(package.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) for each absolute import in ``path`` (``from a import b`` gives a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: list[tuple[int, str]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif (
            not top_level_only
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def qt_imports(path: Path, package: Path = PACKAGE) -> list[str]:
    hits = {
        f"{path.relative_to(package.parent)}:{line} {name.split('.')[0]}"
        for line, name in imports(path)
        if name.split(".")[0] in QT
    }
    return sorted(hits)


def sources(package: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def internal_edges(package: Path = PACKAGE) -> list[tuple[str, str, str]]:
    """(importing unit, imported unit, where) for every import between top-level units."""
    edges: dict[tuple[str, str, str], str] = {}
    for path in sources(package):
        here = unit_of(path, package)
        for line, name in imports(path):
            parts = name.split(".")
            if parts[0] != package.name or len(parts) < 2 or parts[1] not in LAYERS:
                continue
            if parts[1] != here:
                at = f"{path.relative_to(package.parent)}:{line}"
                edges.setdefault((here, parts[1], at), f"{at} {name}")
    return [(here, there, where) for (here, there, _at), where in edges.items()]


def violations(package: Path = PACKAGE) -> list[str]:
    out = []
    for here, there, where in internal_edges(package):
        if here == "relay" and there not in RELAY_MAY_IMPORT:
            out.append(f"the relay may not import {there}: {where}")
        elif here in FRONT_ENDS and there in FRONT_ENDS_NEVER_IMPORT:
            out.append(f"{here} reaches past the services into {there}: {where}")
        elif LAYERS[there] >= LAYERS[here] and not (here == "cli" and there in {"gui", "relay"}):
            out.append(f"{here} (layer {LAYERS[here]}) imports {there} (layer {LAYERS[there]}): {where}")
    return out


def module_cycles(package: Path = PACKAGE) -> list[list[str]]:
    """Cycles among module-level imports (imports inside functions run late and may loop)."""
    names = {module_of(p, package): p for p in sources(package)}
    graph: dict[str, set[str]] = defaultdict(set)
    for mod, path in names.items():
        for _line, imported in imports(path, top_level_only=True):
            target = imported
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != mod and not mod.startswith(target + "."):
                graph[mod].add(target)
    cycles, state = [], dict.fromkeys(names, 0)

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state[nxt] == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif state[nxt] == 0:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(names):
        if state[node] == 0:
            visit(node, [node])
    return cycles


# ---------------------------------------------------------------------- the contract
def test_every_top_level_unit_has_a_layer() -> None:
    units = {unit_of(p) for p in sources()}
    assert units - set(LAYERS) == set()


def test_imports_point_down_the_layers() -> None:
    assert len(internal_edges()) > 100  # the scan really looked at the package
    assert violations() == []


def test_no_module_level_import_cycles() -> None:
    assert module_cycles() == []


def test_only_the_gui_package_imports_qt() -> None:
    modules = [p for p in sources() if unit_of(p) != "gui"]
    assert len(modules) > 20
    assert [hit for p in modules for hit in qt_imports(p)] == []


def test_i18n_is_qt_free() -> None:
    assert qt_imports(PACKAGE / "i18n.py") == []


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("kpfield.relay.server", {"sqlcipher3", "PIL", "PySide6", "kpfield.vault", "kpfield.app"}),
        ("kpfield.relay.cli", {"sqlcipher3", "PIL", "PySide6", "kpfield.vault", "kpfield.app"}),
        ("kpfield.protocol.signed", {"sqlcipher3", "PIL", "PySide6", "kpfield.vault"}),
        ("kpfield.services", {"PySide6"}),
        ("kpfield.app", {"PySide6"}),
    ],
)
def test_import_closure(module: str, forbidden: set[str]) -> None:
    code = (
        f"import sys, {module}\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(forbidden)!r}"
        f" or any(m == f or m.startswith(f + '.') for f in {sorted(forbidden)!r}))\n"
        "print(','.join(bad))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == ""


# ---------------------------------------------------------------------- the checks can fail
def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "kpfield"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_scan_catches_a_qt_import(tmp_path: Path) -> None:
    root = _package(tmp_path, {"services/bad.py": "from PySide6.QtCore import QObject\n"
                               "import importlib\nimportlib.import_module('PySide6.QtGui')\n"})
    assert len(qt_imports(root / "services" / "bad.py", root)) == 2


def test_the_scan_catches_upward_sideways_and_relay_imports(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "vault/db.py": "from kpfield.services import reports\n",
            "gui/window.py": "def f():\n    from kpfield.vault.db import connect\n",
            "relay/server.py": "from kpfield.vault import db\n",
            "services/ok.py": "from kpfield.vault import db\n",
        },
    )
    found = violations(root)
    assert len(found) == 3, found
    assert any("vault (layer 4) imports services" in v for v in found)
    assert any("gui reaches past the services into vault" in v for v in found)
    assert any("the relay may not import vault" in v for v in found)


def test_the_scan_catches_a_cycle(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {"__init__.py": "", "a.py": "import kpfield.b\n", "b.py": "from kpfield import a\n"},
    )
    assert module_cycles(root) == [["kpfield.a", "kpfield.b", "kpfield.a"]]
