"""The CLI package: a light parser, --data-dir before a command, and the helpers the groups share."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpfield import cli
from kpfield.cli import build_parser, common, main
from kpfield.errors import IntegrityError, UsageError

HEAVY = ("sqlcipher3", "PIL", "PySide6", "kpfield.app", "kpfield.vault")


def test_building_the_parser_imports_no_native_library() -> None:
    """``kpfield relay`` must run where SQLCipher, Pillow and Qt are absent."""
    probe = (
        "import sys; import kpfield.cli; kpfield.cli.build_parser(); "
        f"print(sorted({set(HEAVY)!r} & set(sys.modules)))"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_every_group_registers_its_commands() -> None:
    names = {"init", "identity", "passphrase", "wipe", "verify", "report", "attach"}
    names |= {"attachment", "gui", "keys", "profile", "enroll", "export", "import", "receipts", "relay"}
    names |= {"sync", "pull"}
    names |= {"witness"}
    names |= {"self-test"}
    names |= {"cases", "devices", "inbox"}
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == names
    assert all(callable(getattr(m, "register", None)) for m in cli.GROUPS)


@pytest.fixture
def verbose(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records what main asks of logging, instead of re-rooting this process's handlers."""
    import kpfield.logging_setup

    calls: list[bool] = []
    monkeypatch.setattr(kpfield.logging_setup, "configure", calls.append)
    return calls


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch, verbose: list[bool]) -> list[str | None]:
    calls: list[str | None] = []

    def fake(data_dir: str | None) -> int:
        calls.append(data_dir)
        return 0

    monkeypatch.setattr(cli.gui, "launch_gui", fake)
    return calls


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "DIR"],
        ["-v", "--data-dir", "DIR"],
        ["--data-dir", "DIR", "gui"],
        ["gui", "--data-dir", "DIR"],
    ],
)
def test_data_dir_alone_starts_the_desktop_app_on_it(
    argv: list[str], tmp_path: Path, launched: list[str | None], verbose: list[bool]
) -> None:
    d = str(tmp_path / "vault")
    assert main([d if a == "DIR" else a for a in argv]) == 0
    assert launched == [d]
    assert verbose == ["-v" in argv]


def test_no_command_starts_the_desktop_app_on_the_default_vault(
    launched: list[str | None],
) -> None:
    assert main([]) == 0
    assert launched == [None]


def test_data_dir_before_a_command_is_the_commands_vault(
    tmp_path: Path,
    passphrase_file: Path,
    capsys: pytest.CaptureFixture[str],
    verbose: list[bool],
) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    pf = ["--passphrase-file", str(passphrase_file)]
    assert main(["--data-dir", str(before), "identity", *pf]) == 2
    assert f"No vault was found in {before}." in capsys.readouterr().err
    # Given twice, the one after the command wins.
    assert main(["--data-dir", str(before), "identity", "--data-dir", str(after), *pf]) == 2
    assert f"No vault was found in {after}." in capsys.readouterr().err
    assert main(["-v", "identity", "--data-dir", str(after), *pf]) == 2
    assert verbose == [False, False, True]
    args = build_parser().parse_args(["identity"])
    assert args.data_dir is None
    assert args.verbose is False


# ---------------------------------------------------------------------- common helpers
@pytest.mark.parametrize(
    ("seqs", "text"),
    [([], ""), ([4], "4"), ([1, 2, 3], "1-3"), ([1, 2, 3, 5, 7, 8], "1-3, 5, 7-8"), ([2, 9], "2, 9")],
)
def test_format_ranges(seqs: list[int], text: str) -> None:
    assert common.format_ranges(seqs) == text


def test_read_small_file_refuses_what_it_cannot_bound_or_read(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    assert common.read_small_file(f, 10) == b"x" * 10
    with pytest.raises(UsageError, match=r"f is too large\.$"):
        common.read_small_file(f, 9)
    with pytest.raises(UsageError, match=r"nope does not exist\.$"):
        common.read_small_file(tmp_path / "nope", 9)
    with pytest.raises(UsageError, match=r"cannot be read \(Is a directory\)\.$"):
        common.read_small_file(tmp_path, 9)
    custom = common.FileMessages(too_large="{name} over {mib} MiB")
    with pytest.raises(UsageError, match=r"f over 0 MiB"):
        common.read_small_file(f, 9, custom)


@pytest.mark.parametrize(
    ("content", "secret"),
    [
        (b"pass word\n", "pass word"),
        (b"pass word", "pass word"),
        (b"\xef\xbb\xbfbom first\r\nsecond\n", "bom first"),
        (b"old mac\rsecond", "old mac"),
        (b"short\n" + b"x" * (common.MAX_PASSPHRASE_FILE_BYTES + 10), "short"),
        ("pässwörd\n".encode(), "pässwörd"),
    ],
)
def test_passphrase_file_is_its_first_line(tmp_path: Path, content: bytes, secret: str) -> None:
    f = tmp_path / "pw"
    f.write_bytes(content)
    assert common.read_secret_file(str(f)) == secret


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"\n", "is empty"),
        (b"\xff\xfe\n", "is not UTF-8 text"),
        (b"y" * (common.MAX_PASSPHRASE_FILE_BYTES + 1), "is too large"),
    ],
)
def test_bad_passphrase_files_are_refused(tmp_path: Path, content: bytes, words: str) -> None:
    f = tmp_path / "pw"
    f.write_bytes(content)
    with pytest.raises(UsageError, match=words):
        common.read_secret_file(str(f))


def test_fingerprints_compare_by_their_digits() -> None:
    args = argparse.Namespace(fingerprint="12345 67890")
    assert common.confirm_fingerprint(args, "1234-5678-90", "?")
    with pytest.raises(IntegrityError, match="fingerprints differ"):
        common.confirm_fingerprint(args, "1234567891", "?")


def test_write_new_file_never_overwrites(tmp_path: Path) -> None:
    f = tmp_path / "out"
    common.write_new_file(str(f), b"one")
    with pytest.raises(UsageError, match="already exists"):
        common.write_new_file(str(f), b"two")
    assert f.read_bytes() == b"one"



@pytest.mark.parametrize(
    ("module", "argv", "extra"),
    [
        ("sqlcipher3", ["init", "--passphrase-file", os.devnull], "desktop"),
        ("PySide6", ["gui"], "desktop"),
        ("psycopg", ["relay", "init", "--hq-public", os.devnull], "relay-scale"),
    ],
)
def test_a_missing_extra_is_named_with_the_install_command(
    module: str, argv: list[str], extra: str, tmp_path: Path
) -> None:
    """A relay-only install asked to open a vault, or a single node asked for PostgreSQL."""
    data = ["--data-dir", str(tmp_path / "v")]
    if argv[0] == "relay":
        data += ["--database", "postgresql://u@127.0.0.1:1/db", "--objects", "s3://b"]
    # `import module` fails in that process as if the extra were not installed.
    probe = (
        f"import sys; sys.modules[{module!r}] = None; from kpfield.cli import main; "
        f"sys.exit(main({[*argv, *data]!r}))"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert r.returncode == 2, r.stderr
    assert f"pip install 'kpfield[{extra}]'" in r.stderr
    assert f"({module} is missing)" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "v" / "keyslots").exists()
