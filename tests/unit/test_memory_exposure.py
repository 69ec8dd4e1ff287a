"""Swap and hibernation: found and judged from the system's own files (a fake /proc and /sys)."""

from __future__ import annotations

import os
from pathlib import Path

from kpfield.services.memory_exposure import (
    CANNOT_TELL,
    ENCRYPTED,
    HIBERNATION_IN_CLEAR,
    NOT_ENCRYPTED,
    SWAP_IN_CLEAR,
    UNKNOWN,
    Exposure,
    LinuxProbe,
    macos_exposures,
    memory_exposures,
    warnings,
)


def tree(root: Path, files: dict[str, str], links: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for name, target in links.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)
    return root


SWAPS = "Filename\tType\tSize\tUsed\tPriority\n"


def test_swap_on_luks_under_lvm_is_encrypted_and_a_plain_partition_is_not(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "proc/swaps": SWAPS + "/dev/dm-1 partition 100 0 -2\n/dev/sda3 partition 100 0 -3\n"
            "/dev/zram0 partition 100 0 100\n",
            "sys/class/block/dm-1/dm/uuid": "LVM-abc",
            "sys/class/block/dm-0/dm/uuid": "CRYPT-LUKS2-xyz",
            "sys/class/block/sda3/size": "1",
            "sys/power/resume": "8:3\n",
        },
        {
            "sys/dev/block/253:1": "../../devices/virtual/block/dm-1",
            "sys/dev/block/8:3": "../../devices/pci/block/sda/sda3",
            "sys/class/block/dm-1/slaves/dm-0": "../../dm-0",
        },
    )
    numbers = {"/dev/dm-1": "253:1", "/dev/sda3": "8:3"}
    probe = LinuxProbe(root, lambda path, kind: numbers[path])
    assert probe.exposures() == [
        Exposure("swap", "/dev/dm-1", ENCRYPTED),
        Exposure("swap", "/dev/sda3", NOT_ENCRYPTED),
        Exposure("hibernation", "device 8:3", NOT_ENCRYPTED),
    ]
    assert warnings(probe.exposures()) == [
        (SWAP_IN_CLEAR, "/dev/sda3"),
        (HIBERNATION_IN_CLEAR, "device 8:3"),
    ]


def test_no_swap_and_no_hibernation_means_nothing_to_say(tmp_path: Path) -> None:
    root = tree(tmp_path, {"proc/swaps": SWAPS, "sys/power/resume": "0:0\n"}, {})
    assert LinuxProbe(root).exposures() == []


def test_what_cannot_be_read_is_said_once(tmp_path: Path) -> None:
    probe = LinuxProbe(tmp_path)  # no /proc/swaps at all
    assert probe.exposures() == [Exposure("swap", "/proc/swaps", UNKNOWN)]
    twice = [Exposure("swap", "a", UNKNOWN), Exposure("swap", "b", UNKNOWN)]
    assert warnings(twice) == [(CANNOT_TELL, "")]


def test_macos_and_windows() -> None:
    enc = macos_exposures(lambda cmd: "vm.swapusage: total = 0.00M (encrypted)")
    assert enc == [Exposure("swap", "vm.swapusage", ENCRYPTED)]
    assert macos_exposures(lambda cmd: "")[0].state == UNKNOWN
    assert memory_exposures("win32")[0].state == UNKNOWN


def test_this_machine_can_be_probed() -> None:
    """On the test machine itself the probe runs without error and says something definite."""
    for e in memory_exposures():
        assert e.state in (ENCRYPTED, NOT_ENCRYPTED, UNKNOWN)
