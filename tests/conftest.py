"""Shared fixtures: every test builds its own vault in tmp_path with cheap, explicit KDF params."""

from __future__ import annotations

import io
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Qt widgets run offscreen unless a test run asks for a real display (e.g. under Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kpfield.app import Session, create_session
from kpfield.vault.keyslots import KdfParams
from tests.relay.servers import Postgres, Seaweed

REPO = Path(__file__).resolve().parent.parent
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def cheap_params() -> KdfParams:
    return KdfParams.cheap_for_tests()


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def session(vault_dir: Path, cheap_params: KdfParams) -> Iterator[Session]:
    s = create_session(vault_dir, PASSPHRASE, params=cheap_params)
    yield s
    if s.vault.is_open:
        s.close()


@pytest.fixture
def example_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REPO / "docs" / "example-report.json").read_text("utf-8"))
    return doc


def make_jpeg(width: int = 640, height: int = 480, seed: int = 0, comment: bytes = b"") -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), (rng.randrange(256), 90, 40))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0110] = "Model 1"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif.tobytes(), comment=comment)
    return out.getvalue()


@pytest.fixture
def jpeg_file(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(10_000))

    def _make(**kwargs: Any) -> Path:
        p = tmp_path / "photos" / f"photo{next(counter)}.jpg"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(make_jpeg(**kwargs))
        return p

    return _make


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    p = tmp_path / "pass.txt"
    p.write_text(PASSPHRASE + "\n", encoding="utf-8")
    os.chmod(p, 0o600)
    return p


# The distributed relay backend's real servers, started once per session and only when a test
# asks for them (tests/relay and tests/sync both run against them).
@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = Seaweed.start(tmp_path_factory.mktemp("seaweed"))
    with pytest.MonkeyPatch.context() as mp:  # boto3 reads the standard AWS variables
        for name, value in server.env().items():
            mp.setenv(name, value)
        yield server
    server.stop()


# ---------------------------------------------------------------------- no thread left behind
# A non-daemon thread still running when the tests end keeps the interpreter waiting at exit
# (2026-12-02: a window whose close was refused was deleted without stopping its store lane, and
# CI would have hung for its 90 minutes). Each test's new threads are noted with the test's name;
# at the end, a thread still running after a bounded wait fails the run, named with the test that
# started it, and the process then exits with that failure instead of hanging.
LEFT_BEHIND_WAIT = 10.0
"""Seconds, in total, the end of the run waits for threads that are finishing on their own."""
_STARTED_BY: dict[threading.Thread, str] = {}
_LEFT_BEHIND: list[str] = []


def _non_daemon_threads() -> set[threading.Thread]:
    main = threading.main_thread()
    return {t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()}


@pytest.fixture(autouse=True)
def _note_threads_started(request: pytest.FixtureRequest) -> Iterator[None]:
    before = _non_daemon_threads()
    yield
    for thread in _non_daemon_threads() - before:
        _STARTED_BY.setdefault(thread, request.node.nodeid)


@pytest.hookimpl(trylast=True)  # after the session-scoped fixtures (servers) are torn down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    deadline = time.monotonic() + LEFT_BEHIND_WAIT
    for thread in _non_daemon_threads():
        thread.join(max(0.0, deadline - time.monotonic()))
    left = sorted(_non_daemon_threads(), key=lambda t: t.name)
    if not left:
        return
    _LEFT_BEHIND.extend(
        f"{t.name} (started during {_STARTED_BY.get(t, 'collection or a session fixture')})"
        for t in left
    )
    sys.stderr.write(
        "\nnon-daemon threads still running at the end of the tests:\n  "
        + "\n  ".join(_LEFT_BEHIND)
        + "\n"
    )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # Only when the check above failed: joining those threads at exit would never return.
    if _LEFT_BEHIND:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(pytest.ExitCode.TESTS_FAILED))
