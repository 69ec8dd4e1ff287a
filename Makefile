# KP Field developer entry points. `make run` and `make test` work on a fresh machine.
# The venv holds every extra (pyproject.toml): `desktop` (the app and the field/HQ commands),
# `relay`, `relay-scale`, and `dev` (test and lint tools; it names the other three).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench screenshots venv clean i18n package smoke

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[desktop,relay,relay-scale,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kpfield gui

test: $(STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check kpfield tests
	$(VENV)/bin/mypy kpfield

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.bench.run

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m kpfield.gui.screenshots docs/screenshots

# The Linux package (dist/kpfield-<version>-linux-<arch>.tar.xz), built in its own venv that
# holds only the runtime dependencies (core + the desktop extra) and PyInstaller; then the
# smoke test of what was built.
PACKAGE_VENV ?= build/package-venv
XZ_LEVEL ?= 6
package:
	$(PYTHON) packaging/build.py --venv $(PACKAGE_VENV) --xz-level $(XZ_LEVEL)

smoke: $(STAMP) package
	KPFIELD_BUILT_APP=$(CURDIR)/dist QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/packaging/test_built_app.py

i18n: $(STAMP)
	$(PY) -m kpfield.i18n update

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
