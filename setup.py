"""Build step: the repository keeps ``resources/`` at the top level; wheels carry it inside the
package as ``kpfield/_resources`` (see ``kpfield.paths.resources_dir``). All other metadata is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "resources"
TARGET = Path("kpfield") / "_resources"
# Catalog sources and the template are for translators; the app reads only the compiled .mo.
SKIP = shutil.ignore_patterns("*.po", "*.pot", "__pycache__", ".*")


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        # An editable install runs from the checkout, where resources/ already is.
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / TARGET
        shutil.rmtree(target, ignore_errors=True)  # nothing stale from an earlier build
        shutil.copytree(SOURCE, target, ignore=SKIP)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        target = Path(self.build_lib) / TARGET
        return outputs + [str(p) for p in target.rglob("*") if p.is_file()]


setup(cmdclass={"build_py": BuildPyWithResources})
