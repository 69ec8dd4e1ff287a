"""Find secret markers in every byte of a directory tree, in the encodings text leaks in."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


def new_marker(label: str) -> str:
    """A unique, lowercase ASCII marker (lowercase so FTS case folding cannot hide it)."""
    return f"kpfmark{label.lower()}{secrets.token_hex(10)}"


def encodings(marker: str) -> dict[str, bytes]:
    """The byte patterns a leaked copy of ``marker`` would take (text in either case)."""
    out: dict[str, bytes] = {}
    for case, text in (("", marker), ("upper ", marker.upper())):
        out[f"{case}utf-8"] = text.encode("utf-8")
        out[f"{case}utf-16-le"] = text.encode("utf-16-le")
        out[f"{case}utf-16-be"] = text.encode("utf-16-be")
    return out


@dataclass(frozen=True)
class Hit:
    path: Path
    offset: int
    marker: str
    encoding: str

    def __str__(self) -> str:
        return f"{self.path} @ {self.offset}: marker {self.marker!r} as {self.encoding}"


def files_under(roots: Iterable[Path]) -> Iterator[Path]:
    """Every regular file under ``roots`` (symlinks are not followed; a link is not a copy)."""
    for root in roots:
        if root.is_file():
            yield root
            continue
        for dirpath, _dirs, names in os.walk(root, followlinks=False):
            for name in names:
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink():
                    yield p


def key_encodings(key: bytes) -> dict[str, bytes]:
    """The forms a leaked key would take on disk: raw bytes, and hex in either case."""
    return {"raw": key, "hex": key.hex().encode(), "HEX": key.hex().upper().encode()}


Pattern = tuple[str, str, bytes]  # (what is searched for, its encoding, the bytes)


def text_patterns(markers: Iterable[str]) -> list[Pattern]:
    return [(m, enc, pat) for m in markers for enc, pat in encodings(m).items()]


def scan_file(path: Path, markers: Iterable[str], chunk: int = CHUNK) -> list[Hit]:
    """Search every byte of ``path``; chunks overlap so a match across a boundary is found."""
    return scan_file_for(path, text_patterns(markers), chunk)


def scan_file_for(path: Path, patterns: list[Pattern], chunk: int = CHUNK) -> list[Hit]:
    """Like :func:`scan_file`, for any byte patterns (e.g. :func:`key_encodings`)."""
    if not patterns:
        return []
    overlap = max(len(p) for _, _, p in patterns) - 1
    hits: list[Hit] = []
    seen: set[tuple[str, str, int]] = set()
    with open(path, "rb") as fh:
        base = 0  # file offset of buf[0]
        buf = b""
        while True:
            data = fh.read(chunk)
            if not data:
                break
            buf += data
            for marker, enc, pat in patterns:
                start = 0
                while (i := buf.find(pat, start)) >= 0:
                    key = (marker, enc, base + i)
                    if key not in seen:
                        seen.add(key)
                        hits.append(Hit(path, base + i, marker, enc))
                    start = i + 1
            keep = min(overlap, len(buf))
            base += len(buf) - keep
            buf = buf[len(buf) - keep :] if keep else b""
    return hits


def scan_tree(roots: Iterable[Path], markers: Iterable[str], chunk: int = CHUNK) -> list[Hit]:
    return scan_tree_for(roots, text_patterns(markers), chunk)


def scan_tree_for(roots: Iterable[Path], patterns: list[Pattern], chunk: int = CHUNK) -> list[Hit]:
    hits: list[Hit] = []
    for path in files_under(roots):
        hits.extend(scan_file_for(path, patterns, chunk))
    return hits


def count_bytes(roots: Iterable[Path]) -> tuple[int, int]:
    """(files, bytes) under ``roots``: printed so a reader sees the scan was not vacuous."""
    files = 0
    total = 0
    for p in files_under(roots):
        files += 1
        total += p.stat().st_size
    return files, total
