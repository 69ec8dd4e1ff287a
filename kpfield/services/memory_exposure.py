"""Where memory can reach the disk: swap and hibernation, and whether they are encrypted.

The vault never writes plaintext, but the operating system may page the app's memory (keys,
decrypted testimony, thumbnails) to swap, or write all of it to a hibernation file. Whether that
lands in the clear depends on the disk, not on KP Field: setup tells the monitor when it can see
that swap or hibernation is not encrypted, and how to fix it. Read-only; never changes the system.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kpfield.errors import N_

ENCRYPTED, NOT_ENCRYPTED, UNKNOWN = "encrypted", "not encrypted", "unknown"

SWAP_IN_CLEAR = N_(
    "Swap space on this computer ({where}) is not encrypted: the system may write parts of what "
    "KP Field holds in memory there, readable by whoever takes the disk."
)
HIBERNATION_IN_CLEAR = N_(
    "Hibernation writes this computer's memory to {where}, which is not encrypted. Lock KP Field "
    "before the laptop sleeps or hibernates."
)
CANNOT_TELL = N_(
    "KP Field cannot tell whether this computer's swap and hibernation files are encrypted: "
    "the system may write parts of what KP Field holds in memory there."
)

FIX_LINUX = N_(
    "How to fix it on Linux: install the system with full-disk encryption (LUKS; installers call "
    "it “Encrypt the new installation” or “Encrypt system”), or move swap onto an encrypted "
    "volume or replace it with zram. If hibernation cannot be encrypted, turn it off."
)
FIX_WINDOWS = N_(
    "How to fix it on Windows: turn on BitLocker for the system drive (Settings → Privacy & "
    "security → Device encryption, or Control Panel → BitLocker Drive Encryption); it also "
    "encrypts the page file and the hibernation file there. To turn hibernation off, run "
    "“powercfg /h off” as an administrator."
)
FIX_MACOS = N_(
    "How to fix it on macOS: turn on FileVault (System Settings → Privacy & Security → "
    "FileVault); it also encrypts the sleep image that hibernation writes."
)


def how_to_fix(platform: str = sys.platform) -> str:
    """What to do about a warning on this operating system (a template without placeholders)."""
    if platform.startswith("linux"):
        return FIX_LINUX
    if platform == "darwin":
        return FIX_MACOS
    return FIX_WINDOWS


@dataclass(frozen=True)
class Exposure:
    """One place memory can be written to disk, and what is known about its encryption."""

    kind: str  # "swap" or "hibernation"
    where: str
    state: str  # ENCRYPTED, NOT_ENCRYPTED or UNKNOWN

    @property
    def warning(self) -> str | None:
        """The template to show the monitor (placeholder ``where``), or None if all is well."""
        if self.state == ENCRYPTED:
            return None
        if self.state == UNKNOWN:
            return CANNOT_TELL
        return SWAP_IN_CLEAR if self.kind == "swap" else HIBERNATION_IN_CLEAR


def device_number(path: str, kind: str) -> str:
    """``major:minor`` of the block device that holds a swap file, or of a swap partition."""
    st = os.stat(path)
    dev = st.st_dev if kind == "file" else st.st_rdev
    return f"{os.major(dev)}:{os.minor(dev)}"


class LinuxProbe:
    """Reads ``/proc/swaps``, ``/sys/power/resume`` and device-mapper metadata under ``root``."""

    def __init__(
        self, root: Path = Path("/"), number: Callable[[str, str], str] = device_number
    ) -> None:
        self.root = root
        self.number = number

    def _block_name(self, majmin: str) -> str | None:
        link = self.root / "sys" / "dev" / "block" / majmin
        try:
            return Path(os.readlink(link)).name
        except OSError:
            return None

    def _encrypted(self, name: str, depth: int = 0) -> bool:
        """A block device is encrypted if it, or a device below it, is a dm-crypt mapping."""
        block = self.root / "sys" / "class" / "block" / name
        try:
            if (block / "dm" / "uuid").read_text().startswith("CRYPT-"):
                return True
        except OSError:
            pass
        if name.startswith("zram"):
            return True  # compressed RAM, never on a disk
        slaves = block / "slaves"
        if depth < 8 and slaves.is_dir():
            return any(self._encrypted(s.name, depth + 1) for s in slaves.iterdir())
        return False

    def _state_of(self, majmin: str | None) -> str:
        name = self._block_name(majmin) if majmin else None
        if name is None:
            return UNKNOWN
        return ENCRYPTED if self._encrypted(name) else NOT_ENCRYPTED

    def swaps(self) -> list[Exposure]:
        try:
            lines = (self.root / "proc" / "swaps").read_text().splitlines()[1:]
        except OSError:
            return [Exposure("swap", "/proc/swaps", UNKNOWN)]
        out = []
        for line in lines:
            fields = line.split()
            if len(fields) < 2:
                continue
            where, kind = fields[0].replace("\\040", " "), fields[1]
            if Path(where).name.startswith("zram"):
                continue  # compressed RAM, never on a disk
            try:
                majmin: str | None = self.number(where, kind)
            except OSError:
                majmin = None
            out.append(Exposure("swap", where, self._state_of(majmin)))
        return out

    def hibernation(self) -> list[Exposure]:
        try:
            majmin = (self.root / "sys" / "power" / "resume").read_text().strip()
        except OSError:
            return []
        if majmin in ("", "0:0"):
            return []
        return [Exposure("hibernation", f"device {majmin}", self._state_of(majmin))]

    def exposures(self) -> list[Exposure]:
        return self.swaps() + self.hibernation()


def macos_exposures(run: Callable[[list[str]], str] | None = None) -> list[Exposure]:
    """macOS encrypts swap when ``vm.swapusage`` says so (always, since 10.7)."""

    def default(cmd: list[str]) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False).stdout

    try:
        out = (run or default)(["/usr/sbin/sysctl", "vm.swapusage"])
    except (OSError, subprocess.SubprocessError):
        out = ""
    state = ENCRYPTED if "(encrypted)" in out else UNKNOWN
    return [Exposure("swap", "vm.swapusage", state)]


def memory_exposures(platform: str = sys.platform) -> list[Exposure]:
    """Every place this computer may write memory to disk that the app can see."""
    if platform.startswith("linux"):
        return LinuxProbe().exposures()
    if platform == "darwin":
        return macos_exposures()
    return [Exposure("swap", "pagefile", UNKNOWN)]


def warnings(exposures: list[Exposure]) -> list[tuple[str, str]]:
    """(template, where) for each exposure worth telling the monitor about, without repeats."""
    out: list[tuple[str, str]] = []
    for e in exposures:
        template = e.warning
        if template is None:
            continue
        item = (template, "" if template == CANNOT_TELL else e.where)
        if item not in out:
            out.append(item)
    return out
